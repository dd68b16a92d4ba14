import { describe, expect, it } from 'vitest';
import { UplinkEstimate } from '../../../../agent/edge/clips/uplink-estimate.js';

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
