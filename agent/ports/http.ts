/** Outgoing HTTP(S): camera snapshots and model downloads. */
export interface Http {
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

export const realHttp: Http = { fetch: (input, init) => globalThis.fetch(input, init) };
