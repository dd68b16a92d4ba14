/**
 * "Look now": a fresh picture of one camera for an operator, from `cmd/snapshot` (privacy masks
 * burned in by the host), over the console's own broker connection. Bounded: viewers of the same
 * camera share one request and its answer for a second, few requests run at once, each expires.
 */
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import { commandResponseSchema, snapshotAnswerSchema, topic } from '../../link/contract/v1.js';
import type { Clock } from '../../ports/clock.js';
import type { MqttClient, MqttConnector } from '../../ports/mqtt.js';
import { MAX_IMAGE_BYTES, isJpeg } from '../schemas.js';
import { brokerClientOptions, type BrokerOptions } from '../subscriber.js';

export interface LookDeps {
  broker: BrokerOptions;
  connect: MqttConnector;
  clock: Clock;
  logger: Logger;
  /** How long an answer is waited for (the host waits up to 10 s for its next frame). Default 12 s. */
  answerTimeoutMs?: number;
}

export type LookResult = { ok: true; jpeg: Buffer; capturedAt: string } | { ok: false; status: 502 | 503 | 504; error: string };

/** An answer is shared with every viewer asking within this long. */
const SHARED_MS = 1000;
/** Snapshot requests in flight at once, over all cameras. */
const MAX_IN_FLIGHT = 8;

export class LiveLook implements Module {
  readonly name = 'web-look';
  private client: MqttClient | undefined;
  private readonly waiting = new Map<string, (payload: Buffer) => void>();
  private readonly recent = new Map<string, { at: number; result: Promise<LookResult> }>();

  constructor(private readonly deps: LookDeps) {}

  start(): Promise<void> {
    const client = this.deps.connect(this.deps.broker.url, brokerClientOptions(this.deps.broker, 'minwang-look'));
    this.client = client;
    client.on('message', (_topic, payload) => {
      const id = parseId(payload);
      if (id !== undefined) this.waiting.get(id)?.(payload);
    });
    client.on('error', (err) => this.deps.logger.warn({ err: errorMessage(err) }, 'look now: broker connection error'));
    client.subscribe(topic.commandResponse('+', 'snapshot'), { qos: 1 });
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    for (const resolve of this.waiting.values()) resolve(Buffer.alloc(0));
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  /** A fresh picture of `camera` on `host` (ids already checked by the caller). */
  snapshot(host: string, camera: string): Promise<LookResult> {
    const key = `${host}/${camera}`;
    const now = this.deps.clock.monotonicMs();
    for (const [k, v] of this.recent) if (now - v.at > SHARED_MS) this.recent.delete(k);
    const shared = this.recent.get(key);
    if (shared !== undefined) return shared.result;
    if (this.waiting.size >= MAX_IN_FLIGHT) return Promise.resolve({ ok: false, status: 503, error: 'too many pictures are being fetched; try again shortly' });
    const result = this.ask(host, camera);
    this.recent.set(key, { at: now, result });
    return result;
  }

  private async ask(host: string, camera: string): Promise<LookResult> {
    const client = this.client;
    if (client === undefined || !client.connected) return { ok: false, status: 503, error: 'the console is not connected to the broker' };
    const timeoutMs = this.deps.answerTimeoutMs ?? 12_000;
    const id = `look-${randomBytes(8).toString('hex')}`;
    const answered = new Promise<Buffer>((resolve) => this.waiting.set(id, resolve));
    const timeout = new AbortController();
    const timer = this.deps.clock.sleep(timeoutMs, timeout.signal).then(() => Buffer.alloc(0), () => Buffer.alloc(0));
    // A request the host gets later than this is answered `expired` and not run.
    const expires = new Date(this.deps.clock.now().getTime() + timeoutMs).toISOString();
    client.publish(topic.command(host, 'snapshot'), JSON.stringify({ id, camera, expires }), { qos: 1 });
    const payload = await Promise.race([answered, timer]);
    timeout.abort();
    this.waiting.delete(id);
    return read(payload);
  }
}

function read(payload: Buffer): LookResult {
  if (payload.length === 0) return { ok: false, status: 504, error: 'the host did not answer in time' };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, status: 502, error: 'the host answered something that is not JSON' };
  }
  const response = commandResponseSchema.safeParse(json);
  if (!response.success) return { ok: false, status: 502, error: 'the host\'s answer does not follow the contract' };
  if (response.data.status === 'error') return { ok: false, status: 502, error: `${response.data.error.code}: ${response.data.error.message}` };
  const answer = snapshotAnswerSchema.safeParse(response.data.data);
  if (!answer.success) return { ok: false, status: 502, error: 'the host\'s snapshot does not follow the contract' };
  const jpeg = Buffer.from(answer.data.jpegBase64, 'base64');
  if (jpeg.length > MAX_IMAGE_BYTES || !isJpeg(jpeg)) return { ok: false, status: 502, error: `the host's snapshot is not a JPEG of at most ${MAX_IMAGE_BYTES} bytes` };
  return { ok: true, jpeg, capturedAt: answer.data.capturedAt };
}

function parseId(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
