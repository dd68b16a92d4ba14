import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { appearanceIn, BINS, colourBin, pictureOf, similarity } from '../../../../agent/edge/tracking/appearance.js';

/** A 200×400 picture of a "person": `top` colour above the middle, `bottom` below, on a grey ground. */
async function figure(top: string, bottom: string): Promise<Buffer> {
  const half = (colour: string) => sharp({ create: { width: 80, height: 150, channels: 3, background: colour } }).png().toBuffer();
  return sharp({ create: { width: 200, height: 400, channels: 3, background: '#808080' } })
    .composite([{ input: await half(top), left: 60, top: 50 }, { input: await half(bottom), left: 60, top: 200 }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

const BOX = [0.3, 0.125, 0.7, 0.875] as [number, number, number, number];

async function appearanceOf(jpeg: Buffer, box: [number, number, number, number]) {
  return appearanceIn(await pictureOf(jpeg), box);
}

describe('appearance', () => {
  it('bins dark pixels as black, weakly coloured ones as grey by brightness, the rest by hue', () => {
    expect(colourBin(10, 20, 30)).toBe(0);
    expect([colourBin(90, 90, 95), colourBin(160, 160, 160), colourBin(250, 250, 250)]).toEqual([1, 2, 3]);
    const red = colourBin(220, 30, 30);
    const green = colourBin(30, 200, 40);
    const blue = colourBin(30, 40, 220);
    expect(new Set([red, green, blue, colourBin(120, 15, 15)]).size).toBe(4); // bright and dark red differ too
    for (const bin of [red, green, blue]) expect(bin).toBeLessThan(BINS);
  });

  it('finds the same figure alike and one in another coat, or trousers, different', async () => {
    const a = await appearanceOf(await figure('#c02020', '#203080'), BOX);
    expect(a.bands).toHaveLength(2);
    expect(a.bands[0]?.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    expect(similarity(a, await appearanceOf(await figure('#c02020', '#203080'), BOX))).toBeGreaterThan(0.95);
    // The same colours in a slightly shifted box (the detector's jitter) stay alike.
    expect(similarity(a, await appearanceOf(await figure('#c02020', '#203080'), [0.32, 0.14, 0.72, 0.89]))).toBeGreaterThan(0.8);
    expect(similarity(a, await appearanceOf(await figure('#20a040', '#203080'), BOX))).toBeLessThan(0.3);
    expect(similarity(a, await appearanceOf(await figure('#c02020', '#e0e0e0'), BOX))).toBeLessThan(0.3);
  });

  it('reads a box at the picture\'s edge and a box of a pixel or two', async () => {
    const jpeg = await figure('#c02020', '#203080');
    const edge = await appearanceOf(jpeg, [0.9, 0.9, 1, 1]);
    const tiny = await appearanceOf(jpeg, [0.5, 0.5, 0.501, 0.501]);
    for (const look of [edge, tiny]) expect(look.bands[1]?.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
  });
});
