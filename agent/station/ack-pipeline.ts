/**
 * Group commit between the broker and the store. mqtt.js hands over one message at a time, reads
 * the next only once the previous one's handler calls back, and sends the PUBACK at that moment:
 * waiting there for each message's own commit made ingest strictly serial (one commit, one fsync,
 * per message) and left a PINGRESP queued behind a backlog until the keepalive gave up.
 *
 * Here the handler returns at once and the acknowledgement is held: the messages that arrive while
 * one batch is being committed form the next batch, committed in one transaction, and their
 * acknowledgements go out only after that commit, in the order the messages came (MQTT requires that
 * order). A message is still durable before its PUBACK. What waits is bounded: the broker sends at
 * most the console's receive maximum unacknowledged, and beyond `limit` mqtt.js is held (reading stops).
 */
import type { Delivery, StationMessage } from './messages.js';
import { SerialDrain } from '../core/serial-drain.js';

export interface Incoming {
  message: StationMessage;
  delivery: Delivery;
}

/** Stores a batch durably (one commit); rejects only when the console is stopping. */
export type BatchSink = (batch: readonly Incoming[]) => Promise<void>;

interface Waiting {
  /** Absent for a message that is not stored (invalid): it is acknowledged in its turn all the same. */
  item: Incoming | undefined;
  /** Sends its acknowledgement (absent for QoS 0). */
  ack: (() => void) | undefined;
}

/** Messages committed together at most. */
export const MAX_BATCH = 100;
/** Messages waiting at most before reading from the broker pauses. */
export const MAX_WAITING = 2000;

export class AckPipeline {
  private queue: Waiting[] = [];
  private readonly held: (() => void)[] = [];
  private readonly draining = new SerialDrain(() => this.drain());
  private stopped = false;

  constructor(private readonly sink: BatchSink, private readonly limit = MAX_WAITING) {}

  /**
   * Queues one message. `next` lets mqtt.js read on: at once, or once there is room again. Without
   * `next` (a QoS 2 message: mqtt.js has no way to hold its PUBCOMP) the message's `ack` is what
   * lets it read on.
   */
  push(item: Incoming | undefined, ack: (() => void) | undefined, next?: () => void): void {
    if (this.stopped) return;
    this.queue.push({ item, ack });
    if (next !== undefined) {
      if (this.queue.length < this.limit) next();
      else this.held.push(next);
    }
    this.draining.kick();
  }

  waiting(): number {
    return this.queue.length;
  }

  /** Resolves once everything queued so far is stored and acknowledged (or dropped by `stop`). */
  async idle(): Promise<void> {
    await this.draining.idle();
  }

  /** Drops what waits, unacknowledged: the broker delivers it again. */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.held.length = 0;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      // Let mqtt.js parse what has arrived meanwhile (and answer a PINGRESP): it joins this batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.queue.splice(0, MAX_BATCH);
      const items = batch.flatMap((w) => (w.item === undefined ? [] : [w.item]));
      try {
        if (items.length > 0) await this.sink(items);
      } catch {
        // Stopping: nothing of this batch is acknowledged.
        this.stop();
        return;
      }
      if (this.stopped) return;
      for (const waiting of batch) waiting.ack?.();
      while (this.held.length > 0 && this.queue.length < this.limit) this.held.shift()!();
    }
  }
}
