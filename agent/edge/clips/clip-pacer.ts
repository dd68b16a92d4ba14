import type { Clock } from '../../ports/clock.js';

/** The longest a chunk waits for its turn: the station's answer timeout (30 s) must not run out. */
export const MAX_PACE_WAIT_MS = 15_000;
/** An answer the station continues later than this is not counted as the uplink's time (the station paused). */
const MAX_MEASURED_MS = 30_000;
/** The longest the next chunk waits for the broker's acknowledgement of a pulled answer (a lost one must not stop clips). */
export const MAX_ACK_WAIT_MS = 5000;
/** Weight of the newest measurement in the uplink's time per byte. */
const EWMA = 0.3;

interface Sent {
  event: string;
  /** Where the next chunk of this clip starts: a request for it means the station has this one. */
  next: number;
  /** Bytes the answer took on the wire (JSON, base64). */
  wireBytes: number;
  at: number;
}

/**
 * Keeps clip bytes to `share` of the uplink's time, so that an alert finds the uplink free
 * most of the time instead of behind a chunk (docs/clips.md, "Never ahead of an alert").
 *
 * The uplink's time of a chunk is measured from its publish to the broker's PUBACK (a push, and a
 * pulled answer when the link reports its answers' acknowledgements, `answered`): the broker
 * acknowledges once the whole chunk has crossed the uplink. Without that report, a pulled answer
 * counts from the moment it was handed to the link to the station's request for the next chunk
 * of the same clip (the station asks only once it has the answer: the uplink plus round trips, an
 * over-estimate, which only paces more). After a chunk that took `t`, the next one waits
 * `t × (1 / share − 1)`: the uplink is idle that long. An answer measured neither way is paced by
 * the measured time per byte. `share` 1 turns pacing off. One chunk at a time: the next waits for
 * the previous one's acknowledgement (at most 5 s), and chunks for several stations (and a push) queue.
 */
export class ClipPacer {
  private freeAt = 0;
  private msPerByte: number | undefined;
  private last: Sent | undefined;
  private lane: Promise<void> = Promise.resolve();
  /** A pulled answer handed to the link whose acknowledgement has not come yet: resolves it. */
  private pendingAck: (() => void) | undefined;
  private acked: Promise<void> = Promise.resolve();

  /** `answerAcks`: the link reports when pulled answers are acknowledged (`answered`). */
  constructor(private readonly clock: Pick<Clock, 'monotonicMs' | 'sleep'>, private readonly share: number, private readonly answerAcks = false) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`clips.uplinkShare must be above 0 and at most 1, not ${share}`);
  }

  /**
   * Runs `send` when the uplink's share allows: one at a time, after the previous chunk's idle
   * time. `send` returns the clip bytes it sent (`length`), the bytes it handed to the link
   * (`wireBytes`) and, when it knows it (a PUBACK), the milliseconds they took to leave.
   */
  async turn<T>(request: { event: string; offset: number }, send: () => Promise<{ result: T; length: number; wireBytes: number; busyMs?: number | undefined }>, signal?: AbortSignal): Promise<T> {
    const previous = this.lane;
    let release = () => undefined as void;
    this.lane = new Promise<void>((resolve) => { release = resolve; });
    try {
      await previous;
      await this.ackOfLast(signal);
      this.continued(request);
      const wait = Math.min(MAX_PACE_WAIT_MS, this.freeAt - this.clock.monotonicMs());
      if (wait > 0 && this.share < 1) await this.clock.sleep(wait, signal);
      const { result, length, wireBytes, busyMs } = await send();
      this.sent(request, length, wireBytes, busyMs);
      return result;
    } finally {
      release();
    }
  }

  /** The link's report on the last pulled answer: `ms` from publish to PUBACK, undefined when it was not sent. */
  answered(wireBytes: number, ms: number | undefined): void {
    if (ms !== undefined) {
      this.measured(wireBytes, ms);
      this.freeAt = this.clock.monotonicMs() + this.idleAfter(ms);
      this.last = undefined;
    }
    this.pendingAck?.();
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

  /** Milliseconds of uplink per byte of clip, as last measured (undefined before a measurement). */
  uplinkMsPerByte(): number | undefined {
    return this.msPerByte;
  }

  /** A request for the chunk after the last one sent: that one has crossed; pace from now by what it took. */
  private continued(request: { event: string; offset: number }): void {
    const last = this.last;
    if (last === undefined || last.event !== request.event || last.next !== request.offset) return;
    this.last = undefined;
    const now = this.clock.monotonicMs();
    const took = now - last.at;
    if (took > MAX_MEASURED_MS) return;
    this.measured(last.wireBytes, took);
    this.freeAt = now + this.idleAfter(took);
  }

  private sent(request: { event: string; offset: number }, length: number, wireBytes: number, busyMs: number | undefined): void {
    const now = this.clock.monotonicMs();
    if (busyMs !== undefined) {
      this.measured(wireBytes, busyMs);
      this.freeAt = now + this.idleAfter(busyMs);
      this.last = undefined;
      return;
    }
    // A pulled answer: until the station asks for the next chunk, assume the measured rate.
    const expected = wireBytes * (this.msPerByte ?? 0);
    this.freeAt = now + expected + this.idleAfter(expected);
    if (this.answerAcks) this.acked = new Promise<void>((resolve) => { this.pendingAck = resolve; });
    else this.last = { event: request.event, next: request.offset + length, wireBytes, at: now };
  }

  private measured(bytes: number, ms: number): void {
    if (bytes <= 0) return;
    const perByte = ms / bytes;
    this.msPerByte = this.msPerByte === undefined ? perByte : this.msPerByte + EWMA * (perByte - this.msPerByte);
  }

  private idleAfter(busyMs: number): number {
    return Math.min(MAX_PACE_WAIT_MS, busyMs * (1 / this.share - 1));
  }
}
