import { AgentError } from '../../agent/core/errors.js';
import type { Gpio, GpioDirection, GpioEdge, GpioPin } from '../../agent/ports/gpio.js';

/** One fake line: what was written (with a caller-chosen timestamp) and watchers to drive. */
export class FakePin implements GpioPin {
  value: 0 | 1 = 0;
  released = false;
  readonly writes: { value: 0 | 1; at: number }[] = [];
  private readonly watchers = new Set<(value: 0 | 1) => void>();

  constructor(readonly bcm: number, readonly direction: GpioDirection, readonly edge: GpioEdge, private readonly now: () => number) {}

  read(): Promise<0 | 1> {
    return Promise.resolve(this.value);
  }

  write(value: 0 | 1): Promise<void> {
    if (this.direction !== 'out') return Promise.reject(new Error(`GPIO ${this.bcm} is an input`));
    this.value = value;
    this.writes.push({ value, at: this.now() });
    return Promise.resolve();
  }

  watch(callback: (value: 0 | 1) => void): () => void {
    this.watchers.add(callback);
    return () => this.watchers.delete(callback);
  }

  release(): void {
    this.released = true;
    this.watchers.clear();
  }

  /** Drives an input line as the outside world would (fires watchers when the edge matches). */
  set(value: 0 | 1): void {
    const previous = this.value;
    this.value = value;
    if (previous === value || this.edge === 'none') return;
    if (this.edge === 'rising' && value === 0) return;
    if (this.edge === 'falling' && value === 1) return;
    for (const watcher of [...this.watchers]) watcher(value);
  }
}

/** GPIO for tests and hosts without it: lines live in memory; `now` stamps each write. */
export class FakeGpio implements Gpio {
  private readonly pins = new Map<number, FakePin>();

  constructor(private readonly now: () => number = () => 0, private readonly reason?: string) {}

  unavailableReason(): string | undefined {
    return this.reason;
  }

  open(bcm: number, direction: GpioDirection, edge: GpioEdge = 'none'): GpioPin {
    if (this.reason !== undefined) throw new AgentError('gpio.unavailable', `GPIO ${bcm} cannot be opened: ${this.reason}`);
    const existing = this.pins.get(bcm);
    if (existing !== undefined && !existing.released) throw new AgentError('gpio.busy', `GPIO ${bcm} is already open`);
    const pin = new FakePin(bcm, direction, edge, this.now);
    this.pins.set(bcm, pin);
    return pin;
  }

  pin(bcm: number): FakePin {
    const pin = this.pins.get(bcm);
    if (pin === undefined) throw new Error(`GPIO ${bcm} was never opened`);
    return pin;
  }

  opened(): number[] {
    return [...this.pins.keys()];
  }
}
