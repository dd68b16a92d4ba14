import { cameraFault } from '../../core/camera-fault.js';
import { errorMessage } from '../../core/errors.js';
import type { Clock } from '../../ports/clock.js';
import { bodyChunks, type Http } from '../../ports/http.js';
import { HttpAuthSession } from './http-auth.js';
import type { Frame, FrameSource } from '../types.js';
import { definedProps } from '../../core/defined-props.js';

export interface SnapshotSourceOptions {
  camera: string;
  url: string;
  username?: string;
  password?: string;
  /** `basic`: Basic auth allowed over plain http too. Default `auto`: Basic only over https. */
  auth?: 'auto' | 'basic';
  http: Http;
  clock: Clock;
  /** Largest body accepted; a camera sending more is broken or not a camera. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET']);

/**
 * An HTTP(S) JPEG snapshot camera (Hikvision ISAPI, Dahua snapshot.cgi, generic). Each grab is
 * one GET bounded by the caller's AbortSignal, body included; Basic or Digest auth as the camera asks.
 */
export class SnapshotSource implements FrameSource {
  readonly camera: string;
  private readonly auth: HttpAuthSession | undefined;
  private readonly url: URL;

  constructor(private readonly options: SnapshotSourceOptions) {
    this.camera = options.camera;
    this.url = new URL(options.url);
    // Credentials in the URL (http://user:pass@host/) are a common way installers write them.
    const username = options.username ?? (decodeURIComponent(this.url.username) || undefined);
    const password = options.password ?? decodeURIComponent(this.url.password);
    this.url.username = '';
    this.url.password = '';
    const allowBasic = this.url.protocol === 'https:' || options.auth === 'basic';
    this.auth = username === undefined ? undefined : new HttpAuthSession({ username, password }, undefined, { allowBasic });
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  async grab(signal: AbortSignal): Promise<Frame> {
    const capturedAt = this.options.clock.now();
    const mono = this.options.clock.monotonicMs();
    let response = await this.request(signal);
    if (response.status === 401 && this.auth !== undefined && this.auth.accept(response.headers.get('www-authenticate'))) {
      await discard(response);
      response = await this.request(signal);
    }
    if (response.status === 401 || response.status === 403) {
      await discard(response);
      const why = this.auth === undefined ? 'the camera asks for a user name and password, and none is configured'
        : this.auth.refusal ?? 'the camera refused the user name or password';
      throw cameraFault('auth', `HTTP ${response.status}: ${why}`);
    }
    if (!response.ok) {
      await discard(response);
      throw cameraFault('bad_image', `HTTP ${response.status} ${response.statusText}`.trim());
    }
    const jpeg = await this.readBody(response, signal);
    if (!isJpeg(jpeg)) {
      throw cameraFault('bad_image', `not a JPEG (${jpeg.length} bytes, content-type ${response.headers.get('content-type') ?? 'none'})`);
    }
    return { camera: this.camera, capturedAt, mono, jpeg };
  }

  private async request(signal: AbortSignal): Promise<Response> {
    const uri = `${this.url.pathname}${this.url.search}`;
    const authorization = this.auth?.authorization('GET', uri);
    try {
      return await this.options.http.fetch(this.url, {
        signal,
        redirect: 'error',
        headers: definedProps({ authorization }),
      });
    } catch (err) {
      throw classify(err, signal);
    }
  }

  private async readBody(response: Response, signal: AbortSignal): Promise<Buffer> {
    const max = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > max) {
      await discard(response);
      throw cameraFault('bad_image', `the snapshot is ${declared} bytes, more than the ${max} accepted`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of bodyChunks(response.body, signal)) {
        size += chunk.length;
        if (size > max) throw cameraFault('bad_image', `the snapshot is more than ${max} bytes`);
        chunks.push(Buffer.from(chunk));
      }
    } catch (err) {
      throw classify(err, signal);
    }
    return Buffer.concat(chunks);
  }
}

function classify(err: unknown, signal: AbortSignal): Error {
  if (err instanceof Error && err.name === 'AgentError') return err;
  if (signal.aborted) return cameraFault('timeout', `no complete answer before the deadline (${errorMessage(signal.reason)})`, err);
  const code = errorCode(err);
  if (code !== undefined && NETWORK_CODES.has(code)) return cameraFault('unreachable', `${code}: ${errorMessage((err as Error).cause ?? err)}`, err);
  return cameraFault('unreachable', errorMessage((err as Error | undefined)?.cause ?? err), err);
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // the body is not needed; a broken one changes nothing
  }
}

/** SOI marker at the start and EOI at the end: a whole JPEG, not a truncated one. */
export function isJpeg(data: Buffer): boolean {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return false;
  // Some cameras pad the body after EOI; look for it near the end.
  const tail = data.subarray(Math.max(2, data.length - 64));
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}
