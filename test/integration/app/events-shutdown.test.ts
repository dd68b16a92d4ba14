import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../../agent/app/agent.js';
import { parseConfigText } from '../../../agent/config/load.js';
import { silentLogger } from '../../../agent/core/logger.js';
import type { Detection, Detector } from '../../../agent/edge/types.js';
import { realHostPorts } from '../../../agent/ports/index.js';
import { waitFor } from '../../helpers/cli.js';
import { footage } from '../../helpers/footage.js';
import { TestBroker } from '../../helpers/mosquitto.js';
import { Station, type Received } from '../../helpers/station.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The real composition (config, MQTT link with its durable outbox, camera pipeline replaying
 * vtest.avi through ffmpeg, events stage) against a real mosquitto. The detector is scripted: two
 * people walking back and forth, so what the station must receive is known exactly.
 */
const HOST = 'ev-host';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function walkingPeople(): Detector {
  let n = 0;
  return {
    detect() {
      n++;
      const x = 0.1 + ((n % 10) * 0.04);
      const person = (left: number): Detection => ({ label: 'person', class: 'person', score: 0.8, box: [left, 0.3, left + 0.08, 0.6] });
      return Promise.resolve({ width: 768, height: 576, ms: 1, detections: [person(x), person(x + 0.45)] });
    },
  };
}

const nobody: Detector = { detect: () => Promise.resolve({ width: 768, height: 576, ms: 1, detections: [] }) };

async function startAgent(dir: string, brokerUrl: string, detector: Detector): Promise<Agent> {
  const config = parseConfigText(`
host: { id: ${HOST} }
mqtt: { url: "${brokerUrl}", reconnect: { min: 200ms, max: 1s } }
storage: { dataDir: ${join(dir, 'data')} }
cameras:
  - id: gate
    file: { path: '${footage('opencv/vtest.avi')}', loop: true }
    interval: 250ms
    events: { thumbnailAfter: 10m }
`, 'events-it.yaml');
  const agent = createAgent({ config, ports: realHostPorts(), logger: silentLogger(), detector });
  await agent.start();
  return agent;
}

const events = (station: Station) => station.on(`minwang/${HOST}/events`).map((m) => m.json());
const thumbnailIds = (station: Station) => station.received
  .map((m: Received) => /\/events\/([^/]+)\/thumbnail$/.exec(m.topic)?.[1])
  .filter((id): id is string => id !== undefined);

describe('events with a real broker', () => {
  it('records both people despite the cooldown, in events and events/query; a stop ends them, and the ends and thumbnails arrive after a restart', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, [`minwang/${HOST}/events/#`, `minwang/${HOST}/cmd/+/+/response`]);
    cleanups.push(() => station.close());

    const first = await startAgent(dir, broker.url, walkingPeople());
    let firstStopped = false;
    cleanups.push(async () => { if (!firstStopped) await first.stop(); });
    await station.waitFor(() => events(station).filter((e) => e['type'] === 'new').length >= 2, 30_000, 'two new events');
    const news = events(station).filter((e) => e['type'] === 'new');
    expect(news).toHaveLength(2);
    // The default 30 s cooldown: the second person is in the record, it just does not ring.
    expect(news.map((e) => [e['alert'], e['quiet']])).toEqual([[true, undefined], [false, 'cooldown']]);
    const ids = news.map((e) => String(e['id']));

    await station.client.publishAsync(`minwang/${HOST}/cmd/events/query`, JSON.stringify({ id: 'q1' }), { qos: 1 });
    await station.waitFor((r) => r.some((m) => m.topic.endsWith('/cmd/events/query/response')), 10_000, 'the query answer');
    const answer = station.on(`minwang/${HOST}/cmd/events/query/response`)[0]?.json() as { status: string; data: { events: { id: string; type: string; alert?: boolean }[] } };
    expect(answer.status).toBe('ok');
    expect(answer.data.events.filter((e) => e.type === 'new').map((e) => [e.id, e.alert])).toEqual([[ids[0], true], [ids[1], false]]);

    // The broker goes away, then the agent is stopped (what SIGTERM does): the ends and the
    // pictures still due must wait in the outbox.
    await broker.kill();
    expect(await first.stop()).toEqual([]);
    firstStopped = true;
    expect(events(station).filter((e) => e['type'] === 'end')).toEqual([]);
    expect(thumbnailIds(station)).toEqual([]);

    await broker.restart();
    await waitFor(() => station.client.connected, 15_000, 'the station to reconnect');
    const second = await startAgent(dir, broker.url, nobody);
    cleanups.push(() => second.stop());
    await station.waitFor(() => events(station).filter((e) => e['type'] === 'end').length === 2 && thumbnailIds(station).length === 2, 30_000, 'the ends and thumbnails');
    const ends = events(station).filter((e) => e['type'] === 'end');
    expect(ends.map((e) => [e['id'], e['reason'], e['thumbnail'], e['alert']]).sort()).toEqual([
      [ids[0], 'shutdown', true, true], [ids[1], 'shutdown', true, false],
    ].sort());
    expect(thumbnailIds(station).sort()).toEqual([...ids].sort());
    for (const m of station.received.filter((r) => r.topic.endsWith('/thumbnail'))) {
      expect((await sharp(m.payload).metadata()).format).toBe('jpeg');
    }
  }, 120_000);
});
