/**
 * Follows the store's change notifications (every console's writes, PostgreSQL NOTIFY) into this
 * console's view. Changes are read back from the store one read at a time: at a hundred
 * messages a second a read per notification, all at once, would queue hundreds of queries ahead
 * of the ingest's own transactions, and one at a time, one query each, falls behind. So the events
 * waiting are read together, up to BATCH in one query. Changes to one entry that arrive while reads
 * are under way are coalesced (an event's start, updates and end: one read of its newest fold); past
 * a bound they are dropped for one reload of the whole view.
 */
import type { StoreChange } from './store.js';
import { SerialDrain } from '../../core/serial-drain.js';

/** Entries waiting at most before the follower gives up on them and reloads everything once. */
const MAX_PENDING = 50_000;
/** Events read back in one query at most. */
const BATCH = 500;

export class ChangeFollower {
  private readonly pending = new Map<string, StoreChange>();
  private resync = false;
  private readonly draining = new SerialDrain(() => this.drain());

  /** `read` applies one change, `readAlerts` several events at once (each handles its own errors). */
  constructor(private readonly read: (change: StoreChange) => Promise<void>, private readonly readAlerts?: (keys: string[]) => Promise<void>) {}

  put(change: StoreChange): void {
    if (change.kind === 'resync' || this.pending.size >= MAX_PENDING) {
      this.resync = true;
      this.pending.clear();
    } else {
      // Re-inserted: an entry changed again is read after the others that waited longer.
      const key = `${change.kind}/${change.key}`;
      this.pending.delete(key);
      this.pending.set(key, change);
    }
    this.draining.kick();
  }

  /** Resolves once every change put so far has been read. */
  async idle(): Promise<void> {
    await this.draining.idle();
  }

  /** Drops what waits and resolves when the read under way is done. */
  async stop(): Promise<void> {
    this.pending.clear();
    this.resync = false;
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.resync) {
        this.resync = false;
        await this.read({ kind: 'resync' });
        continue;
      }
      const first = this.pending.entries().next();
      if (first.done === true) return;
      if (first.value[1].kind === 'alert' && this.readAlerts !== undefined) {
        const keys: string[] = [];
        for (const [pendingKey, change] of this.pending) {
          if (change.kind !== 'alert') continue;
          this.pending.delete(pendingKey);
          keys.push(change.key);
          if (keys.length >= BATCH) break;
        }
        await this.readAlerts(keys);
        continue;
      }
      this.pending.delete(first.value[0]);
      await this.read(first.value[1]);
    }
  }
}
