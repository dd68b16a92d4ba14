/**
 * Consoles sharing the event streams (`--share` with `--client-id`, on PostgreSQL) take over each
 * other's broker sessions. Mosquitto keeps routing a share of every stream to a console's persistent
 * session while that console is down, and holds it there (with what the console had not yet
 * acknowledged) until a client with its id connects: a console killed at night kept its desk's
 * share from every page until someone restarted it.
 *
 * Each console holds a PostgreSQL session-level advisory lock on its own client id, on a connection
 * of its own, for as long as it lives; the database drops the lock the moment that connection dies
 * (a killed process closes its socket; a machine that loses power is found by TCP keep-alives,
 * about 25 s). Every second each console looks at the locks of the other consoles of its group
 * (table `consoles`). A lock found free on three looks in a row is a console that is gone: the first console
 * to take it connects under that id and stores what the session holds (`StationSubscriber.adopt`).
 * When the console comes back under its id, the broker hands the session back to it, the adopter's
 * connection closes, and the lock is let go for its owner, which tries for it every quarter second.
 */
import pg from 'pg';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { AdoptedSession } from '../subscriber.js';

export interface SessionKeeperDeps {
  url: string;
  clientId: string;
  shareGroup: string;
  /** Connects under another console's id; null when the broker holds no session for it. */
  adopt: (clientId: string) => Promise<AdoptedSession | null>;
  clock: Clock;
  logger: Logger;
}

/** Between looks at the other consoles' locks. */
export const POLL_MS = 1000;
/** Looks in a row that must find a console's lock free before its session is taken over (about 2-3 s). */
const FREE_LOOKS = 3;
/** Between a console's own tries for its lock while another console still holds it. */
const OWN_RETRY_MS = 250;
/** A console not seen for this long is forgotten (its broker session has expired by then). */
const FORGET_AFTER_S = 24 * 3600;
/** How often a console marks itself seen. */
const SEEN_EVERY_MS = 60_000;

const KEY = `hashtextextended('minwang-console/' || $1, 0)`;
const LOCK = `pg_try_advisory_lock(${KEY})`;
const UNLOCK = `pg_advisory_unlock(${KEY})`;
/**
 * Whether no console holds the lock, asked with a shared lock taken and let go at once: two consoles
 * looking at the same lock at the same moment do not take each other's look for a console alive.
 */
const FREE = `CASE WHEN pg_try_advisory_lock_shared(${KEY}) THEN pg_advisory_unlock_shared(${KEY}) ELSE false END`;

export class SessionKeeper implements Module {
  readonly name = 'console-sessions';
  private client: pg.Client | undefined;
  private ownLock = false;
  private readonly adopted = new Map<string, AdoptedSession>();
  /** How many looks in a row found each lock free: taken over at FREE_LOOKS. */
  private readonly freeLooks = new Map<string, number>();
  /** Gone consoles the broker had no session for: left alone until one is seen holding its lock again. */
  private readonly empty = new Set<string>();
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private lastSeenMark = Number.NEGATIVE_INFINITY;
  private stopping = false;

  constructor(private readonly deps: SessionKeeperDeps) {}

  /** Registers this console and tries its own lock once; the rest happens on the timer. */
  async start(): Promise<void> {
    await this.look();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    await this.running;
    await Promise.all([...this.adopted.values()].map((s) => s.end().catch(() => undefined)));
    this.adopted.clear();
    // Ending the connection lets every lock it held go.
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  /** The consoles whose sessions this one holds now. */
  holding(): string[] {
    return [...this.adopted.keys()];
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.running = this.look().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.ownLock ? POLL_MS : OWN_RETRY_MS);
  }

  private async look(): Promise<void> {
    const { clientId, logger } = this.deps;
    try {
      const client = this.client ?? await this.connect();
      if (!this.ownLock) {
        this.ownLock = await this.tryLock(client, clientId);
        if (this.ownLock) logger.info({ clientId }, 'holding this console\'s session lock');
      }
      if (this.deps.clock.monotonicMs() - this.lastSeenMark >= SEEN_EVERY_MS) {
        await client.query(`INSERT INTO consoles (client_id, share_group, seen_at) VALUES ($1, $2, now())
          ON CONFLICT (client_id) DO UPDATE SET share_group = EXCLUDED.share_group, seen_at = EXCLUDED.seen_at`, [clientId, this.deps.shareGroup]);
        this.lastSeenMark = this.deps.clock.monotonicMs();
      }
      const peers = await client.query<{ client_id: string }>(`SELECT client_id FROM consoles
        WHERE share_group = $1 AND client_id <> $2 AND seen_at > now() - make_interval(secs => $3) ORDER BY client_id`, [this.deps.shareGroup, clientId, FORGET_AFTER_S]);
      for (const { client_id: peer } of peers.rows) {
        if (this.stopping || this.client !== client) return;
        if (!this.adopted.has(peer)) await this.lookAt(client, peer);
      }
    } catch (err) {
      if (!this.stopping) logger.warn({ err: errorMessage(err) }, 'could not look at the other consoles\' sessions; trying again');
    }
  }

  private async lookAt(client: pg.Client, peer: string): Promise<void> {
    const free = await client.query<{ free: boolean }>(`SELECT ${FREE} AS free`, [peer]);
    if (free.rows[0]?.free !== true) {
      this.freeLooks.delete(peer);
      this.empty.delete(peer);
      return;
    }
    const looks = (this.freeLooks.get(peer) ?? 0) + 1;
    this.freeLooks.set(peer, looks);
    if (this.empty.has(peer) || looks < FREE_LOOKS) return;
    // Another console may be looking at the same moment, or have just taken it over: the next look decides.
    if (!await this.tryLock(client, peer)) return;
    this.freeLooks.delete(peer);
    let session: AdoptedSession | null = null;
    try {
      session = await this.deps.adopt(peer);
    } finally {
      if (session === null) await client.query(`SELECT ${UNLOCK}`, [peer]);
    }
    if (session === null) {
      this.empty.add(peer);
      return;
    }
    this.adopted.set(peer, session);
    this.deps.logger.warn({ console: peer }, 'another console of the group is gone: holding its broker session until it is back');
    void session.closed.then(async () => {
      this.adopted.delete(peer);
      if (this.client === client && !this.stopping) await client.query(`SELECT ${UNLOCK}`, [peer]).catch(() => undefined);
      if (!this.stopping) this.deps.logger.info({ console: peer }, 'let the other console\'s session go');
    });
  }

  private async tryLock(client: pg.Client, id: string): Promise<boolean> {
    const result = await client.query<{ locked: boolean }>(`SELECT ${LOCK} AS locked`, [id]);
    return result.rows[0]?.locked === true;
  }

  /**
   * The connection that holds the locks. Losing it loses them all: this console lets the sessions
   * it held go (another console may take them now) and tries for its own lock again.
   */
  private async connect(): Promise<pg.Client> {
    // Named for whoever reads pg_stat_activity: which console's locks this connection holds.
    const client = new pg.Client({ connectionString: this.deps.url, keepAlive: true, application_name: `minwang-console/${this.deps.clientId}`.slice(0, 63) });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.ownLock = false;
      this.lastSeenMark = Number.NEGATIVE_INFINITY;
      if (this.stopping) return;
      this.deps.logger.warn({ err: err === undefined ? 'closed' : errorMessage(err) }, 'lost the database connection that holds the session locks');
      for (const session of this.adopted.values()) void session.end().catch(() => undefined);
      // Its own lock back before the others' looks find it free three times.
      if (this.running === undefined && this.timer !== undefined) {
        this.deps.clock.clearTimeout(this.timer);
        this.schedule();
      }
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      // The server's side of the keep-alive: a console whose machine lost power lets its lock go in about 25 s.
      await client.query('SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }
}
