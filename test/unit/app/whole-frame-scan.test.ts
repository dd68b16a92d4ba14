import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../agent/config/load.js';
import type { DetectOptions, DetectionResult, Detector } from '../../../agent/edge/types.js';
import { FakeClock } from '../../fakes/clock.js';
import { waitFor } from '../../helpers/cli.js';
import { startPipeline } from '../../helpers/pipeline.js';

/** A still scene (upright bars) or, for 'cover', another filling the picture (a rider close up, a crowd); `seed` marks one pixel. */
async function scene(kind: 'still' | 'cover', seed: number): Promise<Buffer> {
  const width = 320;
  const height = 240;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.fill(kind === 'still' ? (Math.floor(x / 40) % 2) * 80 + 40 : (Math.floor(y / 30) % 2) * 150 + 60, i * 3, i * 3 + 3);
  }
  data[seed] = 255; // each frame's bytes differ, as a real camera's do

  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg().toBuffer();
}

/** Which frames (by index) the detector searched whole, given a scene per second. */
async function wholeFrameSearches(scenes: ('still' | 'cover')[], scanEvery: string): Promise<number[]> {
  const frames = await Promise.all(scenes.map((s, i) => scene(s, i)));
  const clock = new FakeClock();
  const config = parseConfigText(`host: { id: scan }
mqtt: { url: 'mqtt://127.0.0.1:1' }
storage: { dataDir: /nonexistent/scan }
cameras: [{ id: gate, snapshot: { url: 'http://127.0.0.1/' }, interval: 1s, motion: { scanEvery: ${scanEvery} } }]
`, 'scan.yaml');
  const calls: { frame: number; options: DetectOptions | undefined }[] = [];
  let served = () => 0;
  const detector: Detector = {
    detect(_image: Buffer, options?: DetectOptions): Promise<DetectionResult> {
      calls.push({ frame: served() - 1, options });
      return Promise.resolve({ width: 320, height: 240, ms: 1, detections: [] });
    },
  };
  const { pipeline, source, stop } = await startPipeline(config, 'gate', frames, detector, clock);
  served = () => source.served;
  try {
    for (let i = 0; i < frames.length; i++) {
      await waitFor(() => source.served > i && pipeline.latestFrame('gate')?.jpeg === frames[i] && pipeline.handoff.stats().processed === pipeline.handoff.stats().offered, 10_000, `frame ${i}`);
      await clock.advance(1000);
    }
  } finally {
    await stop();
  }
  expect(calls.every((c) => c.options?.regions === undefined)).toBe(true); // nothing moved: only whole-frame searches
  return calls.map((c) => c.frame);
}

describe('whole-frame searches beside the motion gate', () => {
  it('searches the first frame, every lighting change, and a still scene every motion.scanEvery', async () => {
    const scenes = ['still', 'still', 'still', 'still', 'still', 'still', 'still', 'cover', 'cover', 'cover', 'cover'] as const;
    expect(await wholeFrameSearches([...scenes], '5s')).toEqual([0, 5, 7]);
    expect(await wholeFrameSearches([...scenes], '0s')).toEqual([0, 7]);
  });
});
