/**
 * `minwang console` in a terminal: JSON lines (`--json`), a live screen (stdout is a TTY) or
 * plain lines; with `--save DIR` every thumbnail and contact sheet is also written to disk.
 */
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { StationState } from '../state.js';
import type { Received, StationSubscriber } from '../subscriber.js';
import { jsonLine } from './json-lines.js';
import { logLine } from './log-lines.js';
import type { ImageSaver } from './saver.js';
import { renderScreen } from './screen.js';

/** `none`: nothing printed (the web console runs, or images are only saved). */
export type TerminalMode = 'json' | 'screen' | 'lines' | 'none';

export interface TerminalOutput {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

export interface TerminalConsoleDeps {
  mode: TerminalMode;
  out: TerminalOutput;
  state: StationState;
  subscriber: StationSubscriber;
  saver?: ImageSaver;
  clock: Clock;
  logger: Logger;
  url: string;
}

const REDRAW_MS = 1000;
/** After a message, repaint this soon (a burst costs one paint). */
const SETTLE_MS = 100;

export class TerminalConsole implements Module {
  readonly name = 'terminal-console';
  private unsubscribe: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  private soon: TimerHandle | undefined;
  /** Messages are written in arrival order even though saving an image takes a moment. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: TerminalConsoleDeps) {}

  start(): Promise<void> {
    this.unsubscribe = this.deps.subscriber.onReceived((received) => {
      this.queue = this.queue.then(() => this.handle(received));
    });
    if (this.deps.mode === 'screen') {
      this.timer = this.deps.clock.setInterval(() => this.paint(), REDRAW_MS);
      this.paint();
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    if (this.soon !== undefined) this.deps.clock.clearTimeout(this.soon);
    await this.queue;
  }

  private async handle(received: Received): Promise<void> {
    const saved = await this.save(received);
    // The bell rings for a live alerting object only; quiet events are listed, not rung.
    if (this.deps.mode === 'screen' && rings(received)) this.deps.out.write('\x07');
    if (this.deps.mode === 'screen') this.soon ??= this.deps.clock.setTimeout(() => this.paint(), SETTLE_MS);
    else if (this.deps.mode === 'json') this.deps.out.write(`${JSON.stringify(jsonLine(received, saved))}\n`);
    else if (this.deps.mode === 'lines') {
      const line = logLine(received, saved);
      if (line !== undefined) this.deps.out.write(`${line}\n`);
    }
  }

  private async save(received: Received): Promise<string | undefined> {
    if (this.deps.saver === undefined || !received.parsed.ok) return undefined;
    try {
      return await this.deps.saver.save(received.parsed.message);
    } catch (err) {
      this.deps.logger.error({ err, topic: received.topic }, 'could not save the image');
      return undefined;
    }
  }

  private paint(): void {
    this.soon = undefined;
    const { out, state, subscriber, url } = this.deps;
    const lines = renderScreen(state, {
      url, connected: subscriber.connected(), rejected: subscriber.rejectedCount(), width: out.columns ?? 100, height: out.rows ?? 40,
    });
    // Home, draw, clear what is left: no flicker from clearing the whole screen first.
    out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
  }
}

function rings(received: Received): boolean {
  if (!received.parsed.ok || received.result?.outcome !== 'applied' || received.result.delayed === true) return false;
  const m = received.parsed.message;
  return m.kind === 'event' && m.payload.type === 'new' && m.payload.alert;
}
