import type { OnvifCredentials } from '../types.js';

export interface ProbeOptions {
  /** How long to listen for answers after the probe is sent. */
  timeoutMs: number;
  /** Network interface to probe from (e.g. `eth0`); default: the one the multicast route picks. */
  interfaceName?: string;
}

/** One WS-Discovery answer as the library parsed it; validated later (`responses.ts`). */
export interface RawProbeAnswer {
  from: string;
  data: unknown;
}

export interface ProbeOutcome {
  answers: RawProbeAnswer[];
  /** Answers or socket events the library could not use, in its words. */
  problems: string[];
}

/** The URIs one profile gave, as the library returned them; validated later. */
export interface RawProfileUris {
  token: string;
  stream?: unknown;
  streamError?: string;
  snapshot?: unknown;
  snapshotError?: string;
}

export interface RawDeviceReading {
  profiles: unknown;
  uris: RawProfileUris[];
}

/** A failure as plain data, so it can cross a worker boundary. */
export interface ClientFailure {
  message: string;
  /** Node's error code (ECONNREFUSED...) or `timeout` when our own deadline passed. */
  code?: string;
}

export type ReadOutcome = { ok: true; reading: RawDeviceReading } | { ok: false; failure: ClientFailure };

/**
 * What discovery needs from an ONVIF library: a WS-Discovery probe and reading one device's
 * media profiles. Implementations return the library's raw answers; `responses.ts` validates them.
 */
export interface OnvifClient {
  probe(options: ProbeOptions): Promise<ProbeOutcome>;
  /** Never rejects: a device that fails is a result, not an exception. */
  readDevice(serviceUrl: string, credentials: OnvifCredentials | undefined, timeoutMs: number): Promise<ReadOutcome>;
}
