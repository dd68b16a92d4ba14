import { describe, expect, it } from 'vitest';
import { ClipPacer, MAX_ACK_WAIT_MS, MAX_PACE_WAIT_MS } from '../../../../agent/edge/clips/clip-pacer.js';
import { clipsSchema } from '../../../../agent/config/sections/clips.js';
import { FakeClock } from '../../../fakes/clock.js';

/** Runs one turn that "sends" `wireBytes` taking `busyMs` (a push, timed to its PUBACK) or unmeasured (a pulled answer); resolves with when it was sent. */
function turn(pacer: ClipPacer, clock: FakeClock, request: { event: string; offset: number }, length: number, busyMs?: number): Promise<number> {
  return pacer.turn(request, async () => {
    const at = clock.monotonicMs();
    if (busyMs !== undefined) await clock.sleep(busyMs);
    return { result: at, length, wireBytes: length, busyMs };
  });
}

describe('pacing clip chunks to a share of the uplink', () => {
  it('after a push that took t, the next chunk waits t × (1/share − 1)', async () => {
    const clock = new FakeClock();
    const pacer = new ClipPacer(clock, 0.25);
    const sentAt: number[] = [];
    const run = (async () => {
      for (let i = 0; i < 3; i++) sentAt.push(await turn(pacer, clock, { event: 'e', offset: i * 1000 }, 1000, 100));
    })();
    await clock.advance(2000);
    await run;
    // Each chunk is 100 ms on the wire, then 300 ms idle: the uplink is clips' a quarter of the time.
    expect(sentAt.map((t) => t - (sentAt[0] ?? 0))).toEqual([0, 400, 800]);
    expect(pacer.uplinkMsPerByte()).toBeCloseTo(0.1);
  });

  it('measures a pulled answer by when the station asks for the next chunk, and paces from then', async () => {
    const clock = new FakeClock();
    const pacer = new ClipPacer(clock, 0.5);
    await turn(pacer, clock, { event: 'e', offset: 0 }, 2000);
    await clock.advance(80); // the answer crossed the uplink, the station asked again
    let second: number | undefined;
    void turn(pacer, clock, { event: 'e', offset: 2000 }, 2000).then((t) => { second = t; });
    await clock.advance(79);
    expect(second).toBeUndefined(); // idle as long as the chunk took: share 0.5
    await clock.advance(1);
    expect(second).toBe(160);
    expect(pacer.uplinkMsPerByte()).toBeCloseTo(0.04);

    // A request for another clip (another station) is paced by the measured rate: 2000 B × 0.04 ms / 0.5.
    let third: number | undefined;
    void turn(pacer, clock, { event: 'other', offset: 0 }, 2000).then((t) => { third = t; });
    await clock.advance(159);
    expect(third).toBeUndefined();
    await clock.advance(1);
    expect(third).toBe(320);
  });

  it("with the link's acknowledgements, a pulled answer is timed to its PUBACK and the next waits for it (at most 5 s)", async () => {
    const clock = new FakeClock();
    const pacer = new ClipPacer(clock, 0.5, true);
    await turn(pacer, clock, { event: 'e', offset: 0 }, 1000);
    let second: number | undefined;
    void turn(pacer, clock, { event: 'e', offset: 1000 }, 1000).then((t) => { second = t; });
    await clock.advance(60);
    expect(second).toBeUndefined(); // the first chunk is still crossing the uplink
    pacer.answered(1000, 60); // the broker acknowledged it after 60 ms
    await clock.advance(59);
    expect(second).toBeUndefined();
    await clock.advance(1);
    expect(second).toBe(120);
    expect(pacer.uplinkMsPerByte()).toBeCloseTo(0.06);

    // An acknowledgement that never comes (the link dropped) holds the next chunk 5 s at most.
    let third: number | undefined;
    void turn(pacer, clock, { event: 'e', offset: 2000 }, 1000).then((t) => { third = t; });
    await clock.advance(MAX_ACK_WAIT_MS - 1);
    expect(third).toBeUndefined();
    await clock.advance(1);
    expect(third).toBe(120 + MAX_ACK_WAIT_MS);
  });

  it('sends one chunk at a time, never waits longer than 15 s, and share 1 does not pace', async () => {
    const clock = new FakeClock();
    const slow = new ClipPacer(clock, 0.01);
    await turn(slow, clock, { event: 'e', offset: 0 }, 1000);
    await clock.advance(10_000); // 10 s for one chunk: its idle time would be 990 s
    let next: number | undefined;
    void turn(slow, clock, { event: 'e', offset: 1000 }, 1000).then((t) => { next = t; });
    await clock.advance(MAX_PACE_WAIT_MS);
    expect(next).toBe(10_000 + MAX_PACE_WAIT_MS);

    const free = new ClipPacer(clock, 1);
    const order: string[] = [];
    const a = free.turn({ event: 'a', offset: 0 }, async () => { order.push('a starts'); await clock.sleep(50); order.push('a ends'); return { result: 0, length: 1, wireBytes: 1, busyMs: 50 }; });
    const b = free.turn({ event: 'b', offset: 0 }, () => { order.push('b starts'); return Promise.resolve({ result: 0, length: 1, wireBytes: 1, busyMs: 0 }); });
    await clock.advance(50);
    await Promise.all([a, b]);
    expect(order).toEqual(['a starts', 'a ends', 'b starts']);
  });

  it('refuses a share outside (0, 1], in the config with a clear message', () => {
    expect(() => new ClipPacer(new FakeClock(), 0)).toThrow(/uplinkShare must be above 0/);
    expect(() => new ClipPacer(new FakeClock(), 1.5)).toThrow(RangeError);
    expect(clipsSchema.parse({}).uplinkShare).toBe(0.1);
    expect(clipsSchema.parse({ uplinkShare: 1 }).uplinkShare).toBe(1);
    expect(clipsSchema.safeParse({ uplinkShare: 0 }).error?.issues[0]?.message).toMatch(/must be above 0/);
    expect(clipsSchema.safeParse({ uplinkShare: 2 }).error?.issues[0]?.message).toMatch(/at most 1/);
  });
});
