import { join } from 'node:path';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import type { FileSystem } from '../ports/fs.js';

const LOCK_FILE = 'agent.lock';

/** Whether a process id is alive on this host (signal 0 checks without sending). */
export type PidAlive = (pid: number) => boolean;

export const realPidAlive: PidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Owns `storage.dataDir`: creates it, proves it writable, and holds a lock file so two agents
 * never share one outbox. A lock left by a process that died (power cut, kill -9) is taken over.
 */
export class DataDir implements Module {
  readonly name = 'data-dir';
  private locked = false;

  constructor(
    private readonly deps: { dir: string; fs: FileSystem; logger: Logger; pid: number; pidAlive: PidAlive },
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
        await fs.writeFile(lock, `${pid}\n`, { flag: 'wx', mode: 0o640 });
        this.locked = true;
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          throw new AgentError('state.io', `data dir ${this.deps.dir} is not writable: ${code ?? String(err)}`, { cause: err });
        }
      }
      const holder = Number.parseInt(await fs.readFile(lock, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder !== pid && this.deps.pidAlive(holder)) {
        throw new AgentError('state.locked', `data dir ${this.deps.dir} is in use by another minwang agent (pid ${holder})`);
      }
      this.deps.logger.warn({ stalePid: holder }, 'taking over a stale lock left by an agent that is gone');
      await fs.rm(lock, { force: true });
    }
    throw new AgentError('state.locked', `could not lock data dir ${this.deps.dir}`);
  }
}
