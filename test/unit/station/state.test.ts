import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../fakes/clock.js';
import { StationState, type StationChange } from '../../../agent/station/state.js';
import { JPEG, T0, camera, event, health, msg, status, topic } from './fixtures.js';

const live = (clock: FakeClock) => ({ receivedAt: clock.now(), retained: false });

describe('StationState hosts', () => {
  let clock: FakeClock;
  let state: StationState;
  beforeEach(() => {
    clock = new FakeClock(new Date(T0));
    state = new StationState({ clock, staleAfterMs: 90_000 });
  });

  it('a stale will from an older session never marks a live host offline', () => {
    state.apply(msg(topic.status('h1'), status('online', 7)), live(clock));
    const result = state.apply(msg(topic.status('h1'), status('offline', 6)), live(clock));
    expect(result.outcome).toBe('stale_session');
    expect(state.host('h1')?.liveness).toBe('online');
  });

  it("the will of the current session marks the host offline, though its ts is the connect time", () => {
    state.apply(msg(topic.status('h1'), status('online', 7, 10)), live(clock));
    state.apply(msg(topic.status('h1'), status('offline', 7, 0)), live(clock));
    expect(state.host('h1')?.liveness).toBe('offline');
    state.apply(msg(topic.status('h1'), status('online', 8, 60)), live(clock));
    expect(state.host('h1')?.liveness).toBe('online');
  });

  it('a retained stale will is overruled by a heartbeat naming a newer session', () => {
    state.apply(msg(topic.status('h1'), status('offline', 3)), { receivedAt: clock.now(), retained: true });
    expect(state.host('h1')?.liveness).toBe('offline');
    state.apply(msg(topic.heartbeat('h1'), { ts: clock.now().toISOString(), seq: 1, uptimeS: 5, session: 4 }), live(clock));
    expect(state.host('h1')?.liveness).toBe('online');
  });

  it('goes stale without heartbeats, with the age of the last one', async () => {
    state.apply(msg(topic.status('h1'), status('online', 1)), live(clock));
    await clock.advance(30_000);
    state.apply(msg(topic.heartbeat('h1'), { ts: clock.now().toISOString(), seq: 1, uptimeS: 30 }), live(clock));
    await clock.advance(60_000);
    expect(state.host('h1')).toMatchObject({ liveness: 'online', ageMs: 60_000 });
    await clock.advance(31_000);
    expect(state.host('h1')).toMatchObject({ liveness: 'stale', ageMs: 91_000 });
  });

  it('dates a retained heartbeat by its own ts, never in the future', async () => {
    await clock.advance(600_000);
    const tenMinutesAgo = new Date(T0).toISOString();
    state.apply(msg(topic.status('h1'), status('online', 1)), { receivedAt: clock.now(), retained: true });
    state.apply(msg(topic.heartbeat('h1'), { ts: tenMinutesAgo, seq: 9, uptimeS: 1 }), { receivedAt: clock.now(), retained: true });
    expect(state.host('h1')).toMatchObject({ liveness: 'stale', ageMs: 600_000 });
    const future = new Date(T0 + 3_600_000).toISOString();
    state.apply(msg(topic.heartbeat('h2'), { ts: future, seq: 1, uptimeS: 1 }), { receivedAt: clock.now(), retained: true });
    expect(state.host('h2')?.ageMs).toBe(0);
  });

  it('keeps the newest camera status and ignores an older copy', () => {
    state.apply(msg(topic.cameraStatus('h1', 'gate'), camera('gate', 'degraded', 'covered', 20)), live(clock));
    const older = state.apply(msg(topic.cameraStatus('h1', 'gate'), camera('gate', 'online', null, 10)), live(clock));
    expect(older.outcome).toBe('older');
    expect(state.host('h1')?.cameras).toEqual([expect.objectContaining({ id: 'gate', state: 'degraded', reason: 'covered' })]);
  });
});

describe('StationState events', () => {
  let clock: FakeClock;
  let state: StationState;
  let changes: StationChange[];
  beforeEach(() => {
    clock = new FakeClock(new Date(T0));
    state = new StationState({ clock });
    changes = [];
    state.onChange((c) => changes.push(c));
  });

  it('shows a duplicate once and reports it as such', () => {
    expect(state.apply(msg(topic.events('h1'), event('e1', 1)), live(clock)).outcome).toBe('applied');
    expect(state.apply(msg(topic.events('h1'), event('e1', 1)), live(clock)).outcome).toBe('duplicate');
    expect(state.alerts()).toHaveLength(1);
    expect(changes).toHaveLength(1);
  });

  it('merges new/update/end of one object into one entry, whatever their order', () => {
    state.apply(msg(topic.events('h1'), event('e1', 3, { type: 'end', score: 0.7, endedAt: '2026-01-01T00:00:03.000Z', startedAt: '2026-01-01T00:00:01.000Z' })), live(clock));
    state.apply(msg(topic.events('h1'), event('e1', 1, { type: 'new', score: 0.6, startedAt: '2026-01-01T00:00:01.000Z' })), live(clock));
    state.apply(msg(topic.events('h1'), event('e1', 2, { type: 'update', score: 0.9, startedAt: '2026-01-01T00:00:01.000Z' })), live(clock));
    expect(state.alerts()).toEqual([
      expect.objectContaining({ id: 'e1', type: 'end', seq: 3, score: 0.7, maxScore: 0.9, endedAt: '2026-01-01T00:00:03.000Z', delayed: true }),
    ]);
  });

  it('places historical events in time order, marked delayed; live ones are not', () => {
    state.apply(msg(topic.events('h1'), event('live-1', 50)), live(clock));
    const late = state.apply(msg(topic.events('h1'), event('old-1', 10, { historical: true })), live(clock));
    const behind = state.apply(msg(topic.events('h1'), event('old-2', 20)), live(clock));
    state.apply(msg(topic.events('h1'), event('live-2', 51)), live(clock));
    expect(late).toMatchObject({ outcome: 'applied', delayed: true });
    expect(behind).toMatchObject({ outcome: 'applied', delayed: true });
    expect(state.alerts().map((a) => [a.id, a.delayed])).toEqual([['live-2', false], ['live-1', false], ['old-2', true], ['old-1', true]]);
  });

  it('counts the seq numbers still missing, and fills the gap when they come late', () => {
    state.apply(msg(topic.events('h1'), event('a', 1)), live(clock));
    state.apply(msg(topic.events('h1'), event('d', 4)), live(clock));
    expect(state.host('h1')?.seq).toEqual({ max: 4, missing: 2 });
    state.apply(msg(topic.health('h1'), health('x', 2, { historical: true })), live(clock));
    state.apply(msg(topic.events('h1'), event('c', 3, { historical: true })), live(clock));
    expect(state.host('h1')?.seq).toEqual({ max: 4, missing: 0 });
  });

  it('never silences a host whose seq restarted: another id with a seen seq is new', () => {
    state.apply(msg(topic.events('h1'), event('before-wipe', 1)), live(clock));
    const result = state.apply(msg(topic.events('h1'), event('after-wipe', 1)), live(clock));
    expect(result.outcome).toBe('applied');
    expect(state.alerts()).toHaveLength(2);
  });

  it('joins a thumbnail to its event whichever comes first, and shows it on the camera tile', () => {
    state.apply(msg(topic.eventThumbnail('h1', 'e1'), JPEG), live(clock));
    state.apply(msg(topic.cameraStatus('h1', 'gate'), camera('gate', 'online', null)), live(clock));
    state.apply(msg(topic.events('h1'), event('e1', 1)), live(clock));
    expect(state.image('thumbnail', 'h1', 'e1')).toEqual(JPEG);
    expect(state.host('h1')?.cameras[0]?.latestThumbnail).toBe('h1/e1');
  });

  it('keeps at most maxAlerts, dropping the oldest', () => {
    const small = new StationState({ clock, maxAlerts: 2 });
    for (const seq of [1, 2, 3]) small.apply(msg(topic.events('h1'), event(`e${seq}`, seq)), live(clock));
    expect(small.alerts().map((a) => a.id)).toEqual(['e3', 'e2']);
  });
});

describe('StationState health', () => {
  it('raises and clears alerts; a late raise does not undo a newer clear', () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    state.apply(msg(topic.health('h1'), health('r1', 1)), live(clock));
    expect(state.activeHealth()).toHaveLength(1);
    state.apply(msg(topic.health('h1'), health('c1', 3, { state: 'cleared' })), live(clock));
    expect(state.activeHealth()).toHaveLength(0);
    const late = state.apply(msg(topic.health('h1'), health('r0', 2, { historical: true })), live(clock));
    expect(late.outcome).toBe('older');
    expect(state.activeHealth()).toHaveLength(0);
    expect(state.recentHealth().map((h) => h.state)).toEqual(['cleared', 'raised', 'raised']);
  });
});
