import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { CliResult } from './cli.js';

const exec = promisify(execFile);
const IP_TIMEOUT_MS = 5000;

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await exec('ip', args, { timeout: IP_TIMEOUT_MS });
  return stdout;
}

/**
 * Network namespaces owned by one test file: multicast sent inside them never reaches the
 * host's network, and nothing on the host's network can answer. Names carry a random part so
 * parallel runs do not collide; `remove` kills whatever still runs inside and deletes them.
 */
export class Namespaces {
  private readonly names: string[] = [];
  readonly prefix = `mw-disc-${randomBytes(3).toString('hex')}`;

  /** Creates a namespace with loopback up; fails with a clear message where that is impossible. */
  async add(suffix: string): Promise<string> {
    const name = `${this.prefix}-${suffix}`;
    try {
      await ip('netns', 'add', name);
    } catch (err) {
      throw new Error(`cannot create network namespace ${name}: these tests need root and iproute2 (ip netns). ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
    this.names.push(name);
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /**
   * A LAN between two namespaces: `host` gets hostAddress on `hostIf`, `cams` gets every camera
   * address on its end; both route the multicast range over the link, as a flat village LAN does.
   */
  async link(host: string, cams: string, hostIf: string, hostAddress: string, camAddresses: readonly string[]): Promise<void> {
    const camIf = `${hostIf}c`;
    await ip('-n', host, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', camIf, 'netns', cams);
    await ip('-n', host, 'addr', 'add', `${hostAddress}/24`, 'dev', hostIf);
    for (const address of camAddresses) await ip('-n', cams, 'addr', 'add', `${address}/24`, 'dev', camIf);
    for (const [ns, dev] of [[host, hostIf], [cams, camIf]] as const) {
      await ip('-n', ns, 'link', 'set', dev, 'up', 'multicast', 'on');
      await ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
    }
  }

  /** Starts a process inside a namespace. */
  spawn(ns: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', ns, command, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs a process inside a namespace to its end, killed after `timeoutMs`. */
  run(ns: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<CliResult> {
    const child = this.spawn(ns, command, args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  /** Kills anything still running in the namespaces (all started by this test), then deletes them. */
  async remove(): Promise<void> {
    const problems: string[] = [];
    for (const name of this.names.splice(0).reverse()) {
      try {
        for (const pid of (await ip('netns', 'pids', name)).split(/\s+/).filter((p) => /^\d+$/.test(p))) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await ip('netns', 'del', name);
      } catch (err) {
        problems.push(`${name}: ${String(err)}`);
      }
    }
    if (problems.length > 0) throw new Error(`could not remove network namespaces: ${problems.join('; ')}`);
  }
}

/** Stops a child with SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
