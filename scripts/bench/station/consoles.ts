/**
 * Station consoles as real processes (`minwang console --web`, the built bin), with their RSS read
 * from /proc, so the load bench measures what an operator would run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/minwang.js', import.meta.url));

export class ConsoleProcess {
  private output = '';
  private constructor(readonly name: string, readonly url: string, private readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => this.keep(d));
    child.stderr?.on('data', (d: Buffer) => this.keep(d));
  }

  /** Starts `minwang console --web` with `args` and waits until it serves and has subscribed. */
  static async start(name: string, port: number, args: string[], env: Record<string, string> = {}): Promise<ConsoleProcess> {
    // STATION_LOAD_NODE_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": node flags for profiling the consoles.
    const flags = (process.env.STATION_LOAD_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
    const child = spawn(process.execPath, [...flags, BIN, 'console', '--web', '--listen', `127.0.0.1:${port}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const proc = new ConsoleProcess(name, `http://127.0.0.1:${port}/`, child);
    const until = Date.now() + 120_000;
    while (!(proc.output.includes('serving http://') && proc.output.includes('"msg":"subscribed"'))) {
      if (child.exitCode !== null) throw new Error(`console ${name} exited (${child.exitCode}): ${proc.output.slice(-2000)}`);
      if (Date.now() > until) throw new Error(`console ${name} did not start in 2 min: ${proc.output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return proc;
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resident memory in MB, or null once the process is gone. */
  async rssMb(): Promise<number | null> {
    if (!this.alive() || this.child.pid === undefined) return null;
    const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 102.4) / 10 : null;
  }

  /** kill -9: the crash a duty desk's machine can have. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (!this.alive()) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  /** The last lines the console wrote (for error messages). */
  tail(): string {
    return this.output.slice(-2000);
  }

  private keep(d: Buffer): void {
    this.output = (this.output + d.toString()).slice(-200_000);
  }
}
