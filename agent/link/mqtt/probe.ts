import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../core/errors.js';
import type { FileSystem } from '../../ports/fs.js';
import type { MqttConnector } from '../../ports/mqtt.js';
import { classifyBrokerError, type BrokerErrorKind } from './broker-errors.js';
import { connectOptions, readTlsMaterial } from './client-options.js';

export type BrokerProbeResult =
  | { ok: true; protocolVersion: 4 | 5; message: string }
  | { ok: false; kind: BrokerErrorKind | 'config'; message: string };

/**
 * One connection attempt with the host's broker settings, for `minwang check`: connects with a
 * throwaway client id (`<client id>-check`, clean session, no will) so a running agent keeps
 * its session, then disconnects. Never throws.
 */
export async function probeBroker(mqtt: Config['mqtt'], hostId: string, deps: { connector: MqttConnector; fs: FileSystem }): Promise<BrokerProbeResult> {
  let tls;
  try {
    tls = await readTlsMaterial(deps.fs, mqtt.tls);
  } catch (err) {
    return { ok: false, kind: 'config', message: errorMessage(err) };
  }
  const clientId = `${mqtt.clientId ?? hostId}-check`;
  const first = await attempt(mqtt, clientId, mqtt.protocolVersion, tls, deps.connector);
  if (first.ok || first.kind !== 'protocol' || mqtt.protocolVersion === 4) return first;
  return attempt(mqtt, clientId, 4, tls, deps.connector);
}

function attempt(mqtt: Config['mqtt'], clientId: string, protocolVersion: 4 | 5, tls: Awaited<ReturnType<typeof readTlsMaterial>>, connector: MqttConnector): Promise<BrokerProbeResult> {
  return new Promise((resolve) => {
    const client = connector(mqtt.url, connectOptions({ mqtt, clientId, protocolVersion, tls, ephemeral: true }));
    let lastError: unknown;
    let connected = false;
    client.on('error', (err) => { lastError = err; });
    client.once('connect', () => {
      connected = true;
      client.end(false, {}, () => resolve({ ok: true, protocolVersion, message: `connected to ${mqtt.url} with MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}` }));
    });
    client.once('close', () => {
      if (connected) return;
      client.end(true);
      const info = classifyBrokerError(lastError, protocolVersion);
      resolve({ ok: false, kind: info.kind, message: `${mqtt.url}: ${info.message}` });
    });
  });
}
