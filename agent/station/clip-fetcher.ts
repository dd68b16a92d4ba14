/**
 * Fetches event clips from hosts with `cmd/events/clip`, chunk by chunk, into
 * `<dir>/<host>/clips/<event id>.mp4`: each chunk checked against its sha256, the whole file against
 * the clip's. Resumable: the bytes so far stay in `<event id>.mp4.part` beside a note of what is
 * wanted (`.want.json`), so a broken link, a host restart or a console restart continues from
 * the last whole chunk instead of starting again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readFile, readdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CLIP_CHUNK_MAX, clipInfoSchema, commandResponseSchema, eventClipAnswerSchema, HOST_ID_RE, ITEM_ID_RE, topic, type ClipInfo,
} from '../link/contract/v1.js';
import { clipChunkReader } from '../link/contract/readers.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../ports/clock.js';
import type { MqttClient, MqttConnector } from '../ports/mqtt.js';
import { brokerClientOptions, type BrokerOptions } from './subscriber.js';

export interface ClipFetcherDeps {
  broker: BrokerOptions;
  connect: MqttConnector;
  dir: string;
  clock: Clock;
  logger: Logger;
  /** Clip bytes asked for per `cmd/events/clip` (1 KiB..256 KiB); default 16 KiB, the most an alert waits behind (docs/clips.md). */
  chunkBytes?: number;
  /** An answer not received in this long: the chunk is asked for again. */
  answerTimeoutMs?: number;
  /** Larger clips are refused (a host cannot fill the station's disk with one announcement). Default 1 GiB. */
  maxClipBytes?: number;
  /** How long a fetch waits for a pushed chunk (`clips.push`) before asking for it. Default 5 s. */
  pushWaitMs?: number;
  /** Called before a transfer writes anything, with the bytes it will add; throwing refuses the clip (a disk budget). */
  makeRoom?: (bytes: number) => Promise<void>;
}

/** Pushed chunks kept ahead of the transfer that writes them, per clip; more are dropped (and asked for later). */
const PUSHED_AHEAD = 32;
const PUSHED_CLIPS = 8;

const wantSchema = z.strictObject({
  host: z.string().regex(HOST_ID_RE),
  event: z.string().regex(ITEM_ID_RE),
  clip: clipInfoSchema,
});
type Want = z.infer<typeof wantSchema>;

const RETRY_MS = { min: 500, max: 30_000 };
/**
 * The station's chunk: 16 KiB is 22 KB of JSON, 90 ms on a 2 Mbit/s uplink: the longest an alert
 * the host sends meanwhile waits behind it (64 KiB, the contract's default: 350 ms).
 */
export const STATION_CHUNK_BYTES = 16 * 1024;
const CHUNK_MIN = 1024;
/** A chunk asked this many times without an answer gives the clip up (it stays resumable on disk). */
const MAX_TRIES = 200;

export class ClipFetcher implements Module {
  readonly name = 'clip-fetcher';
  private client: MqttClient | undefined;
  private readonly waiting = new Map<string, (payload: Buffer) => void>();
  private queue: Promise<void> = Promise.resolve();
  private readonly queued = new Map<string, Promise<string>>();
  /** Verified pushed chunks by clip (`host/event`) and offset, and when the last one came. */
  private readonly pushed = new Map<string, { at: number; sha256: string; chunks: Map<number, Buffer> }>();
  private pushWaiter: (() => void) | undefined;
  /** Aborted by `stop`: wakes a transfer sleeping between tries or waiting for a push, so stopping never waits out a backoff (up to 30 s). */
  private stopping = new AbortController();
  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private readonly chunkBytes: number;

  constructor(private readonly deps: ClipFetcherDeps) {
    this.chunkBytes = deps.chunkBytes ?? STATION_CHUNK_BYTES;
    if (!Number.isInteger(this.chunkBytes) || this.chunkBytes < CHUNK_MIN || this.chunkBytes > CLIP_CHUNK_MAX) {
      throw new RangeError(`chunkBytes must be a whole number of bytes from ${CHUNK_MIN} to ${CLIP_CHUNK_MAX} (cmd/events/clip), not ${this.chunkBytes}`);
    }
  }

  /** Connects, and resumes the fetches a previous run left unfinished. */
  async start(): Promise<void> {
    this.stopping = new AbortController();
    const client = this.deps.connect(this.deps.broker.url, brokerClientOptions(this.deps.broker, 'minwang-clips'));
    this.client = client;
    client.on('message', (t, payload) => {
      if (t.endsWith('/response')) this.onAnswer(payload);
      else this.onPushed(t, payload);
    });
    client.on('error', (err) => this.deps.logger.warn({ err: errorMessage(err) }, 'clip fetcher: broker connection error'));
    client.subscribe([topic.commandResponse('+', 'events/clip'), topic.eventClip('+', '+')], { qos: 1 });
    for (const want of await this.unfinished()) this.fetch(want.host, want.event, want.clip).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const resolve of this.waiting.values()) resolve(Buffer.alloc(0));
    await this.queue.catch(() => undefined);
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  /** Path where a host's clip is (or will be) saved. */
  path(host: string, event: string): string {
    return join(this.deps.dir, host, 'clips', `${event}.mp4`);
  }

  /**
   * Queues a clip (one transfer at a time); resolves with its path once verified. `expectPush`
   * (an alerting event, from a host that may have `clips.push` on): wait `pushWaitMs` for its push
   * to start before asking for it.
   */
  fetch(host: string, event: string, clip: ClipInfo, expectPush = false): Promise<string> {
    const want = wantSchema.parse({ host, event, clip });
    const limit = this.deps.maxClipBytes ?? 1024 ** 3;
    if (clip.bytes > limit) return Promise.reject(new Error(`the clip of ${event} is ${clip.bytes} bytes, over the station's limit of ${limit}`));
    const key = `${host}/${event}`;
    const already = this.queued.get(key);
    if (already !== undefined) return already;
    const run = this.queue.then(() => this.transfer(want, expectPush)).finally(() => this.queued.delete(key));
    this.queued.set(key, run);
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  private async transfer(want: Want, expectPush: boolean): Promise<string> {
    const final = this.path(want.host, want.event);
    if (await stat(final).then((s) => s.size === want.clip.bytes, () => false)) return final;
    const part = `${final}.part`;
    await this.deps.makeRoom?.(want.clip.bytes - await stat(part).then((s) => Math.min(s.size, want.clip.bytes), () => 0));
    await mkdir(join(this.deps.dir, want.host, 'clips'), { recursive: true, mode: 0o700 });
    await writeFile(`${final}.want.json`, JSON.stringify(want), { mode: 0o600 });
    let offset = await stat(part).then((s) => Math.min(s.size, want.clip.bytes), () => 0);
    await truncate(part, offset).catch(() => writeFile(part, Buffer.alloc(0), { mode: 0o600 }));
    let tries = 0;
    const key = `${want.host}/${want.event}`;
    while (offset < want.clip.bytes) {
      if (this.stopped) throw new Error('the clip fetcher stopped');
      const answer = (await this.takePushed(key, offset, want.clip, expectPush)) ?? await this.ask(want, offset);
      if (answer === 'again') {
        if (++tries > MAX_TRIES) throw new Error(`no answer from ${want.host} for the clip of ${want.event}; it stays resumable`);
        await this.deps.clock.sleep(Math.min(RETRY_MS.max, RETRY_MS.min * 2 ** Math.min(tries, 6)), this.stopping.signal).catch(() => undefined);
        continue;
      }
      tries = 0;
      await appendFile(part, answer);
      offset += answer.length;
    }
    const sha256 = await hashFile(part);
    if (sha256 !== want.clip.sha256) {
      await rm(part, { force: true });
      throw new Error(`the clip of ${want.event} does not match its sha256 (got ${sha256}); it will be fetched again from the start`);
    }
    await rename(part, final);
    this.pushed.delete(key);
    await rm(`${final}.want.json`, { force: true });
    this.deps.logger.info({ host: want.host, event: want.event, bytes: want.clip.bytes }, 'clip saved');
    return final;
  }

  /** One chunk from `offset`: its verified bytes, or `again` (no answer in time, busy, a chunk that fails its check). */
  private async ask(want: Want, offset: number): Promise<Buffer | 'again'> {
    const client = this.client;
    if (client === undefined || !client.connected || this.stopped) return 'again';
    const id = `clip-${randomBytes(8).toString('hex')}`;
    const answered = new Promise<Buffer>((resolve) => this.waiting.set(id, resolve));
    const timeout = new AbortController();
    const unlink = this.endsAtStop(timeout);
    const timer = this.deps.clock.sleep(this.deps.answerTimeoutMs ?? 30_000, timeout.signal).then(() => Buffer.alloc(0), () => Buffer.alloc(0));
    const request = { id, event: want.event, offset, chunkBytes: this.chunkBytes };
    client.publish(topic.command(want.host, 'events/clip'), JSON.stringify(request), { qos: 1 });
    const payload = await Promise.race([answered, timer]);
    unlink();
    timeout.abort();
    this.waiting.delete(id);
    return this.check(want, offset, payload);
  }

  private check(want: Want, offset: number, payload: Buffer): Buffer | 'again' {
    if (payload.length === 0) return 'again';
    const response = commandResponseSchema.safeParse(parseJson(payload));
    if (!response.success) return 'again';
    if (response.data.status === 'error') {
      if (response.data.error.code === 'busy') return 'again';
      throw new Error(`${want.host} answered ${response.data.error.code}: ${response.data.error.message}`);
    }
    const answer = eventClipAnswerSchema.safeParse(response.data.data);
    if (!answer.success || answer.data.offset !== offset || answer.data.event !== want.event) return 'again';
    if (answer.data.clip.sha256 !== want.clip.sha256) throw new Error(`the host's clip of ${want.event} is not the one its end announced`);
    const data = Buffer.from(answer.data.dataBase64, 'base64');
    // A host may answer fewer bytes than asked (it sizes chunks to its uplink, docs/mqtt.md): the next request asks from there.
    const most = Math.min(this.chunkBytes, want.clip.bytes - offset);
    if (data.length !== answer.data.length || data.length === 0 || data.length > most) return 'again';
    if (createHash('sha256').update(data).digest('hex') !== answer.data.sha256) return 'again';
    return data;
  }

  /**
   * The pushed chunk at `offset`, waiting for it while a push of this clip is under way (a chunk
   * came within `pushWaitMs`); undefined: ask for it.
   */
  private async takePushed(key: string, offset: number, clip: ClipInfo, expectPush: boolean): Promise<Buffer | undefined> {
    const wait = this.deps.pushWaitMs ?? 5000;
    const since = this.deps.clock.monotonicMs();
    for (;;) {
      const entry = this.pushed.get(key);
      const chunk = entry?.chunks.get(offset);
      if (chunk !== undefined && entry !== undefined) {
        for (const at of entry.chunks.keys()) if (at <= offset) entry.chunks.delete(at);
        return entry.sha256 === clip.sha256 && offset + chunk.length <= clip.bytes ? chunk : undefined;
      }
      const now = this.deps.clock.monotonicMs();
      const pushing = entry === undefined ? expectPush && offset === 0 && now - since < wait : now - entry.at < wait;
      if (!pushing || this.stopped) return undefined;
      await new Promise<void>((resolve) => {
        const woken = new AbortController();
        this.pushWaiter = () => woken.abort();
        const unlink = this.endsAtStop(woken);
        void this.deps.clock.sleep(wait, woken.signal).catch(() => undefined).then(() => {
          unlink();
          this.pushWaiter = undefined;
          resolve();
        });
      });
    }
  }

  /** Aborts `controller` when the fetcher stops; the returned function unhooks it (no listener left per chunk). */
  private endsAtStop(controller: AbortController): () => void {
    const stopping = this.stopping.signal;
    const abort = () => controller.abort();
    if (stopping.aborted) abort();
    else stopping.addEventListener('abort', abort, { once: true });
    return () => stopping.removeEventListener('abort', abort);
  }

  /** A chunk a host pushed (`clips.push`): verified, kept for the transfer; chunk 0 of a clip not being fetched starts one. */
  private onPushed(topicName: string, payload: Buffer): void {
    const [, host, , event] = topicName.split('/');
    const chunk = clipChunkReader.safeParse(parseJson(payload));
    if (host === undefined || event === undefined || !HOST_ID_RE.test(host) || !chunk.success || chunk.data.event !== event) return;
    const data = Buffer.from(chunk.data.dataBase64, 'base64');
    if (data.length !== chunk.data.length || createHash('sha256').update(data).digest('hex') !== chunk.data.sha256) return;
    const key = `${host}/${event}`;
    let entry = this.pushed.get(key);
    if (entry === undefined) {
      if (chunk.data.offset !== 0) return; // a push seen from its middle: the fetch asks for what it lacks
      if (this.pushed.size >= PUSHED_CLIPS) this.pushed.delete(this.pushed.keys().next().value ?? '');
      entry = { at: 0, sha256: chunk.data.clip.sha256, chunks: new Map() };
      this.pushed.set(key, entry);
      this.fetch(host, event, chunk.data.clip).catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err), event }, 'pushed clip not saved'));
    }
    entry.at = this.deps.clock.monotonicMs();
    if (entry.chunks.size < PUSHED_AHEAD) entry.chunks.set(chunk.data.offset, data);
    this.pushWaiter?.();
  }

  private onAnswer(payload: Buffer): void {
    const id = (parseJson(payload) as { id?: unknown } | null)?.id;
    if (typeof id === 'string') this.waiting.get(id)?.(payload);
  }

  /** Fetches noted as wanted and not finished: what a console restart resumes. */
  private async unfinished(): Promise<Want[]> {
    const wants: Want[] = [];
    const hosts = await readdir(this.deps.dir).catch(() => [] as string[]);
    for (const host of hosts.filter((h) => HOST_ID_RE.test(h))) {
      const names = await readdir(join(this.deps.dir, host, 'clips')).catch(() => [] as string[]);
      for (const name of names.filter((n) => n.endsWith('.want.json'))) {
        const parsed = wantSchema.safeParse(await readFile(join(this.deps.dir, host, 'clips', name), 'utf8').then((t) => JSON.parse(t) as unknown, () => null));
        if (parsed.success) wants.push(parsed.data);
      }
    }
    return wants;
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(path);
  stream.on('data', (chunk) => hash.update(chunk));
  await once(stream, 'end');
  return hash.digest('hex');
}
