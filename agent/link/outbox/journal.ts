import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../../core/logger.js';
import type { FileSystem } from '../../ports/fs.js';
import { syncDir } from './atomic-file.js';
import { decodeRecords, encodeRecord } from './record-codec.js';

const SEGMENT_RE = /^seg-(\d{12})\.log$/;
const segmentName = (id: number) => `seg-${String(id).padStart(12, '0')}.log`;

export interface JournalDeps {
  fs: FileSystem;
  dir: string;
  logger: Logger;
  /** A segment is closed and a new one started once it holds this many bytes. */
  segmentBytes: number;
  /** The first record of every new segment (the outbox's counters), so deleting old segments loses nothing. */
  header: () => Buffer;
}

export interface RecoveredRecord {
  segment: number;
  payload: Buffer;
}

interface PendingAppend {
  data: Buffer;
  resolve: (segment: number) => void;
  reject: (err: unknown) => void;
}

/**
 * An append-only journal in numbered segment files. Appends made while a write is in flight are
 * written and fsynced together (group commit), so many small records cost one fsync.
 * A new process never appends to an old segment: it may end in a torn record.
 */
export class Journal {
  private handle: FileHandle | undefined;
  private active = 0;
  private activeBytes = 0;
  private readonly queue: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly deps: JournalDeps) {}

  get activeSegment(): number {
    return this.active;
  }

  /** Reads every segment (skipping damage) and opens a fresh segment for appends. */
  async open(): Promise<RecoveredRecord[]> {
    const { fs, dir, logger } = this.deps;
    await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    const records: RecoveredRecord[] = [];
    const segments = await this.segments();
    for (const segment of segments) {
      const decoded = decodeRecords(await fs.readFile(join(dir, segmentName(segment))));
      for (const damage of decoded.damaged) {
        logger.warn({ segment: segmentName(segment), ...damage }, 'skipping a damaged stretch of the outbox journal (torn write or corruption)');
      }
      for (const payload of decoded.payloads) records.push({ segment, payload });
    }
    await this.startSegment((segments.at(-1) ?? 0) + 1);
    return records;
  }

  /** Resolves with the segment the record went to, once it is on disk (fsynced). */
  append(payload: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ data: encodeRecord(payload), resolve, reject });
      this.kick();
    });
  }

  async segments(): Promise<number[]> {
    const names = await this.deps.fs.readdir(this.deps.dir);
    return names.flatMap((name) => {
      const m = SEGMENT_RE.exec(name);
      return m === null ? [] : [Number(m[1])];
    }).sort((a, b) => a - b);
  }

  async deleteSegment(segment: number): Promise<void> {
    if (segment === this.active) return;
    await this.deps.fs.rm(join(this.deps.dir, segmentName(segment)), { force: true });
  }

  async close(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private kick(): void {
    if (this.flushing !== undefined) return;
    this.flushing = this.flushAll().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async flushAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        if (this.activeBytes >= this.deps.segmentBytes) await this.startSegment(this.active + 1);
        const data = Buffer.concat(batch.map((b) => b.data));
        const handle = this.openHandle();
        await handle.write(data);
        await handle.datasync();
        this.activeBytes += data.length;
        for (const b of batch) b.resolve(this.active);
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
  }

  private async startSegment(segment: number): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const header = encodeRecord(this.deps.header());
    const handle = await this.deps.fs.open(join(this.deps.dir, segmentName(segment)), 'a', 0o640);
    this.handle = handle;
    this.active = segment;
    await handle.write(header);
    await handle.datasync();
    await syncDir(this.deps.fs, this.deps.dir);
    this.activeBytes = header.length;
  }

  private openHandle(): FileHandle {
    if (this.handle === undefined) throw new Error('outbox journal is not open');
    return this.handle;
  }
}
