import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import type { MqttClient } from '../../../agent/ports/mqtt.js';
import { StationState } from '../../../agent/station/state.js';
import { StationSubscriber } from '../../../agent/station/subscriber.js';
import { FakeClock } from '../../fakes/clock.js';

type SubscribeCallback = (err: Error | null, granted?: { topic: string; qos: number }[]) => void;

/** A broker connection whose first subscription is cut off (a busy broker dropping us mid-backlog). */
class DroppingClient extends EventEmitter {
  subscribes = 0;
  subscribe(topics: string[], _options: unknown, callback: SubscribeCallback): void {
    this.subscribes += 1;
    if (this.subscribes === 1) setImmediate(() => callback(new Error('Connection closed')));
    else setImmediate(() => callback(null, topics.map((topic) => ({ topic, qos: 1 }))));
  }
}

describe('StationSubscriber.start', () => {
  it('subscribes again on the next connection when the first one is lost before the broker answered, instead of failing', async () => {
    const client = new DroppingClient();
    const clock = new FakeClock();
    const subscriber = new StationSubscriber({
      broker: { url: 'mqtt://127.0.0.1:1', clientId: 'desk-a' }, connect: () => client as unknown as MqttClient,
      state: new StationState({ clock }), clock, logger: silentLogger(), sink: () => Promise.resolve(),
    });
    let settled: string | undefined;
    const started = subscriber.start().then(() => (settled = 'subscribed'), (err: unknown) => (settled = String(err)));
    client.emit('connect');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBeUndefined();
    client.emit('connect');
    await started;
    expect(settled).toBe('subscribed');
    expect(client.subscribes).toBe(2);
  });
});
