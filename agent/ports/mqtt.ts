import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

export type { IClientOptions, MqttClient };

/** Opens a connection to a broker. The real one is mqtt.js; fault tests wrap it. */
export type MqttConnector = (url: string, options: IClientOptions) => MqttClient;

export const realMqttConnector: MqttConnector = (url, options) => mqtt.connect(url, options);
