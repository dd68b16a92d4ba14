import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { definedProps } from '../../core/defined-props.js';

interface RtspRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

type Message = { kind: 'request'; request: RtspRequest } | { kind: 'data'; channel: number; payload: Buffer };

/** Reads RTSP requests and `$`-interleaved binary packets from one TCP stream. */
class RtspReader {
  private buffer = Buffer.alloc(0);

  constructor(private readonly onMessage: (message: Message) => void) {}

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const message = this.next();
      if (message === undefined) return;
      this.onMessage(message);
    }
  }

  private next(): Message | undefined {
    const b = this.buffer;
    if (b.length === 0) return undefined;
    if (b[0] === 0x24) {
      if (b.length < 4) return undefined;
      const length = b.readUInt16BE(2);
      if (b.length < 4 + length) return undefined;
      this.buffer = b.subarray(4 + length);
      return { kind: 'data', channel: b[1] ?? 0, payload: b.subarray(4, 4 + length) };
    }
    const end = b.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const lines = b.subarray(0, end).toString('latin1').split('\r\n');
    const [method = '', url = ''] = (lines[0] ?? '').split(' ');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? '0');
    if (b.length < end + 4 + length) return undefined;
    this.buffer = b.subarray(end + 4 + length);
    return { kind: 'request', request: { method, url, headers, body: b.subarray(end + 4, end + 4 + length) } };
  }
}

interface Player {
  socket: Socket;
  /** Interleaved channel pairs the player asked for, by the publisher's stream index. */
  channels: Map<number, number>;
  playing: boolean;
}

/**
 * A small RTSP server for the camera simulator: ffmpeg publishes a stream to it (ANNOUNCE/RECORD,
 * RTP over TCP) and players (the agent's ffmpeg, with `-rtsp_transport tcp`) receive it with
 * DESCRIBE/SETUP/PLAY. Debian has no RTSP server that ffmpeg can serve to players without extra
 * packages, and `-rtsp_flags listen` only receives; this relay is the missing half.
 */
export class RtspRelay {
  private server: Server | undefined;
  private sdp: string | undefined;
  private readonly players = new Set<Player>();
  private readonly sockets = new Set<Socket>();
  private sessions = 0;
  /** When true, packets are no longer forwarded: a stalled camera. */
  paused = false;
  /** Players that reached PLAY, ever. */
  playsStarted = 0;

  async start(port = 0): Promise<number> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  /** True once a publisher has announced its stream. */
  get publishing(): boolean {
    return this.sdp !== undefined;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const player: Player = { socket, channels: new Map(), playing: false };
    const reader = new RtspReader((message) => {
      if (message.kind === 'data') this.forward(socket, message.channel, message.payload);
      else this.answer(socket, player, message.request);
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.players.delete(player);
    });
  }

  private answer(socket: Socket, player: Player, req: RtspRequest): void {
    const cseq = req.headers['cseq'] ?? '0';
    const reply = (headers: Record<string, string> = {}, body = '') => {
      const lines = [`RTSP/1.0 200 OK`, `CSeq: ${cseq}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      if (body !== '') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    };
    switch (req.method) {
      case 'OPTIONS':
        return reply({ Public: 'OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, TEARDOWN, GET_PARAMETER' });
      case 'ANNOUNCE':
        this.sdp = req.body.toString('utf8');
        return reply();
      case 'DESCRIBE':
        if (this.sdp === undefined) {
          socket.write(`RTSP/1.0 404 Not Found\r\nCSeq: ${cseq}\r\n\r\n`);
          return;
        }
        return reply({ 'Content-Type': 'application/sdp', 'Content-Base': `${req.url.replace(/\/$/, '')}/` }, this.sdp);
      case 'SETUP': {
        const transport = req.headers['transport'] ?? '';
        const interleaved = /interleaved=(\d+)/.exec(transport);
        const stream = Number(/streamid=(\d+)/.exec(req.url)?.[1] ?? '0');
        if (!/mode=record/i.test(transport)) {
          const channel = Number(interleaved?.[1] ?? stream * 2);
          player.channels.set(stream * 2, channel);
          player.channels.set(stream * 2 + 1, channel + 1);
          this.players.add(player);
        }
        this.sessions++;
        return reply({ Transport: transport, Session: `${1000 + this.sessions};timeout=60` });
      }
      case 'PLAY':
        player.playing = true;
        this.playsStarted++;
        return reply({ Session: req.headers['session'] ?? '' , Range: 'npt=0.000-' });
      default:
        return reply(definedProps({ Session: req.headers['session'] }));
    }
  }

  /** A packet from the publisher goes to every playing player on the channel it set up. */
  private forward(from: Socket, channel: number, payload: Buffer): void {
    if (this.paused) return;
    for (const player of this.players) {
      if (player.socket === from || !player.playing) continue;
      const out = player.channels.get(channel);
      if (out === undefined) continue;
      const header = Buffer.from([0x24, out, payload.length >> 8, payload.length & 0xff]);
      player.socket.write(Buffer.concat([header, payload]));
    }
  }
}

/** Publishes a video file to an RTSP relay in a loop, H.264 as cameras send it (keyframe every second). */
export function publishVideo(path: string, port: number, options: { ffmpeg?: string; fps?: number } = {}): ChildProcess {
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', path, '-an',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(options.fps ?? 10), '-pix_fmt', 'yuv420p',
    '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${port}/live`,
  ];
  return spawn(options.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
