import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommandDispatcher, CommandError } from '../../../../agent/link/commands/dispatcher.js';
import { CAMERA_ID_RE, type CommandResponse } from '../../../../agent/link/contract/v1.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { FakeClock } from '../../../fakes/clock.js';

function setup(maxBytes = 4096) {
  const clock = new FakeClock(new Date('2026-03-01T00:00:00Z'));
  const answers: { op: string; response: CommandResponse }[] = [];
  const dispatcher = new CommandDispatcher({ clock, logger: silentLogger(), maxBytes, answer: (op, response) => answers.push({ op, response }) });
  const runs: unknown[] = [];
  dispatcher.register('detect/set', (params) => {
    runs.push(params);
    return Promise.resolve(params);
  });
  return { clock, answers, dispatcher, runs };
}

const send = (d: CommandDispatcher, op: string, body: unknown) => d.handle(op, Buffer.from(JSON.stringify(body)));

describe('command dispatcher', () => {
  it('runs a valid request and answers ok with its id', async () => {
    const { dispatcher, answers, runs } = setup();
    await send(dispatcher, 'detect/set', { id: 'r1', camera: 'gate', enabled: false });
    expect(runs).toEqual([{ camera: 'gate', enabled: false }]);
    expect(answers).toEqual([{ op: 'detect/set', response: { id: 'r1', status: 'ok', data: { camera: 'gate', enabled: false } } }]);
  });

  it('answers a replayed id from memory without running it again', async () => {
    const { dispatcher, answers, runs } = setup();
    await send(dispatcher, 'detect/set', { id: 'r1', camera: 'gate', enabled: true });
    await send(dispatcher, 'detect/set', { id: 'r1', camera: 'gate', enabled: true });
    expect(runs).toHaveLength(1);
    expect(answers.map((a) => a.response)).toEqual([answers[0]?.response, answers[0]?.response]);
  });

  it('keeps a large answer (a picture) only as a short refusal, so repeats cannot fill the memory', async () => {
    const { dispatcher, answers } = setup(1 << 20);
    let runs = 0;
    dispatcher.register('snapshot', ({ camera }) => {
      runs++;
      return Promise.resolve({ camera, capturedAt: '2026-03-01T00:00:00.000Z', width: 64, height: 48, contentType: 'image/jpeg' as const, jpegBase64: 'A'.repeat(200_000) });
    });
    await send(dispatcher, 'snapshot', { id: 's1', camera: 'gate' });
    await send(dispatcher, 'snapshot', { id: 's1', camera: 'gate' });
    expect(runs).toBe(1);
    expect(answers[0]?.response).toMatchObject({ id: 's1', status: 'ok' });
    expect(answers[1]?.response).toMatchObject({ id: 's1', status: 'error', error: { code: 'busy', message: expect.stringMatching(/answered once .* ask again with a new id/) as unknown } });
    expect(JSON.stringify(answers[1]?.response).length).toBeLessThan(300);
  });

  it('forgets ids after the replay window', async () => {
    const { dispatcher, clock, runs } = setup();
    await send(dispatcher, 'detect/set', { id: 'r1', camera: 'gate', enabled: true });
    await clock.advance(11 * 60_000);
    await send(dispatcher, 'detect/set', { id: 'r1', camera: 'gate', enabled: true });
    expect(runs).toHaveLength(2);
  });

  it.each([
    [{ id: 'r2', camera: 'gate', enabled: true, extra: 1 }, 'bad_request', /unknown field extra/],
    [{ id: 'r3', camera: 'gate' }, 'bad_request', /enabled/],
    [{ id: 'r3b', camera: '../gate', enabled: true }, 'bad_request', /camera: must be 1-32 characters/],
    [{ id: 'r4', camera: 'gate', enabled: true, expires: '2026-02-28T23:59:59Z' }, 'expired', /expired/],
    [{ id: 'r5', camera: 'gate', enabled: true, expires: 'tomorrow' }, 'bad_request', /expires/],
  ])('refuses %j without running it', async (body, code, message) => {
    const { dispatcher, answers, runs } = setup();
    await send(dispatcher, 'detect/set', body);
    expect(runs).toEqual([]);
    const response = answers[0]?.response;
    expect(response).toMatchObject({ id: body.id, status: 'error', error: { code } });
    expect(response?.status === 'error' ? response.error.message : '').toMatch(message);
  });

  it('runs a request whose expiry is still ahead', async () => {
    const { dispatcher, runs } = setup();
    await send(dispatcher, 'detect/set', { id: 'r6', camera: 'lane', enabled: true, expires: '2026-03-01T00:05:00Z' });
    expect(runs).toHaveLength(1);
  });

  it('answers an unknown op with the known ones', async () => {
    const { dispatcher, answers } = setup();
    await send(dispatcher, 'reboot', { id: 'x' });
    expect(answers[0]?.response).toMatchObject({ status: 'error', error: { code: 'unknown_command', message: expect.stringContaining('detect/set') as unknown } });
  });

  it('does not answer what has no usable id, or is too large to read', async () => {
    const { dispatcher, answers, runs } = setup(64);
    await dispatcher.handle('detect/set', Buffer.from('not json'));
    await send(dispatcher, 'detect/set', [1, 2]);
    await send(dispatcher, 'detect/set', { camera: 'gate', enabled: true });
    await send(dispatcher, 'detect/set', { id: 'has space', camera: 'gate', enabled: true });
    await send(dispatcher, 'detect/set', { id: 'big', camera: 'gate', enabled: true, pad: 'x'.repeat(100) });
    expect(answers).toEqual([]);
    expect(runs).toEqual([]);
  });

  it('turns a handler error into an error answer', async () => {
    const { dispatcher, answers } = setup();
    dispatcher.register('snapshot', () => Promise.reject(new CommandError('not_found', 'no camera "x"')));
    dispatcher.register('ping', () => Promise.reject(new Error('secret internals')));
    await send(dispatcher, 'snapshot', { id: 's1', camera: 'x' });
    await send(dispatcher, 'ping', { id: 'b1' });
    expect(answers.map((a) => a.response)).toEqual([
      { id: 's1', status: 'error', error: { code: 'not_found', message: 'no camera "x"' } },
      { id: 'b1', status: 'error', error: { code: 'failed', message: 'internal error (see the host log)' } },
    ]);
  });

  it('does not send an answer that breaks the contract', async () => {
    const { dispatcher, answers } = setup();
    dispatcher.register('rebirth', () => Promise.resolve({ republished: -1 }));
    await send(dispatcher, 'rebirth', { id: 'rb' });
    expect(answers.map((a) => a.response)).toEqual([{ id: 'rb', status: 'error', error: { code: 'failed', message: 'internal error (see the host log)' } }]);
  });

  it('registers only contract ops, once each', () => {
    const { dispatcher } = setup();
    const run = () => Promise.resolve({ camera: 'gate', enabled: true });
    expect(() => dispatcher.register('x/response' as 'detect/set', run)).toThrow(/not a command of the contract/);
    expect(() => dispatcher.register('Bad Op' as 'detect/set', run)).toThrow(/not a command of the contract/);
    expect(() => dispatcher.register('detect/set', run)).toThrow(/registered twice/);
  });
});

describe('fuzzed command payloads', () => {
  const valid = { id: 'ok-1', camera: 'gate', enabled: true };
  /** Mutations that each make the valid request invalid. */
  const mutated = fc.oneof(
    fc.record({ key: fc.string({ minLength: 1 }).filter((k) => !['id', 'camera', 'enabled', 'expires', '__proto__'].includes(k)), value: fc.jsonValue() })
      .map(({ key, value }) => JSON.stringify({ ...valid, [key]: value })),
    fc.jsonValue().filter((v) => typeof v !== 'string' || !CAMERA_ID_RE.test(v)).map((camera) => JSON.stringify({ ...valid, camera })),
    fc.jsonValue().filter((v) => typeof v !== 'boolean').map((enabled) => JSON.stringify({ ...valid, enabled })),
    fc.constantFrom('camera', 'enabled').map((drop) => JSON.stringify(Object.fromEntries(Object.entries(valid).filter(([k]) => k !== drop)))),
    fc.jsonValue().filter((v) => typeof v !== 'string').map((expires) => JSON.stringify({ ...valid, expires })),
    fc.integer({ min: 1, max: 40 }).map((cut) => JSON.stringify(valid).slice(0, -cut)),
  );
  const noise = fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string(), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')));

  it('never throws, never runs the action, and answers with an error or not at all', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(mutated, noise), fc.constantFrom('detect/set', 'nope', 'events/query'), async (text, op) => {
      const { dispatcher, answers, runs } = setup(256);
      await dispatcher.handle(op, Buffer.from(text, 'latin1'));
      if (op === 'detect/set') expect(runs).toEqual([]);
      for (const { response } of answers) expect(response.status).toBe('error');
      expect(answers.length).toBeLessThanOrEqual(1);
    }), { numRuns: 1500 });
  });
});
