import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import type { CameraStatusPayload, EventBody } from '../../../../agent/link/contract/v1.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { PatrolReporter } from '../../../../agent/host/patrol/reporter.js';
import type { Frame } from '../../../../agent/edge/types.js';
import { FakeClock } from '../../../fakes/clock.js';
import { ClockScheduler } from '../../../fakes/scheduler.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { ScheduledJobs } from '../../../../agent/host/schedule/jobs.js';
import { tempDir } from '../../../helpers/tmp.js';

const HOUR = 3_600_000;
const COLOURS = { gate: [220, 30, 30], lane: [30, 200, 40], well: [30, 60, 220] } as const;

async function solidJpeg([r, g, b]: readonly number[]): Promise<Buffer> {
  return sharp({ create: { width: 640, height: 360, channels: 3, background: { r: r ?? 0, g: g ?? 0, b: b ?? 0 } } }).jpeg().toBuffer();
}

function status(camera: string, state: CameraStatusPayload['state'], reason: CameraStatusPayload['reason'] = null): CameraStatusPayload {
  return { ts: '', camera, state, reason, since: '' };
}

function event(camera: string, label: EventBody['label'], type: EventBody['type'] = 'new'): EventBody {
  return { ts: '', id: `${camera}-${label}-${Math.random()}`, type, camera, label, score: 0.9, box: [0, 0, 1, 1], zones: [], startedAt: '', thumbnail: false };
}

describe('daily patrol report', () => {
  it('runs at the configured time in the host time zone and reports availability, faults, events and a contact sheet', async () => {
    const dir = await tempDir();
    // 2026-01-01T00:00Z is 08:00 in Shanghai; the patrol is due at 20:00 Shanghai = 12:00Z.
    const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
    const config = parseConfigText(`host: { id: h }
mqtt: { url: mqtt://127.0.0.1 }
cameras:
  - { id: gate, name: Village gate, file: { path: /x }, privacyMasks: [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]] }
  - { id: lane, file: { path: /x } }
  - { id: well, file: { path: /x } }
patrol: { at: "0 20 * * *", tileWidth: 320 }
`, 'c.yaml');
    const frames = new Map<string, Frame>();
    for (const [camera, colour] of Object.entries(COLOURS)) {
      if (camera === 'well') continue; // no frame yet: its tile says so
      frames.set(camera, { camera, capturedAt: clock.now(), mono: 0, jpeg: await solidJpeg(colour) });
    }
    const link = new MemoryStationLink();
    const patrol = new PatrolReporter({
      link, clock, fs: realFileSystem, logger: silentLogger(), cameras: config.cameras, tileWidth: config.patrol.tileWidth,
      archiveDir: join(dir, 'patrol'),
      sources: {
        latestFrame: (id) => frames.get(id),
        diskTrends: () => [{ path: '/data', freeBytesNow: 5e9, freeBytesThen: 6e9, then: '2026-01-01T00:00:00.000Z', bytesPerDay: -1e9, daysToFull: 5 }],
        openAlerts: () => [],
      },
    });
    const jobs = new ScheduledJobs({
      scheduler: new ClockScheduler(clock), timezone: config.host.timezone, logger: silentLogger(),
      jobs: [{ name: 'patrol-report', cron: config.patrol.at, run: () => patrol.run() }],
    });
    await patrol.start();
    await jobs.start();

    patrol.onCameraStatus(status('gate', 'online'));
    patrol.onCameraStatus(status('lane', 'online'));
    patrol.onEvent(event('gate', 'person'));
    patrol.onEvent(event('gate', 'person', 'update')); // same object: not counted again
    patrol.onEvent(event('lane', 'ebike'));
    await clock.advance(6 * HOUR);
    patrol.onCameraStatus(status('lane', 'offline', 'timeout'));
    await clock.advance(3 * HOUR);
    patrol.onCameraStatus(status('lane', 'online'));
    patrol.onEvent(event('gate', 'ebike'));
    await clock.advance(3 * HOUR - 60_000);
    expect(link.patrols).toHaveLength(0); // 19:59 in Shanghai
    await clock.advance(60_000);
    await jobs.stop(); // waits for the run in progress
    expect(link.patrols).toHaveLength(1);

    const { report, sheet } = link.patrols[0] ?? { report: undefined, sheet: Buffer.alloc(0) };
    expect(report).toMatchObject({ ts: '2026-01-01T12:00:00.000Z', id: 'patrol-20260101T120000Z', windowS: 86_400 });
    expect(report?.eventsPerLabel).toEqual({ person: 1, ebike: 2 });
    expect(report?.cameras?.map((c) => [c.id, c.name, c.state, c.availabilityPercent, c.picture])).toEqual([
      ['gate', 'Village gate', 'online', 100, true],
      ['lane', 'lane', 'online', 75, true],
      ['well', 'well', 'unknown', null, false],
    ]);
    expect(report?.cameras?.[1]?.faults).toEqual([{ state: 'offline', reason: 'timeout', count: 1, totalS: 3 * 3600 }]);
    expect(report?.cameras?.[1]?.eventsPerLabel).toEqual({ ebike: 1 });
    expect(report?.cameras?.[2]?.seconds.unknown).toBe(12 * 3600);
    expect(report?.disks?.[0]).toMatchObject({ bytesPerDay: -1e9, daysToFull: 5 });

    // The contact sheet: a valid JPEG, one 320×180 tile per camera in a 2×2 grid.
    const meta = await sharp(sheet).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 360]);
    expect(report?.sheetBytes).toBe(sheet.length);
    const { data, info } = await sharp(sheet).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    const near = (actual: number[], expected: readonly number[]) => actual.every((v, i) => Math.abs(v - (expected[i] ?? 0)) < 40);
    expect(near(pixel(240, 60), COLOURS.gate)).toBe(true); // right half of the gate tile: the camera's picture
    expect(near(pixel(80, 60), [0, 0, 0])).toBe(true); // left half: the privacy mask, burned in
    expect(near(pixel(480, 60), COLOURS.lane)).toBe(true);
    expect(near(pixel(20, 200), [0x55, 0x55, 0x55])).toBe(true); // "no picture" tile for the well camera
    expect(near(pixel(480, 240), [0x20, 0x20, 0x20])).toBe(true); // empty fourth cell

    expect((await readdir(join(dir, 'patrol'))).sort()).toEqual(['patrol-20260101T120000Z.jpg', 'patrol-20260101T120000Z.json']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('answers the patrol/run command with the report id', async () => {
    const clock = new FakeClock();
    const link = new MemoryStationLink();
    const patrol = new PatrolReporter({ link, clock, fs: realFileSystem, logger: silentLogger(), cameras: [], tileWidth: 160, sources: {} });
    await patrol.start();
    const answer = await link.command('patrol/run', {});
    expect(answer).toMatchObject({ id: 'patrol-20260101T000000Z', cameras: 0 });
    expect(link.patrols).toHaveLength(1);
    expect((await sharp(link.patrols[0]?.sheet).metadata()).format).toBe('jpeg');
    await expect(link.command('patrol/run', { extra: 1 })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('extra') as unknown });
  });
});
