import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { StationState } from '../../../agent/station/state.js';
import type { StationSubscriber } from '../../../agent/station/subscriber.js';
import { PushScheduler } from '../../../agent/station/web/push.js';
import { SseHub } from '../../../agent/station/web/sse.js';
import { FakeClock } from '../../fakes/clock.js';
import { T0, event, msg, status, topic } from './fixtures.js';

/** The events a page received since the last call, by name (data parsed). */
function page(hub: SseHub, unread = { bytes: 0 }) {
  let written: string[] = [];
  const res = { writeHead: () => res, write: (chunk: string) => written.push(chunk), on: () => res, get writableLength() { return unread.bytes; } } as unknown as ServerResponse;
  hub.add(res, null, 'en');
  return () => {
    const events = written.flatMap((chunk) => {
      const m = /^event: (\w+)\ndata: (.*)\n\n$/s.exec(chunk);
      return m === null ? [] : [{ event: m[1]!, data: JSON.parse(m[2]!) as { id?: string; key?: string; html: string } }];
    });
    written = [];
    return events;
  };
}

describe('PushScheduler (what a loaded station pushes to its pages)', () => {
  it('pushes a changed village as its own row, the whole list only for a new village, and the summary at most every 2 s', async () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    const hub = new SseHub();
    const received = page(hub);
    const subscriber = { connected: () => true } as unknown as StationSubscriber;
    const push = new PushScheduler({ state, subscriber, hub, clock });
    push.start();
    const live = () => ({ receivedAt: clock.now(), retained: false });
    const gather = async () => {
      await clock.advance(200);
      return received();
    };

    for (const id of ['h1', 'h2', 'h3']) state.apply(msg(topic.status(id), status('online', 1)), live());
    const first = await gather();
    expect(first.map((e) => e.event)).toEqual(['hosts', 'summary']);
    expect(first[0]!.data.html).toContain('data-host="h3"');

    state.apply(msg(topic.events('h2'), event('e1', 1)), live());
    const second = await gather();
    expect(second.map((e) => e.event)).toEqual(['host', 'alert']);
    expect(second[0]!.data).toMatchObject({ id: 'h2' });
    expect(second[0]!.data.html).not.toContain('data-host="h1"');
    expect(second[1]!.data).toMatchObject({ key: 'h2/e1' });
    // The summary waits out its 2 s since the last one, then counts the new alert.
    await clock.advance(2000);
    expect(received().map((e) => e.event)).toEqual(['summary']);

    state.apply(msg(topic.status('h4'), status('online', 1)), live());
    expect((await gather()).map((e) => e.event)).toEqual(['hosts']);
    push.stop();
  });

  it('queues only alert rows for a page with more than 1 MB unread', async () => {
    const clock = new FakeClock(new Date(T0));
    const state = new StationState({ clock });
    const hub = new SseHub();
    const unread = { bytes: 0 };
    const received = page(hub, unread);
    const push = new PushScheduler({ state, subscriber: { connected: () => true } as unknown as StationSubscriber, hub, clock });
    push.start();
    const live = () => ({ receivedAt: clock.now(), retained: false });
    state.apply(msg(topic.status('h1'), status('online', 1)), live());
    await clock.advance(200);
    received();
    unread.bytes = 2 << 20;
    state.apply(msg(topic.events('h1'), event('e1', 1)), live());
    await clock.advance(2200);
    expect(received().map((e) => e.event)).toEqual(['alert']);
    push.stop();
  });
});
