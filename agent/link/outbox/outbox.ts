// One file: append, acknowledge, evict and recover must hold the journal's invariants (order, seq, cursor)
// together; the codec, journal segments, blobs and event log are their own modules beside it.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AgentError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { OutboxSummary } from '../contract/v1.js';
import { writeFileAtomic } from './atomic-file.js';
import { BlobStore } from './blob-store.js';
import { Journal } from './journal.js';
import { cursorSchema, parseJournalRecord, type Cursor, type JournalRecord, type OutboxInput, type QueuedMessage } from './messages.js';
import { definedProps } from '../../core/defined-props.js';

export interface OutboxLimits {
  maxBytes: number;
  maxMessages: number;
}

export interface OutboxDeps {
  fs: FileSystem;
  /** `<dataDir>/outbox` */
  dir: string;
  clock: Clock;
  logger: Logger;
  limits: OutboxLimits;
  segmentBytes?: number;
}

const CURSOR_FILE = 'cursor.json';

/**
 * The durable store-and-forward queue. A message counts as queued once it is fsynced; it leaves
 * only when the broker acknowledged it (`ack`) or the outbox was full (`dropped`, counted).
 * Survives kill -9 and power cuts: the journal skips torn records, the cursor is written atomically,
 * and a crash at worst re-sends acknowledged messages (the station drops duplicates by `seq`/id).
 */
export class Outbox {
  private readonly journal: Journal;
  private readonly blobs: BlobStore;
  /** Durable, unacknowledged messages in the order they became durable. */
  private readonly queued = new Map<number, QueuedMessage>();
  private readonly images = new Map<number, QueuedMessage>();
  private readonly others = new Map<number, QueuedMessage>();
  /** Numbers handed out but not yet on disk. */
  private readonly writing = new Set<number>();
  private readonly liveInSegment = new Map<number, number>();
  /** Acknowledged or dropped numbers at or above the lowest live one. */
  private readonly doneAbove = new Set<number>();
  private nextN = 0;
  private lastActive = 0;
  private nextSeq = 0;
  private bytes = 0;
  private dropped = { images: 0, messages: 0 };
  private opened = false;
  private cursorWrite: Promise<void> | undefined;
  private cursorDirty = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: OutboxDeps) {
    this.journal = new Journal({
      fs: deps.fs,
      dir: join(deps.dir, 'journal'),
      logger: deps.logger,
      segmentBytes: deps.segmentBytes ?? 4 * 1024 * 1024,
      header: () => Buffer.from(JSON.stringify({ t: 'meta', nextN: this.nextN, nextSeq: this.nextSeq })),
    });
    this.blobs = new BlobStore(deps.fs, join(deps.dir, 'blobs'));
  }

  async open(): Promise<void> {
    try {
      await this.deps.fs.mkdir(this.deps.dir, { recursive: true, mode: 0o750 });
      await this.blobs.open();
      await this.removeTempFiles();
      await this.recover();
    } catch (err) {
      throw new AgentError('state.io', `cannot open the outbox in ${this.deps.dir}: ${errorMessage(err)}`, { cause: err });
    }
    this.opened = true;
  }

  /**
   * Queues a message; resolves once it is on disk. `n` and `seq` are taken when the record is
   * handed to the journal, so the journal, `n` and `seq` all follow the order of the calls
   * (an image's blob is written first, so an image may take its place a little later).
   */
  async enqueue(input: OutboxInput): Promise<QueuedMessage> {
    if (!this.opened) throw new AgentError('state.io', 'the outbox is not open');
    const queuedAt = this.deps.clock.now().getTime();
    const blob = input.blob === undefined ? undefined : await this.writeBlob(input.kind, input.blob);
    const n = this.nextN++;
    const seq = input.sequenced ? this.nextSeq++ : undefined;
    const record = { n, kind: input.kind, topic: input.topic, seq, at: queuedAt, body: input.body, blob };
    const segment = await this.appendRecord(record);
    const message = toMessage(record, segment);
    this.add(message);
    this.enforceLimits();
    for (const listener of this.listeners) listener();
    return message;
  }

  private async writeBlob(kind: OutboxInput['kind'], data: Buffer): Promise<{ id: string; bytes: number }> {
    const blob = { id: randomUUID(), bytes: data.length };
    try {
      await this.blobs.put(blob.id, data);
    } catch (err) {
      await this.blobs.remove(blob.id).catch(() => undefined);
      throw new AgentError('state.io', `could not queue a ${kind} message: ${errorMessage(err)}`, { cause: err });
    }
    return blob;
  }

  /** Resolves with the segment once the record is fsynced; on failure the number is given up (a `seq` gap: loss). */
  private async appendRecord(record: MessageRecord): Promise<number> {
    this.writing.add(record.n);
    try {
      const segment = await this.journal.append(Buffer.from(JSON.stringify({ t: 'msg', ...record })));
      this.writing.delete(record.n);
      this.releaseRotatedSegments(segment);
      return segment;
    } catch (err) {
      this.writing.delete(record.n);
      this.markDone(record.n);
      if (record.blob !== undefined) await this.blobs.remove(record.blob.id).catch(() => undefined);
      throw new AgentError('state.io', `could not queue a ${record.kind} message: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Queued messages, oldest first. */
  messages(): IterableIterator<QueuedMessage> {
    return this.queued.values();
  }

  /** The bytes to publish: the JSON body with `seq` (plus `extra`), or the stored blob. */
  async payload(message: QueuedMessage, extra: Record<string, unknown> = {}): Promise<Buffer> {
    if (message.blob !== undefined) return this.blobs.get(message.blob);
    return Buffer.from(JSON.stringify({ ...message.body, ...definedProps({ seq: message.seq }), ...extra }));
  }

  /** The broker acknowledged it: it leaves the outbox. */
  ack(n: number): void {
    const message = this.queued.get(n);
    if (message === undefined) return;
    this.remove(message);
  }

  /** Drops a message that can never be delivered (unreadable, refused by the broker); counted as dropped. */
  discard(n: number): void {
    const message = this.queued.get(n);
    if (message === undefined) return;
    if (message.kind === 'image') this.dropped.images++;
    else this.dropped.messages++;
    this.remove(message);
  }

  /** Called after each message becomes durable. Returns an unsubscribe function. */
  onQueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  summary(): OutboxSummary {
    const oldest = this.queued.values().next().value;
    const oldestS = oldest === undefined ? 0 : Math.max(0, Math.round((this.deps.clock.now().getTime() - oldest.queuedAt) / 1000));
    return { depth: this.queued.size, bytes: this.bytes, dropped: { ...this.dropped }, oldestS };
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await this.journal.close();
    this.scheduleCursorWrite();
    while (this.cursorWrite !== undefined) await this.cursorWrite;
  }

  private add(message: QueuedMessage): void {
    this.queued.set(message.n, message);
    (message.kind === 'image' ? this.images : this.others).set(message.n, message);
    this.bytes += message.bytes;
    this.liveInSegment.set(message.segment, (this.liveInSegment.get(message.segment) ?? 0) + 1);
  }

  private remove(message: QueuedMessage): void {
    this.queued.delete(message.n);
    (message.kind === 'image' ? this.images : this.others).delete(message.n);
    this.bytes -= message.bytes;
    this.markDone(message.n);
    if (message.blob !== undefined) void this.blobs.remove(message.blob).catch((err: unknown) => this.deps.logger.warn({ err, n: message.n }, 'could not remove an outbox blob'));
    const live = (this.liveInSegment.get(message.segment) ?? 1) - 1;
    this.liveInSegment.set(message.segment, live);
    if (live === 0) this.releaseSegment(message.segment);
    this.scheduleCursorWrite();
  }

  /** Thumbnails go first, oldest first; then the oldest other messages. */
  private enforceLimits(): void {
    const { maxBytes, maxMessages } = this.deps.limits;
    let evicted = 0;
    while (this.queued.size > maxMessages || this.bytes > maxBytes) {
      const victim = this.images.values().next().value ?? this.others.values().next().value;
      if (victim === undefined) break;
      if (victim.kind === 'image') this.dropped.images++;
      else this.dropped.messages++;
      this.remove(victim);
      evicted++;
    }
    if (evicted > 0) {
      this.deps.logger.warn({ evicted, dropped: this.dropped, depth: this.queued.size, bytes: this.bytes }, 'outbox full: dropped the oldest images first, then the oldest messages');
    }
  }

  private markDone(n: number): void {
    const low = this.lowestLive();
    if (n >= low) this.doneAbove.add(n);
    if (n > low) return;
    for (const done of this.doneAbove) if (done < low) this.doneAbove.delete(done);
  }

  /** Both `queued` and `writing` hold numbers in ascending order, so their first entries are their lowest. */
  private lowestLive(): number {
    const queued = this.queued.keys().next().value ?? this.nextN;
    const writing = this.writing.values().next().value ?? this.nextN;
    return Math.min(queued, writing, this.nextN);
  }

  /** After the journal moved to a new segment, the ones before it with nothing live can go. */
  private releaseRotatedSegments(active: number): void {
    if (active === this.lastActive) return;
    for (let segment = this.lastActive; segment < active; segment++) {
      if ((this.liveInSegment.get(segment) ?? 0) === 0) this.releaseSegment(segment);
    }
    this.lastActive = active;
  }

  private releaseSegment(segment: number): void {
    if (segment === this.journal.activeSegment) return;
    this.liveInSegment.delete(segment);
    // Safe even before the cursor is saved: every record in it is done, and the counters live in
    // the header of the active segment, which is never deleted.
    void this.journal.deleteSegment(segment).catch((err: unknown) => this.deps.logger.warn({ err, segment }, 'could not delete a finished outbox segment'));
  }

  private scheduleCursorWrite(): void {
    this.cursorDirty = true;
    if (this.cursorWrite !== undefined) return;
    this.cursorWrite = this.writeCursorLoop().finally(() => {
      this.cursorWrite = undefined;
      if (this.cursorDirty) this.scheduleCursorWrite();
    });
  }

  private async writeCursorLoop(): Promise<void> {
    while (this.cursorDirty) {
      this.cursorDirty = false;
      const cursor: Cursor = { doneBelow: this.lowestLive(), done: [...this.doneAbove], dropped: { ...this.dropped } };
      try {
        await writeFileAtomic(this.deps.fs, join(this.deps.dir, CURSOR_FILE), JSON.stringify(cursor));
      } catch (err) {
        this.deps.logger.warn({ err }, 'could not save the outbox cursor; acknowledged messages may be sent again after a restart');
        return;
      }
    }
  }

  private async recover(): Promise<void> {
    const cursor = await this.readCursor();
    this.dropped = { ...cursor.dropped };
    const done = new Set(cursor.done);
    const isDone = (n: number) => n < cursor.doneBelow || done.has(n);
    const records = await this.journal.open();
    const blobSizes = await this.blobs.list();
    const recovered: QueuedMessage[] = [];
    let unreadable = 0;
    this.nextN = cursor.doneBelow;
    for (const { segment, payload } of records) {
      const record = parseJournalRecord(payload);
      if (record === undefined) {
        unreadable++;
        continue;
      }
      if (record.t === 'meta') {
        this.nextN = Math.max(this.nextN, record.nextN);
        this.nextSeq = Math.max(this.nextSeq, record.nextSeq);
        continue;
      }
      this.nextN = Math.max(this.nextN, record.n + 1);
      if (record.seq !== undefined) this.nextSeq = Math.max(this.nextSeq, record.seq + 1);
      if (isDone(record.n)) continue;
      if (record.blob !== undefined && blobSizes.get(record.blob.id) !== record.blob.bytes) {
        this.dropped.images++;
        unreadable++;
        continue;
      }
      recovered.push(toMessage(record, segment));
    }
    recovered.sort((a, b) => a.n - b.n);
    for (const message of recovered) if (!this.queued.has(message.n)) this.add(message);
    const referenced = new Set(recovered.map((m) => m.blob));
    for (const id of blobSizes.keys()) if (!referenced.has(id)) await this.blobs.remove(id);
    for (const segment of await this.journal.segments()) {
      if (segment !== this.journal.activeSegment && (this.liveInSegment.get(segment) ?? 0) === 0) await this.journal.deleteSegment(segment);
    }
    this.lastActive = this.journal.activeSegment;
    if (unreadable > 0) this.deps.logger.warn({ unreadable }, 'skipped outbox records that could not be read back');
    this.deps.logger.info({ queued: this.queued.size, nextSeq: this.nextSeq }, 'outbox opened');
    this.enforceLimits();
    this.scheduleCursorWrite();
  }

  /** Temp files of atomic writes a crash interrupted. */
  private async removeTempFiles(): Promise<void> {
    for (const name of await this.deps.fs.readdir(this.deps.dir)) {
      if (name.startsWith('.') && name.endsWith('.tmp')) await this.deps.fs.rm(join(this.deps.dir, name), { force: true });
    }
  }

  private async readCursor(): Promise<Cursor> {
    const empty: Cursor = { doneBelow: 0, done: [], dropped: { images: 0, messages: 0 } };
    let text: string;
    try {
      text = await this.deps.fs.readFile(join(this.deps.dir, CURSOR_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty;
      throw err;
    }
    try {
      return cursorSchema.parse(JSON.parse(text));
    } catch {
      this.deps.logger.warn('the outbox cursor is unreadable; every message still in the journal will be sent again');
      return empty;
    }
  }
}

type MessageRecord = Omit<Extract<JournalRecord, { t: 'msg' }>, 't'>;

function toMessage(record: MessageRecord, segment: number): QueuedMessage {
  const message: QueuedMessage = {
    n: record.n,
    kind: record.kind,
    topic: record.topic,
    queuedAt: record.at,
    bytes: record.blob?.bytes ?? Buffer.byteLength(JSON.stringify(record.body ?? {})),
    segment,
  };
  if (record.seq !== undefined) message.seq = record.seq;
  if (record.body !== undefined) message.body = record.body;
  if (record.blob !== undefined) message.blob = record.blob.id;
  return message;
}
