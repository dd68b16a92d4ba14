/**
 * Consoles taking over each other's broker sessions, decided on the real PostgreSQL by session
 * advisory locks (the broker side is faked here; station-cluster.test.ts runs it with real consoles).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { systemClock } from '../../../../agent/ports/clock.js';
import { migrate } from '../../../../agent/station/store/migrate.js';
import { SessionKeeper } from '../../../../agent/station/store/console-sessions.js';
import type { AdoptedSession } from '../../../../agent/station/subscriber.js';
import { waitFor } from '../../../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/postgres.js';

const BOUND_MS = 10_000;

/** A stand-in for the broker: which sessions exist, and a handle to close an adopted one (as a returning console would). */
class FakeBroker {
  readonly sessions = new Set<string>();
  readonly adoptions: string[] = [];
  readonly ended: string[] = [];
  private readonly open = new Map<string, () => void>();

  adopt(id: string): Promise<AdoptedSession | null> {
    this.adoptions.push(id);
    if (!this.sessions.has(id)) return Promise.resolve(null);
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    this.open.set(id, close);
    return Promise.resolve({ closed, end: async () => { this.ended.push(id); close(); await closed; } });
  }

  /** The console `id` connects under its own id: the broker closes the adopter's connection. */
  handBack(id: string): void {
    this.open.get(id)?.();
    this.open.delete(id);
  }
}

describe('SessionKeeper on PostgreSQL', () => {
  let db: TestDatabase | undefined;
  const keepers: SessionKeeper[] = [];

  afterEach(async () => {
    for (const keeper of keepers.splice(0)) await keeper.stop();
    await db?.drop();
    db = undefined;
  });

  /** Until this database shows `n` advisory locks held (pg_locks is the whole server's), bounded. */
  const untilLocks = async (n: number) => {
    const held = async () => (await db!.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows[0]!.n;
    for (let i = 0; i < 100 && await held() !== n; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await held()).toBe(n);
  };

  const keeper = async (clientId: string, broker: FakeBroker) => {
    const k = new SessionKeeper({ url: db!.url, clientId, shareGroup: 'desks', adopt: (id) => broker.adopt(id), clock: systemClock, logger: silentLogger() });
    keepers.push(k);
    await k.start();
    return k;
  };

  it('takes over a gone console\'s session, hands it back when it returns, and never takes a live one', async () => {
    db = await createTestDatabase();
    await migrate(db.url, silentLogger());
    const broker = new FakeBroker();
    broker.sessions.add('desk-a');
    const a = await keeper('desk-a', broker);
    const b = await keeper('desk-b', broker);
    // Both alive: over three looks, neither takes the other's session.
    await new Promise((r) => setTimeout(r, 3000));
    expect(broker.adoptions).toEqual([]);

    // desk-a goes away (its lock connection closes): desk-b holds its session within two looks.
    await a.stop();
    keepers.splice(keepers.indexOf(a), 1);
    await waitFor(() => b.holding().includes('desk-a'), BOUND_MS, 'desk-b to take over desk-a\'s session');
    expect(broker.adoptions).toEqual(['desk-a']);

    // desk-a comes back: it connects under its id (the broker closes desk-b's connection), and gets its lock.
    const back = await keeper('desk-a', broker);
    broker.handBack('desk-a');
    await waitFor(() => !b.holding().includes('desk-a'), BOUND_MS, 'desk-b to let the session go');
    await untilLocks(2);
    await new Promise((r) => setTimeout(r, 2500));
    expect(broker.adoptions).toEqual(['desk-a']);
    expect(back.holding()).toEqual([]);
  }, 30_000);

  it('leaves a gone console without a broker session alone, and lets sessions go when its own database connection drops', async () => {
    db = await createTestDatabase();
    await migrate(db.url, silentLogger());
    const broker = new FakeBroker();
    broker.sessions.add('desk-a');
    const gone = await keeper('desk-c', broker);
    await keeper('desk-a', broker);
    await gone.stop();
    keepers.splice(keepers.indexOf(gone), 1);
    const a = keepers[0]!;
    const b = await keeper('desk-b', broker);
    // desk-c has no session at the broker: asked once by each console that looked, not again.
    await waitFor(() => broker.adoptions.filter((id) => id === 'desk-c').length >= 2, BOUND_MS, 'both consoles to look at desk-c');
    await new Promise((r) => setTimeout(r, 3000));
    expect(broker.adoptions.filter((id) => id === 'desk-c')).toHaveLength(2);

    // desk-a's lock connection is cut by the server: it takes its lock again, nobody takes its session.
    const cut = await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'minwang-console/desk-a'`);
    expect(cut.rowCount).toBe(1);
    await new Promise((r) => setTimeout(r, 3000));
    expect(b.holding()).toEqual([]);
    expect(a.holding()).toEqual([]);
    expect(broker.adoptions.filter((id) => id === 'desk-a')).toEqual([]);
    await untilLocks(2);
  }, 30_000);
});
