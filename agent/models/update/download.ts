import type { FileHandle } from 'node:fs/promises';
import { AgentError } from '../../core/errors.js';
import type { FileSystem } from '../../ports/fs.js';
import { bodyChunks, type Http } from '../../ports/http.js';
import { refuse } from './bundle.js';
import { definedProps } from '../../core/defined-props.js';

export interface DownloadOptions {
  http: Http;
  fs: FileSystem;
  allowedOrigins: readonly string[];
  maxBytes: number;
  /** Partial file: what is already there is resumed with `Range`. */
  file: string;
  onProgress(received: number, total: number | undefined): void;
  /** Dropped connections resumed before giving up. */
  attempts?: number;
  /** Aborts the whole download (every attempt) once it has taken too long in all. */
  deadline?: AbortSignal;
}

/** Refuses anything but HTTPS from a configured origin, before a single byte is fetched. */
export function checkOrigin(url: string, allowedOrigins: readonly string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('bad_url', `${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'https:') refuse('not_https', `${parsed.origin} is not HTTPS`);
  if (!allowedOrigins.includes(parsed.origin)) refuse('origin_not_allowed', `${parsed.origin} is not in models.allowedOrigins`);
  return parsed;
}

/**
 * Downloads a bundle to `file`: redirects followed only within the same origin, never more than
 * `maxBytes`, and a dropped connection resumed from where it stopped with a `Range` request.
 */
export async function downloadBundle(url: string, options: DownloadOptions): Promise<void> {
  const start = checkOrigin(url, options.allowedOrigins);
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(start, options);
    } catch (err) {
      if (options.deadline?.aborted === true) refuse('deadline', `download from ${start.origin} did not finish in time (models.downloadTimeout)`);
      if (err instanceof AgentError || attempt >= attempts) throw err;
    }
  }
}

async function fetchOnce(start: URL, options: DownloadOptions): Promise<void> {
  const have = await options.fs.stat(options.file).then((s) => s.size, () => 0);
  // The deadline may have passed while waiting for the disk: do not start a request after it.
  options.deadline?.throwIfAborted();
  const response = await fetchSameOrigin(start, options.http, have > 0 ? { range: `bytes=${have}-` } : {}, options.deadline);
  let offset = 0;
  if (response.status === 206 && have > 0 && contentRangeStart(response) === have) {
    offset = have;
  } else if (response.status === 200) {
    await options.fs.truncate(options.file).catch(() => undefined);
  } else {
    await response.body?.cancel();
    throw new AgentError('model.refused', `download from ${start.origin} answered HTTP ${response.status}`, { details: { reason: 'http_status' } });
  }
  const length = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? offset + length : undefined;
  if (total !== undefined && total > options.maxBytes) {
    await response.body?.cancel();
    refuse('too_large', `bundle is ${total} bytes, over the cap of ${options.maxBytes}`);
  }
  await writeBody(response, offset, total, options);
}

async function fetchSameOrigin(start: URL, http: Http, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  let url = start;
  for (let hop = 0; hop < 5; hop++) {
    const response = await http.fetch(url, { redirect: 'manual', headers, ...definedProps({ signal }) });
    if (response.status < 300 || response.status >= 400) return response;
    await response.body?.cancel();
    const next = new URL(response.headers.get('location') ?? '', url);
    if (next.origin !== start.origin) refuse('cross_origin_redirect', `${start.origin} redirected to ${next.origin}; only same-origin redirects are followed`);
    url = next;
  }
  return refuse('too_many_redirects', `more than 5 redirects from ${start.href}`);
}

function contentRangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match === null ? undefined : Number(match[1]);
}

async function writeBody(response: Response, offset: number, total: number | undefined, options: DownloadOptions): Promise<void> {
  if (response.body === null) return;
  const out = await options.fs.open(options.file, offset > 0 ? 'a' : 'w').catch(async (err: unknown) => {
    await response.body?.cancel();
    throw err;
  });
  let received = offset;
  try {
    for await (const chunk of bodyChunks(response.body, options.deadline)) {
      received += chunk.length;
      if (received > options.maxBytes) refuse('too_large', `bundle is over the cap of ${options.maxBytes} bytes`);
      await writeAll(out, chunk);
      options.onProgress(received, total);
    }
  } finally {
    await out.close();
  }
}

/** A file write may take only part of the buffer; the rest is written after it. */
async function writeAll(out: FileHandle, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await out.write(data, done, data.length - done);
    done += bytesWritten;
  }
}
