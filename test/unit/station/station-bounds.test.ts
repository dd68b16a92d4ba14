import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import { FakeClock } from '../../fakes/clock.js';
import { MAX_HEALTH_KEYS_PER_HOST } from '../../../agent/station/health.js';
import { MAX_CAMERAS_PER_HOST, StationState } from '../../../agent/station/state.js';
import { SqliteStore } from '../../../agent/station/store/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { JPEG, T0, camera, event, health, msg, topic } from './fixtures.js';

const live = (clock: FakeClock) => ({ receivedAt: clock.now(), retained: false });

describe('one host cannot slow or fill the console', () => {
  it('keeps at most 256 cameras per host (20,000 fake ones are refused), other hosts unaffected', () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    for (let i = 0; i < 20_000; i++) state.apply(msg(topic.cameraStatus('evil', `c${i}`), camera(`c${i}`, 'online', null)), live(clock));
    const refused = state.apply(msg(topic.cameraStatus('evil', 'one-more'), camera('one-more', 'online', null)), live(clock));
    expect(refused.outcome).toBe('over_limit');
    state.apply(msg(topic.cameraStatus('good', 'gate'), camera('gate', 'offline', 'timeout')), live(clock));
    const hosts = state.hosts();
    expect(hosts.find((h) => h.id === 'evil')?.cameras).toHaveLength(MAX_CAMERAS_PER_HOST);
    expect(hosts.find((h) => h.id === 'good')?.cameras).toHaveLength(1);
  });

  it('keeps at most 1024 health keys per host (50,000 raised keys are refused)', () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    for (let i = 1; i <= 50_000; i++) state.apply(msg(topic.health('evil'), health(`h${i}`, i, { subject: `s${i}` })), live(clock));
    state.apply(msg(topic.health('good'), health('g1', 1)), live(clock));
    expect(state.host('evil')?.activeHealth).toHaveLength(MAX_HEALTH_KEYS_PER_HOST);
    expect(state.host('good')?.activeHealth).toHaveLength(1);
    // A key the host already has still changes: it can clear what it raised.
    expect(state.apply(msg(topic.health('evil'), health('c1', 50_001, { subject: 's1', state: 'cleared' })), live(clock)).outcome).toBe('applied');
  });

  it('reads only the thumbnails of kept alerts at start, within a byte budget', async () => {
    const store = new SqliteStore(join(await tempDir(), 'console.sqlite'), 10, silentLogger());
    const clock = new FakeClock(new Date(T0));
    const big = Buffer.concat([JPEG.subarray(0, 4), Buffer.alloc(1024 * 1024, 0xff)]);
    for (let i = 1; i <= 30; i++) {
      clock.jumpWall(1000);
      await store.record(msg(topic.events('h1'), event(`e${i}`, i, { startedAt: clock.now().toISOString() })), live(clock));
      await store.record(msg(topic.eventThumbnail('h1', `e${i}`), Buffer.concat([big, Buffer.from([i])])), live(clock));
      await store.record(msg(topic.eventThumbnail('h1', `orphan-${i}`), Buffer.concat([big, Buffer.from([i])])), live(clock));
    }
    const restored = await store.load({ alerts: 10, thumbnailBytes: 3 * 1024 * 1024 + 100 });
    expect(restored.alerts).toHaveLength(10);
    expect([...restored.thumbnails.keys()]).toEqual(['h1/e30', 'h1/e29', 'h1/e28']);
    await store.close();
  });
});
