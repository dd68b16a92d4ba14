import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { DEMO_HOST, STREET } from '../../../../agent/field/demo/demo-config.js';
import { Demo } from '../../../../agent/field/demo/demo.js';
import { parseMessage, type StationMessageKind } from '../../../../agent/station/messages.js';
import { waitFor } from '../../../helpers/cli.js';
import { footage } from '../../../helpers/footage.js';
import { tempDir } from '../../../helpers/tmp.js';

interface Captured {
  topic: string;
  payload: Buffer;
}

const root = `minwang/${DEMO_HOST}`;

/** An answer to one of this test's commands (ids c0, c1, …): clips pushed unasked answer on the same topics. */
function isOurAnswer(m: Captured): boolean {
  if (!m.topic.endsWith('/response')) return false;
  const { id } = JSON.parse(m.payload.toString()) as { id?: unknown };
  return typeof id === 'string' && /^c\d+$/.test(id);
}
/** What a station may ask; each answer is captured too. */
const COMMANDS: [string, Record<string, unknown>][] = [
  ['ping', {}], ['patrol/run', {}], ['snapshot', { camera: STREET }], ['events/query', { limit: 5 }], ['config/get', {}],
  ['detect/set', { camera: STREET, enabled: true }], ['rebirth', {}], ['snapshot', { camera: 'nowhere' }],
];

/**
 * Everything the agent publishes in a real run (the demo: real footage through the real detector,
 * a camera going black, a patrol report, commands answered, a clean stop) is captured off the
 * broker and fed through the console's parser: the station must reject none of it.
 */
describe('the station accepts every payload the agent sends', () => {
  it('parses every message of a real run, of every kind', async () => {
    const demo = new Demo({
      clip: footage('opencv/vtest.avi'), saveDir: await tempDir(), blackAfterMs: 3000, logger: silentLogger(), webPort: 0,
      terminal: { mode: 'none', out: { write: () => true } },
    });
    const captured: Captured[] = [];
    let station: mqtt.MqttClient | undefined;
    try {
      await demo.start();
      station = await mqtt.connectAsync(demo.broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
      station.on('message', (topic, payload) => captured.push({ topic, payload }));
      await station.subscribeAsync(`${root}/#`, { qos: 1 });
      const seen = (path: string) => captured.some((m) => m.topic === `${root}/${path}`);
      const eventTypes = () => new Set(captured.filter((m) => m.topic === `${root}/events`).map((m) => (JSON.parse(m.payload.toString()) as { type: string }).type));
      await waitFor(() => eventTypes().has('new') && captured.some((m) => m.topic.endsWith('/thumbnail')), 90_000, 'an event with its thumbnail');
      await waitFor(() => seen('health') && seen('heartbeat') && seen('model'), 30_000, 'health (the yard going black), heartbeat and model');
      for (const [i, [op, params]] of COMMANDS.entries()) {
        await station.publishAsync(`${root}/cmd/${op}`, JSON.stringify({ id: `c${i}`, ...params }), { qos: 1 });
      }
      await waitFor(() => captured.filter(isOurAnswer).length >= COMMANDS.length, 30_000, 'every command answered');
      await waitFor(() => captured.some((m) => m.topic.endsWith('/sheet')), 30_000, 'the patrol report and its sheet');
    } finally {
      await demo.stop();
      await station?.endAsync(true);
    }

    const kinds = new Set<StationMessageKind>();
    const rejected: string[] = [];
    for (const message of captured) {
      const parsed = parseMessage(message.topic, message.payload);
      if (parsed.ok) kinds.add(parsed.message.kind);
      else rejected.push(`${message.topic}: ${parsed.error}`);
    }
    expect(rejected).toEqual([]);
    expect([...kinds].sort()).toEqual(['cameraStatus', 'command', 'event', 'frame', 'health', 'heartbeat', 'model', 'patrol', 'patrolSheet', 'status', 'thumbnail']);
    const events = captured.filter((m) => m.topic === `${root}/events`).map((m) => JSON.parse(m.payload.toString()) as { camera: string; zones: string[] });
    const onStreet = events.filter((e) => e.camera === STREET);
    expect(onStreet.length).toBeGreaterThan(0);
    expect(onStreet.every((e) => e.zones.length > 0)).toBe(true); // the demo's street has named zones
    const answers = captured.filter(isOurAnswer).map((m) => JSON.parse(m.payload.toString()) as { id: string; status: string; error?: { code: string } });
    expect(answers.find((a) => a.id === 'c7')).toMatchObject({ status: 'error', error: { code: 'not_found' } });
    expect(answers.filter((a) => a.id !== 'c7').map((a) => a.status)).toEqual(Array(COMMANDS.length - 1).fill('ok'));
  }, 240_000);
});
