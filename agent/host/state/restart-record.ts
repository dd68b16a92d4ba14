import { join } from 'node:path';
import { stripCredentials } from '../../core/redact.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';

const FILE = 'restarts.json';
const FIRST_DELAY_MS = 5_000;
const MAX_DELAY_MS = 5 * 60_000;
/** Written at every start and replaced on a clean stop, so a crash, kill -9 or OOM kill is counted too. */
export const UNCLEAN_STOP = 'the agent stopped without a clean shutdown (crash, kill or power cut)';

/** The failures in a row before this start, and the last one's reason. */
export interface RestartHistory {
  failures: number;
  reason: string;
  at: string;
}

/**
 * The agent never gives up (systemd restarts it forever), so it backs off by itself: each start
 * after failures in a row waits longer (5 s, 10 s … 5 min), and says why it keeps failing.
 * The record lives in the data dir, so it survives the restart it explains.
 */
export class RestartRecord {
  private failures = 0;

  constructor(private readonly deps: { fs: FileSystem; dir: string; clock: Clock }) {}

  /** Reads the history, then counts this start as a failure until `clear()` or `fail()` says otherwise. */
  async begin(): Promise<RestartHistory> {
    const previous = await this.read();
    this.failures = previous.failures;
    await this.deps.fs.mkdir(this.deps.dir, { recursive: true, mode: 0o750 }).catch(() => undefined);
    await this.write(UNCLEAN_STOP);
    return previous;
  }

  /** This run failed: the next start waits longer and reports `reason`. */
  async fail(reason: string): Promise<void> {
    await this.write(stripCredentials(reason));
  }

  /** This run stayed up long enough: failures in a row start again from this run. */
  async settled(): Promise<void> {
    this.failures = 0;
    await this.write(UNCLEAN_STOP);
  }

  /** A clean stop: the next start is not delayed. */
  async clear(): Promise<void> {
    this.failures = 0;
    await this.deps.fs.rm(this.path(), { force: true }).catch(() => undefined);
  }

  private async read(): Promise<RestartHistory> {
    const none: RestartHistory = { failures: 0, reason: '', at: '' };
    try {
      const parsed = JSON.parse(await this.deps.fs.readFile(this.path(), 'utf8')) as Partial<RestartHistory>;
      const failures = Number.isSafeInteger(parsed.failures) && (parsed.failures ?? 0) > 0 ? parsed.failures ?? 0 : 0;
      return { failures, reason: String(parsed.reason ?? '').slice(0, 500), at: String(parsed.at ?? '') };
    } catch {
      return none;
    }
  }

  private async write(reason: string): Promise<void> {
    const record: RestartHistory = { failures: this.failures + 1, reason: reason.slice(0, 500), at: this.deps.clock.now().toISOString() };
    await this.deps.fs.writeFile(this.path(), JSON.stringify(record), { mode: 0o640 }).catch(() => undefined);
  }

  private path(): string {
    return join(this.deps.dir, FILE);
  }
}

/** How long to wait before starting after `failures` failures in a row. */
export function restartDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(failures - 1, 20));
}
