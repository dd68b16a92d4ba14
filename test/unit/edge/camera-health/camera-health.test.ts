import { describe, expect, it } from 'vitest';
import { CameraHealth } from '../../../../agent/edge/camera-health/camera-health.js';
import { faultsSchema } from '../../../../agent/config/sections/camera-pipeline.js';
import { AlertBoard } from '../../../../agent/host/health/alerts.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import type { GreyImage } from '../../../../agent/edge/imaging/grey.js';
import { FakeClock } from '../../../fakes/clock.js';

const W = 64;
const H = 48;

/** A textured test picture; `seed` changes the noise so consecutive frames differ like a live camera. */
function picture(seed: number, level = 1, shift = 0): GreyImage {
  const data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const pattern = ((((x + shift) >> 3) + (y >> 3)) % 2) * 120 + 60;
      data[y * W + x] = Math.min(255, Math.round(pattern * level + ((x * 7 + y * 13 + seed) % 5)));
    }
  }
  return { width: W, height: H, data, sourceWidth: W, sourceHeight: H };
}

function uniform(value: number): GreyImage {
  return { width: W, height: H, data: new Uint8Array(W * H).fill(value), sourceWidth: W, sourceHeight: H };
}

function setup() {
  const clock = new FakeClock();
  const link = new MemoryStationLink();
  const faults = faultsSchema.parse({ debounce: '2s', window: '5s', frozenAfter: '10s' });
  const alerts = new AlertBoard({ link, clock, logger: silentLogger() });
  const health = new CameraHealth({ cameras: [{ id: 'gate', intervalMs: 1000, faults }], link, alerts, clock, logger: silentLogger() });
  return { clock, link, alerts, health };
}

/** Feeds one frame a second for `seconds` seconds. */
async function feed(ctx: ReturnType<typeof setup>, seconds: number, frame: (i: number) => GreyImage | 'fail'): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    const f = frame(i);
    if (f === 'fail') ctx.health.failure('gate', 'timeout', 'no complete answer before the deadline');
    else ctx.health.feed('gate', f);
    await ctx.clock.advance(1000);
  }
}

describe('camera health', () => {
  it('publishes online at the first frame, offline after 3 silent intervals + debounce, and back', async () => {
    const ctx = setup();
    await ctx.health.start();
    await feed(ctx, 6, (i) => picture(i));
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'online', reason: null });
    expect(ctx.link.health).toEqual([]);

    const silentFrom = ctx.clock.monotonicMs();
    while (ctx.link.cameraStatus.get('gate')?.state !== 'offline') await ctx.clock.advance(250);
    expect(ctx.clock.monotonicMs() - silentFrom).toBeLessThanOrEqual(3 * 1000 + 2000);
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'offline', reason: 'timeout' });
    expect(ctx.link.health.at(-1)).toMatchObject({ kind: 'camera_offline', state: 'raised', subject: 'gate', severity: 'critical' });
    expect(ctx.alerts.list()).toMatchObject([{ kind: 'camera_offline', subject: 'gate', severity: 'critical' }]);

    await feed(ctx, 1, (i) => picture(100 + i));
    expect(ctx.link.cameraStatus.get('gate')?.state).toBe('offline'); // debounced
    await feed(ctx, 3, (i) => picture(200 + i));
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'online' });
    expect(ctx.link.health.at(-1)).toMatchObject({ kind: 'camera_offline', state: 'cleared' });
    expect(ctx.alerts.list()).toEqual([]);
    await ctx.health.stop();
  });

  it('names the failure: auth when the camera refuses the password', async () => {
    const ctx = setup();
    await ctx.health.start();
    await feed(ctx, 2, (i) => picture(i));
    for (let i = 0; i < 8; i++) {
      ctx.health.failure('gate', 'auth', 'HTTP 401: the camera refused the user name or password');
      await ctx.clock.advance(1000);
    }
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'offline', reason: 'auth' });
  });

  it('does not flap on a one-second blip', async () => {
    const ctx = setup();
    await ctx.health.start();
    await feed(ctx, 30, (i) => (i % 3 === 2 ? 'fail' : picture(i)));
    expect(ctx.link.cameraStatus.get('gate')?.state).toBe('online');
    expect(ctx.link.health).toEqual([]);
  });

  it('reports a black picture after its window, a covered one as covered, and clears both', async () => {
    const ctx = setup();
    await ctx.health.start();
    await feed(ctx, 6, (i) => picture(i));
    await feed(ctx, 4, () => uniform(3));
    expect(ctx.link.cameraStatus.get('gate')?.state).toBe('online'); // 4 s < window of 5 s
    await feed(ctx, 2, () => uniform(3));
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'degraded', reason: 'black' });
    await feed(ctx, 7, () => uniform(140));
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'degraded', reason: 'covered' });
    await feed(ctx, 4, (i) => picture(50 + i));
    expect(ctx.link.cameraStatus.get('gate')?.state).toBe('online');
    const kinds = ctx.link.health.map((h) => `${h.kind}:${h.state}:${String(h.details?.['reason'])}`);
    expect(kinds).toEqual(['camera_degraded:raised:black', 'camera_degraded:cleared:black', 'camera_degraded:raised:covered', 'camera_degraded:cleared:covered']);
  });

  it('reports a frozen picture after frozenAfter of identical frames', async () => {
    const ctx = setup();
    await ctx.health.start();
    await feed(ctx, 6, (i) => picture(i));
    const still = picture(999);
    await feed(ctx, 9, () => still);
    expect(ctx.link.cameraStatus.get('gate')?.state).toBe('online');
    await feed(ctx, 4, () => still);
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'degraded', reason: 'frozen' });
    await feed(ctx, 3, (i) => picture(i));
    expect(ctx.link.cameraStatus.get('gate')?.state).toBe('online');
  });

  it('reports a view that moved away from the reference, and a blurred one', async () => {
    const ctx = setup();
    await ctx.health.start();
    await feed(ctx, 8, (i) => picture(i, 1.2 - (i % 2) * 0.4)); // brightness changes are not a move
    expect(ctx.link.cameraStatus.get('gate')?.state).toBe('online');
    await feed(ctx, 8, (i) => picture(i, 1, 4)); // pattern shifted by half a square
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'degraded', reason: 'moved' });
    const blurred = (i: number): GreyImage => {
      // A symmetric 7×7 box blur: defocus without moving anything.
      const p = picture(i);
      const out = new Uint8Array(W * H);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          let sum = 0;
          let n = 0;
          for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) {
            const v = p.data[Math.min(H - 1, Math.max(0, y + dy)) * W + Math.min(W - 1, Math.max(0, x + dx))] ?? 0;
            sum += v;
            n++;
          }
          out[y * W + x] = Math.round(sum / n);
        }
      }
      return { ...p, data: out };
    };
    await feed(ctx, 8, blurred);
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'degraded', reason: 'blurred' });
  });

  it('summarises connection quality for the heartbeat', async () => {
    const ctx = setup();
    await ctx.health.start();
    await feed(ctx, 10, (i) => (i === 4 || i === 5 ? 'fail' : picture(i)));
    const s = ctx.health.summary()['gate'];
    expect(s).toMatchObject({ state: 'online', expectedFps: 1, reconnectsLastHour: 1, stallsLastHour: 1 });
    expect(s?.achievedFps).toBeCloseTo(0.8, 1);
  });
});

describe('camera health precedence', () => {
  it('calls an identical black picture black, not frozen', async () => {
    const ctx = setup();
    await ctx.health.start();
    await feed(ctx, 6, (i) => picture(i));
    await feed(ctx, 14, () => uniform(2));
    expect(ctx.link.cameraStatus.get('gate')).toMatchObject({ state: 'degraded', reason: 'black' });
    expect(ctx.link.health.map((h) => h.details?.['reason'])).toEqual(['black']);
  });
});
