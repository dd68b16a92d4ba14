import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipMaker, type ClipCamera } from '../../../../agent/edge/clips/clip-maker.js';
import { rtspRecordArgs } from '../../../../agent/edge/cameras/rtsp-args.js';
import { DEFAULT_CLIPS } from '../../../../agent/config/sections/clips.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import type { HealthReporter } from '../../../../agent/link/contract/link.js';
import type { EventClipAnswer, HealthKind } from '../../../../agent/link/contract/v1.js';
import { decodeVideoFrames } from '../../../../agent/field/sim/footage-frames.js';
import { RtspRelay, publishVideo } from '../../../../agent/field/sim/rtsp-relay.js';
import { realHostPorts } from '../../../../agent/ports/index.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { waitFor } from '../../../helpers/cli.js';
import { footage } from '../../../helpers/footage.js';
import { tempDir } from '../../../helpers/tmp.js';

/** Alerts raised, as the host's alert board would receive them. */
class RecordingAlerts implements HealthReporter {
  readonly raised: { kind: HealthKind; subject: string; message: string }[] = [];
  raise(kind: HealthKind, subject: string, change: { message: string }): void {
    this.raised.push({ kind, subject, message: change.message });
  }
  clear(): void {}
}

const ports = realHostPorts();
const relay = new RtspRelay();
let publisher: ChildProcess | undefined;
let rtspPort = 0;
let frames: Buffer[] = [];

function probe(path: string): { codec: string; pixFmt: string; durationS: number; frameTimes: number[] } {
  const out = JSON.parse(execFileSync('ffprobe', [
    '-v', 'error', '-show_entries', 'stream=codec_name,pix_fmt:format=duration:packet=pts_time', '-of', 'json', path,
  ], { encoding: 'utf8' })) as { streams: { codec_name: string; pix_fmt: string }[]; format: { duration: string }; packets: { pts_time: string }[] };
  return {
    codec: out.streams[0]?.codec_name ?? '', pixFmt: out.streams[0]?.pix_fmt ?? '', durationS: Number(out.format.duration),
    frameTimes: out.packets.map((p) => Number(p.pts_time)).sort((a, b) => a - b),
  };
}

function maker(dir: string, cameras: ClipCamera[], overrides: Partial<typeof DEFAULT_CLIPS> = {}) {
  const link = new MemoryStationLink();
  const alerts = new RecordingAlerts();
  const clips = new ClipMaker({
    settings: { ...DEFAULT_CLIPS, preRoll: 2000, postRoll: 2000, ...overrides, dir, disk: dir, endAfter: 2000 },
    cameras, link, alerts, fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
  });
  return { clips, link, alerts };
}

async function fetchAll(link: MemoryStationLink, event: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let offset = 0, i = 0; i < 1000; i++) {
    const answer = await link.command('events/clip', { event, offset, chunkBytes: 16 * 1024 }) as EventClipAnswer;
    const data = Buffer.from(answer.dataBase64, 'base64');
    expect(createHash('sha256').update(data).digest('hex')).toBe(answer.sha256);
    parts.push(data);
    offset += answer.length;
    if (offset >= answer.clip.bytes) break;
  }
  return Buffer.concat(parts);
}

beforeAll(async () => {
  const vtest = footage('opencv/vtest.avi');
  frames = await decodeVideoFrames(vtest, { fps: 5, maxFrames: 40 });
  rtspPort = await relay.start();
  publisher = publishVideo(vtest, rtspPort);
  await waitFor(() => relay.publishing, 15_000, 'ffmpeg to publish to the relay');
}, 30_000);

afterAll(async () => {
  publisher?.kill('SIGKILL');
  await relay.stop();
});

describe('clips from an RTSP relay of real footage', () => {
  it('records a segment ring by stream copy and cuts a clip that plays, the event window long', async () => {
    const dir = await tempDir();
    const record = { args: rtspRecordArgs({ url: `rtsp://127.0.0.1:${rtspPort}/live`, timeoutMs: 5000, dir: join(dir, 'ring', 'lane'), segmentMs: 2000 }), secrets: [] };
    const masked = { args: rtspRecordArgs({ url: `rtsp://127.0.0.1:${rtspPort}/live`, timeoutMs: 5000, dir: join(dir, 'ring', 'masked'), segmentMs: 2000 }), secrets: [] };
    const { clips, link } = maker(dir, [
      { id: 'lane', privacyMasks: [], record },
      { id: 'masked', privacyMasks: [[[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]], record: masked },
    ]);
    await clips.start();
    try {
      // Five segments: the ring holds at least the 8 s before now, so the whole window is recorded.
      const segments = (camera: string) => execFileSync('ls', [join(dir, 'ring', camera)], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
      await waitFor(() => segments('lane') >= 5 && segments('masked') >= 5, 40_000, 'five segments');
      const startedAt = new Date(Date.now() - 3000);
      const lastSeenAt = new Date(startedAt.getTime() + 2000);
      // window: 2 s pre-roll + 2 s seen + 2 s post-roll = 6 s
      const [plain, burned] = await Promise.all([
        clips.clip({ camera: 'lane', event: 'lane-ev-1', startedAt, lastSeenAt }),
        clips.clip({ camera: 'masked', event: 'masked-ev-1', startedAt, lastSeenAt }),
      ]);
      expect(plain).toBeDefined();
      expect(burned).toBeDefined();
      const file = join(dir, 'clips', 'lane-ev-1.mp4');
      const facts = probe(file);
      expect(facts.codec).toBe('h264');
      expect(facts.pixFmt).toBe('yuv420p');
      expect(Math.abs(facts.durationS - 6), `duration ${facts.durationS}`).toBeLessThanOrEqual(1);
      expect(plain?.durationS).toBeCloseTo(facts.durationS, 1);
      expect(plain?.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
      const maskedFacts = probe(join(dir, 'clips', 'masked-ev-1.mp4'));
      expect(maskedFacts.codec).toBe('h264');
      expect(Math.abs(maskedFacts.durationS - 6), `masked duration ${maskedFacts.durationS}`).toBeLessThanOrEqual(1);
      // The masked quarter is black in the re-encoded clip.
      const corner = execFileSync('ffmpeg', ['-v', 'error', '-ss', '1', '-i', join(dir, 'clips', 'masked-ev-1.mp4'), '-frames:v', '1', '-vf', 'crop=iw/4:ih/4:0:0,scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
      expect(corner[0]).toBeLessThan(24);
      // The station gets it back chunk by chunk, each chunk and the whole checked.
      const fetched = await fetchAll(link, 'lane-ev-1');
      expect(createHash('sha256').update(fetched).digest('hex')).toBe(plain?.sha256);
      // The heartbeat's view: seconds of video held, the recording's lag, clips made.
      const summary = clips.summary('lane');
      expect(summary).toMatchObject({ source: 'recording', made: 1, failed: 0 });
      expect(summary?.heldS).toBeGreaterThan(6);
      expect(summary?.lagS).toBeLessThan(5);
    } finally {
      await clips.stop();
    }
    expect(clips.pids()).toEqual([]);
  }, 90_000);
});

describe('clips from sampled frames', () => {
  it('plays the frames at the times they were captured', async () => {
    const dir = await tempDir();
    const { clips, link } = maker(dir, [{ id: 'gate', privacyMasks: [] }], { preRoll: 0, postRoll: 0 });
    await clips.start();
    try {
      // A snapshot camera's real rhythm is irregular: gaps of 200 ms to 1.5 s.
      const gaps = [0, 200, 400, 1500, 200, 700, 300, 1000];
      const base = Date.now() - 10_000;
      let at = base;
      const times: number[] = [];
      for (const [i, gap] of gaps.entries()) {
        at += gap;
        times.push(at);
        clips.frame({ camera: 'gate', capturedAt: new Date(at), mono: 0, jpeg: frames[i] ?? Buffer.alloc(0) });
      }
      const info = await clips.clip({ camera: 'gate', event: 'gate-ev-1', startedAt: new Date(base), lastSeenAt: new Date(at) });
      expect(info).toBeDefined();
      expect(clips.summary('gate')).toEqual({ source: 'frames', heldS: 4.3, made: 1, failed: 0 });
      const facts = probe(join(dir, 'clips', 'gate-ev-1.mp4'));
      expect(facts.codec).toBe('h264');
      expect(facts.pixFmt).toBe('yuv420p');
      const expected = times.map((t) => (t - base) / 1000);
      expect(facts.frameTimes.length).toBeGreaterThanOrEqual(expected.length);
      for (const [i, t] of expected.entries()) expect(facts.frameTimes[i]).toBeCloseTo(t, 1);
      await expect(link.command('events/clip', { event: 'nope-1' })).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await clips.stop();
    }
  }, 60_000);

  it('a clips budget too small for a clip is a health alert, not a crash', async () => {
    const dir = await tempDir();
    const { clips, alerts } = maker(dir, [{ id: 'gate', privacyMasks: [] }], { preRoll: 0, postRoll: 0, maxBytes: 1024 });
    await clips.start();
    try {
      const base = Date.now() - 5000;
      for (const [i, jpeg] of frames.slice(0, 10).entries()) clips.frame({ camera: 'gate', capturedAt: new Date(base + i * 200), mono: 0, jpeg });
      const info = await clips.clip({ camera: 'gate', event: 'gate-ev-2', startedAt: new Date(base), lastSeenAt: new Date(base + 1800) });
      expect(info).toBeUndefined();
      expect(alerts.raised).toEqual([expect.objectContaining({ kind: 'disk_low', subject: join(dir, 'clips') })]);
      expect(alerts.raised[0]?.message).toMatch(/larger than clips.maxBytes/);
    } finally {
      await clips.stop();
    }
  }, 60_000);
});
