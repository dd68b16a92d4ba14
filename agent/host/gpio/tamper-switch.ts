import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { Gpio, GpioPin } from '../../ports/gpio.js';
import { openOptional } from './open-optional.js';
import type { HealthReporter } from '../../link/contract/link.js';

export interface TamperConfig {
  pin: number;
  openWhen: 'high' | 'low';
  debounce: number;
}

/**
 * The enclosure's door switch. A level counts only after it held for `debounce` (contacts
 * bounce, and a truck passing shakes the box); opening raises a `tamper` alert, closing clears it.
 */
export class TamperSwitch implements Module {
  readonly name = 'tamper-switch';
  private pin: GpioPin | undefined;
  private unwatch: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  private stable: 0 | 1 | undefined;

  constructor(private readonly deps: { gpio: Gpio; clock: Clock; logger: Logger; health: HealthReporter; config: TamperConfig }) {}

  async start(): Promise<void> {
    const { gpio, config, logger } = this.deps;
    this.pin = openOptional(gpio, config.pin, 'in', 'tamper switch', logger, 'both');
    if (this.pin === undefined) return;
    this.unwatch = this.pin.watch(() => this.bounce());
    this.settle(await this.pin.read());
  }

  stop(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.unwatch?.();
    this.pin?.release();
    this.pin = undefined;
    return Promise.resolve();
  }

  isOpen(): boolean {
    return this.stable !== undefined && this.stable === this.openLevel();
  }

  /** Every edge restarts the wait; only a level that holds for the whole debounce is read. */
  private bounce(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.pin?.read().then((value) => this.settle(value));
    }, this.deps.config.debounce);
  }

  private settle(value: 0 | 1): void {
    if (value === this.stable) return;
    this.stable = value;
    const { health, config } = this.deps;
    if (this.isOpen()) {
      health.raise('tamper', 'enclosure', { severity: 'critical', message: 'the enclosure was opened', details: { pin: config.pin } });
    } else {
      health.clear('tamper', 'enclosure', 'the enclosure is closed');
    }
  }

  private openLevel(): 0 | 1 {
    return this.deps.config.openWhen === 'high' ? 1 : 0;
  }
}
