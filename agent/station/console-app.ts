/**
 * The station side put together: one subscriber feeding one state model, read by the terminal
 * console and/or the web console. `minwang console` and tests build it here.
 */
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../ports/clock.js';
import type { MqttConnector } from '../ports/mqtt.js';
import { StationState } from './state.js';
import { StationSubscriber, redact, type BrokerOptions } from './subscriber.js';
import { ClipFetcher } from './clip-fetcher.js';
import { ImageSaver } from './terminal/saver.js';
import { TerminalConsole, type TerminalMode, type TerminalOutput } from './terminal/terminal-console.js';
import { persistTo } from './web/persist.js';
import { WebConsole, type WebConsoleOptions } from './web/server.js';
import { ConsoleStore } from './web/store.js';

export interface ConsoleAppOptions {
  broker: BrokerOptions;
  staleAfterMs: number;
  /** Terminal output, or null when only the web console runs. */
  terminal: { mode: TerminalMode; out: TerminalOutput } | null;
  saveDir: string | null;
  web: (WebConsoleOptions & { dbPath: string }) | null;
}

export interface ConsoleAppPorts {
  clock: Clock;
  mqtt: MqttConnector;
  logger: Logger;
}

/** Alerts kept in memory and in the web console's store. */
const FEED_LENGTH = 1000;

export class ConsoleApp {
  readonly state: StationState;
  readonly subscriber: StationSubscriber;
  readonly web: WebConsole | null = null;
  /** With `--save`: fetches the clip of every ended event that has one, beside the thumbnails. */
  readonly clips: ClipFetcher | null = null;
  private readonly outputs: Module[] = [];
  private readonly store: ConsoleStore | null = null;
  private unpersist: (() => void) | undefined;
  private readonly logger: Logger;

  constructor(options: ConsoleAppOptions, ports: ConsoleAppPorts) {
    const { clock, logger } = ports;
    this.logger = logger;
    this.state = new StationState({ clock, staleAfterMs: options.staleAfterMs, maxAlerts: FEED_LENGTH });
    this.subscriber = new StationSubscriber({ broker: options.broker, connect: ports.mqtt, state: this.state, clock, logger: logger.child({ module: 'station-subscriber' }) });
    if (options.web !== null) {
      this.store = new ConsoleStore(options.web.dbPath, FEED_LENGTH, logger.child({ module: 'console-store' }));
      this.web = new WebConsole(options.web, { state: this.state, subscriber: this.subscriber, store: this.store, clock, logger: logger.child({ module: 'web-console' }) });
      this.outputs.push(this.web);
    }
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

  /** Restores the stored feed and starts the outputs (the web server binds here). */
  async startOutputs(): Promise<void> {
    if (this.store !== null) {
      const restored = this.store.load();
      this.state.restore(restored.alerts, restored.thumbnails);
      this.unpersist = persistTo(this.store, this.state, this.subscriber, this.logger.child({ module: 'console-store' }));
    }
    for (const output of this.outputs) await output.start();
  }

  /** Connects and subscribes; rejects when the broker refuses (credentials, ACL). */
  connect(): Promise<void> {
    return this.subscriber.start();
  }

  async stop(): Promise<void> {
    await this.subscriber.stop();
    for (const output of [...this.outputs].reverse()) await output.stop();
    this.unpersist?.();
    this.store?.close();
  }
}
