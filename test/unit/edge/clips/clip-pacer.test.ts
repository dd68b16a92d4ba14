import { describe, expect, it } from 'vitest';
import { ClipPacer, MAX_ACK_WAIT_MS, MAX_PACE_WAIT_MS, MIN_CHUNK_BYTES, wireBytesOf } from '../../../../agent/edge/clips/clip-pacer.js';
import { clipsSchema } from '../../../../agent/config/sections/clips.js';
import { FakeClock } from '../../../fakes/clock.js';

/** Runs one turn that "sends" `wireBytes` taking `busyMs` (a push, timed to its PUBACK) or unmeasured (a pulled answer); resolves with when it was sent. */
function turn(pacer: ClipPacer, clock: FakeClock, request: { event: string; offset: number }, length: number, busyMs?: number): Promise<number> {
  return pacer.turn({ ...request, asked: length }, async () => {
    const at = clock.monotonicMs();
    if (busyMs !== undefined) await clock.sleep(busyMs);
    return { result: at, length, wireBytes: length, busyMs };
  });
}

/** An uplink: a round trip, and a time per wire byte. */
interface Link { rttMs: number; msPerByte: number }

/** A pushed chunk of at most `asked` over `link`: acknowledged after the round trip and its wire time. Resolves with when it was sent and its size. */
async function push(pacer: ClipPacer, clock: FakeClock, link: Link, asked: number, offset = 0): Promise<{ at: number; length: number }> {
  const sent = pacer.turn({ event: 'e', offset, asked }, async (length) => {
    const at = clock.monotonicMs();
    const busyMs = link.rttMs + wireBytesOf(length) * link.msPerByte;
    await clock.sleep(busyMs);
    return { result: { at, length }, length, wireBytes: wireBytesOf(length), busyMs };
  });
  return until(clock, sent);
}

/** Moves the fake clock a millisecond at a time until `promise` settles. */
async function until<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  void promise.then(() => { settled = true; }, () => { settled = true; });
  await clock.advance(0);
  for (let i = 0; i < 100_000 && !settled; i++) await clock.advance(1);
  return promise;
}

/** The link's small publishes (events of 500 B): their round trips. */
function events(pacer: ClipPacer, link: Link, n = 5): void {
  for (let i = 0; i < n; i++) pacer.roundTrip(link.rttMs + 500 * link.msPerByte + i, 500);
}

describe('sizing clip chunks to the uplink: a few ms on the wire each', () => {
  const slow: Link = { rttMs: 40, msPerByte: 0.0005 }; // 16 Mbit/s behind a 40 ms round trip
  const twoMbit: Link = { rttMs: 1, msPerByte: 0.004 };

  it('starts with 1 KiB, then sends what the measured rate carries in 5 ms, the round trip taken off', async () => {
    const clock = new FakeClock();
    const pacer = new ClipPacer(clock, 0.1);
    events(pacer, slow);
    const first = await push(pacer, clock, slow, 16_384);
    expect(first.length).toBe(MIN_CHUNK_BYTES);
    let offset = first.length;
    const chunks: { at: number; length: number }[] = [first];
    for (let i = 0; i < 12; i++) {
      const chunk = await push(pacer, clock, slow, 16_384, offset);
      chunks.push(chunk);
      offset += chunk.length;
    }
    expect(pacer.uplinkRoundTripMs()).toBeCloseTo(40, 0); // the quickest event, less its own 500 B
    // 5 ms at 0.0005 ms/B: 10 000 wire bytes, 7200 of clip after the answer's envelope and base64.
    const [before, last] = chunks.slice(-2);
    expect(last?.length).toBeGreaterThan(6800);
    expect(last?.length).toBeLessThan(7600);
    // Paced by the wire time, not the round trip: the uplink idles 9 × 5 ms after the chunk, not 9 × 45 ms.
    expect((last?.at ?? 0) - (before?.at ?? 0)).toBeCloseTo(slow.rttMs + 5 + 45, -1);
  });

  it('without the round trip (nothing small sent yet) the chunks of two sizes tell the 40 ms from the bytes', async () => {
    const clock = new FakeClock();
    const pacer = new ClipPacer(clock, 0.1);
    const first = await push(pacer, clock, slow, 16_384);
    expect(first.length).toBe(MIN_CHUNK_BYTES);
    // Before a fit the whole 40 ms would count as wire (1 KiB chunks); the second is a probe, twice the wire bytes.
    const second = await push(pacer, clock, slow, 16_384, first.length);
    expect(wireBytesOf(second.length)).toBeLessThanOrEqual(2 * wireBytesOf(first.length));
    expect(pacer.uplinkFixedMs()).toBeCloseTo(slow.rttMs, 0);
    // The fit reaches at most 4 times the largest chunk timed, then the rate's 5 ms: 7200 B of clip.
    const third = await push(pacer, clock, slow, 16_384, first.length + second.length);
    expect(third.length).toBeGreaterThan(6800);
    expect(third.length).toBeLessThan(7600);
  });

  it('at 2 Mbit/s a chunk is the smallest (1 KiB, about 7 ms); on loopback it is what the station asked for', async () => {
    const clock = new FakeClock();
    const slowPacer = new ClipPacer(clock, 0.1);
    events(slowPacer, twoMbit);
    const sizes2m: number[] = [];
    for (let i = 0; i < 12; i++) sizes2m.push((await push(slowPacer, clock, twoMbit, 16_384, sizes2m.reduce((a, b) => a + b, 0))).length);
    // All the smallest, but the second: twice the first one's wire bytes (2352 B of clip, about 13 ms), once, for the fit.
    expect(sizes2m).toEqual([MIN_CHUNK_BYTES, 2352, ...Array<number>(10).fill(MIN_CHUNK_BYTES)]);
    // The events' own bytes first count as round trip; the estimate settles within a few chunks.
    expect(Math.abs((slowPacer.uplinkMsPerByte() ?? 0) / twoMbit.msPerByte - 1)).toBeLessThan(0.05);
    expect(slowPacer.uplinkFixedMs()).toBeCloseTo(twoMbit.rttMs, 0);

    const loopback: Link = { rttMs: 0.3, msPerByte: 0.00005 };
    const fastPacer = new ClipPacer(clock, 0.1);
    events(fastPacer, loopback, 1);
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) sizes.push((await push(fastPacer, clock, loopback, 16_384)).length);
    expect(sizes).toEqual([MIN_CHUNK_BYTES, 16_384, 16_384]);
  });

  it('grows chunks when round trips would keep clips under their share (a long round trip), and never past what was asked', async () => {
    const clock = new FakeClock();
    const far: Link = { rttMs: 300, msPerByte: 0.004 }; // 2 Mbit/s, 300 ms away
    const pacer = new ClipPacer(clock, 0.1);
    events(pacer, far);
    let offset = 0;
    let last = 0;
    for (let i = 0; i < 12; i++) {
      last = (await push(pacer, clock, far, 65_536, offset)).length;
      offset += last;
    }
    // The wire time that earns 300 ms of idle at share 0.1: 33 ms, 8300 wire bytes, about 6 KiB of clip.
    expect(wireBytesOf(last) * far.msPerByte).toBeCloseTo(300 / 9, 0);
    const asked = 4096;
    expect((await push(pacer, clock, far, asked, offset)).length).toBe(asked);
  });

  it('with share 1 (no pacing) every chunk is what was asked; chunkTime is configurable and must be above 0', async () => {
    const clock = new FakeClock();
    const free = new ClipPacer(clock, 1);
    expect((await push(free, clock, twoMbit, 16_384)).length).toBe(16_384);
    expect(free.chunkBytes(65_536)).toBe(65_536);
    const roomy = new ClipPacer(clock, 0.1, false, 50);
    events(roomy, twoMbit);
    for (let i = 0; i < 12; i++) await push(roomy, clock, twoMbit, 16_384);
    // 50 ms at 2 Mbit/s: 12 500 wire bytes, about 9 KiB of clip.
    expect(roomy.chunkBytes(65_536)).toBeGreaterThan(8500);
    expect(roomy.chunkBytes(65_536)).toBeLessThan(9500);
    expect(() => new ClipPacer(clock, 0.1, false, 0)).toThrow(/chunkTime must be above 0/);
    expect(clipsSchema.parse({}).chunkTime).toBe(5);
    expect(clipsSchema.parse({ chunkTime: '20ms' }).chunkTime).toBe(20);
  });

  it("counts the station's time to ask for the next chunk among the round trips", async () => {
    const clock = new FakeClock();
    const pacer = new ClipPacer(clock, 0.1, true);
    events(pacer, twoMbit);
    let offset = 0;
    for (let i = 0; i < 4; i++) {
      const length = await until(clock, pacer.turn({ event: 'e', offset, asked: 65_536 }, (bytes) => Promise.resolve({ result: bytes, length: bytes, wireBytes: wireBytesOf(bytes) })));
      const wireMs = wireBytesOf(length) * twoMbit.msPerByte;
      await clock.advance(twoMbit.rttMs + wireMs);
      pacer.answered(wireBytesOf(length), twoMbit.rttMs + wireMs);
      await clock.advance(200); // the station asks 200 ms after the host's PUBACK
      offset += length;
    }
    // 200 ms between chunks anyway: a chunk may hold the wire 200 / 9 = 22 ms (about 4 KiB of clip), not 5.
    expect(pacer.chunkBytes(65_536)).toBeGreaterThan(3500);
    expect(pacer.chunkBytes(65_536)).toBeLessThan(4500);
  });
});

describe('a broker that holds every chunk (no set_tcp_nodelay): the held time is fixed, not wire', () => {
  /** Pushes `n` chunks over `link` whose PUBACKs are each held `heldMs` more; the sizes and when each was sent. */
  async function pushHeld(pacer: ClipPacer, clock: FakeClock, link: Link, heldMs: number, n: number): Promise<{ at: number; length: number }[]> {
    const chunks: { at: number; length: number }[] = [];
    let offset = 0;
    for (let i = 0; i < n; i++) {
      const sent = pacer.turn({ event: 'e', offset, asked: 16_384 }, async (length) => {
        const at = clock.monotonicMs();
        const busyMs = link.rttMs + heldMs + wireBytesOf(length) * link.msPerByte;
        await clock.sleep(busyMs);
        return { result: { at, length }, length, wireBytes: wireBytesOf(length), busyMs };
      });
      const chunk = await until(clock, sent);
      chunks.push(chunk);
      offset += chunk.length;
    }
    return chunks;
  }

  it('on a LAN chunks reach the 16 KiB asked within a few chunks, and the uplink does not idle 9 × 44 ms after each', async () => {
    const clock = new FakeClock();
    const lan: Link = { rttMs: 0.5, msPerByte: 0.00008 }; // 100 Mbit/s
    const pacer = new ClipPacer(clock, 0.1);
    events(pacer, lan);
    const chunks = await pushHeld(pacer, clock, lan, 44, 10);
    expect(chunks.slice(0, 3).map((c) => c.length)).toEqual([MIN_CHUNK_BYTES, 2352, 10_308]);
    expect(chunks.slice(4).every((c) => c.length === 16_384)).toBe(true);
    expect(pacer.uplinkFixedMs()).toBeCloseTo(44.5, 0);
    // One chunk every 46 ms (its held PUBACK, 2 ms of wire and 9 × 2 ms idle): 16 KiB per 64 ms, not 1 KiB per 450 ms.
    const [before, last] = chunks.slice(-2);
    expect((last?.at ?? 0) - (before?.at ?? 0)).toBeLessThan(70);
  });

  it('at 2 Mbit/s chunks stay small (an alert waits behind a few ms of clip, not more) and the share holds', async () => {
    const clock = new FakeClock();
    const twoMbit: Link = { rttMs: 1, msPerByte: 0.004 };
    const pacer = new ClipPacer(clock, 0.1);
    events(pacer, twoMbit);
    const chunks = await pushHeld(pacer, clock, twoMbit, 44, 20);
    // The fixed 45 ms counts as a round trip the idle time must cover: 45 / 9 = 5 ms of wire, the 1 KiB floor.
    expect(pacer.uplinkFixedMs()).toBeCloseTo(45, 0);
    const wireMs = chunks.slice(2).map((c) => wireBytesOf(c.length) * twoMbit.msPerByte);
    expect(Math.max(...wireMs)).toBeLessThan(8);
    // Paced by the wire time: a chunk every 45 + 7 + 9 × 7 ms, the clip's bytes a tenth of the uplink's time.
    const [before, last] = chunks.slice(-2);
    const gap = (last?.at ?? 0) - (before?.at ?? 0);
    expect(gap).toBeGreaterThan(45 + 7 + 9 * 7 - 5);
    expect(gap).toBeLessThan(45 + 7 + 9 * 7 + 10);
  });

  it("a pulled answer timed to the station's next request (no PUBACK reports) is fitted the same way", async () => {
    const clock = new FakeClock();
    const lan: Link = { rttMs: 0.5, msPerByte: 0.00008 };
    const pacer = new ClipPacer(clock, 0.1);
    events(pacer, lan);
    const sizes: number[] = [];
    let offset = 0;
    for (let i = 0; i < 8; i++) {
      const length = await until(clock, pacer.turn({ event: 'e', offset, asked: 16_384 }, (bytes) => Promise.resolve({ result: bytes, length: bytes, wireBytes: wireBytesOf(bytes) })));
      sizes.push(length);
      // The station's next request is held 44 ms by the broker, after the chunk's wire time.
      await clock.advance(Math.round(44 + lan.rttMs + wireBytesOf(length) * lan.msPerByte));
      offset += length;
    }
    expect(sizes.slice(0, 2)).toEqual([MIN_CHUNK_BYTES, 2352]);
    expect(sizes.slice(-2)).toEqual([16_384, 16_384]);
  });
});

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
    const a = free.turn({ event: 'a', offset: 0, asked: 1024 }, async () => { order.push('a starts'); await clock.sleep(50); order.push('a ends'); return { result: 0, length: 1, wireBytes: 1, busyMs: 50 }; });
    const b = free.turn({ event: 'b', offset: 0, asked: 1024 }, () => { order.push('b starts'); return Promise.resolve({ result: 0, length: 1, wireBytes: 1, busyMs: 0 }); });
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
