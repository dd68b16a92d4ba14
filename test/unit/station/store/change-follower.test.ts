import { describe, expect, it } from 'vitest';
import { ChangeFollower } from '../../../../agent/station/store/change-follower.js';
import type { StoreChange } from '../../../../agent/station/store/store.js';

describe('ChangeFollower (other consoles\' changes read back one at a time)', () => {
  it('reads one change at a time and coalesces changes to one entry that arrive meanwhile', async () => {
    const reads: string[] = [];
    let running = 0;
    let most = 0;
    const follower = new ChangeFollower(async (change) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      reads.push(change.kind === 'resync' ? 'resync' : `${change.kind}:${change.key}`);
      running--;
    });
    follower.put({ kind: 'alert', key: 'h/e1', seq: 1 });
    follower.put({ kind: 'alert', key: 'h/e2', seq: 2 });
    follower.put({ kind: 'thumbnail', key: 'h/e2' });
    follower.put({ kind: 'alert', key: 'h/e2', seq: 3 });
    await follower.idle();
    expect(reads).toEqual(['alert:h/e1', 'thumbnail:h/e2', 'alert:h/e2']);
    expect(most).toBe(1);
  });

  it('reads the events waiting together, in one read, and everything else one by one', async () => {
    const reads: string[] = [];
    const follower = new ChangeFollower(async (change) => {
      await new Promise((r) => setImmediate(r));
      reads.push(change.kind === 'resync' ? 'resync' : `${change.kind}:${change.key}`);
    }, async (keys) => {
      await new Promise((r) => setImmediate(r));
      reads.push(`alerts:${keys.join(',')}`);
    });
    follower.put({ kind: 'alert', key: 'h/e1', seq: 1 });
    follower.put({ kind: 'alert', key: 'h/e2', seq: 2 });
    follower.put({ kind: 'health', key: 'h/x' });
    follower.put({ kind: 'alert', key: 'h/e3', seq: 3 });
    follower.put({ kind: 'alert', key: 'h/e1', seq: 4 });
    await follower.idle();
    expect(reads).toEqual(['alerts:h/e1', 'alerts:h/e2,h/e3,h/e1', 'health:h/x']);
  });

  it('gives up the waiting entries for one reload when told to resync', async () => {
    const reads: StoreChange['kind'][] = [];
    const follower = new ChangeFollower((change) => {
      reads.push(change.kind);
      return new Promise((r) => setImmediate(r));
    });
    follower.put({ kind: 'alert', key: 'h/e1' });
    follower.put({ kind: 'health', key: 'h/x' });
    follower.put({ kind: 'resync' });
    await follower.idle();
    expect(reads).toEqual(['alert', 'resync']);
  });

  it('drops what waits when stopped', async () => {
    const reads: string[] = [];
    const follower = new ChangeFollower((change) => {
      reads.push(change.kind);
      return new Promise((r) => setImmediate(r));
    });
    for (let i = 0; i < 10; i++) follower.put({ kind: 'alert', key: `h/e${i}` });
    await follower.stop();
    expect(reads).toEqual(['alert']);
  });
});
