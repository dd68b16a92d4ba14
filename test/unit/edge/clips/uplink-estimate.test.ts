import { describe, expect, it } from 'vitest';
import { CHUNKS_KEPT, FIT_GROWTH, UplinkEstimate } from '../../../../agent/edge/clips/uplink-estimate.js';

describe("the uplink's round trip and time per byte, from publish → PUBACK times", () => {
  it('takes the round trip off a chunk: what is left is its time on the wire', () => {
    const uplink = new UplinkEstimate();
    // Events of 500 B on a link of 40 ms round trip, some queued behind other traffic.
    for (const ms of [52, 41, 70, 44]) uplink.roundTrip(ms, 500);
    expect(uplink.roundTripMs()).toBe(41);
    // A chunk of 20 000 wire bytes at 0.004 ms/B (2 Mbit/s) takes 41 + 80 ms to be acknowledged.
    expect(uplink.chunk(121, 20_000)).toBe(80);
    expect(uplink.msPerByte()).toBeCloseTo(0.004);
    expect(uplink.bytesIn(5)).toBeCloseTo(1250);
    // Round trips are timed less their own bytes at that rate (500 B: 2 ms).
    expect(uplink.roundTripMs()).toBe(39);
  });

  it('without the round trip the whole time counts as the wire (slower, never faster), and averages chunks', () => {
    const uplink = new UplinkEstimate();
    expect(uplink.msPerByte()).toBeUndefined();
    expect(uplink.bytesIn(5)).toBeUndefined();
    expect(uplink.chunk(121, 20_000)).toBe(121);
    expect(uplink.msPerByte()).toBeCloseTo(0.00605);
    // An average: one chunk that waited behind an alert moves it by a third of the difference.
    uplink.chunk(321, 20_000);
    expect(uplink.msPerByte()).toBeCloseTo(0.00605 + 0.3 * (0.01605 - 0.00605));
  });

  it('ignores large messages and nonsense as round trips, and follows a route that got slower', () => {
    const uplink = new UplinkEstimate();
    uplink.roundTrip(5, 50_000); // a thumbnail: mostly wire, not the round trip
    uplink.roundTrip(-1, 100);
    uplink.roundTrip(Number.NaN, 100);
    expect(uplink.roundTripMs()).toBe(0);
    uplink.roundTrip(10, 300);
    for (let i = 0; i < 31; i++) uplink.roundTrip(90, 300);
    expect(uplink.roundTripMs()).toBe(10);
    uplink.roundTrip(90, 300); // the 10 ms one is now 33 messages old
    expect(uplink.roundTripMs()).toBe(90);
  });

  it('a chunk faster than the round trip held the wire 0 ms: a link too fast to tell carries any chunk', () => {
    const uplink = new UplinkEstimate();
    uplink.roundTrip(2, 400);
    expect(uplink.chunk(1.5, 22_000)).toBe(0);
    expect(uplink.bytesIn(5)).toBe(Number.POSITIVE_INFINITY);
  });
});

/** A repeatable pseudo-random source (mulberry32): noise without a flaky test. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A link: what a small message and a chunk take (`fixedMs` only for chunks: a held ACK), per wire byte. */
interface Link { rttMs: number; fixedMs: number; msPerByte: number }
const timeOf = (link: Link, bytes: number) => link.fixedMs + bytes * link.msPerByte;

describe('a fixed delay per chunk told from the time per byte (a fit over chunks of several sizes)', () => {
  // A LAN (100 Mbit/s) behind a broker without set_tcp_nodelay: every chunk's PUBACK held 44 ms, small messages not.
  const heldLan: Link = { rttMs: 0.5, fixedMs: 44, msPerByte: 0.00008 };
  // The bench's 2 Mbit/s uplink, 1 ms away, nothing held.
  const twoMbit: Link = { rttMs: 1, fixedMs: 1, msPerByte: 0.004 };

  it('a 40 ms delay on every chunk and fast bytes: the delay is fixed, the link fast, chunks large', () => {
    const uplink = new UplinkEstimate();
    for (let i = 0; i < 5; i++) uplink.roundTrip(heldLan.rttMs, 300);
    uplink.chunk(timeOf(heldLan, 1768), 1768);
    // One size: the 44 ms counts as wire, 40 bytes a millisecond, and another size is wanted.
    expect(uplink.needsSpread()).toBe(true);
    expect(uplink.bytesIn(5)).toBeLessThan(300);
    uplink.chunk(timeOf(heldLan, 3536), 3536);
    expect(uplink.needsSpread()).toBe(false);
    expect(uplink.fixedMs()).toBeCloseTo(44, 1);
    expect(uplink.msPerByte()).toBeCloseTo(heldLan.msPerByte, 6);
    // What 5 ms carries is 62 500 B; a fit reaches 4 times the largest chunk timed, then grows with the chunks.
    expect(uplink.bytesIn(5)).toBe(FIT_GROWTH * 3536);
    uplink.chunk(timeOf(heldLan, 14_144), 14_144);
    expect(uplink.bytesIn(5)).toBe(FIT_GROWTH * 14_144);
    // The held 44 ms is not wire time: a chunk of 22 KB held the wire under 2 ms, not 46 (no long idle after it).
    expect(uplink.chunk(timeOf(heldLan, 22_000), 22_000)).toBeLessThan(2);
    expect(uplink.bytesIn(5)).toBeCloseTo(5 / heldLan.msPerByte, -2);
  });

  it('2 Mbit/s with no fixed delay: the fit finds the round trip and the rate, chunks stay small', () => {
    const uplink = new UplinkEstimate();
    for (let i = 0; i < 5; i++) uplink.roundTrip(twoMbit.rttMs + 300 * twoMbit.msPerByte, 300);
    for (let i = 0; i < 6; i++) uplink.chunk(timeOf(twoMbit, 1768), 1768);
    uplink.chunk(timeOf(twoMbit, 3536), 3536);
    expect(uplink.fit()?.fixedMs).toBeCloseTo(1, 1);
    expect(uplink.msPerByte()).toBeCloseTo(0.004, 5);
    expect(Math.abs((uplink.bytesIn(5) ?? 0) / 1250 - 1)).toBeLessThan(0.05);
    // A chunk's wire time is its time less the round trip: the idle time after it is the same as before the fit.
    expect(uplink.chunk(timeOf(twoMbit, 1768), 1768)).toBeCloseTo(1768 * 0.004, 1);
  });

  it('noisy samples (queueing behind other traffic, a loaded host) move neither the fit nor the sizes much', () => {
    for (const [link, seed] of [[twoMbit, 1], [heldLan, 2], [twoMbit, 3], [heldLan, 4]] as const) {
      const next = random(seed);
      const uplink = new UplinkEstimate();
      for (let i = 0; i < 32; i++) uplink.roundTrip(link.rttMs + 300 * link.msPerByte + next() * 5, 300);
      // 48 chunks of three sizes; half of them wait up to 30 ms more, one in ten 300 ms (an alert's picture ahead).
      for (let i = 0; i < 48; i++) {
        const bytes = [1768, 3536, 7000][i % 3] ?? 1768;
        const queued = next() < 0.5 ? next() * 30 : 0;
        const stalled = next() < 0.1 ? 300 : 0;
        uplink.chunk(timeOf(link, bytes) + queued + stalled, bytes);
      }
      expect(Math.abs((uplink.fit()?.fixedMs ?? Number.NaN) - link.fixedMs)).toBeLessThan(3);
      const wire = uplink.bytesIn(5) ?? 0;
      if (link === twoMbit) {
        // At most a third above what 5 ms carries (1250 B): chunks stay at the 1 KiB floor or close to it.
        expect(wire).toBeLessThan(1250 * 1.35);
      } else {
        expect(wire).toBeGreaterThanOrEqual(FIT_GROWTH * 7000);
      }
    }
  });

  it('one size, or sizes too close, make no fit: the whole time after the round trip counts as wire', () => {
    const uplink = new UplinkEstimate();
    uplink.roundTrip(0.5, 300);
    for (let i = 0; i < 10; i++) uplink.chunk(timeOf(heldLan, 1768 + i * 50), 1768 + i * 50);
    expect(uplink.fit()).toBeUndefined();
    expect(uplink.needsSpread()).toBe(true);
    expect(uplink.fixedMs()).toBeLessThanOrEqual(0.5);
    expect(uplink.bytesIn(5)).toBeLessThan(300);
    // Old chunks leave the fit: a window of the last CHUNKS_KEPT.
    uplink.chunk(timeOf(heldLan, 4000), 4000);
    expect(uplink.fit()).toBeDefined();
    for (let i = 0; i < CHUNKS_KEPT - 1; i++) uplink.chunk(timeOf(heldLan, 1768), 1768);
    expect(uplink.fit()).toBeDefined();
    uplink.chunk(timeOf(heldLan, 1768), 1768);
    expect(uplink.fit()).toBeUndefined();
  });

  it('a fit that would make the wire slower than the plain average is not used for sizes (never smaller chunks than before)', () => {
    const uplink = new UplinkEstimate();
    uplink.roundTrip(1, 300);
    for (let i = 0; i < 4; i++) uplink.chunk(1 + 1768 * 0.004, 1768);
    // A larger chunk that met a stall: the fit's slope is steeper than the link's.
    uplink.chunk(1 + 3536 * 0.004 + 200, 3536);
    const average = uplink.bytesIn(5) ?? 0;
    expect(average).toBeGreaterThan(0);
    expect((uplink.fit()?.perByte ?? 0)).toBeGreaterThan(0.004);
    expect(uplink.bytesIn(5)).toBe(average);
  });
});
