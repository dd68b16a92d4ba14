/**
 * JPEGs the station received (event thumbnails, patrol contact sheets), kept in memory up to a
 * byte budget; the least recently stored go first.
 */
export type ImageKind = 'thumbnail' | 'sheet';

export class ImageStore {
  private readonly images = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  put(kind: ImageKind, host: string, id: string, jpeg: Buffer): void {
    const key = imageKey(kind, host, id);
    this.remove(key);
    this.images.set(key, jpeg);
    this.bytes += jpeg.length;
    for (const [oldKey] of this.images) {
      if (this.bytes <= this.budgetBytes || oldKey === key) break;
      this.remove(oldKey);
    }
  }

  get(kind: ImageKind, host: string, id: string): Buffer | undefined {
    return this.images.get(imageKey(kind, host, id));
  }

  has(kind: ImageKind, host: string, id: string): boolean {
    return this.images.has(imageKey(kind, host, id));
  }

  private remove(key: string): void {
    const old = this.images.get(key);
    if (old === undefined) return;
    this.bytes -= old.length;
    this.images.delete(key);
  }
}

function imageKey(kind: ImageKind, host: string, id: string): string {
  return `${kind}/${host}/${id}`;
}
