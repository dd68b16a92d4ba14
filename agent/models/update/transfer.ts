import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ModelsConfig } from '../../config/sections/models.js';
import type { CommandParams } from '../../link/contract/v1.js';
import { AgentError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { Http } from '../../ports/http.js';
import { sha256Of } from '../store.js';
import { downloadBundle } from './download.js';

/**
 * Getting a bundle onto the disk, as `<root>/incoming-*.bundle`: downloaded from a URL, or
 * reassembled from the chunks of `model/install/chunk`. What to do with the file is the caller's.
 */

type Chunk = CommandParams<'model/install/chunk'>;
export interface ChunkAck {
  transfer: string;
  received: number;
  total: number;
}

export interface TransferDeps {
  fs: FileSystem;
  /** `<dataDir>/models`: incoming files are written here. */
  root: string;
  clock: Clock;
  logger: Logger;
  config: ModelsConfig;
}

/** What the chunk receiver tells its owner. */
export interface ChunkEvents {
  /** Throws (`busy`) when other model work runs, so a new transfer cannot start. */
  ensureIdle(): void;
  progress(received: number, total: number): void;
  /** The transfer was dropped: the file is gone. */
  failed(error: string): void;
  /** Every chunk is in `file`. */
  complete(file: string): void;
}

/** A chunk transfer silent this long no longer blocks a new one. */
const TRANSFER_IDLE_MS = 10 * 60_000;

interface Transfer {
  id: string;
  received: number;
  total: number;
  lastChunkAt: number;
  bytes: number;
  file: string;
}

/** Reassembles one chunked transfer at a time, in order, each chunk checked against its sha256. */
export class ChunkReceiver {
  private transfer: Transfer | undefined;
  private chunks: Promise<unknown> = Promise.resolve();
  /** The last transfer completed: a late copy of its last chunk is acknowledged, not refused. */
  private finished: { id: string; total: number } | undefined;

  constructor(private readonly deps: TransferDeps, private readonly events: ChunkEvents) {}

  /** The id of the transfer under way, which blocks other model work. */
  active(): string | undefined {
    return this.transfer?.id;
  }

  /**
   * Chunks are taken one at a time: two copies of one chunk (sent again under another request id)
   * must not both pass the order check before either is appended.
   */
  receive(chunk: Chunk): Promise<ChunkAck> {
    const turn = this.chunks.then(() => this.take(chunk));
    this.chunks = turn.catch(() => undefined);
    return turn;
  }

  private async take(chunk: Chunk): Promise<ChunkAck> {
    const now = this.deps.clock.monotonicMs();
    if (this.transfer !== undefined && this.transfer.id !== chunk.transfer && now - this.transfer.lastChunkAt > TRANSFER_IDLE_MS) {
      this.deps.logger.warn({ transfer: this.transfer.id }, 'abandoning a silent model transfer');
      await this.abandon(`transfer ${this.transfer.id} went silent`);
    }
    if (this.transfer === undefined && this.finished?.id === chunk.transfer) {
      return { transfer: chunk.transfer, received: this.finished.total, total: this.finished.total };
    }
    const transfer = this.transfer?.id === chunk.transfer ? this.transfer : await this.begin(chunk, now);
    if (chunk.index < transfer.received) return ackOf(transfer);
    if (chunk.index > transfer.received || chunk.total !== transfer.total) {
      throw new AgentError('model.refused', `expected chunk ${transfer.received} of ${transfer.total}, got ${chunk.index} of ${chunk.total}`, { details: { reason: 'out_of_order' } });
    }
    await this.append(transfer, chunk, now);
    if (transfer.received === transfer.total) {
      this.transfer = undefined;
      this.finished = { id: transfer.id, total: transfer.total };
      this.events.complete(transfer.file);
    }
    return ackOf(transfer);
  }

  private async begin(chunk: Chunk, now: number): Promise<Transfer> {
    if (chunk.index !== 0) throw new AgentError('model.refused', `transfer ${chunk.transfer} is unknown; start it with chunk 0`, { details: { reason: 'unknown_transfer' } });
    this.events.ensureIdle();
    const transfer = { id: chunk.transfer, received: 0, total: chunk.total, lastChunkAt: now, bytes: 0, file: incomingFile(this.deps.root, chunk.transfer) };
    this.transfer = transfer;
    await this.deps.fs.rm(transfer.file, { force: true });
    return transfer;
  }

  private async append(transfer: Transfer, chunk: Chunk, now: number): Promise<void> {
    const data = Buffer.from(chunk.dataBase64, 'base64');
    if (sha256Of(data) !== chunk.sha256) throw new AgentError('model.refused', `chunk ${chunk.index} does not match its sha256; send it again`, { details: { reason: 'chunk_hash' } });
    const cap = this.deps.config.maxBundleBytes;
    if (transfer.bytes + data.length > cap) {
      await this.abandon(`bundle is over the cap of ${cap} bytes`);
      throw new AgentError('model.refused', `bundle is over the cap of ${cap} bytes`, { details: { reason: 'too_large' } });
    }
    await this.deps.fs.appendFile(transfer.file, data);
    transfer.bytes += data.length;
    transfer.received += 1;
    transfer.lastChunkAt = now;
    this.events.progress(transfer.received, transfer.total);
  }

  private async abandon(error: string): Promise<void> {
    const transfer = this.transfer;
    this.transfer = undefined;
    if (transfer !== undefined) await this.deps.fs.rm(transfer.file, { force: true });
    this.events.failed(error);
  }
}

function ackOf(transfer: Transfer): ChunkAck {
  return { transfer: transfer.id, received: transfer.received, total: transfer.total };
}

function incomingFile(root: string, name: string): string {
  return join(root, `incoming-${name}.bundle`);
}

/**
 * Downloads `url` into a new incoming file and returns its path; on failure the file is removed.
 * An overall deadline: a server that trickles or stalls must not keep the updater busy forever.
 */
export async function downloadIncoming(
  url: string,
  deps: TransferDeps & { http: Http },
  onProgress: (received: number, total: number | undefined) => void,
): Promise<string> {
  const { fs, clock, config } = deps;
  const file = incomingFile(deps.root, randomUUID());
  const deadline = new AbortController();
  const timer = clock.setTimeout(() => deadline.abort(), config.downloadTimeout);
  try {
    await downloadBundle(url, { http: deps.http, fs, allowedOrigins: config.allowedOrigins, maxBytes: config.maxBundleBytes, file, deadline: deadline.signal, onProgress });
    return file;
  } catch (err) {
    await fs.rm(file, { force: true });
    throw err;
  } finally {
    clock.clearTimeout(timer);
  }
}

/** Bundles half received or half downloaded before a restart: nothing resumes them, so they only fill the disk. */
export async function pruneIncoming(deps: Pick<TransferDeps, 'fs' | 'root' | 'logger'>): Promise<void> {
  const names = await deps.fs.readdir(deps.root).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith('incoming-'))) {
    await deps.fs.rm(join(deps.root, name), { force: true, recursive: true });
    deps.logger.info({ file: name }, 'removed a model bundle left incomplete by an earlier run');
  }
}
