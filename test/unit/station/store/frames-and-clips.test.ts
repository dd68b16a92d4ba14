import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { parseMessage } from '../../../../agent/station/messages.js';
import { SqliteStore } from '../../../../agent/station/store/sqlite.js';
import { JPEG, T0, at, event, msg, topic } from '../fixtures.js';

const live = (seconds = 0) => ({ receivedAt: new Date(T0 + seconds * 1000), retained: false });
const frame = { ts: at(2), event: 'e1', camera: 'gate', capturedAt: at(1), box: [0.1, 0.2, 0.4, 0.9], width: 640, height: 480, contentType: 'image/jpeg', jpegBase64: JPEG.toString('base64') };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('an event\'s whole picture (events/<id>/frame) at the station', () => {
  it('is parsed with its box, and refused when it is not a JPEG, not its topic\'s event, or too large', () => {
    expect(parseMessage(topic.eventFrame('h1', 'e1'), json(frame))).toMatchObject({ ok: true, message: { kind: 'frame', eventId: 'e1', frame: { box: [0.1, 0.2, 0.4, 0.9], width: 640 } } });
    expect(parseMessage(topic.eventFrame('h1', 'e2'), json(frame))).toMatchObject({ ok: false, error: expect.stringMatching(/differs from the topic/) as unknown });
    expect(parseMessage(topic.eventFrame('h1', 'e1'), json({ ...frame, jpegBase64: Buffer.from('GIF89a').toString('base64') }))).toMatchObject({ ok: false, error: 'jpegBase64 is not a JPEG' });
    expect(parseMessage(topic.eventFrame('h1', 'e1'), json({ ...frame, width: 4000 }))).toMatchObject({ ok: false, error: expect.stringMatching(/^width: /) as unknown });
    expect(parseMessage(topic.eventFrame('h1', 'e1'), Buffer.alloc(6 * 1024 * 1024, 0x20))).toMatchObject({ ok: false, error: expect.stringMatching(/over/) as unknown });
  });

  it('is kept once by the SQLite store, beside the clip the event\'s end announced', async () => {
    const store = new SqliteStore(':memory:', 100, silentLogger());
    expect(await store.record(msg(topic.eventFrame('h1', 'e1'), frame), live(2))).toBe('stored');
    expect(await store.record(msg(topic.eventFrame('h1', 'e1'), { ...frame, box: [0, 0, 1, 1] }), live(3))).toBe('duplicate');
    expect(await store.frame('h1', 'e1')).toEqual({ jpeg: JPEG, box: [0.1, 0.2, 0.4, 0.9], width: 640, height: 480, capturedAt: at(1) });
    expect(await store.frame('h1', 'nope')).toBeUndefined();
    const clip = { bytes: 123_456, durationS: 12.4, sha256: 'c'.repeat(64) };
    await store.record(msg(topic.events('h1'), event('e1', 1)), live(1));
    expect(await store.clip('h1', 'e1')).toBeUndefined();
    await store.record(msg(topic.events('h1'), { ...event('e1', 2), type: 'end', endedAt: at(2), clip }), live(4));
    // A late update after the end does not lose it.
    await store.record(msg(topic.events('h1'), event('e1', 3)), live(5));
    expect(await store.clip('h1', 'e1')).toEqual(clip);
    expect((await store.alert('h1/e1'))?.clip).toEqual(clip);
    await store.close();
  });
});
