import { createHash } from 'node:crypto';
import type { StationLink } from '../../link/contract/link.js';
import { CommandError, type EventClipAnswer, type EventClipParams } from '../../link/contract/v1.js';
import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../ports/clock.js';
import { ClipPacer, wireBytesOf } from './clip-pacer.js';
import type { ClipStore, StoredClip } from './clip-store.js';

/** How long an answer of `events/clip` waits for the outbox to empty before it says `busy`. */
const IDLE_WAIT_MS = 20_000;
/** Clips waiting to be pushed, at most; more are left for the station to fetch. */
const PUSH_QUEUE = 16;
/** The largest pushed chunk (22 KB of JSON); the pacer sizes each to the uplink's speed (`clips.chunkTime`). */
export const PUSH_CHUNK = 16 * 1024;
const PUSH_TRIES = 30;

export interface ClipSenderDeps {
  store: ClipStore;
  link: Pick<StationLink, 'state' | 'publishClipChunk' | 'onAnswerSent' | 'onPublishAcked'>;
  clock: Clock;
  logger: Logger;
  /** Aborted when the agent stops: waits end, pushes stop. */
  stopping: AbortSignal;
  /** `clips.uplinkShare`: the most of the uplink's time clip bytes take (1: no pacing). Default 1. */
  uplinkShare?: number;
  /** `clips.chunkTime`: how long one chunk may hold the uplink, in ms. Default 5. */
  chunkTimeMs?: number;
}

/**
 * Sends stored clips to the station, always after everything else: one chunk per `cmd/events/clip`
 * (answered only when the outbox is empty), and with `clips.push` the clips of alerting events
 * unasked, chunk by acknowledged chunk, while the outbox is empty.
 */
export class ClipSender {
  /** Clips the station has asked for: a push of one of them stops (the station is pulling it). */
  private readonly pulled = new Set<string>();
  private pushing: Promise<void> = Promise.resolve();
  private pushQueued = 0;
  private readonly pacer: ClipPacer;

  constructor(private readonly deps: ClipSenderDeps) {
    const acks = deps.link.onAnswerSent !== undefined;
    this.pacer = new ClipPacer(deps.clock, deps.uplinkShare ?? 1, acks, deps.chunkTimeMs);
    // The broker's acknowledgement of an answer: how long the chunk took to cross the uplink.
    deps.link.onAnswerSent?.('events/clip', (ms, bytes) => this.pacer.answered(bytes, ms));
    // The link's small publishes (events, health): the uplink's round trip, taken off a chunk's time.
    deps.link.onPublishAcked?.((ms, bytes) => this.pacer.roundTrip(ms, bytes));
  }

  /** Resolves when no push is running or waiting. */
  idle(): Promise<void> {
    return this.pushing;
  }

  /**
   * One chunk of a stored clip, answered only when nothing else waits to go to the station: at
   * most `chunkBytes`, fewer when the uplink is slow (a few ms of wire; the station asks for the next offset).
   */
  async chunk(params: EventClipParams): Promise<EventClipAnswer> {
    if (this.pulled.size >= 1000) this.pulled.clear();
    this.pulled.add(params.event);
    const clip = await this.deps.store.get(params.event);
    if (clip === undefined) {
      throw new CommandError('not_found', `no clip of event ${params.event} on this host (not made, still being made, or deleted by clips.maxBytes/maxAge)`);
    }
    if (params.offset > clip.info.bytes) throw new CommandError('bad_request', `offset ${params.offset} is past the clip's end (${clip.info.bytes} bytes)`);
    return this.pacer.turn({ event: params.event, offset: params.offset, asked: params.chunkBytes }, async (chunkBytes) => {
      await this.idleLink();
      let answer = await this.readChunk(params.event, clip, params.offset, chunkBytes);
      // Reading and hashing took a moment: an alert queued meanwhile still goes first.
      while (this.deps.link.state().outboxDepth > 0) {
        await this.idleLink();
        answer = await this.readChunk(params.event, clip, params.offset, chunkBytes);
      }
      return { result: answer, length: answer.length, wireBytes: wireBytesOf(answer.length) };
    });
  }

  private async readChunk(event: string, clip: StoredClip, offset: number, chunkBytes: number): Promise<EventClipAnswer> {
    const data = await this.deps.store.read(clip, offset, Math.min(chunkBytes, clip.info.bytes - offset));
    return {
      event, contentType: 'video/mp4', clip: clip.info, offset, length: data.length,
      sha256: createHash('sha256').update(data).digest('hex'), dataBase64: data.toString('base64'),
    };
  }

  /** Pushes happen one clip at a time, after everything else; a full queue leaves the clip for the station to fetch. */
  queuePush(event: string): void {
    if (this.pushQueued >= PUSH_QUEUE) {
      this.deps.logger.warn({ event, queued: this.pushQueued }, 'too many clips waiting to be pushed; this one waits for the station to fetch it');
      return;
    }
    this.pushQueued++;
    this.pushing = this.pushing.then(() => this.push(event)).catch((err: unknown) => {
      if (!this.deps.stopping.aborted) this.deps.logger.warn({ err, event }, 'clip push stopped; the station can fetch the rest with cmd/events/clip');
    }).finally(() => { this.pushQueued--; });
  }

  /** Sends a clip chunk by chunk, each only when the outbox is empty and the broker acknowledged the last. */
  private async push(event: string): Promise<void> {
    const clip = await this.deps.store.get(event);
    if (clip === undefined) return;
    let tries = 0;
    for (let offset = 0; offset < clip.info.bytes;) {
      if (this.deps.stopping.aborted || this.pulled.has(event)) return;
      const { connected, outboxDepth } = this.deps.link.state();
      if (!connected || outboxDepth > 0) {
        await this.deps.clock.sleep(100, this.deps.stopping);
        continue;
      }
      try {
        offset += await this.pacer.turn({ event, offset, asked: PUSH_CHUNK }, (bytes) => this.pushChunk(event, clip, offset, bytes), this.deps.stopping);
        tries = 0;
      } catch (err) {
        if (++tries >= PUSH_TRIES) throw err;
        await this.deps.clock.sleep(1000, this.deps.stopping);
      }
    }
    this.deps.logger.info({ event, bytes: clip.info.bytes }, 'clip pushed');
  }

  /** One pushed chunk, timed from publish to PUBACK; none (0 bytes) when the outbox filled or the link went down meanwhile. */
  private async pushChunk(event: string, clip: StoredClip, offset: number, bytes: number): Promise<{ result: number; length: number; wireBytes: number; busyMs: number }> {
    const chunk = await this.readChunk(event, clip, offset, bytes);
    const { connected, outboxDepth } = this.deps.link.state();
    if (!connected || outboxDepth > 0 || this.pulled.has(event)) return { result: 0, length: 0, wireBytes: 0, busyMs: 0 };
    const t0 = this.deps.clock.monotonicMs();
    await this.deps.link.publishClipChunk(chunk);
    return { result: chunk.length, length: chunk.length, wireBytes: wireBytesOf(chunk.length), busyMs: this.deps.clock.monotonicMs() - t0 };
  }

  /** Clips are the lowest priority: a chunk waits until alerts, health, events and thumbnails have gone. */
  private async idleLink(): Promise<void> {
    const deadline = this.deps.clock.monotonicMs() + IDLE_WAIT_MS;
    while (this.deps.link.state().outboxDepth > 0) {
      if (this.deps.clock.monotonicMs() >= deadline) throw new CommandError('busy', 'the outbox is still sending alerts and events; ask for this chunk again later');
      await this.deps.clock.sleep(50);
    }
  }
}
