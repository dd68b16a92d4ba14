import type { CommandResponse } from '../contract/v1.js';

interface Entry {
  /** Undefined while the command runs. */
  answer: CommandResponse | undefined;
  at: number;
}

/** Answers larger than this are not kept whole (a snapshot or a clip chunk is 100 KB or more). */
export const MAX_KEPT_ANSWER_BYTES = 16 * 1024;

/**
 * Remembers recent request ids and their answers, so a request delivered twice (QoS 1, a
 * resumed session, a station retrying) is answered again from memory, never run again. A large
 * answer (a picture, a clip chunk) is kept as a short refusal instead: a thousand of them for ten
 * minutes would otherwise hold a hundred megabytes of a Pi's memory; the station asks again with a
 * new id.
 */
export class ReplayMemory {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: { ttlMs: number; max: number; maxAnswerBytes?: number }) {}

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
    const bytes = Buffer.byteLength(JSON.stringify(answer));
    const kept: CommandResponse = bytes <= (this.options.maxAnswerBytes ?? MAX_KEPT_ANSWER_BYTES) ? answer : {
      id: answer.id, status: 'error',
      error: { code: 'busy', message: `this request was answered once (${bytes} bytes, not kept for repeats); ask again with a new id` },
    };
    this.entries.set(key, { answer: kept, at: now });
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
