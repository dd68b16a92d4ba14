/** Messages up to this many bytes time the round trip; larger ones spend too long on a slow wire. */
const SMALL_WIRE_BYTES = 2048;
/** Round trips kept: the smallest of the last this many is the estimate (a route that changes is followed). */
const ROUND_TRIPS_KEPT = 32;
/** Weight of the newest clip chunk in the time per byte. */
const EWMA = 0.3;

/**
 * What the uplink charges a message, from publish → PUBACK times: `t = roundTrip + wireBytes × msPerByte`.
 *
 * The round trip (to the broker and back, and the broker's own work) is the smallest time of the
 * last 32 small messages the link acknowledged (its QoS 1 events and health), each less its own
 * bytes at the measured rate: queueing behind other traffic only lengthens a time, so the smallest is
 * the link at its emptiest. The time per byte is an average (EWMA) over clip chunks of what is left
 * of their time after the round trip. Without round trips (nothing small sent yet) the whole time
 * counts as the wire's: the rate is under-estimated and chunks come out smaller, never larger.
 */
export class UplinkEstimate {
  /** The last small messages: publish → PUBACK milliseconds and wire bytes. */
  private readonly roundTrips: { ms: number; bytes: number }[] = [];
  private perByte: number | undefined;

  /** A small message's publish → PUBACK time; larger ones are ignored. */
  roundTrip(ms: number, wireBytes: number): void {
    if (!(ms >= 0) || !(wireBytes >= 0) || wireBytes > SMALL_WIRE_BYTES) return;
    this.roundTrips.push({ ms, bytes: wireBytes });
    if (this.roundTrips.length > ROUND_TRIPS_KEPT) this.roundTrips.shift();
  }

  /** A clip chunk's publish → PUBACK time; returns the milliseconds it held the wire (its time less the round trip). */
  chunk(ms: number, wireBytes: number): number {
    const wireMs = Math.max(0, ms - this.roundTripMs());
    if (wireBytes > 0 && Number.isFinite(wireMs)) {
      const sample = wireMs / wireBytes;
      this.perByte = this.perByte === undefined ? sample : this.perByte + EWMA * (sample - this.perByte);
    }
    return wireMs;
  }

  /** Milliseconds to the broker and back: the quickest small message less its own bytes at the measured rate (0 before one was timed). */
  roundTripMs(): number {
    const perByte = this.perByte ?? 0;
    return this.roundTrips.reduce((least, { ms, bytes }) => Math.min(least, Math.max(0, ms - bytes * perByte)), this.roundTrips.length === 0 ? 0 : Number.POSITIVE_INFINITY);
  }

  /** Milliseconds of wire per byte; undefined before a chunk was timed. */
  msPerByte(): number | undefined {
    return this.perByte;
  }

  /** Bytes the wire carries in `ms` at the measured rate: undefined before a measurement, Infinity when too fast to tell. */
  bytesIn(ms: number): number | undefined {
    if (this.perByte === undefined) return undefined;
    return this.perByte > 0 ? ms / this.perByte : Number.POSITIVE_INFINITY;
  }
}
