/**
 * The standing hostile-input suite: random and mutated inputs at every door the outside world has
 * (MQTT commands for every op, Digest challenges, JPEG headers and truncated JPEGs, model bundle
 * bytes, every station topic). Properties: no crash (only the module's own clear errors), memory
 * bounded (size caps hold before parsing), and what was stored stays.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { HttpAuthSession, parseChallenges } from '../../agent/edge/cameras/http-auth.js';
import { CommandDispatcher } from '../../agent/link/commands/dispatcher.js';
import { COMMANDS, topic, type CommandOp, type CommandResponse } from '../../agent/link/contract/v1.js';
import { AgentError, isAgentError } from '../../agent/core/errors.js';
import { silentLogger } from '../../agent/core/logger.js';
import { decodeGrey } from '../../agent/edge/imaging/grey.js';
import { assertPixelLimit } from '../../agent/edge/imaging/pixel-limit.js';
import { openBundle } from '../../agent/models/update/bundle.js';
import { FakeClock } from '../fakes/clock.js';
import { parseMessage } from '../../agent/station/messages.js';
import { StationState } from '../../agent/station/state.js';
import { pixelBomb, smallJpeg, sofOffset } from '../helpers/jpeg-bombs.js';
import { testKey, tinyBundle } from '../helpers/model-bundles.js';
import { T0, event, msg } from './station/fixtures.js';

const SEED = 18;
const json = fc.jsonValue({ maxDepth: 4 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));

/** Valid-looking requests with hostile fields, plain JSON, and raw bytes. */
const commandPayload = fc.oneof(
  fc.record({ id: fc.oneof(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.string({ maxLength: 200 })), expires: fc.oneof(fc.constant(undefined), fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), camera: json, enabled: json, url: json, transfer: json, index: json, total: json, sha256: json, dataBase64: json, from: json, to: json, limit: json }, { requiredKeys: ['id'] }).map((v) => Buffer.from(JSON.stringify(v))),
  json.map((v) => Buffer.from(JSON.stringify(v))),
  bytes(2048),
  fc.constant(Buffer.alloc(70_000, 0x7b)),
);

describe('hostile inputs', () => {
  it('MQTT commands for every op: every answer is ok or a clear error, handlers only see valid parameters', async () => {
    const answers: CommandResponse[] = [];
    const dispatcher = new CommandDispatcher({ clock: new FakeClock(), logger: silentLogger(), maxBytes: 64 * 1024, answer: (_op, r) => answers.push(r) });
    const ran: unknown[] = [];
    for (const op of Object.keys(COMMANDS) as CommandOp[]) {
      const params: z.ZodType = COMMANDS[op].params;
      // The dispatcher validates against the contract; the handler re-checks that it only ever sees valid parameters.
      dispatcher.register(op, (valid) => { ran.push(params.parse(valid)); return Promise.reject(new Error('handled')); });
    }
    const ops = Object.keys(COMMANDS);
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ops), commandPayload, async (op, payload) => {
      const before = answers.length;
      await dispatcher.handle(op, payload);
      for (const answer of answers.slice(before)) {
        expect(['ok', 'error']).toContain(answer.status);
        if (answer.status === 'error') expect(answer.error.message.length).toBeGreaterThan(0);
      }
      expect(answers.length - before).toBeLessThanOrEqual(1);
      if (payload.length > 64 * 1024) expect(answers.length).toBe(before);
    }), { numRuns: 400, seed: SEED });
  });

  it('Digest challenge headers: parsing and answering never throw, and Basic never follows Digest', async () => {
    const token = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);
    const challenge = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.tuple(fc.constantFrom('Digest', 'Basic', 'Bearer', 'digest'), fc.array(fc.tuple(token, fc.oneof(fc.string({ maxLength: 40 }), token)), { maxLength: 8 }))
        .map(([scheme, params]) => `${scheme} ${params.map(([k, v]) => `${k}="${v}"`).join(', ')}`),
    );
    await fc.assert(fc.asyncProperty(fc.array(challenge, { minLength: 1, maxLength: 4 }), async (headers) => {
      await Promise.resolve();
      const session = new HttpAuthSession({ username: 'admin', password: 'pw' }, () => 'cnonce', { allowBasic: false });
      let spokeDigest = false;
      for (const header of headers) {
        expect(Array.isArray(parseChallenges(header))).toBe(true);
        expect(typeof session.accept(header)).toBe('boolean');
        const value = session.authorization('GET', '/snap.jpg');
        if (value?.startsWith('Digest ') === true) spokeDigest = true;
        if (spokeDigest || value !== undefined) expect(value?.startsWith('Basic ')).not.toBe(true);
      }
    }), { numRuns: 500, seed: SEED });
  });

  it('JPEG headers and truncated JPEGs: refused or decoded, never a crash; a header past the limit is always refused', async () => {
    const good = await smallJpeg(160, 120);
    const sof = sofOffset(good);
    const mutated = fc.oneof(
      fc.integer({ min: 0, max: good.length }).map((n) => good.subarray(0, n)),
      fc.tuple(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, v]) => { const b = Buffer.from(good); b[at] = v; return b; }),
      fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 })).map(([w, h]) => { const b = Buffer.from(good); b.writeUInt16BE(h, sof + 5); b.writeUInt16BE(w, sof + 7); return b; }),
      bytes(512).map((b) => Buffer.concat([Buffer.from([0xff, 0xd8]), b])),
    );
    await fc.assert(fc.asyncProperty(mutated, async (jpeg) => {
      let headerOk = true;
      try {
        assertPixelLimit(jpeg);
      } catch (err) {
        headerOk = false;
        expect(err).toBeInstanceOf(AgentError);
      }
      const decoded = await decodeGrey(jpeg, 64).then(() => true, (err: unknown) => { expect(err).toBeInstanceOf(Error); return false; });
      if (!headerOk) expect(decoded).toBe(false);
    }), { numRuns: 150, seed: SEED });
    await expect(decodeGrey(await pixelBomb(4097, 4096), 64)).rejects.toThrow(/refused/);
  });

  it('model bundle bytes: anything but a valid signed bundle is refused with a reason', async () => {
    const key = testKey();
    const valid = tinyBundle({ key, bundleVersion: 2 });
    const options = { trustedKeys: [key.publicKey], maxBytes: 1024 * 1024 };
    expect(openBundle(valid, options).manifest.bundleVersion).toBe(2);
    const hostile = fc.oneof(
      bytes(4096),
      fc.integer({ min: 0, max: valid.length - 1 }).map((n) => valid.subarray(0, n)),
      fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, x]) => { const b = Buffer.from(valid); b[at] = (b[at] ?? 0) ^ x; return b; }),
      bytes(64).map((tail) => Buffer.concat([valid, tail])).filter((b) => b.length > valid.length),
    );
    await fc.assert(fc.asyncProperty(hostile, async (bundle) => {
      await Promise.resolve();
      try {
        openBundle(bundle, options);
      } catch (err) {
        expect(isAgentError(err, 'model.refused')).toBe(true);
        expect(typeof (err as AgentError).details['reason']).toBe('string');
        return;
      }
      // Only a flip that changes nothing signed (none should exist) may open.
      throw new Error('a mutated bundle opened');
    }), { numRuns: 300, seed: SEED });
  });

  it('station inputs on every topic: parsed or refused with a reason, never a crash, and kept alerts stay', async () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    state.apply(msg(topic.events('h1'), event('kept', 1)), { receivedAt: clock.now(), retained: false });
    const topics = ['status', 'heartbeat', 'camera/gate/status', 'events', 'events/e1/thumbnail', 'health', 'model', 'patrol', 'patrol/r1/sheet', 'cmd/ping/response', 'camera/../status', 'x'];
    const payload = fc.oneof(json.map((v) => Buffer.from(JSON.stringify(v))), bytes(1024),
      fc.record({ ts: fc.string(), seq: fc.integer(), id: fc.string(), type: fc.string(), camera: json, startedAt: fc.string(), state: fc.string(), session: json }).map((v) => Buffer.from(JSON.stringify(v))));
    await fc.assert(fc.asyncProperty(fc.constantFrom('h1', 'h2', '+', 'a/b', ''), fc.constantFrom(...topics), payload, async (host, rest, body) => {
      await Promise.resolve();
      const parsed = parseMessage(`minwang/${host}/${rest}`, body);
      if (!parsed.ok) {
        expect(parsed.error.length).toBeGreaterThan(0);
        return;
      }
      state.apply(parsed.message, { receivedAt: clock.now(), retained: false });
    }), { numRuns: 800, seed: SEED });
    expect(state.alert('h1/kept')).toBeDefined();
  });
});
