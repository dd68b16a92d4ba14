/**
 * A station-side load generator: many village hosts speaking contract v1 to one broker, each on its
 * own MQTT connection with its last will, retained status and camera statuses, a heartbeat every
 * `heartbeatMs` (staggered), and a shared rate of `events` messages: each event is a `new` with
 * its real JPEG thumbnail, then its `end` a few seconds later. Every payload is checked against the
 * contract's own schemas before it is sent, and every (host, seq) sent is remembered with its send
 * time, so a bench can prove what the station stored and how late.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { cameraStatusSchema, eventSchema, heartbeatSchema, statusSchema, type EventPayload } from '../../../agent/link/contract/payloads.js';
import { topic } from '../../../agent/link/contract/topics.js';

export interface FleetOptions {
  url: string;
  hosts: number;
  camerasPerHost: number;
  /** events messages per second over the whole fleet (`new` and `end` both count). */
  eventsPerS: number;
  heartbeatMs: number;
  /** Real JPEG thumbnails, used in turn. */
  thumbnails: Buffer[];
  /** One in this many events rings (`alert: true`); the rest are quiet (`cooldown`). */
  alertEvery: number;
}

export interface SentEvent { host: string; seq: number; id: string; type: 'new' | 'end'; alert: boolean; sentAtMs: number }

const END_AFTER_MS = 3000;

class FleetHost {
  client: MqttClient | undefined;
  seq = 0;
  constructor(readonly id: string, readonly cameras: string[]) {}
}

export class Fleet {
  readonly sent: SentEvent[] = [];
  readonly failures: string[] = [];
  private readonly hosts: FleetHost[];
  private timers: NodeJS.Timeout[] = [];
  private eventCounter = 0;
  private thumbnailIndex = 0;
  private readonly pendingEnds: { host: FleetHost; event: EventPayload; dueMs: number }[] = [];
  private inFlight = 0;

  constructor(private readonly options: FleetOptions) {
    this.hosts = Array.from({ length: options.hosts }, (_, h) => new FleetHost(
      `load-${String(h).padStart(4, '0')}`,
      Array.from({ length: options.camerasPerHost }, (_, c) => `cam-${String(c).padStart(2, '0')}`),
    ));
  }

  /** Connects every host (a few at a time), publishes its retained status and camera statuses. */
  async connect(onProgress: (done: number) => void = () => undefined): Promise<void> {
    let done = 0;
    const batch = 20;
    for (let i = 0; i < this.hosts.length; i += batch) {
      await Promise.all(this.hosts.slice(i, i + batch).map(async (host) => {
        const now = new Date().toISOString();
        const will = statusSchema.parse({ ts: now, state: 'offline', session: 1, version: '0.1.0', contract: 1 });
        host.client = await mqtt.connectAsync(this.options.url, {
          clientId: `fleet-${host.id}`, protocolVersion: 5, reconnectPeriod: 1000, connectTimeout: 30_000,
          will: { topic: topic.status(host.id), payload: Buffer.from(JSON.stringify(will)), retain: true, qos: 1 },
        });
        await this.publish(host, topic.status(host.id), statusSchema.parse({ ...will, state: 'online' }), true);
        for (const camera of host.cameras) {
          await this.publish(host, topic.cameraStatus(host.id, camera), cameraStatusSchema.parse({ ts: now, camera, state: 'online', reason: null, since: now }), true);
        }
      }));
      done += Math.min(batch, this.hosts.length - i);
      onProgress(done);
    }
  }

  /** Starts heartbeats (staggered over one period) and the event stream. */
  start(): void {
    const { heartbeatMs, eventsPerS } = this.options;
    this.hosts.forEach((host, i) => {
      const first = setTimeout(() => {
        void this.heartbeat(host);
        this.timers.push(setInterval(() => void this.heartbeat(host), heartbeatMs));
      }, Math.floor((i / this.hosts.length) * heartbeatMs));
      this.timers.push(first);
    });
    // Ticks of 20 ms; each sends the messages due since the start, so the rate holds on a busy loop.
    const started = performance.now();
    let sentMessages = 0;
    this.timers.push(setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * eventsPerS);
      while (sentMessages < due) {
        sentMessages++;
        const end = this.pendingEnds[0];
        if (end !== undefined && end.dueMs <= performance.now()) {
          this.pendingEnds.shift();
          void this.sendEnd(end.host, end.event);
        } else void this.sendNew();
      }
    }, 20));
  }

  /** Stops sending; waits for every publish in flight to be acknowledged (bounded). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    const until = performance.now() + 30_000;
    while (this.inFlight > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
  }

  async disconnect(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.client?.endAsync() ?? Promise.resolve()));
  }

  cameraCount(): number {
    return this.hosts.length * this.options.camerasPerHost;
  }

  private async heartbeat(host: FleetHost): Promise<void> {
    const body = heartbeatSchema.parse({
      ts: new Date().toISOString(), seq: host.seq, session: 1, uptimeS: Math.round(process.uptime()),
      outbox: { depth: 0, bytes: 0, dropped: { images: 0, messages: 0 }, oldestS: 0 },
      cameras: host.cameras.map((id) => ({ id, state: 'online', fps: 1 })),
    });
    await this.publish(host, topic.heartbeat(host.id), body, true, 0);
  }

  private async sendNew(): Promise<void> {
    const n = this.eventCounter++;
    const host = this.hosts[n % this.hosts.length] as FleetHost;
    const camera = host.cameras[Math.floor(n / this.hosts.length) % host.cameras.length] as string;
    const alert = n % this.options.alertEvery === 0;
    const now = new Date().toISOString();
    const event = eventSchema.parse({
      ts: now, id: `ev-${n.toString(36)}`, type: 'new', camera, label: n % 5 === 0 ? 'ebike' : 'person', score: 0.8,
      box: [0.2, 0.1, 0.5, 0.9], zones: [], startedAt: now, thumbnail: true, alert, ...(alert ? {} : { quiet: 'cooldown' }), seq: ++host.seq,
    });
    const thumbnail = this.options.thumbnails[this.thumbnailIndex++ % this.options.thumbnails.length] as Buffer;
    this.pendingEnds.push({ host, event, dueMs: performance.now() + END_AFTER_MS });
    await this.publish(host, topic.eventThumbnail(host.id, event.id), thumbnail, false);
    this.record(host, event);
    await this.publish(host, topic.events(host.id), event, false);
  }

  private async sendEnd(host: FleetHost, started: EventPayload): Promise<void> {
    const now = new Date().toISOString();
    const event = eventSchema.parse({ ...started, ts: now, type: 'end', endedAt: now, reason: 'gone', seq: ++host.seq });
    this.record(host, event);
    await this.publish(host, topic.events(host.id), event, false);
  }

  private record(host: FleetHost, event: EventPayload): void {
    this.sent.push({ host: host.id, seq: event.seq, id: event.id, type: event.type === 'end' ? 'end' : 'new', alert: event.alert === true, sentAtMs: Date.now() });
  }

  private async publish(host: FleetHost, name: string, payload: unknown, retain: boolean, qos: 0 | 1 = 1): Promise<void> {
    const client = host.client;
    if (client === undefined) throw new Error(`fleet: ${host.id} is not connected`);
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
    this.inFlight++;
    try {
      await client.publishAsync(name, bytes, { retain, qos });
    } catch (err) {
      if (this.failures.length < 20) this.failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.inFlight--;
    }
  }
}
