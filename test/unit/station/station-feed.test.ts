import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import { FakeClock } from '../../fakes/clock.js';
import { StationState } from '../../../agent/station/state.js';
import { SqliteStore } from '../../../agent/station/store/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { T0, at, event, msg, topic } from './fixtures.js';

const live = (clock: FakeClock) => ({ receivedAt: clock.now(), retained: false });

/** A good village's 5 real alerts, then a compromised host's 1000 events dated 2099. */
function floodedState(clock: FakeClock, maxAlerts = 100): StationState {
  const state = new StationState({ clock, staleAfterMs: 90_000, maxAlerts });
  for (let i = 1; i <= 5; i++) {
    clock.jumpWall(1000);
    state.apply(msg(topic.events('good'), event(`real-${i}`, i, { startedAt: clock.now().toISOString(), ts: clock.now().toISOString() })), live(clock));
  }
  for (let i = 1; i <= 1000; i++) {
    state.apply(msg(topic.events('evil'), event(`fake-${i}`, i, { startedAt: new Date(Date.UTC(2099, 0, 1, 0, 0, i)).toISOString() })), live(clock));
  }
  return state;
}

describe('one host cannot hide another village\'s alerts', () => {
  it('keeps every real alert when a host floods the feed with events dated in the future', () => {
    const clock = new FakeClock(new Date(T0));
    const state = floodedState(clock);
    const keys = state.alerts().map((a) => a.key);
    expect(keys).toHaveLength(100);
    for (let i = 1; i <= 5; i++) expect(keys).toContain(`good/real-${i}`);
    // Future times are clamped to arrival: the flood is not "newer" than alerts that arrive after it.
    clock.jumpWall(1000);
    state.apply(msg(topic.events('good'), event('real-6', 6, { startedAt: clock.now().toISOString(), ts: clock.now().toISOString() })), live(clock));
    expect(state.alerts()[0]?.key).toBe('good/real-6');
    expect(state.alerts().find((a) => a.host === 'evil')?.sortAt).toBe(new Date(T0 + 5000).toISOString());
    expect(state.alerts().find((a) => a.host === 'evil')?.startedAt).toMatch(/^2099-/); // shown as sent, only ordered by arrival
  });

  it('and after a restart of the console, from its store', async () => {
    const clock = new FakeClock(new Date(T0));
    const state = floodedState(clock);
    const store = new SqliteStore(join(await tempDir(), 'console.sqlite'), 100, silentLogger());
    // The store saw every message as it came (the flood included), not only what the feed kept.
    const storeClock = new FakeClock(new Date(T0));
    for (let i = 1; i <= 5; i++) {
      storeClock.jumpWall(1000);
      await store.record(msg(topic.events('good'), event(`real-${i}`, i, { startedAt: storeClock.now().toISOString(), ts: storeClock.now().toISOString() })), live(storeClock));
    }
    for (let i = 1; i <= 1000; i++) {
      await store.record(msg(topic.events('evil'), event(`fake-${i}`, i, { startedAt: new Date(Date.UTC(2099, 0, 1, 0, 0, i)).toISOString() })), live(storeClock));
    }
    store.prune();
    const restored = (await store.load({ alerts: 100, thumbnailBytes: 0 })).alerts.map((a) => a.key);
    for (let i = 1; i <= 5; i++) expect(restored).toContain(`good/real-${i}`);
    expect(restored.length).toBeLessThanOrEqual(100);
    expect(state.alerts().length).toBe(100);
    await store.close();
  });

  it('a few minutes of clock skew still sort by the host time', () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock, staleAfterMs: 90_000 });
    state.apply(msg(topic.events('h1'), event('a', 1, { startedAt: at(120) })), live(clock));
    state.apply(msg(topic.events('h1'), event('b', 2, { startedAt: at(60) })), live(clock));
    expect(state.alerts().map((a) => a.id)).toEqual(['a', 'b']);
  });

  it('keeps a late unacknowledged alert in a full feed by dropping a quiet event instead', () => {
    const clock = new FakeClock(new Date(T0 + 600_000));
    const state = new StationState({ clock, staleAfterMs: 90_000, maxAlerts: 10 });
    for (let i = 1; i <= 10; i++) {
      state.apply(msg(topic.events('busy'), event(`quiet-${i}`, i, { startedAt: at(100 + i), alert: false, quiet: 'cooldown' })), live(clock));
    }
    // Older than everything in the feed (it waited in a killed console's session): still listed.
    state.apply(msg(topic.events('late'), event('ring', 1, { startedAt: at(50) })), live(clock));
    const keys = state.alerts().map((a) => a.key);
    expect(keys).toHaveLength(10);
    expect(keys).toContain('late/ring');
    expect(keys).not.toContain('busy/quiet-1');
    // When only open alerts are left, the biggest host's oldest goes, as before.
    for (let i = 1; i <= 10; i++) state.apply(msg(topic.events('busy'), event(`ring-${i}`, 10 + i, { startedAt: at(300 + i) })), live(clock));
    expect(state.alerts().map((a) => a.key)).toEqual([...Array.from({ length: 9 }, (_, i) => `busy/ring-${10 - i}`), 'late/ring']);
  });
});
