/**
 * The clips bench's host (started by clips.ts, not a benchmark of its own): the real
 * MqttStationLink with its durable outbox and a ClipMaker answering `cmd/events/clip` from the
 * clips already stored in CLIPS_HOST's `clipsDir`, alone in this Node process, so the alert
 * latency measured while a clip is in flight is the host's, not an event loop shared with the
 * station. Messages from the parent: `alert` (publish one person alert now; answered with the
 * wall-clock time of the publish call), `loop` (the event loop's p99 delay and the clip answers
 * sent since the last one),
 * `stop`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseConfigText } from '../../../agent/config/load.js';
import { DEFAULT_CLIPS } from '../../../agent/config/sections/clips.js';
import { silentLogger } from '../../../agent/core/logger.js';
import { ClipMaker } from '../../../agent/edge/clips/clip-maker.js';
import type { EventBody } from '../../../agent/link/contract/v1.js';
import { MqttStationLink } from '../../../agent/link/mqtt/link.js';
import { realHostPorts } from '../../../agent/ports/index.js';

export interface BenchHostOptions { host: string; url: string; dataDir: string; clipsDir: string; uplinkShare: number; chunkTimeMs: number }
export type BenchHostReply =
  | { kind: 'started' }
  | { kind: 'sent'; id: string; at: number }
  | { kind: 'loop'; p99Ms: number; answers: number; answerBytes: number }
  | { kind: 'stopped' };
export type BenchHostRequest = { kind: 'alert'; id: string } | { kind: 'loop' } | { kind: 'stop' };

const options = JSON.parse(process.env['CLIPS_HOST'] ?? '{}') as BenchHostOptions;
const ports = realHostPorts();
const send = (reply: BenchHostReply) => process.send?.(reply);
/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on this machine. */
const now = () => performance.timeOrigin + performance.now();

const config = parseConfigText(`host: {id: ${options.host}}\nmqtt: {url: "${options.url}", reconnect: {min: 200ms, max: 1s}}\nstorage: {dataDir: "${options.dataDir}"}\n`, 'bench.yaml');
const link = new MqttStationLink({ config, ports, logger: silentLogger(), version: 'bench' });
// Counts the clip answers the broker acknowledged, and their bytes, beside the ClipMaker's own listener.
const answered = { count: 0, bytes: 0 };
const onAnswerSent = link.onAnswerSent.bind(link);
link.onAnswerSent = (op, listener) => onAnswerSent(op, (ms, bytes) => {
  if (ms !== undefined) { answered.count++; answered.bytes += bytes; }
  listener(ms, bytes);
});
const clips = new ClipMaker({
  settings: { ...DEFAULT_CLIPS, uplinkShare: options.uplinkShare, chunkTime: options.chunkTimeMs, dir: options.clipsDir, disk: options.clipsDir, endAfter: 5000 }, cameras: [],
  link, alerts: { raise: () => undefined, clear: () => undefined },
  fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
});
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

process.on('message', (request: BenchHostRequest) => {
  if (request.kind === 'alert') {
    const at = now();
    void link.publishEvent(alertEvent(request.id));
    send({ kind: 'sent', id: request.id, at });
  } else if (request.kind === 'loop') {
    send({ kind: 'loop', p99Ms: Math.round(loop.percentile(99) / 1e4) / 100, answers: answered.count, answerBytes: answered.bytes });
    loop.reset();
    answered.count = 0;
    answered.bytes = 0;
  } else {
    void (async () => {
      loop.disable();
      await clips.stop();
      await link.stop();
      send({ kind: 'stopped' });
      process.disconnect();
    })();
  }
});

await link.start();
await clips.start();
for (let i = 0; i < 500 && !link.state().connected; i++) await new Promise((resolve) => setTimeout(resolve, 20));
if (!link.state().connected) throw new Error(`bench host: not connected to ${options.url} in 10 s`);
send({ kind: 'started' });

function alertEvent(id: string): EventBody {
  const ts = new Date().toISOString();
  return { ts, id, type: 'new', camera: 'c0', label: 'person', score: 0.8, box: [0.1, 0.2, 0.3, 0.6], zones: [], startedAt: ts, thumbnail: false, alert: true };
}
