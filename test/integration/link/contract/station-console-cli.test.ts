import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topic } from '../../../../agent/link/contract/v1.js';
import { runCli, startCli, waitFor } from '../../../helpers/cli.js';
import { startMosquitto, type Broker } from '../../../helpers/station/broker.js';
import { SimulatedHost, realThumbnails } from '../../../helpers/station/host.js';
import { tempDir } from '../../../helpers/tmp.js';

interface Line {
  topic: string;
  kind: string;
  host?: string;
  retained: boolean;
  outcome?: string;
  delayed?: boolean;
  payload?: Record<string, unknown>;
  bytes?: number;
  saved?: string;
  error?: string;
}

const lines = (stdout: string): Line[] => stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);

describe('minwang console --json --save (real process, real mosquitto)', () => {
  let broker: Broker;
  beforeAll(async () => { broker = await startMosquitto(); });
  afterAll(async () => { await broker?.stop(); });

  it('prints one JSON line per message with what the station made of it, and saves thumbnails', async () => {
    const saveDir = await tempDir();
    const [jpeg] = await realThumbnails(1);
    const village = new SimulatedHost('xidian-wangjia-01', broker.url, 4);
    await village.connect();
    await village.camera('gate', 'degraded', 'covered');

    const console = startCli(['console', '--json', '--save', saveDir, '--url', broker.url]);
    try {
      await waitFor(() => console.output().stderr.includes('"msg":"subscribed"'), 10_000, 'the console to connect');
      await waitFor(() => lines(console.output().stdout).some((l) => l.kind === 'cameraStatus'), 10_000, 'retained camera status');
      await village.personEvent('evt-1', 'gate', jpeg!, { seq: 10 });
      await village.personEvent('evt-1', 'gate', jpeg!, { seq: 10 }); // the same message again (a replay after a crash)
      const raw = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      await raw.publishAsync(topic.status('xidian-wangjia-01'), JSON.stringify({ ts: new Date().toISOString(), state: 'offline', session: 3 }), { qos: 1 });
      await raw.publishAsync(topic.events('xidian-wangjia-01'), '{"id": "no-seq"}', { qos: 1 });
      await raw.endAsync();
      await waitFor(() => lines(console.output().stdout).some((l) => l.kind === 'invalid'), 10_000, 'the invalid message');
    } finally {
      console.child.kill('SIGTERM');
    }
    const result = await console.done;
    await village.stop();
    expect(result.code).toBe(0);

    const out = lines(result.stdout);
    expect(out.find((l) => l.kind === 'status')).toMatchObject({ host: 'xidian-wangjia-01', retained: true, outcome: 'applied', payload: { state: 'online', session: 4 } });
    expect(out.find((l) => l.kind === 'cameraStatus')).toMatchObject({ retained: true, payload: { camera: 'gate', state: 'degraded', reason: 'covered' } });
    expect(out.filter((l) => l.kind === 'event').map((l) => l.outcome)).toEqual(['applied', 'duplicate']);
    expect(out.find((l) => l.kind === 'event')).toMatchObject({ delayed: false, payload: { id: 'evt-1', label: 'person', score: 0.87 } });
    expect(out.filter((l) => l.kind === 'status').at(-1)).toMatchObject({ outcome: 'stale_session', payload: { state: 'offline', session: 3 } });
    expect(out.find((l) => l.kind === 'invalid')?.error).toMatch(/seq|type|camera/);

    const thumbnail = out.find((l) => l.kind === 'thumbnail');
    const expectedPath = join(saveDir, 'xidian-wangjia-01', 'thumbnails', 'evt-1.jpg');
    expect(thumbnail).toMatchObject({ payload: { eventId: 'evt-1' }, bytes: jpeg!.length, saved: expectedPath });
    expect(await readFile(expectedPath)).toEqual(jpeg);
  });

  it('exits 1 when the broker refuses it', async () => {
    const closed = await startMosquitto({ anonymous: false });
    try {
      const result = await runCli(['console', '--json', '--url', closed.url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/minwang console: the broker refused the connection: .*[Nn]ot authorized/);
    } finally {
      await closed.stop();
    }
  });

  it('exits 1 when the web address is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await runCli(['console', '--web', '--listen', `127.0.0.1:${port}`, '--db', join(await tempDir(), 'c.db'), '--url', broker.url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  });

  it.each([
    [['console', '--listen', '127.0.0.1:9999'], '--listen needs --web'],
    [['console', '--web', '--listen', '127.0.0.2:9999'], '--users-file is required'],
    [['console', '--url', 'http://example.org'], '--url must be mqtt:// or mqtts://'],
    [['console', '--stale-after', 'soon'], '--stale-after "soon"'],
    [['console', '--clips-budget', '1GiB'], '--clips-budget needs --web'],
    [['console', '--web', '--clips-budget', 'lots'], '--clips-budget "lots": expected a size of at least 1MiB'],
    [['demo', '--web-port', '70000'], '--web-port "70000": expected a port number'],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
