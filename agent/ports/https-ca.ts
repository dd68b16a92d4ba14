import { request } from 'node:https';
import { Readable } from 'node:stream';
import type { Http } from './http.js';

/**
 * An `Http` for HTTPS that trusts exactly the given CA certificates (PEM), e.g. a private model
 * server's, without touching the process-wide trust store or turning verification off.
 * Redirects are never followed here: callers decide (`redirect: 'manual'` semantics).
 */
export function httpsWithCa(ca: string | Buffer): Http {
  return {
    fetch: (input, init) => new Promise<Response>((resolve, reject) => {
      const url = new URL(input.toString());
      if (url.protocol !== 'https:') return reject(new Error(`${url.origin} is not HTTPS`));
      if (init?.signal?.aborted === true) return reject(new Error('aborted'));
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const req = request(url, { method: init?.method ?? 'GET', headers, ca }, (res) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const status = res.statusCode ?? 502;
        const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, headers: responseHeaders }));
      });
      req.on('error', reject);
      init?.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
      req.end();
    }),
  };
}
