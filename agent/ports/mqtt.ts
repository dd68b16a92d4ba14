import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

export type { IClientOptions, MqttClient };

/** Opens a connection to a broker. The real one is mqtt.js; fault tests wrap it. */
export type MqttConnector = (url: string, options: IClientOptions) => MqttClient;

/** What of a client's transport can turn Nagle's algorithm off: TCP and TLS sockets have it, WebSocket streams not. */
interface NagleStream {
  setNoDelay?: (noDelay?: boolean) => unknown;
}

/**
 * Turns Nagle's algorithm off on every connection the client makes. With it on, a small message
 * written right after a large one (an alert after a 64 KiB clip chunk, a clip request after a
 * PUBACK) waits for the peer's delayed ACK, up to 40 ms on Linux: alerts came 10 times slower
 * while a clip was in flight, and each chunk took a delayed ACK (`npm run bench -- clips`).
 */
export function sendWithoutDelay(client: { on(event: 'connect', listener: () => void): unknown; stream: unknown }): void {
  client.on('connect', () => (client.stream as NagleStream | undefined)?.setNoDelay?.(true));
}

export const realMqttConnector: MqttConnector = (url, options) => {
  const client = mqtt.connect(url, options);
  sendWithoutDelay(client);
  return client;
};
