import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { burnPrivacyMasks } from '../../../../agent/edge/imaging/privacy.js';
import { footage } from '../../../helpers/footage.js';

async function meanOf(jpeg: Buffer, left: number, top: number, width: number, height: number): Promise<number> {
  // stats() reads its input, not the pipeline's output, so crop first.
  const crop = await sharp(jpeg).extract({ left, top, width, height }).toBuffer();
  const stats = await sharp(crop).stats();
  return stats.channels.slice(0, 3).reduce((sum, c) => sum + c.mean, 0) / 3;
}

describe('privacy masks', () => {
  it('blacks out the masked polygon of a real photo and leaves the rest', async () => {
    const photo = footage('skimage/astronaut.png'); // 512x512
    const masked = await burnPrivacyMasks(await sharp(photo).toBuffer(), [[[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]]);
    const meta = await sharp(masked).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([512, 512]);
    expect(await meanOf(masked, 10, 10, 236, 236)).toBeLessThan(3);
    expect(await meanOf(masked, 266, 266, 236, 236)).toBeGreaterThan(40);
  });

  it('returns a JPEG untouched when there is nothing to mask', async () => {
    const jpeg = await sharp(footage('skimage/rocket.jpg')).jpeg().toBuffer();
    expect(await burnPrivacyMasks(jpeg, [])).toBe(jpeg);
  });

  it('refuses bytes that are not an image', async () => {
    await expect(burnPrivacyMasks(Buffer.from('not an image'), [])).rejects.toThrow();
  });
});
