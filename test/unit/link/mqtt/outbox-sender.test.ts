import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { silentLogger } from '../../../../agent/core/logger.js';
import { MAX_SEND_ATTEMPTS, OutboxSender } from '../../../../agent/link/mqtt/outbox-sender.js';
import { Outbox } from '../../../../agent/link/outbox/outbox.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { tempDir } from '../../../helpers/tmp.js';

type Callback = (err?: Error | null) => void;

/** Records publishes; the test decides when (and whether) each is acknowledged. */
class FakeClient {
  readonly published: { topic: string; payload: string; properties: unknown; cb: Callback }[] = [];
  publish(topic: string, payload: Buffer, options: { properties?: unknown }, cb: Callback): void {
    this.published.push({ topic, payload: payload.toString(), properties: options.properties, cb });
  }
}

async function setup(window = 2) {
  const clock = new FakeClock();
  const outbox = new Outbox({ fs: realFileSystem, dir: await tempDir(), clock, logger: silentLogger(), limits: { maxBytes: 1 << 20, maxMessages: 1000 } });
  await outbox.open();
  const sender = new OutboxSender({ outbox, clock, logger: silentLogger(), historicalAfterMs: 60_000, window });
  const enqueue = (id: string) => outbox.enqueue({ kind: 'event', topic: 'minwang/h/events', body: { id }, sequenced: true });
  return { clock, outbox, sender, enqueue };
}

const attach = (sender: OutboxSender, client: FakeClient) => sender.attach(client as unknown as MqttClient, 5);
const flush = async (clock: FakeClock) => clock.advance(0);

describe('outbox sender', () => {
  it('sends in order within the window and removes a message only on its PUBACK', async () => {
    const { clock, outbox, sender, enqueue } = await setup(2);
    for (const id of ['a', 'b', 'c']) await enqueue(id);
    const client = new FakeClient();
    attach(sender, client);
    await flush(clock);
    expect(client.published.map((p) => JSON.parse(p.payload) as unknown)).toEqual([{ id: 'a', seq: 0 }, { id: 'b', seq: 1 }]);
    client.published[0]?.cb(null);
    await flush(clock);
    expect(outbox.summary().depth).toBe(2);
    expect(client.published).toHaveLength(3);
    sender.close();
    await outbox.close();
  });

  it('sends what was in flight again after a reconnect, marked historical when late', async () => {
    const { clock, sender, enqueue, outbox } = await setup(5);
    await enqueue('a');
    const first = new FakeClient();
    attach(sender, first);
    await flush(clock);
    sender.detach();
    await clock.advance(61_000);
    const second = new FakeClient();
    attach(sender, second);
    await flush(clock);
    first.published[0]?.cb(null); // a late callback from the dead connection counts for nothing
    expect(outbox.summary().depth).toBe(1);
    expect(JSON.parse(second.published[0]?.payload ?? '{}')).toEqual({ id: 'a', seq: 0, historical: true });
    expect(second.published[0]?.properties).toEqual({ userProperties: { n: '0', historical: 'true' } });
    sender.close();
    await outbox.close();
  });

  it('drops a message the broker refuses for good, and one that is never acknowledged', async () => {
    const { clock, outbox, sender, enqueue } = await setup(1);
    await enqueue('refused');
    await enqueue('poison');
    await enqueue('fine');
    let client = new FakeClient();
    attach(sender, client);
    await flush(clock);
    client.published[0]?.cb(Object.assign(new Error('Publish error: Not authorized'), { code: 135 }));
    await flush(clock);
    for (let i = 0; i < MAX_SEND_ATTEMPTS; i++) {
      expect(JSON.parse(client.published.at(-1)?.payload ?? '{}')).toMatchObject({ id: 'poison' });
      client = new FakeClient();
      attach(sender, client);
      await flush(clock);
    }
    expect(JSON.parse(client.published[0]?.payload ?? '{}')).toMatchObject({ id: 'fine' });
    expect(outbox.summary().dropped).toEqual({ images: 0, messages: 2 });
    sender.close();
    await outbox.close();
  });
});
