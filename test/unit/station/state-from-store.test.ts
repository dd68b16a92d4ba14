/**
 * What a console takes from its store: what it kept before a restart, and what other consoles on
 * the same database stored (PostgreSQL notifications), merged into this console's own view.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../fakes/clock.js';
import { newAlert } from '../../../agent/station/alerts.js';
import { healthEntry } from '../../../agent/station/health.js';
import { StationState, type StationChange } from '../../../agent/station/state.js';
import type { HealthPayload } from '../../../agent/link/contract/v1.js';
import type { HealthMessage } from '../../../agent/station/schemas.js';
import { JPEG, T0, event, health, msg, topic } from './fixtures.js';

const live = (clock: FakeClock) => ({ receivedAt: clock.now(), retained: false });

describe('state fed from the store', () => {
  it('takes another console\'s copy of an event (with its acknowledgement) and tells the pages', () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    const changes: StationChange[] = [];
    state.onChange((c) => changes.push(c));
    state.apply(msg(topic.events('h1'), event('e1', 1)), live(clock));
    const end = msg(topic.events('h1'), event('e1', 3, { type: 'end', endedAt: new Date(T0 + 3000).toISOString() }));
    if (end.kind !== 'event') throw new Error('not an event');
    const stored = { ...newAlert('h1', end.payload, false, clock.now()), ack: { by: 'alice', at: new Date(T0).toISOString() } };
    state.putStored(stored);
    expect(state.alert('h1/e1')).toMatchObject({ type: 'end', seq: 3, ack: { by: 'alice' } });
    expect(changes.at(-1)).toEqual({ kind: 'alert', key: 'h1/e1' });
    // The stored message is known here now: the same message from the broker is a duplicate.
    expect(state.apply(msg(topic.events('h1'), event('e1', 3, { type: 'end' })), live(clock)).outcome).toBe('duplicate');
  });

  it('counts the seqs other consoles stored, so sharing the streams shows no false gaps', () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    state.apply(msg(topic.events('h1'), event('e1', 1)), live(clock));
    state.apply(msg(topic.events('h1'), event('e4', 4)), live(clock));
    expect(state.host('h1')?.seq).toEqual({ max: 4, missing: 2 });
    state.noteSeq('h1', 2);
    state.noteSeq('h1', 3);
    expect(state.host('h1')?.seq).toEqual({ max: 4, missing: 0 });
  });

  it('seeds a host\'s seq accounting from the store when the host is first heard of, without listing it before', () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    state.restore([], new Map(), [], new Map([['h1', [1, 2, 3]], ['gone', [1]]]));
    expect(state.hosts()).toEqual([]);
    state.apply(msg(topic.events('h1'), event('e5', 5)), live(clock));
    expect(state.host('h1')?.seq).toEqual({ max: 5, missing: 1 });
    expect(state.hosts().map((h) => h.id)).toEqual(['h1']);
  });

  it('takes stored health and thumbnails, keeping the newer health by ts', () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    state.apply(msg(topic.events('h1'), event('e1', 1)), live(clock));
    state.putThumbnail('h1', 'e1', JPEG);
    expect(state.image('thumbnail', 'h1', 'e1')).toEqual(JPEG);
    state.putHealth(healthEntry('h1', parsedHealth(health('a', 5)), false));
    expect(state.activeHealth().map((h) => h.key)).toEqual(['h1/camera_offline/gate']);
    // An older clear (by ts) does not undo the newer raise; a newer one does.
    state.putHealth(healthEntry('h1', parsedHealth(health('b', 4, { state: 'cleared' })), false));
    expect(state.activeHealth()).toHaveLength(1);
    state.putHealth(healthEntry('h1', parsedHealth(health('c', 6, { state: 'cleared' })), false));
    expect(state.activeHealth()).toEqual([]);
  });
});

function parsedHealth(payload: HealthPayload): HealthMessage {
  const message = msg(topic.health('h1'), payload);
  if (message.kind !== 'health') throw new Error(`parsed as ${message.kind}`);
  return message.payload;
}
