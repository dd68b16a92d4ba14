/** Outgoing HTTP(S): camera snapshots and model downloads. */
export interface Http {
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

export const realHttp: Http = { fetch: (input, init) => globalThis.fetch(input, init) };

/**
 * A response body's chunks, with `signal` wired to the read itself. Aborting the signal given to
 * fetch is not enough: Node's fetch (undici 6.24 in Node 20.20; 22 and 23 too) forwards it to the body via a
 * WeakRef to its internal Request, nothing holds that Request once the headers are in, and after
 * a garbage collection a body that stalls waits forever (nodejs/node#55428, nodejs/undici#4068).
 * On abort the iteration throws the signal's reason and the stream is cancelled, which closes the
 * connection; so does leaving the loop early.
 */
export async function* bodyChunks(body: ReadableStream<Uint8Array> | null, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  if (body === null) return;
  const reader = body.getReader();
  const cancel = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  let ended = false;
  try {
    if (signal?.aborted === true) cancel();
    for (;;) {
      const { done, value } = await reader.read();
      // A cancelled reader reports `done`: that is the abort, not the end of the body.
      signal?.throwIfAborted();
      if (done) break;
      yield value;
    }
    ended = true;
  } finally {
    signal?.removeEventListener('abort', cancel);
    if (!ended) cancel();
  }
}
