import { join } from 'node:path';
import { AgentError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { FileSystem } from '../../ports/fs.js';

import type { IdentifyProcess, ProcessIdentity } from './process-identity.js';

const LOCK_FILE = 'agent.lock';

/**
 * Owns `storage.dataDir`: creates it, proves it writable, and holds a lock file so two agents
 * never share one outbox. The lock names the holder by pid, boot id and process start time, so a
 * lock left by a process that died (power cut, kill -9) is taken over even when, after a reboot,
 * its pid now belongs to some other process.
 */
export class DataDir implements Module {
  readonly name = 'data-dir';
  private locked = false;

  constructor(
    private readonly deps: { dir: string; fs: FileSystem; logger: Logger; pid: number; identify: IdentifyProcess },
  ) {}

  path(...parts: string[]): string {
    return join(this.deps.dir, ...parts);
  }

  async start(): Promise<void> {
    const { fs, dir } = this.deps;
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    } catch (err) {
      throw new AgentError('state.io', `cannot create data dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    await this.takeLock();
  }

  async stop(): Promise<void> {
    if (!this.locked) return;
    await this.deps.fs.rm(this.path(LOCK_FILE), { force: true });
    this.locked = false;
  }

  private async takeLock(): Promise<void> {
    const { fs, pid } = this.deps;
    const lock = this.path(LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fs.writeFile(lock, lockLine(pid, this.deps.identify(pid)), { flag: 'wx', mode: 0o640 });
        this.locked = true;
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          throw new AgentError('state.io', `data dir ${this.deps.dir} is not writable: ${code ?? String(err)}`, { cause: err });
        }
      }
      const holder = await this.liveHolder(lock);
      if (holder !== undefined) {
        throw new AgentError('state.locked', `data dir ${this.deps.dir} is in use by another minwang agent (pid ${holder})`);
      }
      this.deps.logger.warn({ lock }, 'taking over a stale lock left by an agent that is gone (or by an earlier boot)');
      await fs.rm(lock, { force: true });
    }
    throw new AgentError('state.locked', `could not lock data dir ${this.deps.dir}`);
  }

  /** The pid still holding the lock, or undefined when the lock outlived its holder. */
  private async liveHolder(lock: string): Promise<number | undefined> {
    const text = await this.deps.fs.readFile(lock, 'utf8').catch(() => '');
    const [pidText, bootId, startTicks] = text.trim().split(/\s+/);
    const holder = Number(pidText);
    if (!Number.isInteger(holder) || holder <= 0 || holder === this.deps.pid) return undefined;
    const now = this.deps.identify(holder);
    if (now === undefined) return undefined;
    if (bootId !== undefined) return now.bootId === bootId && now.startTicks === startTicks ? holder : undefined;
    // A lock from an older version carries only a pid: its holder cannot have started after it was written.
    const written = await this.deps.fs.stat(lock).then((s) => s.mtimeMs, () => 0);
    return now.startedAtMs <= written ? holder : undefined;
  }
}

function lockLine(pid: number, me: ProcessIdentity | undefined): string {
  return me === undefined ? `${pid}\n` : `${pid} ${me.bootId} ${me.startTicks}\n`;
}
