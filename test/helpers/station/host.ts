import mqtt, { type MqttClient } from 'mqtt';
import sharp from 'sharp';
import { topic, type CameraStatusPayload, type EventPayload, type StatusPayload } from '../../../agent/link/contract/v1.js';
import { footage } from '../footage.js';

/**
 * A village host as the station sees it: an mqtt.js client publishing contract v1 with the
 * retain flags and QoS the contract gives, and its offline status as the last will.
 */
export class SimulatedHost {
  private client: MqttClient | undefined;
  private seq = 0;

  constructor(readonly id: string, private readonly url: string, readonly session: number) {}

  async connect(): Promise<void> {
    const will: StatusPayload = { ts: new Date().toISOString(), state: 'offline', session: this.session, version: '0.1.0', contract: 1 };
    this.client = await mqtt.connectAsync(this.url, {
      clientId: `sim-${this.id}-${this.session}`,
      protocolVersion: 5,
      reconnectPeriod: 0,
      will: { topic: topic.status(this.id), payload: Buffer.from(JSON.stringify(will)), retain: true, qos: 1 },
    });
    await this.publish(topic.status(this.id), { ...will, ts: new Date().toISOString(), state: 'online' }, true);
    await this.heartbeat();
  }

  heartbeat(): Promise<void> {
    return this.publish(topic.heartbeat(this.id), { ts: new Date().toISOString(), seq: ++this.seq, uptimeS: 60, session: this.session }, true, 0);
  }

  camera(camera: string, state: CameraStatusPayload['state'], reason: CameraStatusPayload['reason']): Promise<void> {
    const now = new Date().toISOString();
    return this.publish(topic.cameraStatus(this.id, camera), { ts: now, camera, state, reason, since: now }, true);
  }

  /** A person event with its thumbnail; returns the event id. */
  async personEvent(id: string, camera: string, jpeg: Buffer, overrides: Partial<EventPayload> = {}): Promise<string> {
    const now = new Date().toISOString();
    const event: EventPayload = {
      ts: now, id, type: 'new', camera, label: 'person', score: 0.87, box: [0.2, 0.1, 0.5, 0.9], zones: [],
      startedAt: now, thumbnail: true, seq: ++this.seq, ...overrides,
    };
    await this.publish(topic.eventThumbnail(this.id, id), jpeg, false);
    await this.publish(topic.events(this.id), event, false);
    return id;
  }

  /** Drops the connection without DISCONNECT, so the broker publishes the will. */
  crash(): void {
    this.client?.stream.destroy();
    this.client?.end(true);
    this.client = undefined;
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  private async publish(name: string, payload: unknown, retain: boolean, qos: 0 | 1 = 1): Promise<void> {
    if (this.client === undefined) throw new Error(`${this.id} is not connected`);
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
    await this.client.publishAsync(name, bytes, { retain, qos });
  }
}

/** Real JPEG thumbnails: crops of the scikit-image astronaut photograph. */
export async function realThumbnails(count: number): Promise<Buffer[]> {
  const source = footage('skimage/astronaut.png');
  return Promise.all(Array.from({ length: count }, (_, i) =>
    sharp(source).extract({ left: 60 + i * 40, top: 20, width: 200, height: 260 }).resize(120, 156).jpeg({ quality: 80 }).toBuffer()));
}
