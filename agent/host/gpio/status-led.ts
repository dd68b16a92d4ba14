import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { Gpio, GpioPin } from '../../ports/gpio.js';
import { LED_PATTERNS, type LedState } from './led-patterns.js';
import { openOptional } from './open-optional.js';

export interface StatusLedDeps {
  gpio: Gpio;
  clock: Clock;
  logger: Logger;
  config: { pin: number; activeLow: boolean };
  /** Read at the start of every 2 s pattern. */
  state: () => LedState;
}

/** Blinks the enclosure's status LED in the pattern of the current state. */
export class StatusLed implements Module {
  readonly name = 'status-led';
  private pin: GpioPin | undefined;
  private timer: TimerHandle | undefined;
  private lit: 0 | 1 | undefined;
  shown: LedState | undefined;

  constructor(private readonly deps: StatusLedDeps) {}

  start(): Promise<void> {
    this.pin = openOptional(this.deps.gpio, this.deps.config.pin, 'out', 'status LED', this.deps.logger);
    if (this.pin !== undefined) this.cycle();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.set(0);
    this.pin?.release();
    this.pin = undefined;
  }

  private cycle(): void {
    const state = this.deps.state();
    if (state !== this.shown) this.deps.logger.info({ state }, 'status LED pattern');
    this.shown = state;
    this.step(LED_PATTERNS[state], 0);
  }

  private step(pattern: readonly (readonly [0 | 1, number])[], index: number): void {
    const step = pattern[index];
    if (step === undefined || this.pin === undefined) {
      if (this.pin !== undefined) this.cycle();
      return;
    }
    void this.set(step[0]);
    this.timer = this.deps.clock.setTimeout(() => this.step(pattern, index + 1), step[1]);
  }

  /** Writes only changes: an SD-card-friendly LED is one that does not rewrite sysfs 10×/s for nothing. */
  private async set(value: 0 | 1): Promise<void> {
    if (this.pin === undefined || value === this.lit) return;
    this.lit = value;
    const level = this.deps.config.activeLow ? ((1 - value) as 0 | 1) : value;
    await this.pin.write(level).catch((err: unknown) => this.deps.logger.warn({ err }, 'cannot drive the status LED'));
  }
}
