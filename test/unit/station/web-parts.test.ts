import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import { FakeClock } from '../../fakes/clock.js';
import { StationState } from '../../../agent/station/state.js';
import { isLoopback, parseListen } from '../../../agent/station/web/listen.js';
import { hashPassword, verifyPassword, withUser } from '../../../agent/station/web/passwords.js';
import { SessionStore } from '../../../agent/station/web/sessions.js';
import { ConsoleStore } from '../../../agent/station/web/store.js';
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

describe('console store', () => {
  it('restores alerts, thumbnails and acknowledgements after a restart', async () => {
    const path = join(await tempDir(), 'console.db');
    const clock = new FakeClock();
    const before = new StationState({ clock });
    const store = new ConsoleStore(path, 100, silentLogger());
    const live = { receivedAt: clock.now(), retained: false };
    before.apply(msg(topic.events('h1'), event('e1', 1)), live);
    before.apply(msg(topic.events('h1'), event('e2', 2, { alert: false, quiet: 'rate' })), live);
    for (const alert of before.alerts()) store.saveAlert(alert);
    store.saveThumbnail('h1/e1', JPEG);
    store.saveAck('h1/e1', { by: 'alice', at: '2026-01-01T00:00:09.000Z' });
    store.close();

    const reopened = new ConsoleStore(path, 100, silentLogger());
    const restored = reopened.load();
    const after = new StationState({ clock });
    after.restore(restored.alerts, restored.thumbnails);
    reopened.close();
    expect(after.alerts().map((a) => [a.id, a.ack?.by ?? null, a.alert, a.quiet])).toEqual([['e2', null, false, 'rate'], ['e1', 'alice', true, null]]);
    expect(after.image('thumbnail', 'h1', 'e1')).toEqual(JPEG);
    // A replay of a stored message is still recognised as a duplicate.
    expect(after.apply(msg(topic.events('h1'), event('e2', 2)), live).outcome).toBe('duplicate');
  });

  it('keeps only the newest alerts when pruning', () => {
    const clock = new FakeClock();
    const state = new StationState({ clock });
    const store = new ConsoleStore(':memory:', 2, silentLogger());
    for (const seq of [1, 2, 3]) state.apply(msg(topic.events('h1'), event(`e${seq}`, seq)), { receivedAt: clock.now(), retained: false });
    for (const alert of state.alerts()) store.saveAlert(alert);
    store.prune();
    expect(store.load().alerts.map((a) => a.id)).toEqual(['e3', 'e2']);
    store.close();
  });
});
