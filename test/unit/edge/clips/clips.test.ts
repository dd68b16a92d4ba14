import { createHash } from 'node:crypto';
import { utimes, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clipsDir, clipsSchema } from '../../../../agent/config/sections/clips.js';
import { ClipStore } from '../../../../agent/edge/clips/clip-store.js';
import { diskErrorOf } from '../../../../agent/edge/clips/ffmpeg-job.js';
import { FrameRing } from '../../../../agent/edge/clips/frame-ring.js';
import { covering, listSegments } from '../../../../agent/edge/clips/segment-ring.js';
import { framesToMp4Args, segmentsToMp4Args } from '../../../../agent/edge/clips/assemble.js';
import { rtspRecordArgs } from '../../../../agent/edge/cameras/rtsp-args.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { FakeClock } from '../../../fakes/clock.js';
import { tempDir } from '../../../helpers/tmp.js';

const jpeg = (n: number) => Buffer.alloc(n, 1);

describe('the frame ring', () => {
  it('keeps the newest frames within its count and bytes, and answers a time window', () => {
    const ring = new FrameRing({ count: 5, bytes: 1000 });
    for (let i = 0; i < 8; i++) ring.push({ at: i * 100, jpeg: jpeg(100) });
    expect(ring.size()).toEqual({ count: 5, bytes: 500 });
    expect(ring.between(300, 500).map((f) => f.at)).toEqual([300, 400, 500]);
    ring.push({ at: 900, jpeg: jpeg(800) });
    expect(ring.size().bytes).toBeLessThanOrEqual(1000);
    expect(ring.between(0, 1000).at(-1)?.at).toBe(900);
    ring.push({ at: 850, jpeg: jpeg(10) }); // a clock step back is not kept
    expect(ring.between(0, 1000).at(-1)?.at).toBe(900);
  });
});

describe('the segment ring', () => {
  it('lists segments by their start second, each ending where the next starts, and finds those covering a window', async () => {
    const dir = await tempDir();
    for (const s of [1_800_000_000, 1_800_000_002, 1_800_000_004]) await writeFile(join(dir, `${s}.ts`), 'x');
    await writeFile(join(dir, 'not-a-segment.txt'), 'x');
    await utimes(join(dir, '1800000004.ts'), 1_800_000_005, 1_800_000_005);
    const segments = await listSegments(realFileSystem, dir);
    expect(segments.map((s) => [s.start, s.end])).toEqual([
      [1_800_000_000_000, 1_800_000_002_000], [1_800_000_002_000, 1_800_000_004_000], [1_800_000_004_000, 1_800_000_005_000],
    ]);
    expect(covering(segments, 1_800_000_002_500, 1_800_000_004_100).map((s) => s.start)).toEqual([1_800_000_002_000, 1_800_000_004_000]);
    expect(await listSegments(realFileSystem, join(dir, 'missing'))).toEqual([]);
  });
});

describe('the clip store', () => {
  const store = async (maxBytes: number, clock = new FakeClock(new Date())) => {
    const dir = await tempDir();
    const s = new ClipStore({ fs: realFileSystem, dir: join(dir, 'clips'), maxBytes, maxAgeMs: 86_400_000, clock });
    await s.open();
    const made = async (event: string, bytes: number) => {
      const file = join(dir, `${event}.tmp`);
      await writeFile(file, Buffer.alloc(bytes, event.length));
      return s.keep(event, 'gate', file, 1.5);
    };
    return { s, made, dir: join(dir, 'clips') };
  };

  it('keeps a clip with its size and sha256, serves byte ranges, and deletes the oldest to stay in budget', async () => {
    const { s, made, dir } = await store(2500);
    const a = await made('ev-a', 1000);
    expect(a).toEqual({ bytes: 1000, durationS: 1.5, sha256: createHash('sha256').update(Buffer.alloc(1000, 4)).digest('hex') });
    await made('ev-bb', 1000);
    const stored = await s.get('ev-a');
    expect(stored?.info).toEqual(a);
    expect((await s.read(stored!, 990, 64)).length).toBe(10);
    await made('ev-ccc', 1000); // a + b + c would be 3000 > 2500: a goes
    expect(await s.get('ev-a')).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual(['ev-bb.json', 'ev-bb.mp4', 'ev-ccc.json', 'ev-ccc.mp4']);
  });

  it('refuses a clip larger than the whole budget with EFBIG, and forgets clips past maxAge', async () => {
    const clock = new FakeClock(new Date());
    const { s, made, dir } = await store(2000, clock);
    await expect(made('ev-big', 3000)).rejects.toMatchObject({ code: 'clips.failed', details: { code: 'EFBIG' } });
    await made('ev-old', 100);
    clock.jumpWall(2 * 86_400_000);
    expect(await s.prune()).toEqual({ deleted: 1, bytes: 0 });
    expect(await readdir(dir)).toEqual([]);
  });

  it('never serves a clip whose file does not match its recorded size', async () => {
    const { s, made, dir } = await store(10_000);
    await made('ev-x', 500);
    await writeFile(join(dir, 'ev-x.mp4'), Buffer.alloc(100));
    expect(await s.get('ev-x')).toBeUndefined();
  });
});

describe('ffmpeg command lines', () => {
  it('records RTSP by stream copy into epoch-named MPEG-TS segments', () => {
    const args = rtspRecordArgs({ url: 'rtsp://cam/1', username: 'admin', password: 'p w', timeoutMs: 5000, dir: '/c/ring/gate', segmentMs: 2000 });
    expect(args).toContain('rtsp://admin:p%20w@cam/1');
    expect(args.join(' ')).toContain('-map 0:v:0 -c:v copy');
    expect(args.join(' ')).toContain('-f segment -segment_time 2.000 -segment_format mpegts -reset_timestamps 1 -strftime 1 /c/ring/gate/%s.ts');
    expect(args).not.toContain('mjpeg');
  });

  it('copies an RTSP clip without masks and re-encodes with them burned in', () => {
    const plain = segmentsToMp4Args('/w/list', 1.5, 6, undefined, '/w/out.mp4');
    expect(plain.join(' ')).toContain('-ss 1.500 -f concat -safe 0 -i /w/list -t 6.000 -map 0:v:0 -c:v copy');
    expect(plain).toContain('+faststart');
    const masked = segmentsToMp4Args('/w/list', 1.5, 6, '/w/mask.png', '/w/out.mp4');
    expect(masked).not.toContain('copy');
    expect(masked.join(' ')).toMatch(/scale2ref.*overlay.*-c:v libx264.*-pix_fmt yuv420p/);
    const frames = framesToMp4Args('/w/frames', undefined, '/w/out.mp4');
    expect(frames.join(' ')).toMatch(/-fps_mode vfr -c:v libx264/);
  });

  it('tells a full or read-only disk from any other ffmpeg failure', () => {
    expect(diskErrorOf('av_interleaved_write_frame(): No space left on device')).toBe('ENOSPC');
    expect(diskErrorOf('/c/ring/gate/1.ts: Read-only file system')).toBe('EROFS');
    expect(diskErrorOf('Connection refused')).toBeUndefined();
  });
});

describe('the clips config', () => {
  it('defaults to clips on, 5 s either side, under the data dir', () => {
    const clips = clipsSchema.parse(undefined);
    expect(clips).toMatchObject({ enabled: true, preRoll: 5000, postRoll: 5000, maxBytes: 2 * 1024 ** 3 });
    expect(clipsDir({ clips, storage: { dataDir: '/var/lib/minwang/' } })).toBe('/var/lib/minwang/clips');
    expect(clipsDir({ clips: { ...clips, dir: '/mnt/usb/clips' }, storage: { dataDir: '/x' } })).toBe('/mnt/usb/clips');
  });
});
