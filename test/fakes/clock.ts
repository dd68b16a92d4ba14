import { sleepWith, type Clock, type TimerHandle } from '../../agent/ports/clock.js';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
  every?: number;
}

/**
 * A clock that only moves when told to. `advance(ms)` runs due timers in time order,
 * letting promise callbacks settle between them.
 */
export class FakeClock implements Clock {
  private mono = 0;
  private wall: number;
  private nextId = 1;
  private timers = new Map<number, Timer>();

  constructor(start = new Date('2026-01-01T00:00:00Z')) {
    this.wall = start.getTime();
  }

  now(): Date {
    return new Date(this.wall);
  }

  monotonicMs(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Jumps the wall clock without moving the monotonic one (NTP sync at boot). */
  jumpWall(ms: number): void {
    this.wall += ms;
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  async advance(ms: number): Promise<void> {
    const target = this.mono + ms;
    for (;;) {
      await flushPromises();
      const next = [...this.timers.values()].filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (next === undefined) break;
      this.wall += next.due - this.mono;
      this.mono = next.due;
      if (next.every === undefined) this.timers.delete(next.id);
      else next.due += next.every;
      next.fn();
    }
    this.wall += target - this.mono;
    this.mono = target;
    await flushPromises();
  }

  private add(fn: () => void, ms: number, every?: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.mono + Math.max(0, ms), fn, ...(every === undefined ? {} : { every }) });
    return { id };
  }
}

async function flushPromises(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
