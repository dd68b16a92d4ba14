import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../agent/config/load.js';
import type { DetectOptions, DetectionResult, Detector } from '../../../agent/edge/types.js';
import { FakeClock } from '../../fakes/clock.js';
import { waitFor } from '../../helpers/cli.js';
import { startPipeline } from '../../helpers/pipeline.js';

/** A yard with a parked e-bike (a dark block); `seed` changes one corner pixel so each frame's bytes differ. */
function yard(seed: number): Promise<Buffer> {
  const width = 320;
  const height = 240;
  const data = Buffer.alloc(width * height * 3, 150);
  for (let y = 100; y < 160; y++) for (let x = 140; x < 200; x++) data.fill(40, (y * width + x) * 3, (y * width + x) * 3 + 3);
  data[seed % 3] = 151;
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}

describe('still objects', () => {
  it('looks at a parked e-bike about once per 10 s once its event is open, and keeps its one event open', async () => {
    const seconds = 40;
    const frames = await Promise.all(Array.from({ length: seconds }, (_, i) => yard(i)));
    const clock = new FakeClock();
    const config = parseConfigText(`host: { id: still }
mqtt: { url: 'mqtt://127.0.0.1:1' }
storage: { dataDir: /nonexistent/still }
cameras: [{ id: yard, snapshot: { url: 'http://127.0.0.1/' }, interval: 1s }]
`, 'still.yaml');
    const looked: number[] = [];
    const detector: Detector = {
      detect(_image: Buffer, options?: DetectOptions): Promise<DetectionResult> {
        looked.push(options?.regions === undefined ? -1 : options.regions.length);
        return Promise.resolve({ width: 320, height: 240, ms: 1, detections: [{ label: 'ebike', class: 'motorcycle', score: 0.95, box: [0.44, 0.42, 0.62, 0.66] }] });
      },
    };
    const { pipeline, source, link, stop } = await startPipeline(config, 'yard', frames, detector, clock);
    try {
      for (let i = 0; i < seconds; i++) {
        await waitFor(() => source.served > i && pipeline.latestFrame('yard')?.jpeg === frames[i] && pipeline.handoff.stats().processed === pipeline.handoff.stats().offered, 10_000, `frame ${i}`);
        await clock.advance(1000);
      }
    } finally {
      await stop();
    }
    // The first frame is searched whole (sure at 0.95, the event opens on it: events.sureHits); then one look per 10 s.
    expect(looked[0]).toBe(-1);
    expect(looked.length).toBeGreaterThanOrEqual(4);
    expect(looked.length).toBeLessThanOrEqual(10);
    expect(link.events.filter((e) => e.type === 'new')).toHaveLength(1);
    expect(link.events.filter((e) => e.type === 'end').map((e) => e.reason)).toEqual(['shutdown']);
    expect(pipeline.summary().events.stillSkips).toBeGreaterThan(25);
  });
});
