import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Broker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A free TCP port on `host` (the kernel picks it; it is released before returning). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A real mosquitto on a free loopback port with its own temp config; stopped by `stop`. */
export async function startMosquitto(options: { anonymous?: boolean; nodelay?: boolean } = {}): Promise<Broker> {
  const dir = await mkdtemp(join(tmpdir(), 'minwang-broker-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  // set_tcp_nodelay as config/mosquitto/mosquitto.conf ships it (`nodelay: false`: mosquitto's default, which holds a
  // packet behind every clip chunk ~44 ms; docs/clips.md, "A delay every chunk has").
  const nodelay = options.nodelay === false ? '' : 'set_tcp_nodelay true\n';
  await writeFile(config, `user root\nlistener ${port} 127.0.0.1\nallow_anonymous ${options.anonymous === false ? 'false' : 'true'}\npersistence false\n${nodelay}`);
  const child = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, () => child.exitCode !== null, () => stderr);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, died: () => boolean, stderr: () => string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (died()) throw new Error(`mosquitto exited: ${stderr()}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}: ${stderr()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
