/**
 * Where the web console listens, and whether that counts as loopback. Loopback is exactly the
 * literal addresses 127.0.0.1 and ::1. Everything else needs a login — including the rest of
 * 127.0.0.0/8 (a container or tunnel may forward it), `localhost` (a name: /etc/hosts decides),
 * 0.0.0.0, :: and IPv4-mapped ::ffff:127.0.0.1.
 */
import { isIP } from 'node:net';
import { AgentError } from '../../core/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:8080';

export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || port > 65_535) {
    throw new AgentError('usage', `--listen ${JSON.stringify(text)}: expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080`);
  }
  if (isIP(host) === 0) throw new AgentError('usage', `--listen ${JSON.stringify(text)}: ${host} is not an IP address`);
  return { host, port };
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1';
}

/** The Host header values a loopback console answers to (anything else is DNS rebinding). */
export function loopbackHostHeaders(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function formatAddress(address: ListenAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
