import sharp from 'sharp';

/** A small real JPEG. */
export function smallJpeg(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080' } }).jpeg().toBuffer();
}

/** Offset of the first SOF segment's marker in a JPEG. */
export function sofOffset(jpeg: Buffer): number {
  let pos = 2;
  while (pos + 4 < jpeg.length) {
    const marker = jpeg[pos + 1] ?? 0;
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return pos;
    pos += 2 + jpeg.readUInt16BE(pos + 2);
  }
  throw new Error('no SOF');
}

/** A small JPEG whose frame header declares width × height: what a hostile camera sends to exhaust memory. */
export async function pixelBomb(width = 16383, height = 16383): Promise<Buffer> {
  const jpeg = Buffer.from(await smallJpeg());
  const sof = sofOffset(jpeg);
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}
