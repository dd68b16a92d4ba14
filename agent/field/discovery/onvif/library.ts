import onvif from 'onvif';
import type { OnvifCredentials } from '../types.js';
import { checkMulticastRoute } from './multicast-route.js';
import type { ClientFailure, OnvifClient, ProbeOptions, ProbeOutcome, RawDeviceReading, RawProfileUris } from './client.js';
import { definedProps } from '../../../core/defined-props.js';

type Callback<T> = (err: Error | null, data?: T) => void;

/** The part of the library's `Cam` discovery uses, typed narrowly so nothing untyped leaks out. */
interface LibraryCam {
  connect(callback: Callback<unknown>): void;
  getProfiles(callback: Callback<unknown>): void;
  getStreamUri(options: { protocol: 'RTSP'; profileToken: string }, callback: Callback<unknown>): void;
  getSnapshotUri(options: { profileToken: string }, callback: Callback<unknown>): void;
}

/**
 * The onvif library in this thread. Its callbacks can throw on answers it does not expect, which
 * would end the process; `isolated.ts` runs this in a worker thread so that cannot happen to the CLI.
 */
export const inProcessOnvifClient: OnvifClient = {
  probe,
  async readDevice(serviceUrl, credentials, timeoutMs) {
    try {
      return { ok: true, reading: await readDevice(serviceUrl, credentials, timeoutMs) };
    } catch (err) {
      return { ok: false, failure: toFailure(err) };
    }
  },
};

async function probe(options: ProbeOptions): Promise<ProbeOutcome> {
  await checkMulticastRoute(options.interfaceName);
  return probeWithLibrary(options);
}

function probeWithLibrary(options: ProbeOptions): Promise<ProbeOutcome> {
  const outcome: ProbeOutcome = { answers: [], problems: [] };
  const onDevice = (data: unknown, rinfo: { address: string }) => {
    outcome.answers.push({ from: rinfo.address, data });
  };
  // The library emits 'error' for answers it cannot parse; without a listener that would throw.
  const onError = (error: unknown) => {
    outcome.problems.push(error instanceof Error ? error.message : String(error));
  };
  onvif.Discovery.on('device', onDevice);
  onvif.Discovery.on('error', onError);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: unknown) => {
      if (settled) return;
      settled = true;
      onvif.Discovery.off('device', onDevice);
      onvif.Discovery.off('error', onError);
      // A socket error (no multicast route, interface down) is fatal; unreadable answers are not.
      if (err instanceof Error) reject(err);
      else resolve(outcome);
    };
    const probeOptions = { timeout: options.timeoutMs, resolve: false, ...definedProps({ device: options.interfaceName }) };
    onvif.Discovery.probe(probeOptions, (err) => settle(err));
  });
}

async function readDevice(serviceUrl: string, credentials: OnvifCredentials | undefined, timeoutMs: number): Promise<RawDeviceReading> {
  const url = new URL(serviceUrl);
  const secure = url.protocol === 'https:';
  const cam: LibraryCam = new onvif.Cam({
    hostname: url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: url.pathname,
    useSecure: secure,
    timeout: timeoutMs,
    autoconnect: false,
    ...(credentials === undefined ? {} : { username: credentials.username, password: credentials.password }),
  });
  await call<unknown>((cb) => cam.connect(cb));
  // Asked again because `connect` swallows a GetProfiles failure (a wrong password on a camera
  // that answers the pre-authentication calls) and reports success with no profiles.
  const profiles = await call<unknown>((cb) => cam.getProfiles(cb));
  const uris: RawProfileUris[] = [];
  for (const token of profileTokens(profiles)) uris.push(await readUris(cam, token));
  return { profiles, uris };
}

async function readUris(cam: LibraryCam, token: string): Promise<RawProfileUris> {
  const uris: RawProfileUris = { token };
  try {
    uris.stream = await call<unknown>((cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: token }, cb));
  } catch (err) {
    uris.streamError = toFailure(err).message;
  }
  try {
    uris.snapshot = await call<unknown>((cb) => cam.getSnapshotUri({ profileToken: token }, cb));
  } catch (err) {
    uris.snapshotError = toFailure(err).message;
  }
  return uris;
}

/**
 * Profile tokens from the library's parsed profiles (`$.token` on each). The library turns
 * numeric-looking text into numbers, so a token `1` arrives as the number 1.
 */
function profileTokens(profiles: unknown): string[] {
  const list = Array.isArray(profiles) ? (profiles as unknown[]) : profiles === undefined ? [] : [profiles];
  return list.flatMap((p) => {
    const token = (p as { $?: { token?: unknown } } | null)?.$?.token;
    return typeof token === 'string' || typeof token === 'number' ? [String(token)] : [];
  });
}

function call<T>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((err, data) => (err ? reject(err) : resolve(data as T)));
  });
}

function toFailure(err: unknown): ClientFailure {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return { message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: String(err) };
}
