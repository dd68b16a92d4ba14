/**
 * Event-level check on real footage, as a station sees it: the real agent (`minwang run`, the
 * built bin) with its default event settings watches one Digest camera (the simulator) replaying
 * vtest.avi (a plaza, people passing all the time) in real time, sampled once a second, for
 * SECONDS; an embedded broker carries what it sends. Prints one JSON object: events by label,
 * alerting or quiet, end reasons, thumbnails; saves every thumbnail as
 * <out>/<label>-<score>-<id>.jpg to look at.
 *
 * Run:  npm run build && npx tsx scripts/vtest-events.ts [--seconds 100] [--out DIR] [--log-level debug]
 *        [--events 'cooldown: 0s']   (extra keys for the camera's `events:` block)
 * (the agent's log goes to stderr)
 * Needs the footage (scripts/fetch-footage.sh) and the provisioned model.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../agent/field/demo/embedded-broker.js';
import { demoClip } from '../agent/field/demo/footage.js';
import { realProcesses } from '../agent/ports/process.js';
import { decodeVideoFrames } from '../agent/field/sim/footage-frames.js';
import { HttpCameraSim } from '../agent/field/sim/http-camera-sim.js';
import { topic } from '../agent/link/contract/topics.js';

const HOST = 'vtest-host';
const LOGIN = { username: 'admin', password: 'vtest-camera-pw' };
const FPS = 4;
const BIN = fileURLToPath(new URL('../bin/minwang.js', import.meta.url));

interface SeenEvent {
  id: string;
  label: string;
  newScore: number;
  bestScore: number;
  /** Seconds from the object's first sighting to its `new`. */
  delayS: number;
  alert: boolean | undefined;
  quiet: string | undefined;
  reason: string | undefined;
  thumbnail: string | undefined;
}

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '100' }, out: { type: 'string' }, 'log-level': { type: 'string', default: 'warn' }, events: { type: 'string' } } });
const seconds = Number(values.seconds);
const out = values.out ?? (await mkdtemp(join(tmpdir(), 'vtest-thumbs-')));
await mkdir(out, { recursive: true });

const frames = await decodeVideoFrames(await demoClip({ env: process.env, processes: realProcesses, progress: process.stderr }), { fps: FPS, maxFrames: Math.ceil(seconds * FPS) });
const cameras = new HttpCameraSim({ ...LOGIN, realm: 'vtest camera' });
cameras.add({ name: 'plaza', frames, fps: FPS });
const cameraPort = await cameras.start();
const broker = new EmbeddedBroker();
await broker.start();
const dir = await mkdtemp(join(tmpdir(), 'vtest-agent-'));
const config = join(dir, 'config.yaml');
await writeFile(config, [
  `host: { id: ${HOST} }`,
  `mqtt: { url: "${broker.url}", protocolVersion: 4 }`,
  `storage: { dataDir: ${JSON.stringify(join(dir, 'data'))} }`,
  'detector: { workers: 1, tiling: { grids: [] } }',
  'heartbeat: { interval: 10s }',
  'cameras:',
  `  - { id: plaza, snapshot: { url: "${cameras.url(cameraPort, 'plaza')}", username: ${LOGIN.username}, password: ${LOGIN.password} }, interval: 1s${values.events === undefined ? '' : `, events: { ${values.events} }`} }`,
].join('\n'));

const events = new Map<string, SeenEvent>();
const thumbnails = new Map<string, Buffer>();
const station = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
await station.subscribeAsync([`${topic.events(HOST)}/#`, topic.heartbeat(HOST)], { qos: 1 });
let heartbeat: Record<string, unknown> = {};
station.on('message', (name, payload) => {
  if (name === topic.heartbeat(HOST)) {
    heartbeat = JSON.parse(payload.toString()) as Record<string, unknown>;
    return;
  }
  const thumb = /\/events\/([^/]+)\/thumbnail$/.exec(name);
  if (thumb !== null) {
    thumbnails.set(thumb[1] ?? '', payload);
    return;
  }
  // Alerting events' whole frames and clips have topics of their own under the event: not events.
  if (name !== topic.events(HOST)) return;
  const e = JSON.parse(payload.toString()) as Record<string, unknown>;
  const id = String(e['id']);
  const seen = events.get(id) ?? { id, label: String(e['label']), newScore: 0, bestScore: 0, delayS: 0, alert: undefined, quiet: undefined, reason: undefined, thumbnail: undefined };
  const score = Number(e['score']);
  if (e['type'] === 'new') {
    const delayS = (Date.parse(String(e['ts'])) - Date.parse(String(e['startedAt']))) / 1000;
    Object.assign(seen, { newScore: score, delayS, alert: e['alert'], quiet: e['quiet'] });
  }
  if (e['type'] === 'end') seen.reason = typeof e['reason'] === 'string' ? e['reason'] : 'gone';
  seen.bestScore = Math.max(seen.bestScore, score);
  events.set(id, seen);
});

// The camera's clip starts when it is first asked for a picture, so the agent sees it from the start.
const agent = spawn(process.execPath, [BIN, 'run', '--config', config, '--log-format', 'json', '--log-level', values['log-level']], { stdio: ['ignore', 'inherit', 'inherit'] });
const exited = new Promise<number | null>((resolve) => agent.on('close', (code) => resolve(code)));
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
agent.kill('SIGTERM');
const code = await exited;
await new Promise((resolve) => setTimeout(resolve, 2000));
await station.endAsync();
await broker.stop();
await cameras.stop();
await rm(dir, { recursive: true, force: true });

for (const [id, jpeg] of thumbnails) {
  const e = events.get(id);
  const name = `${e?.label ?? 'unknown'}-${(e?.bestScore ?? 0).toFixed(2)}-${id}.jpg`;
  await writeFile(join(out, name), jpeg);
  if (e !== undefined) e.thumbnail = name;
}
const all = [...events.values()];
const count = (f: (e: SeenEvent) => boolean) => all.filter(f).length;
process.stdout.write(`${JSON.stringify({
  seconds,
  agentExit: code,
  events: {
    person: count((e) => e.label === 'person'),
    ebike: count((e) => e.label === 'ebike'),
    alerting: count((e) => e.alert !== false),
    quiet: count((e) => e.alert === false),
    endedGone: count((e) => e.reason === 'gone'),
    endedShutdown: count((e) => e.reason === 'shutdown'),
    neverEnded: count((e) => e.reason === undefined),
  },
  // The detector's speed and the frames it had to skip bound how soon a `new` can come.
  detector: heartbeat['detector'],
  cameras: heartbeat['cameras'],
  maxDelayS: Math.max(0, ...all.map((e) => e.delayS)),
  thumbnails: thumbnails.size,
  thumbnailDir: out,
  list: all,
}, null, 2)}\n`);
