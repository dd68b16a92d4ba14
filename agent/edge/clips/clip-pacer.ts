import type { Clock } from '../../ports/clock.js';
import { UplinkEstimate } from './uplink-estimate.js';

/** The longest a chunk waits for its turn: the station's answer timeout (30 s) must not run out. */
export const MAX_PACE_WAIT_MS = 15_000;
/** An answer the station continues later than this is not counted as the uplink's time (the station paused). */
const MAX_MEASURED_MS = 30_000;
/** The longest the next chunk waits for the broker's acknowledgement of a pulled answer (a lost one must not stop clips). */
export const MAX_ACK_WAIT_MS = 5000;
/** Weight of the newest measurement in the station's time to ask for the next chunk. */
const EWMA = 0.3;
/**
 * How long one chunk may hold the uplink by default (`clips.chunkTime`): an alert that meets a chunk
 * on the wire waits at most this long (an MQTT message cannot be interrupted). docs/clips.md, Measured.
 */
export const CHUNK_TIME_MS = 5;
/** The smallest chunk (the contract's smallest `chunkBytes`): below it the answer's envelope outweighs the clip. */
export const MIN_CHUNK_BYTES = 1024;
/** While the chunks' sizes are too close to fit a fixed delay, one chunk in this many is twice the wire bytes (a probe). */
export const PROBE_EVERY = 8;
/** An answer's JSON beside its base64: event id, sha256s, sizes, the response envelope. */
export const ANSWER_OVERHEAD = 400;

/** Bytes an answer or push carrying `clipBytes` of clip takes on the wire (base64 and the JSON around it). */
export function wireBytesOf(clipBytes: number): number {
  return Math.ceil(clipBytes / 3) * 4 + ANSWER_OVERHEAD;
}

/** Clip bytes an answer of `wireBytes` on the wire carries (the inverse of `wireBytesOf`, rounded down). */
function clipBytesIn(wireBytes: number): number {
  return Math.floor(((wireBytes - ANSWER_OVERHEAD) * 3) / 4);
}

interface Sent {
  event: string;
  /** Where the next chunk of this clip starts: a request for it means the station has this one. */
  next: number;
  /** Bytes the answer took on the wire (JSON, base64). */
  wireBytes: number;
  at: number;
  /** When the broker acknowledged it (with the link's acknowledgements). */
  ackedAt?: number;
}

/**
 * Keeps clip bytes to `share` of the uplink's time, and each chunk short on the wire, so that an
 * alert finds the uplink free most of the time, and waits only a few milliseconds when it does not
 * (docs/clips.md, "Never ahead of an alert").
 *
 * The uplink's time of a chunk is measured from its publish to the broker's PUBACK (a push, and a
 * pulled answer when the link reports its answers' acknowledgements, `answered`): the broker
 * acknowledges once the whole chunk has crossed the uplink. The round trip (`roundTrip`: the
 * link's small QoS 1 publishes) is taken off that time (`UplinkEstimate`): what is left is the
 * chunk's time on the wire, `w`. Without the link's report, a pulled answer counts from the moment
 * it was handed to the link to the station's request for the next chunk of the same clip (the
 * uplink plus round trips, an over-estimate, which only paces more). After a chunk that held the
 * wire `w`, the next one waits `w × (1 / share − 1)`: the uplink is idle that long. An answer
 * measured neither way is paced by the measured time per byte. `share` 1 turns pacing off. One
 * chunk at a time: the next waits for the previous one's acknowledgement (at most 5 s), and
 * chunks for several stations (and a push) queue.
 *
 * Chunk size (`chunkBytes`): what the measured rate carries in `chunkTimeMs` (a few ms), never more
 * than was asked nor less than 1 KiB; the first chunk, before any measurement, is 1 KiB. The rate
 * comes from a fit of the chunks' times to a fixed delay plus a time per byte (`UplinkEstimate`):
 * a delay every chunk has whatever its size (a broker holding a packet for a delayed ACK) is not
 * wire time. A fit needs chunks of different sizes: while they are too close, one chunk in 8 is
 * twice the wire bytes (at most what was asked). When a chunk's fixed delay and round trips (for a
 * pulled one the station's time to ask for the next) are longer than the idle time pacing wants,
 * chunks grow until the idle time covers them, so small chunks do not slow clips below their share
 * on a link with a long round trip.
 */
export class ClipPacer {
  private freeAt = 0;
  private readonly uplink = new UplinkEstimate();
  /** Milliseconds from a pulled answer's acknowledgement to the station's request for the next chunk (EWMA). */
  private askMs: number | undefined;
  private last: Sent | undefined;
  private lane: Promise<void> = Promise.resolve();
  /** A pulled answer handed to the link whose acknowledgement has not come yet: resolves it. */
  private pendingAck: (() => void) | undefined;
  private acked: Promise<void> = Promise.resolve();
  /** Chunks sent since the last probe (a chunk larger than the measured rate wants, for the fit). */
  private sinceProbe = PROBE_EVERY;

  /**
   * `answerAcks`: the link reports when pulled answers are acknowledged (`answered`).
   * `chunkTimeMs`: how long one chunk may hold the uplink (`clips.chunkTime`).
   */
  constructor(
    private readonly clock: Pick<Clock, 'monotonicMs' | 'sleep'>, private readonly share: number,
    private readonly answerAcks = false, private readonly chunkTimeMs = CHUNK_TIME_MS,
  ) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`clips.uplinkShare must be above 0 and at most 1, not ${share}`);
    if (!(chunkTimeMs > 0)) throw new RangeError(`clips.chunkTime must be above 0, not ${chunkTimeMs}`);
  }

  /**
   * Runs `send` when the uplink's share allows: one at a time, after the previous chunk's idle
   * time, with the clip bytes it may send (`chunkBytes` of the `asked`). `send` returns the clip
   * bytes it sent (`length`), the bytes it handed to the link (`wireBytes`) and, when it knows it
   * (a PUBACK), the milliseconds they took to leave.
   */
  async turn<T>(
    request: { event: string; offset: number; asked: number },
    send: (chunkBytes: number) => Promise<{ result: T; length: number; wireBytes: number; busyMs?: number | undefined }>,
    signal?: AbortSignal,
  ): Promise<T> {
    const arrivedAt = this.clock.monotonicMs();
    const previous = this.lane;
    let release = () => undefined as void;
    this.lane = new Promise<void>((resolve) => { release = resolve; });
    try {
      await previous;
      await this.ackOfLast(signal);
      this.continued(request, arrivedAt);
      const wait = Math.min(MAX_PACE_WAIT_MS, this.freeAt - this.clock.monotonicMs());
      if (wait > 0 && this.share < 1) await this.clock.sleep(wait, signal);
      const { result, length, wireBytes, busyMs } = await send(this.nextChunkBytes(request.asked));
      this.sent(request, length, wireBytes, busyMs);
      return result;
    } finally {
      release();
    }
  }

  /** The link's report on the last pulled answer: `ms` from publish to PUBACK, undefined when it was not sent. */
  answered(wireBytes: number, ms: number | undefined): void {
    if (ms !== undefined) {
      const now = this.clock.monotonicMs();
      this.freeAt = now + this.idleAfter(this.uplink.chunk(ms, wireBytes));
      if (this.last !== undefined) this.last.ackedAt = now;
    }
    this.pendingAck?.();
  }

  /** A small message the link published and the broker acknowledged after `ms`: the uplink's round trip. */
  roundTrip(ms: number, wireBytes: number): void {
    this.uplink.roundTrip(ms, wireBytes);
  }

  /**
   * Clip bytes of the next chunk for a station (or push) that asked for `asked`: what the uplink
   * carries in the chunk's time at the measured rate, between 1 KiB and `asked`.
   */
  chunkBytes(asked: number): number {
    if (this.share >= 1) return asked;
    const wire = this.uplink.bytesIn(this.chunkMs());
    if (wire === undefined) return Math.min(asked, MIN_CHUNK_BYTES);
    return Math.min(asked, Math.max(MIN_CHUNK_BYTES, clipBytesIn(wire)));
  }

  /** `chunkBytes`, or twice its wire bytes (at most `asked`) when the fit needs another size and no probe went for 8 chunks. */
  private nextChunkBytes(asked: number): number {
    const bytes = this.chunkBytes(asked);
    this.sinceProbe++;
    if (this.share >= 1 || bytes >= asked || !this.uplink.needsSpread() || this.sinceProbe < PROBE_EVERY) return bytes;
    this.sinceProbe = 0;
    return Math.min(asked, clipBytesIn(2 * wireBytesOf(bytes)));
  }

  /**
   * How long a chunk may hold the wire: `chunkTimeMs`, or longer when every chunk waits for round
   * trips `r` (its fixed delay, at least the round trip, and the station's time to ask) longer than
   * the idle time it earns: at `w = r × share / (1 − share)` the idle time `w × (1 / share − 1)` is
   * `r`, so the round trips no longer keep clips under their share.
   */
  private chunkMs(): number {
    const roundTrips = this.uplink.fixedMs() + (this.askMs ?? 0);
    return Math.max(this.chunkTimeMs, (roundTrips * this.share) / (1 - this.share));
  }

  private async ackOfLast(signal?: AbortSignal): Promise<void> {
    if (this.pendingAck === undefined) return;
    const gaveUp = new AbortController();
    const onAbort = () => gaveUp.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    await Promise.race([this.acked, this.clock.sleep(MAX_ACK_WAIT_MS, gaveUp.signal).catch(() => undefined)]);
    gaveUp.abort();
    signal?.removeEventListener('abort', onAbort);
    this.pendingAck = undefined;
  }

  /** Milliseconds of uplink per wire byte, as last measured (undefined before a measurement). */
  uplinkMsPerByte(): number | undefined {
    return this.uplink.msPerByte();
  }

  /** The uplink's round trip as measured (0 before a small message was timed). */
  uplinkRoundTripMs(): number {
    return this.uplink.roundTripMs();
  }

  /** What every chunk takes whatever its size (the fit's fixed delay, at least the round trip). */
  uplinkFixedMs(): number {
    return this.uplink.fixedMs();
  }

  /**
   * A request (arrived at `arrivedAt`) for the chunk after the last one sent: that one has crossed.
   * Acknowledged: how long the station took to ask. Not: pace from now by what it took.
   */
  private continued(request: { event: string; offset: number }, arrivedAt: number): void {
    const last = this.last;
    if (last === undefined || last.event !== request.event || last.next !== request.offset) return;
    this.last = undefined;
    if (this.answerAcks) {
      const ask = last.ackedAt === undefined ? undefined : Math.max(0, arrivedAt - last.ackedAt);
      if (ask !== undefined && ask <= MAX_MEASURED_MS) this.askMs = this.askMs === undefined ? ask : this.askMs + EWMA * (ask - this.askMs);
      return;
    }
    const now = this.clock.monotonicMs();
    const took = now - last.at;
    if (took > MAX_MEASURED_MS) return;
    this.freeAt = now + this.idleAfter(this.uplink.chunk(took, last.wireBytes));
  }

  private sent(request: { event: string; offset: number }, length: number, wireBytes: number, busyMs: number | undefined): void {
    const now = this.clock.monotonicMs();
    if (busyMs !== undefined) {
      if (wireBytes > 0) this.freeAt = now + this.idleAfter(this.uplink.chunk(busyMs, wireBytes));
      this.last = undefined;
      return;
    }
    // A pulled answer: until it is acknowledged (or the station asks for the next chunk), assume the measured rate.
    const expected = wireBytes * (this.uplink.msPerByte() ?? 0);
    this.freeAt = now + expected + this.idleAfter(expected);
    this.last = { event: request.event, next: request.offset + length, wireBytes, at: now };
    if (this.answerAcks) this.acked = new Promise<void>((resolve) => { this.pendingAck = resolve; });
  }

  private idleAfter(busyMs: number): number {
    return Math.min(MAX_PACE_WAIT_MS, busyMs * (1 / this.share - 1));
  }
}
