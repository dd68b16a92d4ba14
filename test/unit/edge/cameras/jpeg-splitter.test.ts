import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { JpegSplitter } from '../../../../agent/edge/cameras/jpeg-splitter.js';
import { footage } from '../../../helpers/footage.js';

async function images(): Promise<Buffer[]> {
  const a = await readFile(footage('opencv/baboon.jpg'));
  const b = await sharp(footage('skimage/astronaut.png')).jpeg({ quality: 70 }).toBuffer();
  // Progressive JPEG: several scans, markers between them.
  const c = await sharp(footage('skimage/chelsea.png')).jpeg({ progressive: true }).toBuffer();
  // An APP1 segment holding an end marker (as an EXIF thumbnail does) must not cut the image.
  const rocket = await readFile(footage('skimage/rocket.jpg'));
  const payload = Buffer.from([0x45, 0x78, 0x69, 0x66, 0, 0, 0xff, 0xd8, 0x01, 0xff, 0xd9, 0x02]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, payload.length + 2]), payload]);
  const d = Buffer.concat([rocket.subarray(0, 2), app1, rocket.subarray(2)]);
  return [a, b, c, d];
}

describe('JpegSplitter', () => {
  it('cuts a stream of real JPEGs into the same images, however the bytes are chunked', async () => {
    const jpegs = await images();
    const stream = Buffer.concat([Buffer.from('garbage'), ...jpegs.flatMap((j) => [j, Buffer.from([0, 1, 2])])]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 40 }), (cuts) => {
        const out: Buffer[] = [];
        const splitter = new JpegSplitter((j) => out.push(j));
        let pos = 0;
        for (const size of cuts) {
          splitter.push(stream.subarray(pos, pos + size));
          pos += size;
        }
        if (pos < stream.length) splitter.push(stream.subarray(pos));
        expect(out.map((j) => j.length)).toEqual(jpegs.map((j) => j.length));
        expect(out.every((j, i) => j.equals(jpegs[i] as Buffer))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('drops a truncated image and resynchronises on the next one', async () => {
    const [a, b] = await images();
    const out: Buffer[] = [];
    const splitter = new JpegSplitter((j) => out.push(j));
    splitter.push(Buffer.concat([(a as Buffer).subarray(0, 5000), b as Buffer]));
    expect(out).toHaveLength(1);
    expect(out[0]?.equals(b as Buffer)).toBe(true);
    expect(splitter.dropped).toBeGreaterThan(0);
    expect((await sharp(out[0]).metadata()).format).toBe('jpeg');
  });
});
