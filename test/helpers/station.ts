import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { parseConfigText } from '../../agent/config/load.js';
import type { Config } from '../../agent/config/schema.js';
import { waitFor } from './cli.js';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  userProperties: Record<string, string | string[]>;
  json: () => Record<string, unknown>;
}

/** The station side in tests: a real MQTT client that records what it receives. */
export class Station {
  readonly received: Received[] = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.received.push({ topic, payload, retain: packet.retain, userProperties: packet.properties?.userProperties ?? {}, json: () => JSON.parse(payload.toString()) as Record<string, unknown> });
    });
  }

  static async connect(url: string, filters: string[], options: IClientOptions = {}): Promise<Station> {
    const client = mqtt.connect(url, { reconnectPeriod: 300, connectTimeout: 5000, protocolVersion: 5, ...options });
    const station = new Station(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return station;
  }

  on(topic: string): Received[] {
    return this.received.filter((m) => m.topic === topic);
  }

  async waitFor(predicate: (received: Received[]) => boolean, timeoutMs = 10_000, what = 'messages'): Promise<void> {
    await waitFor(() => predicate(this.received), timeoutMs, what);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** A validated config for a link under test. */
export function testConfig(options: { host?: string; url: string; dataDir: string; mqtt?: string[]; extra?: string }): Config {
  const text = [
    `host: {id: ${options.host ?? 'test-host'}}`,
    'mqtt:',
    `  url: "${options.url}"`,
    ...((options.mqtt ?? []).some((l) => l.startsWith('reconnect:')) ? [] : ['  reconnect: {min: 200ms, max: 1s}']),
    ...(options.mqtt ?? []).map((l) => `  ${l}`),
    `storage: {dataDir: "${options.dataDir}"}`,
    options.extra ?? '',
  ].join('\n');
  return parseConfigText(text, 'test-config.yaml');
}
