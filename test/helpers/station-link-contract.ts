import { describe, expect, it } from 'vitest';
import type { StationLink } from '../../agent/link/contract/link.js';
import { CommandError, type CommandResponse, type EventBody } from '../../agent/link/contract/v1.js';

/** One implementation of `StationLink`, as a station sees it. */
export interface LinkUnderTest {
  link: StationLink;
  /** The events the station received, once there are at least `count`. */
  events(count: number): Promise<Record<string, unknown>[]>;
  /** Sends `cmd/<op>` with this JSON request and resolves with the answer. */
  request(op: string, request: Record<string, unknown>): Promise<CommandResponse>;
  close(): Promise<void>;
}

const ts = '2026-01-01T00:00:00.000Z';
const event = (id: string): EventBody => ({
  ts, id, type: 'new', camera: 'gate', label: 'person', score: 0.9, box: [0.1, 0.1, 0.2, 0.3], zones: ['yard'], startedAt: ts, thumbnail: false, alert: true,
});

/**
 * The contract every `StationLink` keeps, run against each implementation (the MQTT link on a real
 * mosquitto, the in-memory link the other tests use), so what passes in one passes in the other.
 */
export function describeStationLink(name: string, start: () => Promise<LinkUnderTest>): void {
  const using = async (body: (t: LinkUnderTest) => Promise<void>) => {
    const t = await start();
    try {
      await body(t);
    } finally {
      await t.close();
    }
  };

  describe(`StationLink contract: ${name}`, () => {
    it('queues a valid event and refuses an invalid one, naming the topic and the field, without queueing it', async () => {
      await using(async (t) => {
        await expect(t.link.publishEvent({ ...event('bad-1'), box: [0.1, 0.1, 1.2, 0.3] })).rejects.toMatchObject({
          code: 'link.invalid_message', message: expect.stringMatching(/events payload: box\.2: /) as unknown,
        });
        await expect(t.link.publishEvent({ ...event('bad-2'), colour: 'red' } as EventBody)).rejects.toThrow(/events payload: unknown field colour/);
        await expect(t.link.publishEvent({ ...event('bad-3'), zones: ['a/b'] })).rejects.toThrow(/events payload: zones\.0: /);
        await t.link.publishEvent(event('good-1'));
        const received = await t.events(1);
        expect(received.map((e) => e['id'])).toEqual(['good-1']);
        expect(received[0]).toMatchObject({ zones: ['yard'], alert: true });
      });
    });

    it('refuses ids that would change a topic and payloads outside their enumerations', async () => {
      await using(async (t) => {
        await expect(t.link.publishThumbnail('ev/1', Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).rejects.toThrow(/event id "ev\/1" cannot be a topic level/);
        await expect(t.link.publishHealth({ ts, id: 'h-1', kind: 'meteor' as 'tamper', state: 'raised', subject: 'host', severity: 'info', message: '' }))
          .rejects.toThrow(/health payload: kind: /);
        expect(() => t.link.setCameraStatus({ ts, camera: 'a+b', state: 'online', reason: null, since: ts })).toThrow(/camera: must be 1-32/);
        expect(() => t.link.setModel({ ts, installed: null, update: { state: 'downloading', progress: 45 } })).toThrow(/model payload: update\.progress: /);
        expect(() => t.link.setHeartbeat({ ts: 'yesterday', uptimeS: 1 })).toThrow(/heartbeat payload: ts: /);
      });
    });

    it('answers commands with the contract schema of the op, and the documented error codes', async () => {
      await using(async (t) => {
        const runs: unknown[] = [];
        t.link.registerCommand('detect/set', ({ camera, enabled }) => {
          runs.push(camera);
          if (camera !== 'gate') throw new CommandError('not_found', `no camera "${camera}"`);
          return Promise.resolve({ camera, enabled });
        });
        expect(() => t.link.registerCommand('detect/set', () => Promise.reject(new Error('x')))).toThrow(/registered twice/);
        expect(() => t.link.registerCommand('reboot' as 'ping', () => Promise.reject(new Error('x')))).toThrow(/not a command of the contract/);
        expect(await t.request('detect/set', { id: 'r1', camera: 'gate', enabled: false })).toEqual({ id: 'r1', status: 'ok', data: { camera: 'gate', enabled: false } });
        expect(await t.request('detect/set', { id: 'r2', camera: 'yard', enabled: false })).toMatchObject({ id: 'r2', status: 'error', error: { code: 'not_found' } });
        expect(await t.request('detect/set', { id: 'r3', camera: '../x', enabled: false })).toMatchObject({ status: 'error', error: { code: 'bad_request', message: expect.stringMatching(/^camera: /) as unknown } });
        expect(await t.request('reboot', { id: 'r4' })).toMatchObject({ status: 'error', error: { code: 'unknown_command' } });
        expect(runs).toEqual(['gate', 'yard']);
      });
    });
  });
}
