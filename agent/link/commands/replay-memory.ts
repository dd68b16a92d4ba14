import type { CommandResponse } from '../contract/v1.js';

interface Entry {
  /** Undefined while the command runs. */
  answer: CommandResponse | undefined;
  at: number;
}

/**
 * Remembers recent request ids and their answers, so a request delivered twice (QoS 1, a
 * resumed session, a station retrying) is answered again from memory, never run again.
 */
export class ReplayMemory {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: { ttlMs: number; max: number }) {}

  get(key: string, now: number): Entry | undefined {
    this.prune(now);
    return this.entries.get(key);
  }

  begin(key: string, now: number): void {
    this.entries.set(key, { answer: undefined, at: now });
    this.prune(now);
  }

  finish(key: string, answer: CommandResponse, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { answer, at: now });
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) {
      const full = this.entries.size > this.options.max;
      if (!full && now - entry.at <= this.options.ttlMs) break;
      if (entry.answer === undefined && !full) continue;
      this.entries.delete(key);
    }
  }
}
