/**
 * Event clips for the web console: fetched from the host when an operator asks (over the console's
 * own broker connection, with the resumable, sha256-checked ClipFetcher), kept under the console's
 * data dir within a byte budget (the oldest clips are deleted first), and served to the page.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import { HOST_ID_RE, type ClipInfo } from '../../link/contract/v1.js';
import type { Clock } from '../../ports/clock.js';
import type { MqttConnector } from '../../ports/mqtt.js';
import { ClipFetcher } from '../clip-fetcher.js';
import type { BrokerOptions } from '../subscriber.js';

export interface ClipShelfDeps {
  broker: BrokerOptions;
  connect: MqttConnector;
  /** `<dir>/<host>/clips/<event id>.mp4`, as `console --save` lays them out. */
  dir: string;
  /** All clips together (finished and partial) stay within this; a larger clip is refused. */
  budgetBytes: number;
  clock: Clock;
  logger: Logger;
  /** For tests: smaller chunks, shorter answer timeout. */
  chunkBytes?: number;
  answerTimeoutMs?: number;
}

export type ClipState = 'none' | 'fetching' | 'ready' | 'failed';

/** What the page shows (and polls): how far a fetch is. */
export interface ClipProgress {
  state: ClipState;
  bytes: number;
  total: number;
  error: string | null;
}

/** The console's default clip budget: 2 GiB. */
export const DEFAULT_CLIP_BUDGET = 2 * 1024 ** 3;
/** Fetches asked for and not finished; more are answered `busy` (one transfer runs at a time). */
const MAX_WAITING = 32;
/** Failures remembered for the page (oldest forgotten first). */
const FAILURES_KEPT = 256;

export class ClipShelf implements Module {
  readonly name = 'web-clips';
  private readonly fetcher: ClipFetcher;
  private readonly running = new Map<string, Promise<string>>();
  private readonly failed = new Map<string, string>();
  /** Making room is one at a time, so two transfers never both count the same free bytes. */
  private room: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ClipShelfDeps) {
    this.fetcher = new ClipFetcher({
      broker: deps.broker, connect: deps.connect, dir: deps.dir, clock: deps.clock, logger: deps.logger,
      maxClipBytes: deps.budgetBytes, makeRoom: (bytes) => this.makeRoom(bytes),
      ...(deps.chunkBytes === undefined ? {} : { chunkBytes: deps.chunkBytes }),
      ...(deps.answerTimeoutMs === undefined ? {} : { answerTimeoutMs: deps.answerTimeoutMs }),
    });
  }

  start(): Promise<void> {
    return this.fetcher.start();
  }

  stop(): Promise<void> {
    return this.fetcher.stop();
  }

  async progress(host: string, event: string, clip: ClipInfo): Promise<ClipProgress> {
    const key = `${host}/${event}`;
    const path = this.fetcher.path(host, event);
    const done = { state: 'ready' as const, bytes: clip.bytes, total: clip.bytes, error: null };
    if (await sizeOf(path) === clip.bytes) return done;
    if (this.running.has(key)) return { state: 'fetching', bytes: Math.min(await sizeOf(`${path}.part`) ?? 0, clip.bytes), total: clip.bytes, error: null };
    const error = this.failed.get(key);
    return { state: error === undefined ? 'none' : 'failed', bytes: 0, total: clip.bytes, error: error ?? null };
  }

  /** Starts fetching the clip (once; asking again while it runs changes nothing). `busy`: too many wait already. */
  request(host: string, event: string, clip: ClipInfo): 'started' | 'busy' {
    const key = `${host}/${event}`;
    if (this.running.has(key)) return 'started';
    if (this.running.size >= MAX_WAITING) return 'busy';
    this.failed.delete(key);
    const run = this.fetcher.fetch(host, event, clip);
    this.running.set(key, run);
    run.then(
      () => this.running.delete(key),
      (err: unknown) => {
        this.running.delete(key);
        this.failed.set(key, errorMessage(err));
        if (this.failed.size > FAILURES_KEPT) this.failed.delete(this.failed.keys().next().value ?? '');
        this.deps.logger.warn({ host, event, err: errorMessage(err) }, 'clip not fetched');
      },
    );
    return 'started';
  }

  /** The verified file, when it is there whole. */
  async file(host: string, event: string, clip: ClipInfo): Promise<string | undefined> {
    const path = this.fetcher.path(host, event);
    return await sizeOf(path) === clip.bytes ? path : undefined;
  }

  /** Before `bytes` more are written: the oldest finished clips go until they fit; refused when they cannot. */
  makeRoom(bytes: number): Promise<void> {
    const made = this.room.then(() => this.evictFor(bytes));
    this.room = made.catch(() => undefined);
    return made;
  }

  private async evictFor(bytes: number): Promise<void> {
    const budget = this.deps.budgetBytes;
    if (bytes > budget) throw new Error(`the clip is ${bytes} bytes, over the console's clip budget of ${budget}`);
    const files = await this.files();
    let used = files.reduce((sum, f) => sum + f.bytes, 0);
    for (const file of files.filter((f) => f.path.endsWith('.mp4')).sort((a, b) => a.mtimeMs - b.mtimeMs)) {
      if (used + bytes <= budget) break;
      await rm(file.path, { force: true });
      used -= file.bytes;
      this.deps.logger.info({ path: file.path, bytes: file.bytes }, 'clip deleted to keep within the clip budget');
    }
    if (used + bytes > budget) throw new Error(`the console's clip budget (${budget} bytes) is taken by clips being fetched; try again later`);
  }

  private async files(): Promise<{ path: string; bytes: number; mtimeMs: number }[]> {
    const found: { path: string; bytes: number; mtimeMs: number }[] = [];
    const hosts = await readdir(this.deps.dir).catch(() => [] as string[]);
    for (const host of hosts.filter((h) => HOST_ID_RE.test(h))) {
      const dir = join(this.deps.dir, host, 'clips');
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (!name.endsWith('.mp4') && !name.endsWith('.mp4.part')) continue;
        const info = await stat(join(dir, name)).catch(() => undefined);
        if (info !== undefined) found.push({ path: join(dir, name), bytes: info.size, mtimeMs: info.mtimeMs });
      }
    }
    return found;
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then((s) => s.size, () => undefined);
}
