/**
 * Soak: 8 busy real-footage cameras (vtest.avi over Digest HTTP), the whole agent with its real MQTT
 * link and durable outbox, a real mosquitto restarted every `--restart-every`, and a station that
 * checks every `seq`. Sampled every 10 s: RSS, open file descriptors, event-loop delay p99, outbox
 * depth (from the agent's heartbeat). Prints JSON; compares with the targets of issue 18.
 *
 *   npm run bench -- soak                                   # 2 h, broker restart every 20 min
 *   npm run bench -- soak --duration=10m --restart-every=3m # shortened
 *
 * The detector is a stand-in that calls every moving blob a person (its own motion gate on the
 * frame), so frames run through motion → detection → tracking → events → outbox → MQTT and real
 * footage makes real events. The agent runs alone in a child process (soak/agent.ts), so the RSS,
 * fds and event-loop delay are its own; the camera simulator, broker and station live here.
 */
import mqtt from 'mqtt';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../agent/config/duration.js';
import { decodeVideoFrames } from '../../agent/field/sim/footage-frames.js';
import { HttpCameraSim } from '../../agent/field/sim/http-camera-sim.js';
import { footage } from '../../test/helpers/footage.js';
import { TestBroker } from '../../test/helpers/mosquitto.js';
import type { SoakAgentReply, SoakAgentSample } from './soak/agent.js';

const CAMERAS = 8;
const SAMPLE_MS = 10_000;
const HOST = 'soak';

interface Sample extends SoakAgentSample { atS: number; outboxDepth: number | null; load1m: number }

function flag(name: string, fallback: string): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const text = arg?.slice(name.length + 3) ?? fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`soak: --${name}=${text} is not a duration (e.g. 10m, 2h)`);
  return ms;
}

/** Checks that `seq` grows by exactly 1 across events and health, over broker restarts. */
class SeqWatch {
  last = 0;
  received = 0;
  gaps = 0;
  missing = 0;
  duplicates = 0;
  historical = 0;
  see(payload: Buffer): void {
    const message = JSON.parse(payload.toString()) as { seq?: number; historical?: boolean };
    if (typeof message.seq !== 'number') return;
    this.received++;
    if (message.historical === true) this.historical++;
    if (message.seq <= this.last) this.duplicates++;
    else if (this.last !== 0 && message.seq !== this.last + 1) {
      this.gaps++;
      this.missing += message.seq - this.last - 1;
    }
    this.last = Math.max(this.last, message.seq);
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const durationMs = flag('duration', '2h');
  const restartEveryMs = flag('restart-every', '20m');
  const baselineMs = Math.min(10 * 60_000, durationMs / 5);
  const dir = await mkdtemp(join(tmpdir(), 'minwang-soak-'));
  const broker = await TestBroker.start({ dir: join(dir, 'broker'), persistence: true });
  const sim = new HttpCameraSim({ username: 'admin', password: 'pw' });
  const frames = await decodeVideoFrames(footage('opencv/vtest.avi'), { fps: 2, maxFrames: 400 });
  for (let i = 0; i < CAMERAS; i++) sim.add({ name: `c${i}`, frames, fps: 2 });
  const port = await sim.start();

  // The station: a persistent QoS 1 session, so messages queued while it is away are not lost.
  const seq = new SeqWatch();
  let outboxDepth: number | null = null;
  const station = mqtt.connect(broker.url, { clientId: 'soak-station', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 86_400 }, reconnectPeriod: 500 });
  station.on('message', (topic, payload) => {
    if (topic.endsWith('/heartbeat')) outboxDepth = (JSON.parse(payload.toString()) as { outbox?: { depth?: number } }).outbox?.depth ?? null;
    else seq.see(payload);
  });
  await new Promise<void>((resolve) => station.once('connect', () => resolve()));
  await station.subscribeAsync([`minwang/${HOST}/events`, `minwang/${HOST}/health`, `minwang/${HOST}/heartbeat`], { qos: 1 });

  const cameras = Array.from({ length: CAMERAS }, (_, i) =>
    `  - { id: c${i}, snapshot: { url: '${sim.url(port, `c${i}`)}', username: admin, password: pw }, interval: 500ms, events: { cooldown: 0s, endAfter: 3s } }`).join('\n');
  const config = `host: { id: ${HOST} }
mqtt: { url: '${broker.url}', reconnect: { min: 500ms, max: 5s } }
storage: { dataDir: ${dir}/data }
heartbeat: { interval: 10s }
events: { maxPerMinute: 10000 }
cameras:
${cameras}
`;
  const agent = new AgentProcess(config);
  await agent.next('started');
  const samples: Sample[] = [];
  let restarts = 0;
  let baselineSent = false;
  const started = performance.now();
  let nextRestart = restartEveryMs;
  while (performance.now() - started < durationMs) {
    await sleep(SAMPLE_MS);
    const atMs = performance.now() - started;
    agent.send('sample');
    const { sample } = await agent.next('sample');
    samples.push({ atS: Math.round(atMs / 1000), ...sample, outboxDepth, load1m: loadavg()[0] ?? 0 });
    if (!baselineSent && atMs >= baselineMs) {
      agent.send('baseline');
      baselineSent = true;
    }
    if (atMs >= nextRestart && atMs < durationMs - SAMPLE_MS) {
      process.stderr.write(`soak: ${Math.round(atMs / 1000)} s, restarting the broker\n`);
      await broker.terminate();
      await sleep(2000);
      await broker.restart();
      restarts++;
      nextRestart += restartEveryMs;
    }
  }
  // Let the outbox drain to the station before judging the seq record.
  const drainUntil = performance.now() + 60_000;
  while (performance.now() < drainUntil && (outboxDepth ?? 1) > 0) await sleep(1000);
  await sleep(3000);
  agent.send('stop');
  const { wholeRunLoopMs } = await agent.next('stopped');
  await station.endAsync();
  await sim.stop();
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
  return summarise(samples, { durationMs, restartEveryMs, baselineMs, restarts, seq, outboxDepthAtEnd: outboxDepth, wholeRunLoopMs });
}

/** The agent in its own Node process (scripts/bench/soak/agent.ts), talked to over IPC. */
class AgentProcess {
  private readonly child: ChildProcess;
  private readonly replies: SoakAgentReply[] = [];
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(config: string) {
    const script = fileURLToPath(new URL('./soak/agent.ts', import.meta.url));
    this.child = fork(script, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, SOAK_CONFIG: config }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (reply: SoakAgentReply) => {
      if (reply.kind === 'stopped') this.stopped = true;
      this.replies.push(reply);
      this.wake?.();
    });
    this.child.on('exit', (code) => {
      if (!this.stopped) throw new Error(`soak: the agent process exited (${code}) before it was stopped`);
    });
  }

  send(kind: 'sample' | 'baseline' | 'stop'): void {
    this.child.send({ kind });
  }

  async next<K extends SoakAgentReply['kind']>(kind: K): Promise<Extract<SoakAgentReply, { kind: K }>> {
    const deadline = performance.now() + 120_000;
    for (;;) {
      const index = this.replies.findIndex((r) => r.kind === kind);
      if (index >= 0) return this.replies.splice(index, 1)[0] as Extract<SoakAgentReply, { kind: K }>;
      if (performance.now() > deadline) throw new Error(`soak: no '${kind}' from the agent process in 2 min`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 1000);
      });
    }
  }
}

interface RunFacts { durationMs: number; restartEveryMs: number; baselineMs: number; restarts: number; seq: SeqWatch; outboxDepthAtEnd: number | null; wholeRunLoopMs: { p50: number; p99: number; p999: number; max: number } }

function summarise(samples: Sample[], run: RunFacts): Record<string, unknown> {
  const afterBaseline = samples.filter((s) => s.atS * 1000 >= run.baselineMs);
  const baseline = afterBaseline[0] ?? samples[0];
  const last = samples.at(-1);
  const rssGrowth = baseline === undefined || last === undefined ? 0 : (last.rssMb - baseline.rssMb) / baseline.rssMb;
  const windows = samples.map((s) => s.loopP99Ms).sort((a, b) => a - b);
  const fdsAfter = afterBaseline.map((s) => s.fds);
  // Flat means no upward trend: sockets swing while the broker is away, so the first and last
  // quarters after the baseline are compared by their medians, and the end by its baseline.
  const quarter = Math.max(1, Math.floor(fdsAfter.length / 4));
  const fdsTrend = median(fdsAfter.slice(-quarter)) - median(fdsAfter.slice(0, quarter));
  const fdsEndMinusBaseline = (last?.fds ?? 0) - (baseline?.fds ?? 0);
  const depths = samples.map((s) => s.outboxDepth ?? 0);
  const { seq } = run;
  const targets = {
    rssGrowthUnder10PercentAfterBaseline: rssGrowth < 0.1,
    fdsFlat: fdsTrend <= 2 && fdsEndMinusBaseline <= 2,
    eventLoopP99Under100Ms: run.wholeRunLoopMs.p99 < 100,
    noSeqGapAtStation: seq.gaps === 0,
  };
  return {
    shortened: run.durationMs < 2 * 3_600_000 ? 'yes: the issue asks for 2 h with a broker restart every 20 min' : 'no',
    cameras: CAMERAS,
    durationS: run.durationMs / 1000,
    brokerRestartEveryS: run.restartEveryMs / 1000,
    brokerRestarts: run.restarts,
    baselineAtS: baseline?.atS,
    rssMb: { baseline: baseline?.rssMb, end: last?.rssMb, max: Math.max(...samples.map((s) => s.rssMb)), growthAfterBaselinePercent: round(rssGrowth * 100) },
    fds: { baseline: baseline?.fds, end: last?.fds, min: Math.min(...fdsAfter), max: Math.max(...fdsAfter), endMinusBaseline: fdsEndMinusBaseline, lastQuarterMinusFirstQuarterMedian: fdsTrend },
    hostLoadAverage1m: { median: round(median(samples.map((s) => s.load1m))), max: round(Math.max(...samples.map((s) => s.load1m))), note: 'the machine has 2 cores shared with other work; above 2 the agent competed for CPU' },
    eventLoopDelayMs: { afterBaseline: run.wholeRunLoopMs, p99Of10sWindows: { median: round(windows[Math.floor(windows.length / 2)] ?? 0), max: round(windows.at(-1) ?? 0) } },
    outboxDepth: { max: Math.max(...depths), end: run.outboxDepthAtEnd },
    station: { messagesWithSeq: seq.received, lastSeq: seq.last, gaps: seq.gaps, missing: seq.missing, duplicates: seq.duplicates, historical: seq.historical },
    targets,
    allTargetsMet: Object.values(targets).every(Boolean),
    samples: samples.length,
    rssSeries: samples.filter((_, i) => i % 30 === 0).map((s) => [s.atS, s.rssMb, s.fds]),
    note: 'the agent runs alone in its own Node process (scripts/bench/soak/agent.ts); the camera simulator, broker and station are outside it',
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round = (v: number) => Math.round(v * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
