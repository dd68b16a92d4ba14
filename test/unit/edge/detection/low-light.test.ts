import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectorSchema } from '../../../../agent/config/sections/detector.js';
import { enhanceLowLight, gammaLut, isLowLight, lowLightViews, meanLuma, type LowLightOptions, type RgbPixels } from '../../../../agent/edge/detection/low-light.js';
import { decodeImage } from '../../../../agent/edge/imaging/rgb.js';
import { footage } from '../../../helpers/footage.js';

const GAMMA: LowLightOptions = { method: 'gamma', belowLuma: 60, gamma: 2, secondLook: false };

/** A real daylight photo (512x512), and the same photo as a night camera would see it (a fifth of the light). */
async function photo(): Promise<RgbPixels> {
  return decodeImage(await sharp(footage('skimage/astronaut.png')).toBuffer());
}
async function darkPhoto(): Promise<RgbPixels> {
  return decodeImage(await sharp(footage('skimage/astronaut.png')).linear(0.2, 0).png().toBuffer());
}

describe('low-light decision', () => {
  it('measures mean luminance of a real photo as sharp does (Rec. 601 of the channel means)', async () => {
    const rgb = await photo();
    const { channels } = await sharp(footage('skimage/astronaut.png')).removeAlpha().stats();
    const [r, g, b] = channels.map((c) => c.mean);
    expect(meanLuma(rgb)).toBeCloseTo(0.299 * (r ?? 0) + 0.587 * (g ?? 0) + 0.114 * (b ?? 0), 0);
    expect(meanLuma(await darkPhoto())).toBeLessThan(30);
  });

  it('treats a frame as dark only below the threshold, and never when the feature is off', () => {
    expect(isLowLight(59.9, GAMMA)).toBe(true);
    expect(isLowLight(60, GAMMA)).toBe(false);
    expect(isLowLight(10, { ...GAMMA, method: 'off' })).toBe(false);
    expect(isLowLight(10, { ...GAMMA, belowLuma: 0 })).toBe(false);
  });

  it('is the config section detector.lowLight: normalise below luminance 60 by default, bounded', () => {
    expect(detectorSchema.parse({}).lowLight).toEqual({ method: 'normalise', belowLuma: 60, gamma: 2, secondLook: false });
    expect(detectorSchema.parse({ lowLight: { method: 'off' } }).lowLight.method).toBe('off');
    expect(detectorSchema.parse({ lowLight: { method: 'gamma', belowLuma: 50 } }).lowLight).toMatchObject({ method: 'gamma', belowLuma: 50 });
    for (const bad of [{ method: 'retinex' }, { belowLuma: 256 }, { gamma: 0.5 }, { gamma: 5 }, { extra: 1 }]) {
      expect(detectorSchema.safeParse({ lowLight: bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('low-light preprocessing', () => {
  it('lifts the tones with a gamma table that keeps black and white', () => {
    const lut = gammaLut(2);
    expect([lut[0], lut[64], lut[255]]).toEqual([0, 128, 255]);
    expect([...gammaLut(1)]).toEqual(Array.from({ length: 256 }, (_, v) => v));
  });

  it('leaves a bright real frame exactly as it is: the same buffer, one view', async () => {
    const rgb = await photo();
    for (const method of ['gamma', 'clahe', 'normalise'] as const) {
      const views = await lowLightViews(rgb, { ...GAMMA, method, secondLook: true });
      expect(views).toHaveLength(1);
      expect(views[0]).toBe(rgb);
    }
  });

  it('brightens a dark real frame (same size), and with secondLook also keeps the frame as it is', async () => {
    const dark = await darkPhoto();
    const before = Buffer.from(dark.data);
    const [lifted] = await lowLightViews(dark, GAMMA);
    expect(lifted).not.toBe(dark);
    expect([lifted?.width, lifted?.height, lifted?.data.length]).toEqual([dark.width, dark.height, dark.data.length]);
    expect(meanLuma(lifted as RgbPixels)).toBeGreaterThan(2 * meanLuma(dark));
    expect(dark.data.equals(before)).toBe(true); // the input is not changed
    const both = await lowLightViews(dark, { ...GAMMA, secondLook: true });
    expect(both).toHaveLength(2);
    expect(both[0]).toBe(dark);
    expect(both[1]?.data.equals((lifted as RgbPixels).data)).toBe(true);
  });

  it('stretches a dark real frame with normalise and clahe, keeping its size', async () => {
    const dark = await darkPhoto();
    for (const method of ['normalise', 'clahe'] as const) {
      const out = await enhanceLowLight(dark, { ...GAMMA, method });
      expect([out.width, out.height, out.data.length]).toEqual([dark.width, dark.height, dark.data.length]);
      expect(meanLuma(out), method).toBeGreaterThan(meanLuma(dark));
    }
  });
});
