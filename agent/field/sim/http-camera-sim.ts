import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';

/** What a simulated camera does wrong, switched on demand. */
export type SimFault =
  | 'none'
  /** Sends the headers and half the JPEG, then nothing. */
  | 'hang-body'
  /** Accepts the connection and never answers. */
  | 'no-answer'
  /** Its password was changed: every credential is refused. */
  | 'wrong-password'
  /** A black picture (covered lens, dead IR). */
  | 'black'
  /** The same picture every time, byte for byte. */
  | 'frozen';

export interface SimCameraSpec {
  /** Path segment: the camera answers on /cam/<name>/picture. */
  name: string;
  /** JPEG frames played in a loop at `fps`; one frame is a static scene. */
  frames: readonly Buffer[];
  fps?: number;
}

export interface HttpCameraSimOptions {
  username: string;
  password: string;
  realm?: string;
  /** Digest algorithms offered, strongest first; Basic is offered when `basic` is true. */
  algorithms?: readonly ('SHA-256' | 'MD5')[];
  basic?: boolean;
  /** A nonce serves this many requests, then the camera answers `stale=true`. */
  nonceUses?: number;
  now?: () => number;
}

interface NonceState {
  uses: number;
  lastNc: number;
}

interface SimCamera extends SimCameraSpec {
  fault: SimFault;
  startedAt: number;
  frozenFrame: Buffer | undefined;
}

/**
 * IP cameras on 127.0.0.1 that speak what real ones do: a JPEG snapshot per GET, behind Digest
 * authentication (RFC 7616: SHA-256 and MD5, qop=auth, nonce counts checked, stale nonces
 * re-challenged). Frames come from real footage. Used by tests, the bench and the demo.
 */
export class HttpCameraSim {
  private server: Server | undefined;
  private readonly cameras = new Map<string, SimCamera>();
  private readonly nonces = new Map<string, NonceState>();
  private readonly sockets = new Set<Socket>();
  private blackJpeg: Buffer | undefined;
  /** Requests answered with a picture, per camera. */
  readonly served = new Map<string, number>();
  /** Requests that carried a valid Digest answer, by algorithm. */
  readonly digestAccepted = new Map<string, number>();
  staleChallenges = 0;

  constructor(private readonly options: HttpCameraSimOptions) {}

  async start(port = 0): Promise<number> {
    this.blackJpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#000' } }).jpeg().toBuffer();
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  url(port: number, name: string): string {
    return `http://127.0.0.1:${port}/cam/${name}/picture`;
  }

  add(spec: SimCameraSpec): void {
    if (spec.frames.length === 0) throw new Error(`sim camera ${spec.name}: no frames`);
    this.cameras.set(spec.name, { ...spec, fault: 'none', startedAt: this.now(), frozenFrame: undefined });
  }

  setFault(name: string, fault: SimFault): void {
    const camera = this.cameras.get(name);
    if (camera === undefined) throw new Error(`no sim camera ${name}`);
    camera.fault = fault;
    camera.frozenFrame = fault === 'frozen' ? this.currentFrame(camera) : undefined;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private currentFrame(camera: SimCamera): Buffer {
    const index = Math.floor(((this.now() - camera.startedAt) / 1000) * (camera.fps ?? 10)) % camera.frames.length;
    return camera.frames[index] as Buffer;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const match = /^\/cam\/([^/]+)\/picture$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const camera = match === null ? undefined : this.cameras.get(decodeURIComponent(match[1] ?? ''));
    if (camera === undefined) {
      res.writeHead(404).end('no such camera');
      return;
    }
    if (camera.fault === 'no-answer') return; // the socket stays open, unanswered
    const auth = this.authenticate(req, camera.fault === 'wrong-password');
    if (auth !== 'ok') {
      res.writeHead(401, { 'www-authenticate': this.challenges(auth === 'stale') }).end();
      return;
    }
    const jpeg = camera.fault === 'black' ? (this.blackJpeg as Buffer) : camera.fault === 'frozen' ? (camera.frozenFrame as Buffer) : this.currentFrame(camera);
    this.served.set(camera.name, (this.served.get(camera.name) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
    if (camera.fault === 'hang-body') {
      res.write(jpeg.subarray(0, Math.floor(jpeg.length / 2)));
      return; // never ends
    }
    res.end(jpeg);
  }

  private challenges(stale: boolean): string[] {
    const realm = this.options.realm ?? 'IP Camera';
    const out: string[] = [];
    for (const algorithm of this.options.algorithms ?? ['SHA-256', 'MD5']) {
      const nonce = randomBytes(16).toString('hex');
      this.nonces.set(nonce, { uses: 0, lastNc: 0 });
      out.push(`Digest realm="${realm}", qop="auth", algorithm=${algorithm}, nonce="${nonce}", opaque="sim"${stale ? ', stale=true' : ''}`);
    }
    if (this.options.basic === true) out.push(`Basic realm="${realm}"`);
    if (stale) this.staleChallenges++;
    return out;
  }

  /** Checks the Authorization header on its own terms (independent of the agent's client code). */
  private authenticate(req: IncomingMessage, refuseAll: boolean): 'ok' | 'challenge' | 'stale' {
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Basic ') && this.options.basic === true) {
      const [user, pass] = Buffer.from(header.slice(6), 'base64').toString().split(':');
      return !refuseAll && user === this.options.username && pass === this.options.password ? 'ok' : 'challenge';
    }
    if (!header.startsWith('Digest ')) return 'challenge';
    const p: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g)) p[(m[1] ?? '').toLowerCase()] = m[2] ?? m[3] ?? '';
    const state = this.nonces.get(p['nonce'] ?? '');
    if (state === undefined) return 'challenge';
    const nc = parseInt(p['nc'] ?? '', 16);
    if (!(nc > state.lastNc) || p['qop'] !== 'auth' || p['username'] !== this.options.username) return 'challenge';
    const algorithm = p['algorithm'] ?? 'MD5';
    const h = (s: string) => createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5').update(s).digest('hex');
    const ha1 = h(`${this.options.username}:${p['realm'] ?? ''}:${this.options.password}`);
    const ha2 = h(`${req.method ?? 'GET'}:${p['uri'] ?? ''}`);
    const expected = h(`${ha1}:${p['nonce'] ?? ''}:${p['nc'] ?? ''}:${p['cnonce'] ?? ''}:auth:${ha2}`);
    if (refuseAll || expected !== p['response'] || p['uri'] !== req.url) return 'challenge';
    if (state.uses >= (this.options.nonceUses ?? 50)) {
      this.nonces.delete(p['nonce'] ?? '');
      return 'stale';
    }
    state.uses++;
    state.lastNc = nc;
    this.digestAccepted.set(algorithm, (this.digestAccepted.get(algorithm) ?? 0) + 1);
    return 'ok';
  }
}
