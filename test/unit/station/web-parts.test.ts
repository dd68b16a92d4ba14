import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import { FakeClock } from '../../fakes/clock.js';
import { StationState } from '../../../agent/station/state.js';
import { isLoopback, parseListen } from '../../../agent/station/web/listen.js';
import { hashPassword, verifyPassword, withUser } from '../../../agent/station/web/passwords.js';
import { SessionStore } from '../../../agent/station/web/sessions.js';
import { SqliteStore } from '../../../agent/station/store/sqlite.js';
import { LoginThrottle } from '../../../agent/station/web/throttle.js';
import { JPEG, event, msg, topic } from './fixtures.js';
import { tempDir } from '../../helpers/tmp.js';
import { join } from 'node:path';

describe('listen addresses', () => {
  it.each([
    ['127.0.0.1:8080', true], ['[::1]:8080', true], ['127.0.0.2:8080', false], ['0.0.0.0:8080', false], ['[::]:8080', false],
    ['[::ffff:127.0.0.1]:8080', false], ['192.168.1.10:8080', false],
  ])('%s counts as loopback: %s', (text, loopback) => {
    expect(isLoopback(parseListen(text).host)).toBe(loopback);
  });

  it.each(['localhost:8080', '127.0.0.1', '127.0.0.1:99999', ':8080'])('refuses %s', (text) => {
    expect(() => parseListen(text)).toThrow(/--listen/);
  });
});

describe('passwords', () => {
  it('verifies the right password only, with the cost stored in the hash', async () => {
    const phc = await hashPassword('correct horse', { ln: 10, r: 8, p: 1 });
    expect(phc).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('correct horse', phc)).toBe(true);
    expect(await verifyPassword('correct horsE', phc)).toBe(false);
    expect(await verifyPassword('correct horse', 'plain-text')).toBe(false);
  });

  it('replaces a user in the users file and keeps the others', () => {
    const text = withUser('# operators\nalice:$scrypt$old\nbob:$scrypt$b\n', 'alice', '$scrypt$new');
    expect(text).toBe('# operators\nbob:$scrypt$b\nalice:$scrypt$new\n');
  });
});

describe('sessions and throttling', () => {
  it('expires idle sessions', async () => {
    const clock = new FakeClock();
    const sessions = new SessionStore(clock);
    const session = sessions.create('alice');
    expect(sessions.get(session.id)?.user).toBe('alice');
    await clock.advance(13 * 3600_000);
    expect(sessions.get(session.id)).toBeUndefined();
  });

  it('blocks an address after five failed logins, for five minutes', async () => {
    const clock = new FakeClock();
    const throttle = new LoginThrottle(clock);
    for (let i = 0; i < 5; i++) throttle.failed('10.0.0.9');
    expect(throttle.blocked('10.0.0.9')).toBe(true);
    expect(throttle.blocked('10.0.0.8')).toBe(false);
    await clock.advance(5 * 60_000 + 1);
    expect(throttle.blocked('10.0.0.9')).toBe(false);
  });
});

describe('console store (SQLite)', () => {
  const limits = { alerts: 100, thumbnailBytes: 1024 * 1024 };

  it('restores alerts, thumbnails and acknowledgements after a restart', async () => {
    const path = join(await tempDir(), 'console.db');
    const clock = new FakeClock();
    const store = new SqliteStore(path, 100, silentLogger());
    const live = { receivedAt: clock.now(), retained: false };
    await store.record(msg(topic.events('h1'), event('e1', 1)), live);
    await store.record(msg(topic.events('h1'), event('e2', 2, { alert: false, quiet: 'rate' })), live);
    await store.record(msg(topic.eventThumbnail('h1', 'e1'), JPEG), live);
    expect(await store.acknowledge('h1/e1', { by: 'alice', at: '2026-01-01T00:00:09.000Z' })).toEqual({ by: 'alice', at: '2026-01-01T00:00:09.000Z' });
    // The first acknowledgement wins.
    expect(await store.acknowledge('h1/e1', { by: 'bob', at: '2026-01-01T00:00:10.000Z' })).toEqual({ by: 'alice', at: '2026-01-01T00:00:09.000Z' });
    expect(await store.acknowledge('h1/nope', { by: 'bob', at: '2026-01-01T00:00:10.000Z' })).toBeUndefined();
    await store.close();

    const reopened = new SqliteStore(path, 100, silentLogger());
    const restored = await reopened.load(limits);
    const after = new StationState({ clock });
    after.restore(restored.alerts, restored.thumbnails, restored.health);
    // A stored message delivered again is stored once.
    expect(await reopened.record(msg(topic.events('h1'), event('e2', 2)), live)).toBe('duplicate');
    await reopened.close();
    expect(after.alerts().map((a) => [a.id, a.ack?.by ?? null, a.alert, a.quiet])).toEqual([['e2', null, false, 'rate'], ['e1', 'alice', true, null]]);
    expect(after.image('thumbnail', 'h1', 'e1')).toEqual(JPEG);
    // A replay of a stored message is still recognised as a duplicate.
    expect(after.apply(msg(topic.events('h1'), event('e2', 2)), live).outcome).toBe('duplicate');
  });

  it('folds new, update and end of one event in any order', async () => {
    const clock = new FakeClock();
    const store = new SqliteStore(':memory:', 100, silentLogger());
    const live = { receivedAt: clock.now(), retained: false };
    await store.record(msg(topic.events('h1'), event('e1', 3, { type: 'end', endedAt: '2026-01-01T00:00:03.000Z', score: 0.5 })), live);
    await store.record(msg(topic.events('h1'), event('e1', 1, { score: 0.9 })), live);
    await store.record(msg(topic.events('h1'), event('e1', 2, { type: 'update', score: 0.7 })), live);
    expect(await store.alert('h1/e1')).toMatchObject({ type: 'end', seq: 3, maxScore: 0.9, endedAt: '2026-01-01T00:00:03.000Z', delayed: true });
    await store.close();
  });

  it('keeps only the newest alerts when pruning', async () => {
    const clock = new FakeClock();
    const store = new SqliteStore(':memory:', 2, silentLogger());
    for (const seq of [1, 2, 3]) await store.record(msg(topic.events('h1'), event(`e${seq}`, seq)), { receivedAt: clock.now(), retained: false });
    store.prune();
    expect((await store.load(limits)).alerts.map((a) => a.id)).toEqual(['e3', 'e2']);
    await store.close();
  });
});
