import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { StationState } from '../../../agent/station/state.js';
import type { StationSubscriber } from '../../../agent/station/subscriber.js';
import { PushScheduler } from '../../../agent/station/web/push.js';
import { SseHub } from '../../../agent/station/web/sse.js';
import { FakeClock } from '../../fakes/clock.js';
import { JPEG, T0, camera, event, msg, status, topic } from './fixtures.js';

/** The events a page received since the last call, by name (data parsed). */
function page(hub: SseHub, unread = { bytes: 0 }) {
  let written: string[] = [];
  const drained: (() => void)[] = [];
  const res = {
    writeHead: () => res, write: (chunk: string) => written.push(chunk), on: () => res, once: (_event: 'drain', f: () => void) => drained.push(f),
    get writableLength() { return unread.bytes; },
  } as unknown as ServerResponse;
  hub.add(res, null, 'en');
  const read = () => {
    const events = written.flatMap((chunk) => [...chunk.matchAll(/event: (\w+)\ndata: (.*?)\n\n/gs)].map((m) => ({ event: m[1]!, data: JSON.parse(m[2]!) as { id?: string; key?: string; html: string; more?: number } })));
    written = [];
    return events;
  };
  /** The socket took what it held. */
  read.drain = () => {
    unread.bytes = 0;
    for (const f of drained.splice(0)) f();
  };
  return read;
}

/** A page with one village online, then 2 MiB behind in reading: what the push holds back for it. */
async function behindPage() {
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
  return { clock, state, hub, received, push, live };
}

describe('PushScheduler (what a loaded station pushes to its pages)', () => {
  it('pushes alerts at once, a changed village as its own row at most every 2 s, the whole list only for a new village, and the summary at most every 2 s', async () => {
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
    expect(second.map((e) => e.event)).toEqual(['alert']);
    expect(second[0]!.data).toMatchObject({ key: 'h2/e1' });
    // The village row waits out its 2 s since the last host push, as does the summary.
    await clock.advance(2000);
    const third = received();
    expect(third.map((e) => e.event)).toEqual(['host', 'summary']);
    expect(third[0]!.data).toMatchObject({ id: 'h2' });
    expect(third[0]!.data.html).not.toContain('data-host="h1"');

    // A new picture of one camera: only that camera's tile goes, not the village's whole row.
    state.apply(msg(topic.cameraStatus('h2', 'gate'), camera('gate', 'online', null)), live());
    state.apply(msg(topic.cameraStatus('h2', 'yard'), camera('yard', 'online', null)), live());
    await clock.advance(2200);
    expect(received().map((e) => e.event).sort()).toEqual(['host', 'summary']);
    state.apply(msg(topic.eventThumbnail('h2', 'e1'), JPEG), live());
    await clock.advance(2200);
    const tiles = received();
    expect(tiles.map((e) => e.event).filter((e) => e !== 'link').sort()).toEqual(['alert', 'cams', 'summary']);
    const cams = tiles.find((e) => e.event === 'cams')!.data as unknown as { id: string; cams: { id: string; html: string }[] };
    expect(cams.id).toBe('h2');
    expect(cams.cams.map((c) => c.id)).toEqual(['h2/gate']);
    expect(cams.cams[0]!.html).toContain('/thumb/h2/e1.jpg');

    state.apply(msg(topic.status('h4'), status('online', 1)), live());
    expect((await gather()).map((e) => e.event)).toEqual(['hosts']);
    push.stop();
  });

  it('holds alert rows for a page that is behind, each row\'s newest version once, then the sections it skipped', async () => {
    const { clock, state, received, push, live } = await behindPage();
    state.apply(msg(topic.events('h1'), event('e1', 1)), live());
    await clock.advance(2200);
    state.apply(msg(topic.events('h1'), { ...event('e1', 2), type: 'end', endedAt: new Date(T0).toISOString(), reason: 'gone' }), live());
    state.apply(msg(topic.events('h1'), event('e2', 3)), live());
    await clock.advance(2200);
    expect(received()).toEqual([]);
    received.drain();
    const caughtUp = received();
    expect(caughtUp.map((e) => e.event)).toEqual(['hosts', 'health', 'summary', 'alert', 'alert']);
    expect(caughtUp.slice(3).map((e) => e.data.key)).toEqual(['h1/e1', 'h1/e2']);
    expect(caughtUp[3]!.data.html).toContain('–');
    push.stop();
  });

  it('sends the newest rows and a count of the open alerts that do not fit to a page that missed more rows than it holds', async () => {
    const { clock, state, hub, received, push, live } = await behindPage();
    for (let i = 1; i <= 350; i++) {
      state.apply(msg(topic.events('h1'), { ...event(`e${i}`, i), startedAt: new Date(T0 - (400 - i) * 1000).toISOString() }), live());
      if (i % 50 === 0) await clock.advance(200);
    }
    await clock.advance(200);
    expect(hub.waitingRows()).toBe(0);
    received.drain();
    const caughtUp = received();
    const feed = caughtUp.find((e) => e.event === 'feed');
    expect(feed?.data.more).toBe(50);
    expect(feed?.data.html.match(/<li /g)?.length).toBe(300);
    expect(feed?.data.html).toContain('data-key="h1/e350"');
    expect(feed?.data.html).not.toContain('data-key="h1/e50"');
    push.stop();
  });
});
