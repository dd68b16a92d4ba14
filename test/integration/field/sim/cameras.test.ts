import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../../../agent/app/agent.js';
import type { CameraPipeline } from '../../../../agent/app/camera-pipeline.js';
import { parseConfigText } from '../../../../agent/config/load.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import type { SnapshotAnswer } from '../../../../agent/link/contract/v1.js';
import { createLogger, silentLogger } from '../../../../agent/core/logger.js';
import { createWriteStream } from 'node:fs';
import type { Detector } from '../../../../agent/edge/types.js';
import { realHostPorts } from '../../../../agent/ports/index.js';
import { motionSchema } from '../../../../agent/config/sections/camera-pipeline.js';
import { decodeGrey } from '../../../../agent/edge/imaging/grey.js';
import { MotionDetector } from '../../../../agent/edge/motion/motion-detector.js';
import { decodeVideoFrames } from '../../../../agent/field/sim/footage-frames.js';
import { HttpCameraSim, type SimFault } from '../../../../agent/field/sim/http-camera-sim.js';
import { RtspRelay, publishVideo } from '../../../../agent/field/sim/rtsp-relay.js';
import { waitFor } from '../../../helpers/cli.js';
import { footage } from '../../../helpers/footage.js';
import { tempDir } from '../../../helpers/tmp.js';

/**
 * The real chain: Digest-protected HTTP cameras and an RTSP camera (ffmpeg publishing vtest.avi
 * through the simulator's relay, read back by the agent's own supervised ffmpeg), plus a video
 * replayed from file. The detector is a stand-in that calls every motion region a person, so
 * motion → detection → tracking → events runs on real footage while the real model is built elsewhere.
 */
const sim = new HttpCameraSim({ username: 'admin', password: 'cam-pw', nonceUses: 5 });
const relay = new RtspRelay();
let publisher: ChildProcess;
let dataDir = '';
let agent: Agent;
let pipeline: CameraPipeline;
const link = new MemoryStationLink();
const detectCalls: number[] = [];

/** Sees a person wherever its own motion gate (independent of the agent's) finds a moving blob. */
const blobWatcher = new MotionDetector(motionSchema.parse({ minArea: 0.004 }));
const motionAsPeople: Detector = {
  async detect(image) {
    const grey = await decodeGrey(image, 160);
    const blobs = blobWatcher.detect(grey).regions;
    detectCalls.push(blobs.length);
    return {
      width: grey.sourceWidth, height: grey.sourceHeight, ms: 1,
      detections: blobs.map((box) => ({ label: 'person' as const, class: 'person', score: 0.6, box })),
    };
  },
};

beforeAll(async () => {
  const vtest = footage('opencv/vtest.avi');
  const frames = await decodeVideoFrames(vtest, { fps: 5, maxFrames: 150 });
  sim.add({ name: 'gate', frames, fps: 5 });
  const httpPort = await sim.start();
  const rtspPort = await relay.start();
  publisher = publishVideo(vtest, rtspPort);
  await waitFor(() => relay.publishing, 15_000, 'ffmpeg to publish to the relay');
  const dir = await tempDir();
  dataDir = `${dir}/data`;
  const config = parseConfigText(`
host: { id: it-host, timezone: UTC }
mqtt: { url: mqtt://127.0.0.1:1 }
storage: { dataDir: ${dir}/data }
events: { maxPerMinute: 1000 }
cameras:
  - id: gate
    snapshot: { url: '${sim.url(httpPort, 'gate')}', username: admin, password: cam-pw }
    interval: 200ms
    timeout: 500ms
    privacyMasks: [[[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]]
    faults: { debounce: 200ms, window: 600ms, frozenAfter: 1s }
    events: { cooldown: 0s, endAfter: 2s, thumbnailAfter: 500ms }
    detect:
      zones:
        - { name: west, polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }
        - [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
  - id: lane
    rtsp: { url: 'rtsp://127.0.0.1:${rtspPort}/live' }
    interval: 500ms
    timeout: 1s
    faults: { debounce: 200ms }
    detect: {enabled: false}
  - id: replay
    file: { path: '${vtest}', loop: true }
    interval: 500ms
    detect: {enabled: false}
`, 'it.yaml');
  agent = createAgent({
    config, ports: realHostPorts(), logger: process.env['IT_LOG'] === undefined ? silentLogger() : createLogger({ level: 'debug', format: 'json', stream: createWriteStream(process.env['IT_LOG']) }), link, detector: motionAsPeople,
    onCameraPipeline: (p) => { pipeline = p; },
  });
  await agent.start();
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  publisher?.kill('SIGKILL');
  await relay.stop();
  await sim.stop();
});

const state = (camera: string) => link.cameraStatus.get(camera);
/** Events whose zones differ from the previous message of the same object. */
const zoneChanges = () => link.events.filter((e, i) => {
  const before = link.events.slice(0, i).findLast((p) => p.id === e.id);
  return before !== undefined && e.type !== 'end' && before.zones.join() !== e.zones.join();
});

describe('cameras to events, with real protocols', () => {
  it('gets frames from the Digest HTTP camera, the RTSP camera and the replayed file', async () => {
    await waitFor(() => ['gate', 'lane', 'replay'].every((c) => state(c)?.state === 'online'), 20_000, 'every camera online');
    await waitFor(() => (pipeline.summary().cameras['lane']?.achievedFps ?? 0) > 0, 10_000, 'RTSP frames');
    expect(sim.digestAccepted.get('SHA-256') ?? 0).toBeGreaterThan(0); // the stronger algorithm was chosen
    await waitFor(() => sim.staleChallenges > 0 && (sim.digestAccepted.get('SHA-256') ?? 0) > 8, 10_000, 'a stale nonce and more frames');
    expect(state('gate')?.state).toBe('online'); // a stale nonce is re-challenged, not an auth failure
    // one ffmpeg samples the RTSP camera and one records its clip ring, one replays the file
    expect(pipeline.pids()).toHaveLength(3);
  });

  it('answers snapshot with a fresh masked JPEG, and detect/set switches detection', async () => {
    const answer = (await link.command('snapshot', { camera: 'gate' })) as SnapshotAnswer;
    const jpeg = Buffer.from(answer.jpegBase64, 'base64');
    const { data, info } = await sharp(jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([768, 576]);
    expect(data[10 * info.width + 10]).toBeLessThan(8); // masked corner
    await expect(link.command('snapshot', { camera: 'nope' })).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/no camera "nope"/) as unknown });
    await expect(link.command('detect/set', { camera: 'nope', enabled: true })).rejects.toMatchObject({ code: 'not_found' });
    expect(await link.command('detect/set', { camera: 'lane', enabled: false })).toEqual({ camera: 'lane', enabled: false });
  });

  it('turns people walking through vtest.avi into tracked events, not an event per frame', async () => {
    // An end waits for its clip: the post-roll recorded and the masked frames encoded.
    await waitFor(() => link.events.some((e) => e.type === 'end'), 40_000, 'an event to end');
    const ids = [...new Set(link.events.map((e) => e.id))];
    for (const id of ids) {
      const types = link.events.filter((e) => e.id === id).map((e) => e.type);
      expect(types[0]).toBe('new');
      expect(types.filter((t) => t === 'new')).toHaveLength(1);
      expect(types.filter((t) => t === 'end').length).toBeLessThanOrEqual(1);
      if (types.includes('end')) expect(types.at(-1)).toBe('end');
    }
    // Far fewer objects than detections: blobs are followed from frame to frame.
    const detections = detectCalls.reduce((a, b) => a + b, 0);
    expect(link.events.filter((e) => e.type === 'new').length).toBeLessThan(detections / 3);
    const ended = link.events.find((e) => e.type === 'end');
    expect(link.thumbnails.some((t) => t.eventId === ended?.id)).toBe(true);
    // Its clip: made from the sampled frames with the privacy mask burned in, described on the end.
    expect(ended?.clip).toMatchObject({ bytes: expect.any(Number) as unknown, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    const clip = readFileSync(join(dataDir, 'clips', 'clips', `${ended?.id}.mp4`));
    expect(createHash('sha256').update(clip).digest('hex')).toBe(ended?.clip?.sha256);
    expect(link.events.every((e) => e.camera === 'gate')).toBe(true); // detection is off on the others
  });

  it('names the configured zones an object stands in, and sends an update when they change', async () => {
    // The two zones split the frame at x = 0.5; the second one is in the older unnamed form.
    await waitFor(() => zoneChanges().length > 0, 40_000, 'someone to walk from one half of the frame to the other');
    expect(link.events.length).toBeGreaterThan(0);
    for (const event of link.events) expect([['west'], ['zone-2'], ['west', 'zone-2']]).toContainEqual(event.zones);
    expect(zoneChanges()[0]?.type).toBe('update');
  });

  it.each<[SimFault, string, string]>([
    ['no-answer', 'offline', 'timeout'],
    ['hang-body', 'offline', 'timeout'],
    ['wrong-password', 'offline', 'auth'],
    ['black', 'degraded', 'black'],
    ['frozen', 'degraded', 'frozen'],
  ])('detects %s as %s (%s) and clears it', async (fault, expectedState, reason) => {
    await waitFor(() => state('gate')?.state === 'online', 10_000, 'gate online before the fault');
    const before = link.health.length;
    sim.setFault('gate', fault);
    await waitFor(() => state('gate')?.state === expectedState, 10_000, `gate ${expectedState}`);
    expect(state('gate')?.reason).toBe(reason);
    sim.setFault('gate', 'none');
    await waitFor(() => state('gate')?.state === 'online', 15_000, 'gate online again');
    const alerts = link.health.slice(before).map((h) => `${h.state}:${String(h.details?.['reason'])}`);
    expect(alerts).toEqual([`raised:${reason}`, `cleared:${reason}`]);
  });

  it('restarts a stalled RTSP stream and reports it', async () => {
    const restarts = pipeline.summary().cameras['lane']?.reconnectsLastHour ?? 0;
    relay.paused = true;
    await waitFor(() => state('lane')?.state === 'offline', 15_000, 'lane offline');
    expect(state('lane')?.reason).toBe('timeout');
    relay.paused = false;
    await waitFor(() => state('lane')?.state === 'online', 30_000, 'lane online again');
    expect(pipeline.summary().cameras['lane']?.reconnectsLastHour ?? 0).toBeGreaterThan(restarts);
  });

  it('leaves no ffmpeg behind when the agent stops', async () => {
    const pids = pipeline.pids();
    expect(pids.length).toBeGreaterThan(0);
    expect(await agent.stop()).toEqual([]);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false); // neither running nor a zombie
  });
});
