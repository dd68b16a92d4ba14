/**
 * Serves a file with HTTP Range (RFC 9110 §14): a browser seeking in an MP4 asks for byte ranges,
 * and plays nothing when the server ignores them. One range per request; a request for several
 * gets the whole file (allowed: a server may ignore Range).
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { SECURITY_HEADERS } from './http.js';

/** `[first, last]` (inclusive), null for the whole file, `unsatisfiable` for a range outside it. */
export function parseRange(header: string | undefined, size: number): [number, number] | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, from, to] = match as unknown as [string, string, string];
  if (from === '' && to === '') return null;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const first = Number(from);
  const last = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (first >= size || last < first) return 'unsatisfiable';
  return [first, last];
}

export async function sendFile(req: IncomingMessage, res: ServerResponse, file: { path: string; bytes: number; type: string }): Promise<void> {
  const range = parseRange(req.headers.range, file.bytes);
  const common = { ...SECURITY_HEADERS, 'content-type': file.type, 'accept-ranges': 'bytes', 'cache-control': 'private, max-age=3600' };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...common, 'content-range': `bytes */${file.bytes}` });
    res.end();
    return;
  }
  const [first, last] = range ?? [0, file.bytes - 1];
  res.writeHead(range === null ? 200 : 206, {
    ...common, 'content-length': String(last - first + 1), ...(range === null ? {} : { 'content-range': `bytes ${first}-${last}/${file.bytes}` }),
  });
  if (req.method === 'HEAD' || file.bytes === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file.path, { start: first, end: last }), res);
  } catch (err) {
    // A browser that seeks drops the request it no longer needs: not an error.
    if (!res.destroyed) throw err;
  }
}
