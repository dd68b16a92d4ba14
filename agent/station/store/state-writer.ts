/**
 * Retained host state (status, heartbeat, camera status, model) goes to the store off the ingest
 * path: the broker keeps the newest copy anyway, so nothing waits for these writes, and copies of
 * one topic that arrive while an earlier write is running are coalesced into the newest. A console
 * subscribing to hundreds of hosts' retained topics does not hold back their events meanwhile.
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Delivery, StationMessage } from '../messages.js';
import { SerialDrain } from '../../core/serial-drain.js';

/** Topics waiting at most: beyond it a new topic's copy is dropped (its next copy comes in seconds). */
const MAX_PENDING = 100_000;

export class StateWriter {
  private readonly pending = new Map<string, { message: StationMessage; delivery: Delivery }>();
  private readonly draining = new SerialDrain(() => this.drain());
  private dropped = 0;

  constructor(private readonly write: (message: StationMessage, delivery: Delivery) => Promise<unknown>, private readonly logger: Logger) {}

  /** True for the kinds this writer takes (everything else must be stored before its PUBACK). */
  static takes(message: StationMessage): boolean {
    return message.kind === 'status' || message.kind === 'heartbeat' || message.kind === 'cameraStatus' || message.kind === 'model';
  }

  put(message: StationMessage, delivery: Delivery): void {
    const key = message.kind === 'cameraStatus' ? `${message.kind}/${message.host}/${message.camera}` : `${message.kind}/${message.host}`;
    if (!this.pending.has(key) && this.pending.size >= MAX_PENDING) {
      if (this.dropped++ % 1000 === 0) this.logger.warn({ dropped: this.dropped }, 'too much host state waiting for the database; dropping copies');
      return;
    }
    this.pending.set(key, { message, delivery });
    this.draining.kick();
  }

  /** Resolves when everything put so far has been written (or failed). */
  async idle(): Promise<void> {
    await this.draining.idle();
  }

  /** Drops what waits (the broker keeps it) and resolves when the write under way is done. */
  async stop(): Promise<void> {
    this.pending.clear();
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let next = this.take(); next !== undefined; next = this.take()) {
      try {
        await this.write(next.message, next.delivery);
      } catch (err) {
        // The broker still holds the newest copy; the host's next one is written again.
        this.logger.warn({ err: errorMessage(err), kind: next.message.kind, host: next.message.host }, 'could not store host state');
      }
    }
  }

  private take(): { message: StationMessage; delivery: Delivery } | undefined {
    const first = this.pending.entries().next();
    if (first.done === true) return undefined;
    this.pending.delete(first.value[0]);
    return first.value[1];
  }
}
