import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './cli.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface BrokerOptions {
  /** Directory for the config, persistence and log. */
  dir: string;
  /** Extra mosquitto.conf lines for the listener (TLS, password_file, acl_file...). */
  listener?: string[];
  /** Extra global lines. */
  global?: string[];
  persistence?: boolean;
  port?: number;
}

/** A real mosquitto on a free loopback port, with its own config; tests kill and restart it. */
export class TestBroker {
  private child: ChildProcess | undefined;
  log = '';
  private constructor(readonly port: number, private readonly configFile: string) {}

  static async start(options: BrokerOptions): Promise<TestBroker> {
    const port = options.port ?? (await freePort());
    const lines = [
      'user root',
      `listener ${port} 127.0.0.1`,
      ...(options.listener ?? ['allow_anonymous true']),
      `persistence ${options.persistence === true ? 'true' : 'false'}`,
      `persistence_location ${options.dir}/`,
      'autosave_interval 1',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      ...(options.global ?? []),
    ];
    await mkdir(options.dir, { recursive: true });
    const configFile = join(options.dir, 'mosquitto.conf');
    await writeFile(configFile, `${lines.join('\n')}\n`);
    const broker = new TestBroker(port, configFile);
    await broker.restart();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async restart(): Promise<void> {
    const child = spawn(MOSQUITTO, ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => { this.log += chunk.toString(); });
    await waitFor(() => child.exitCode !== null || this.log.includes(`listen socket on port ${this.port}`), 10_000, 'mosquitto to listen');
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${this.log}`);
    await waitForPort(this.port);
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGTERM (mosquitto saves its persistence file) and wait until it is gone. */
  async terminate(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await gone;
  }

  /** SIGKILL and wait until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    this.child?.kill('SIGCONT');
    await this.kill();
    this.child = undefined;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`port ${port} never opened`);
}
