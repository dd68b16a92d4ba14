/**
 * Cuts a byte stream of concatenated JPEGs (ffmpeg's image2pipe/mjpeg output) into whole images.
 * It walks the marker segments and scans only the entropy-coded data for the end marker, so an
 * EOI inside a segment (an EXIF thumbnail) does not cut an image short. Garbage between images
 * is skipped; an image larger than `maxBytes` is dropped and the splitter resynchronises.
 */
export class JpegSplitter {
  private buffer: Buffer = Buffer.alloc(0);
  /** Where parsing of the current image stands, so each byte is looked at about once. */
  private pos = 0;
  private inEntropy = false;
  dropped = 0;

  constructor(private readonly onImage: (jpeg: Buffer) => void, private readonly maxBytes = 16 * 1024 * 1024) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.syncToStart()) return;
      const end = this.findEnd();
      if (end === undefined) {
        if (this.buffer.length > this.maxBytes) this.resync();
        return;
      }
      this.onImage(Buffer.from(this.buffer.subarray(0, end)));
      this.buffer = this.buffer.subarray(end);
      this.pos = 0;
      this.inEntropy = false;
    }
  }

  /** Drops bytes before the next SOI (FF D8); false when none is buffered yet. */
  private syncToStart(): boolean {
    if (this.pos > 0) return true;
    const start = this.buffer.indexOf(SOI);
    if (start < 0) {
      // Keep a trailing 0xFF: it may be the first half of an SOI.
      this.buffer = this.buffer.subarray(this.buffer.at(-1) === 0xff ? this.buffer.length - 1 : this.buffer.length);
      return false;
    }
    this.buffer = this.buffer.subarray(start);
    this.pos = 2;
    return true;
  }

  /** Offset just past the image's EOI, or undefined when more bytes are needed. */
  private findEnd(): number | undefined {
    while (this.pos + 1 < this.buffer.length) {
      const b = this.buffer;
      if (this.inEntropy) {
        const ff = b.indexOf(0xff, this.pos);
        if (ff < 0 || ff + 1 >= b.length) {
          this.pos = ff < 0 ? b.length : ff;
          return undefined;
        }
        const next = b[ff + 1] ?? 0;
        // FF00 is a stuffed byte, FFD0-D7 restart markers: both belong to the entropy data.
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
          this.pos = next === 0xff ? ff + 1 : ff + 2;
          continue;
        }
        this.inEntropy = false;
        this.pos = ff;
        continue;
      }
      if (b[this.pos] !== 0xff) {
        if (!this.corrupt()) return undefined;
        continue;
      }
      const marker = b[this.pos + 1] ?? 0;
      if (marker === 0xff) {
        this.pos += 1; // fill byte
        continue;
      }
      if (marker === 0xd9) return this.pos + 2;
      if (marker === 0xd8) {
        // A new image began before this one ended: the stream lost bytes. Start over from here.
        this.dropped++;
        this.buffer = b.subarray(this.pos);
        this.pos = 2;
        continue;
      }
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        this.pos += 2;
        continue;
      }
      if (this.pos + 4 > b.length) return undefined;
      const length = b.readUInt16BE(this.pos + 2);
      if (length < 2) {
        if (!this.corrupt()) return undefined;
        continue;
      }
      this.pos += 2 + length;
      if (marker === 0xda) this.inEntropy = true;
    }
    return undefined;
  }

  /** The bytes do not follow the JPEG grammar: skip this SOI; true when another one is buffered. */
  private corrupt(): boolean {
    return this.resync();
  }

  private resync(): boolean {
    this.dropped++;
    this.buffer = this.buffer.subarray(2);
    this.pos = 0;
    this.inEntropy = false;
    return this.syncToStart();
  }
}

const SOI = Buffer.from([0xff, 0xd8]);
