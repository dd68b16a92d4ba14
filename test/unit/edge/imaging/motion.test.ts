import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { motionSchema } from '../../../../agent/config/sections/camera-pipeline.js';
import { decodeGrey, type GreyImage } from '../../../../agent/edge/imaging/grey.js';
import { MotionDetector } from '../../../../agent/edge/motion/motion-detector.js';
import { decodeVideoFrames } from '../../../../agent/field/sim/footage-frames.js';
import { footage } from '../../../helpers/footage.js';

const config = motionSchema.parse(undefined);
let frames: Buffer[] = [];

beforeAll(async () => {
  frames = await decodeVideoFrames(footage('opencv/vtest.avi'), { fps: 2, maxFrames: 12 });
});

async function grey(jpeg: Buffer): Promise<GreyImage> {
  return decodeGrey(jpeg, config.width);
}

async function scaled(jpeg: Buffer, gain: number): Promise<Buffer> {
  return sharp(jpeg).linear(gain, 0).jpeg().toBuffer();
}

describe('motion gate on real footage (vtest.avi: people walking)', () => {
  it('decodes to a small greyscale picture and knows the source size', async () => {
    const g = await grey(frames[0] as Buffer);
    expect([g.width, g.height, g.sourceWidth, g.sourceHeight]).toEqual([160, 120, 768, 576]);
    expect(g.data).toHaveLength(160 * 120);
  });

  it('finds walking people and reports where, and nothing on a repeated frame', async () => {
    const motion = new MotionDetector(config);
    expect(motion.detect(await grey(frames[0] as Buffer)).regions).toEqual([]); // first frame: background
    const moving = motion.detect(await grey(frames[4] as Buffer));
    expect(moving.regions.length).toBeGreaterThan(0);
    for (const [x1, y1, x2, y2] of moving.regions) {
      expect(0 <= x1 && x1 < x2 && x2 <= 1 && 0 <= y1 && y1 < y2 && y2 <= 1).toBe(true);
    }
    const covered = moving.regions.reduce((sum, [x1, y1, x2, y2]) => sum + (x2 - x1) * (y2 - y1), 0);
    expect(covered).toBeLessThan(0.6); // regions, not the whole picture

    const still = new MotionDetector(config);
    const same = await grey(frames[4] as Buffer);
    still.detect(same);
    expect(still.detect(same)).toMatchObject({ regions: [], changedRatio: 0 });
  });

  it('does not take a global brightness change (clouds, auto exposure) for motion', async () => {
    const motion = new MotionDetector(config);
    const base = frames[6] as Buffer;
    motion.detect(await grey(base));
    const brighter = motion.detect(await grey(await scaled(base, 1.4)));
    expect(brighter.regions).toEqual([]);
    const darker = motion.detect(await grey(await scaled(base, 0.7)));
    expect(darker.regions).toEqual([]);
  });

  it('follows even a reversed tone curve (IR switch) without seeing motion', async () => {
    const motion = new MotionDetector(config);
    const base = frames[6] as Buffer;
    motion.detect(await grey(base));
    const inverted = await sharp(base).negate().jpeg().toBuffer();
    expect(motion.detect(await grey(inverted)).regions).toEqual([]);
  });

  it('takes a change over most of the picture as a new scene, not motion, and resets the background', async () => {
    const motion = new MotionDetector(config);
    motion.detect(await grey(frames[6] as Buffer));
    const other = await sharp(footage('opencv/baboon.jpg')).resize(768, 576, { fit: 'fill' }).jpeg().toBuffer();
    expect(motion.detect(await grey(other))).toMatchObject({ regions: [], lightingChange: true });
    expect(motion.detect(await grey(other))).toMatchObject({ regions: [], lightingChange: false });
  });
});
