/**
 * The clips bench's cameras and meters: RTSP relays of real footage, the CPU time of child
 * processes read from /proc, and an uplink of limited bandwidth between a host and its broker.
 */
import { execFile, execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RtspRelay } from '../../../agent/field/sim/rtsp-relay.js';

const exec = promisify(execFile);

/**
 * The footage encoded once as a camera sends it (H.264, the simulator's settings: x264
 * ultrafast, zerolatency, a key frame every second at 10 fps), so eight cameras can be replayed
 * by stream copy instead of eight live encoders competing with what is measured.
 */
export async function encodeLikeACamera(source: string, out: string): Promise<void> {
  await exec('ffmpeg', [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-an',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-pix_fmt', 'yuv420p', out,
  ], { timeout: 300_000 });
}

/** One simulated RTSP camera: a relay and an ffmpeg publishing the encoded footage to it in a loop, from `offsetS`. */
export class ReplayCamera {
  readonly relay = new RtspRelay();
  publisher: ChildProcess | undefined;
  port = 0;

  async start(file: string, offsetS: number): Promise<void> {
    this.port = await this.relay.start();
    this.publisher = spawn('ffmpeg', [
      '-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-ss', String(offsetS), '-i', file, '-an',
      '-c:v', 'copy', '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${this.port}/live`,
    ], { stdio: ['ignore', 'ignore', 'ignore'] });
  }

  get url(): string {
    return `rtsp://127.0.0.1:${this.port}/live`;
  }

  async stop(): Promise<void> {
    const publisher = this.publisher;
    if (publisher !== undefined && publisher.exitCode === null && publisher.signalCode === null) {
      const gone = new Promise((resolve) => publisher.once('close', resolve));
      publisher.kill('SIGKILL');
      await gone;
    }
    await this.relay.stop();
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a live process has used, from /proc/<pid>/stat; undefined once it is gone. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * A TCP proxy in front of the broker whose client → broker direction carries at most
 * `bitsPerS` (a village uplink); the other direction is not limited. Data is held back, never
 * dropped, and the sending socket is paused meanwhile, so TCP's own back-pressure applies.
 */
export class Uplink {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly brokerPort: number, private readonly bitsPerS: number) {}

  async start(): Promise<number> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  private accept(client: Socket): void {
    const broker = connect(this.brokerPort, '127.0.0.1');
    for (const socket of [client, broker]) {
      // A link forwards packets as they come: Nagle's algorithm here would hold an alert written
      // right after a chunk until the broker's delayed ACK (up to 40 ms), which no real uplink does.
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        broker.destroy();
      });
    }
    broker.pipe(client);
    let free = 0;
    client.on('data', (chunk: Buffer) => {
      const now = performance.now();
      const start = Math.max(now, free);
      free = start + (chunk.length * 8 * 1000) / this.bitsPerS;
      const wait = free - now;
      if (wait < 1) {
        broker.write(chunk);
        return;
      }
      client.pause();
      setTimeout(() => {
        broker.write(chunk);
        client.resume();
      }, wait);
    });
  }
}

/** An Uplink in its own Node process (scripts/bench/clips/uplink.ts): its port, and how to stop it. */
export async function uplinkProcess(brokerPort: number, bitsPerS: number): Promise<{ port: number; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./uplink.ts', import.meta.url));
  const child = fork(script, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, CLIPS_UPLINK: JSON.stringify({ brokerPort, bitsPerS }) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`bench: the uplink process exited (${code})`)));
  });
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
