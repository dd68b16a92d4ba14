import { AgentError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import type { Module } from './module.js';
import type { Clock } from '../ports/clock.js';

export interface LifecycleOptions {
  clock: Clock;
  logger: Logger;
  /** Longest a single module may take to stop before it is abandoned. */
  stopTimeoutMs: number;
}

/**
 * Starts modules in order and stops them in reverse. A failed start stops what had already
 * started, so a half-started agent never keeps running. A module that does not stop in time
 * is abandoned (logged) so shutdown stays bounded.
 */
export class Lifecycle {
  private readonly started: Module[] = [];

  constructor(private readonly modules: readonly Module[], private readonly options: LifecycleOptions) {}

  async start(): Promise<void> {
    for (const module of this.modules) {
      const log = this.options.logger.child({ module: module.name });
      try {
        await module.start();
      } catch (err) {
        log.error({ err }, 'start failed; stopping the modules already started');
        await this.stop();
        throw new AgentError('lifecycle.start_failed', `${module.name} failed to start: ${errorMessage(err)}`, { cause: err });
      }
      this.started.push(module);
      log.debug('started');
    }
  }

  /** Returns the names of modules that did not stop cleanly (empty when all did). */
  async stop(): Promise<string[]> {
    const failed: string[] = [];
    while (this.started.length > 0) {
      const module = this.started.pop() as Module;
      const log = this.options.logger.child({ module: module.name });
      try {
        await this.withTimeout(module.stop(), module.name);
        log.debug('stopped');
      } catch (err) {
        failed.push(module.name);
        log.error({ err }, 'did not stop cleanly');
      }
    }
    return failed;
  }

  private async withTimeout(work: Promise<void>, name: string): Promise<void> {
    const { clock, stopTimeoutMs } = this.options;
    let handle: ReturnType<Clock['setTimeout']> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      handle = clock.setTimeout(
        () => reject(new AgentError('lifecycle.stop_timeout', `${name} did not stop within ${stopTimeoutMs} ms`)),
        stopTimeoutMs,
      );
    });
    try {
      await Promise.race([work, timeout]);
    } finally {
      if (handle !== undefined) clock.clearTimeout(handle);
    }
  }
}
