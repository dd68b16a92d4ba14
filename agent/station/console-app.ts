/**
 * The station side put together: one subscriber feeding one state model, read by the terminal
 * console and/or the web console. With the web console, every message is written to the store
 * (SQLite or PostgreSQL) before the broker is acknowledged, and what other consoles store on the
 * same database comes back into this console's state. `minwang console` and tests build it here.
 */
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import { sleepWith, type Clock } from '../ports/clock.js';
import type { MqttConnector } from '../ports/mqtt.js';
import type { Incoming } from './ack-pipeline.js';
import { StationState } from './state.js';
import { trace, tracing } from './trace.js';
import { isPostgresUrl, openStore } from './store/open.js';
import { ChangeFollower } from './store/change-follower.js';
import { SessionKeeper } from './store/console-sessions.js';
import { StateWriter } from './store/state-writer.js';
import type { StationStore, StoreChange } from './store/store.js';
import { StationSubscriber, redact, type BrokerOptions } from './subscriber.js';
import { ClipFetcher } from './clip-fetcher.js';
import { ImageSaver } from './terminal/saver.js';
import { TerminalConsole, type TerminalMode, type TerminalOutput } from './terminal/terminal-console.js';
import { WebConsole, type WebConsoleOptions } from './web/server.js';
import { ClipShelf, DEFAULT_CLIP_BUDGET } from './web/clips.js';
import { LiveLook } from './web/look.js';
import { dirname, join } from 'node:path';

export interface ConsoleAppOptions {
  broker: BrokerOptions;
  staleAfterMs: number;
  /** Terminal output, or null when only the web console runs. */
  terminal: { mode: TerminalMode; out: TerminalOutput } | null;
  saveDir: string | null;
  /**
   * `db`: a SQLite file path or a postgres:// URL. `clipsDir`: where the event page's clips are kept
   * (default: `clips` beside a SQLite file; none for PostgreSQL), within `clipBudgetBytes`.
   */
  web: (WebConsoleOptions & { db: string; clipsDir?: string; clipBudgetBytes?: number }) | null;
}

export interface ConsoleAppPorts {
  clock: Clock;
  mqtt: MqttConnector;
  logger: Logger;
}

/** Alerts kept in memory (and by the SQLite engine). */
const FEED_LENGTH = 1000;
/** Thumbnails read back into memory at start. */
const THUMBNAIL_BUDGET_BYTES = 64 * 1024 * 1024;
/** Between attempts to store a message while the database is unreachable. */
const RETRY_MS = [250, 1000, 2000, 5000] as const;

export class ConsoleApp {
  readonly state: StationState;
  readonly subscriber: StationSubscriber;
  web: WebConsole | null = null;
  /** With `--save`: fetches the clip of every ended event that has one, beside the thumbnails. */
  readonly clips: ClipFetcher | null = null;
  private readonly outputs: Module[] = [];
  private store: StationStore | null = null;
  private unwatch: (() => void) | undefined;
  private follower: ChangeFollower | undefined;
  private stopping = false;
  private stateWriter: StateWriter | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: ConsoleAppOptions, private readonly ports: ConsoleAppPorts) {
    const { clock, logger } = ports;
    this.logger = logger;
    this.state = new StationState({ clock, staleAfterMs: options.staleAfterMs, maxAlerts: FEED_LENGTH });
    this.subscriber = new StationSubscriber({
      broker: options.broker, connect: ports.mqtt, state: this.state, clock, logger: logger.child({ module: 'station-subscriber' }),
      ...(options.web === null ? {} : { sink: (batch) => this.storeDurably(batch) }),
    });
    if (options.terminal !== null || options.saveDir !== null) {
      this.outputs.push(new TerminalConsole({
        mode: options.terminal?.mode ?? 'none',
        out: options.terminal?.out ?? { write: () => true },
        state: this.state,
        subscriber: this.subscriber,
        ...(options.saveDir === null ? {} : { saver: new ImageSaver(options.saveDir) }),
        clock,
        logger: logger.child({ module: 'terminal-console' }),
        url: redact(options.broker.url),
      }));
    }
    if (options.saveDir !== null) this.clips = this.clipFetcher(options.broker, options.saveDir, ports);
    if (tracing) {
      this.subscriber.onReceived((received) => {
        const m = received.parsed.ok ? received.parsed.message : undefined;
        if (m?.kind === 'event' && m.payload.type === 'new') trace('recv', `${m.host}/${m.payload.id}`);
      });
    }
  }

  private clipFetcher(broker: BrokerOptions, dir: string, ports: ConsoleAppPorts): ClipFetcher {
    const log = ports.logger.child({ module: 'clip-fetcher' });
    const clips = new ClipFetcher({ broker, connect: ports.mqtt, dir, clock: ports.clock, logger: log });
    this.outputs.push(clips);
    this.subscriber.onReceived((received) => {
      const m = received.parsed.ok ? received.parsed.message : undefined;
      if (m?.kind !== 'event' || m.payload.type !== 'end' || m.payload.clip === undefined) return;
      clips.fetch(m.host, m.payload.id, m.payload.clip, m.payload.alert).catch((err: unknown) => log.warn({ err: errorMessage(err), event: m.payload.id }, 'clip not fetched'));
    });
    return clips;
  }

  /** Opens the store (migrating a PostgreSQL database), restores its view and starts the outputs. */
  async startOutputs(): Promise<void> {
    const web = this.options.web;
    if (web !== null) {
      const store = await openStore(web.db, FEED_LENGTH, this.logger.child({ module: 'console-store', engine: isPostgresUrl(web.db) ? 'postgres' : 'sqlite' }));
      this.store = store;
      // Changes from the moment the view is read are queued, then applied on top of it.
      const early: StoreChange[] = [];
      let restoring = true;
      const follower = new ChangeFollower((change) => this.refresh(store, change), (keys) => this.refreshAlerts(store, keys));
      this.follower = follower;
      this.unwatch = store.watch((change) => (restoring ? early.push(change) : this.follow(follower, change)));
      const restored = await store.load({ alerts: FEED_LENGTH, thumbnailBytes: THUMBNAIL_BUDGET_BYTES });
      this.state.restore(restored.alerts, restored.thumbnails, restored.health, restored.seqs);
      restoring = false;
      for (const change of early) this.follow(follower, change);
      const clips = this.webClips(web);
      const look = new LiveLook({ broker: this.options.broker, connect: this.ports.mqtt, clock: this.ports.clock, logger: this.logger.child({ module: 'web-look' }) });
      this.web = new WebConsole(web, { state: this.state, subscriber: this.subscriber, store, clock: this.ports.clock, logger: this.logger.child({ module: 'web-console' }), look, ...(clips === null ? {} : { clips }) });
      this.outputs.unshift(this.web);
      this.outputs.push(look, ...(clips === null ? [] : [clips]));
      const keeper = this.sessionKeeper(web.db);
      // First among the outputs: this console's own session lock is tried before it connects.
      if (keeper !== null) this.outputs.unshift(keeper);
    }
    for (const output of this.outputs) await output.start();
  }

  /**
   * Consoles sharing the streams with persistent sessions on one PostgreSQL take over the broker
   * session of a console that is gone, so its share is stored without waiting for its restart.
   */
  private sessionKeeper(db: string): SessionKeeper | null {
    const { shareGroup, clientId } = this.options.broker;
    if (!isPostgresUrl(db) || shareGroup === undefined || clientId === undefined) return null;
    const logger = this.logger.child({ module: 'console-sessions' });
    return new SessionKeeper({ url: db, clientId, shareGroup, adopt: (id) => this.subscriber.adopt(id), clock: this.ports.clock, logger });
  }

  /** The web console's clips (fetched when an operator asks), beside its SQLite file unless placed elsewhere. */
  private webClips(web: NonNullable<ConsoleAppOptions['web']>): ClipShelf | null {
    const dir = web.clipsDir ?? (isPostgresUrl(web.db) || web.db === ':memory:' ? undefined : join(dirname(web.db), 'clips'));
    if (dir === undefined) return null;
    const { clock, mqtt, logger } = this.ports;
    return new ClipShelf({ broker: this.options.broker, connect: mqtt, dir, budgetBytes: web.clipBudgetBytes ?? DEFAULT_CLIP_BUDGET, clock, logger: logger.child({ module: 'web-clips' }) });
  }

  /** Connects and subscribes; rejects when the broker refuses (credentials, ACL). */
  connect(): Promise<void> {
    return this.subscriber.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscriber.stop();
    for (const output of [...this.outputs].reverse()) await output.stop();
    this.unwatch?.();
    await this.follower?.stop();
    await this.stateWriter?.stop();
    await this.store?.close();
  }

  /**
   * Events, thumbnails and health are stored before the broker is acknowledged, a batch of them in
   * one transaction. While the database is unreachable the batch is retried (ingest pauses; the
   * broker holds the rest); a stopping console gives up, unacknowledged. Retained host state goes
   * through the StateWriter instead.
   */
  private async storeDurably(batch: readonly Incoming[]): Promise<void> {
    const store = this.store;
    if (store === null) return;
    const durable: Incoming[] = [];
    for (const item of batch) {
      if (!StateWriter.takes(item.message)) {
        durable.push(item);
        continue;
      }
      this.stateWriter ??= new StateWriter((m, d) => store.record(m, d), this.logger.child({ module: 'console-store' }));
      this.stateWriter.put(item.message, item.delivery);
    }
    if (durable.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await store.recordAll(durable);
        if (tracing) for (const { message: m } of durable) if (m.kind === 'event' && m.payload.type === 'new') trace('commit', `${m.host}/${m.payload.id}`);
        return;
      } catch (err) {
        if (this.stopping) throw err;
        const first = durable[0]!.message;
        this.logger.error({ err: errorMessage(err), messages: durable.length, kind: first.kind, host: first.host, attempt }, 'could not store messages; retrying');
        await sleepWith(this.ports.clock, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!);
      }
    }
  }

  /** Another console (or this one) changed the store: its seq is counted now, its entry read in turn. */
  private follow(follower: ChangeFollower, change: StoreChange): void {
    if ((change.kind === 'alert' || change.kind === 'health') && change.seq !== undefined) this.state.noteSeq(change.key.slice(0, change.key.indexOf('/')), change.seq);
    if (change.kind === 'alert') trace('notified', change.key);
    follower.put(change);
  }

  /** Reads events other consoles stored back into this console's view, in one query. */
  private async refreshAlerts(store: StationStore, keys: string[]): Promise<void> {
    try {
      for (const entry of await store.alerts(keys)) {
        this.state.putStored(entry);
        trace('read', entry.key);
      }
    } catch (err) {
      if (!this.stopping) this.logger.warn({ err: errorMessage(err), events: keys.length }, 'could not read other consoles\' events back from the store');
    }
  }

  /** Reads one change back from the store into this console's view. */
  private async refresh(store: StationStore, change: StoreChange): Promise<void> {
    try {
      if (change.kind === 'resync') {
        const restored = await store.load({ alerts: FEED_LENGTH, thumbnailBytes: 0 });
        for (const entry of [...restored.alerts].reverse()) this.state.putStored(entry);
        for (const entry of restored.health) this.state.putHealth(entry);
      } else if (change.kind === 'alert') {
        const entry = await store.alert(change.key);
        if (entry !== undefined) this.state.putStored(entry);
      } else if (change.kind === 'health') {
        const entry = await store.health(change.key);
        if (entry !== undefined) this.state.putHealth(entry);
      } else {
        const slash = change.key.indexOf('/');
        const [host, id] = [change.key.slice(0, slash), change.key.slice(slash + 1)];
        if (this.state.hasImage('thumbnail', host, id)) return;
        const jpeg = await store.thumbnail(host, id);
        if (jpeg !== undefined) this.state.putThumbnail(host, id, jpeg);
      }
    } catch (err) {
      if (!this.stopping) this.logger.warn({ err: errorMessage(err), change }, 'could not read a change from the store');
    }
  }
}
