import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../agent/station/messages.js';
import { subscriptions } from '../../../agent/station/subscriber.js';
import { JPEG, event, status, topic } from './fixtures.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseMessage', () => {
  it('accepts contract payloads and keeps unknown extra fields', () => {
    const parsed = parseMessage(topic.status('h1'), json({ ...status('online', 2), addedLater: { x: 1 } }));
    expect(parsed).toMatchObject({ ok: true, message: { kind: 'status', host: 'h1', payload: { session: 2, addedLater: { x: 1 } } } });
  });

  it.each([
    ['not JSON', topic.events('h1'), Buffer.from('{oops'), 'payload is not JSON'],
    ['a score above 1', topic.events('h1'), json(event('e1', 1, { score: 3 })), 'score:'],
    ['a missing seq', topic.events('h1'), json({ ...event('e1', 1), seq: undefined }), 'seq:'],
    ['an unsafe event id', topic.events('h1'), json(event('../../etc', 1)), 'id:'],
    ['a host id with capitals', 'minwang/Host/status', json(status('online', 1)), 'host id "Host"'],
    ['a thumbnail that is not a JPEG', topic.eventThumbnail('h1', 'e1'), Buffer.from('GIF89a'), 'not a JPEG'],
    ['a thumbnail id with a dot-dot', 'minwang/h1/events/..%2f/thumbnail', JPEG, 'not a safe id'],
    ['a camera that differs from its topic', topic.cameraStatus('h1', 'gate'), json({ ts: '2026-01-01T00:00:00Z', camera: 'yard', state: 'online', reason: null, since: '2026-01-01T00:00:00Z' }), 'differs'],
    ['an unknown topic', 'minwang/h1/frobnicate', json({}), 'unknown topic level'],
  ])('rejects %s', (_what, topicName, payload, error) => {
    const parsed = parseMessage(topicName, payload);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(error);
  });

  it('parses thumbnails, contact sheets and command traffic by topic', () => {
    expect(parseMessage(topic.eventThumbnail('h1', 'e-1'), JPEG)).toMatchObject({ ok: true, message: { kind: 'thumbnail', eventId: 'e-1' } });
    expect(parseMessage(topic.patrolSheet('h1', 'r1'), JPEG)).toMatchObject({ ok: true, message: { kind: 'patrolSheet', reportId: 'r1' } });
    expect(parseMessage(topic.commandResponse('h1', 'rebirth'), json({}))).toMatchObject({ ok: true, message: { kind: 'command', op: 'rebirth', response: true } });
    expect(parseMessage(topic.commandResponse('h1', 'events/query'), json({}))).toMatchObject({ ok: true, message: { kind: 'command', op: 'events/query', response: true } });
    expect(parseMessage(topic.command('h1', 'model/install/chunk'), json({}))).toMatchObject({ ok: true, message: { kind: 'command', op: 'model/install/chunk', response: false } });
    expect(parseMessage(topic.command('h1', 'Bad/OP'), json({}))).toMatchObject({ ok: false });
  });
});

describe('subscriptions', () => {
  it('takes everything, or retained state in full and a share of the streams', () => {
    expect(subscriptions()).toEqual(['minwang/#']);
    const shared = subscriptions('desk');
    expect(shared).toContain('minwang/+/status');
    expect(shared).toContain('$share/desk/minwang/+/events');
    expect(shared.filter((s) => s.startsWith('$share/')).every((s) => !/status|heartbeat|model/.test(s))).toBe(true);
  });
});
