import type { IClientOptions } from '../../ports/mqtt.js';
import type { FileSystem } from '../../ports/fs.js';
import type { Config } from '../../config/schema.js';
import { AgentError, errorMessage } from '../../core/errors.js';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

/** Reads the TLS files named in the config (the loader already refused a world-readable key). */
export async function readTlsMaterial(fs: FileSystem, tls: Config['mqtt']['tls']): Promise<TlsMaterial> {
  if (tls === undefined) return {};
  const material: TlsMaterial = {};
  for (const field of ['ca', 'cert', 'key'] as const) {
    const path = tls[field];
    if (path === undefined) continue;
    try {
      material[field] = await fs.readFile(path);
    } catch (err) {
      throw new AgentError('config.secret_unreadable', `mqtt.tls.${field}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, { cause: err });
    }
  }
  if (tls.servername !== undefined) material.servername = tls.servername;
  return material;
}

export interface ConnectOptionsInput {
  mqtt: Config['mqtt'];
  clientId: string;
  protocolVersion: 4 | 5;
  tls: TlsMaterial;
  will?: { topic: string; payload: Buffer };
  /** A throwaway connection (the doctor's probe): clean session, no expiry. */
  ephemeral?: boolean;
}

/**
 * mqtt.js options for one connection attempt. mqtt.js's own reconnect is off: the link retries
 * with exponential backoff and builds fresh options (a new `session` in the will) each time.
 * MQTT 5 keeps a session only when `sessionExpiryInterval` > 0 is sent; `clean: false` alone
 * is not enough (the broker drops the session at disconnect).
 */
export function connectOptions(input: ConnectOptionsInput): IClientOptions {
  const { mqtt, protocolVersion, ephemeral = false } = input;
  const options: IClientOptions = {
    clientId: input.clientId,
    protocolVersion,
    clean: ephemeral,
    keepalive: Math.ceil(mqtt.keepalive / 1000),
    connectTimeout: mqtt.connectTimeout,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    rejectUnauthorized: true,
    ...input.tls,
  };
  if (mqtt.username !== undefined) options.username = mqtt.username;
  if (mqtt.password !== undefined) options.password = mqtt.password;
  if (protocolVersion === 5) {
    options.properties = { sessionExpiryInterval: ephemeral ? 0 : Math.round(mqtt.sessionExpiry / 1000) };
  }
  if (input.will !== undefined) options.will = { topic: input.will.topic, payload: input.will.payload, qos: 1, retain: true };
  return options;
}
