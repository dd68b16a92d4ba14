/** Messages up to this many bytes time the round trip; larger ones spend too long on a slow wire. */
const SMALL_WIRE_BYTES = 2048;
/** Round trips kept: the smallest of the last this many is the estimate (a route that changes is followed). */
const ROUND_TRIPS_KEPT = 32;
/** Weight of the newest clip chunk in the time per byte while the chunks cannot be fitted. */
const EWMA = 0.3;
/** Clip chunks kept for the fit `ms = fixed + bytes × msPerByte` (a route that changes is followed). */
export const CHUNKS_KEPT = 48;
/** The largest chunk kept must be this many times the smallest for a fit: closer sizes cannot tell a fixed delay from bytes. */
export const FIT_SPREAD = 1.8;
/** A fit sizes chunks at most this many times the largest one timed: a fit reaching further is a guess. */
export const FIT_GROWTH = 4;
/** Per size group, the time taken is this quantile of its chunks' times: the quick ones, queueing only lengthens a time. */
const LOW_QUANTILE = 0.25;

interface Sample { ms: number; bytes: number }

/** The line through the chunks' lower envelope: `ms = fixedMs + bytes × perByte`. */
interface Fit { fixedMs: number; perByte: number }

/**
 * What the uplink charges a message, from publish → PUBACK times: `t = fixed + wireBytes × msPerByte`.
 *
 * The round trip (to the broker and back, and the broker's own work) is the smallest time of the
 * last 32 small messages the link acknowledged (its QoS 1 events and health), each less its own
 * bytes at the measured rate: queueing behind other traffic only lengthens a time, so the smallest is
 * the link at its emptiest.
 *
 * A chunk can carry a delay of its own that small messages do not have and that its bytes do not
 * explain: a broker without `set_tcp_nodelay` holds a packet after a chunk for the receiver's
 * delayed ACK (about 40 ms), a pulled answer timed to the station's next request carries the
 * station's round trip. So the chunks' times are fitted to `fixed + bytes × msPerByte` by least
 * squares over their lower envelope: the last 48 chunks grouped by size (groups √2 apart), each
 * group's lower quartile time against its median size. The fixed part, at least the round trip, is
 * not wire time: a LAN behind a held ACK is a LAN, not a 40 kbyte/s link. A fit needs sizes at
 * least 1.8 times apart (`needsSpread`: the pacer then sends a larger chunk now and then).
 * Until then, and whenever the fit would make the wire slower, the time per byte is an average
 * (EWMA) of what is left of each chunk's time after the round trip: the fixed delay counts as wire,
 * and chunks come out smaller, never larger.
 */
export class UplinkEstimate {
  /** The last small messages: publish → PUBACK milliseconds and wire bytes. */
  private readonly roundTrips: Sample[] = [];
  /** The last clip chunks: their whole times and wire bytes. */
  private readonly chunks: Sample[] = [];
  /** Time per byte with the whole time after the round trip counted as wire (EWMA). */
  private averagePerByte: number | undefined;
  private fitted: Fit | undefined;

  /** A small message's publish → PUBACK time; larger ones are ignored. */
  roundTrip(ms: number, wireBytes: number): void {
    if (!(ms >= 0) || !(wireBytes >= 0) || wireBytes > SMALL_WIRE_BYTES) return;
    this.roundTrips.push({ ms, bytes: wireBytes });
    if (this.roundTrips.length > ROUND_TRIPS_KEPT) this.roundTrips.shift();
  }

  /** A clip chunk's publish → PUBACK time; returns the milliseconds it held the wire (its time less the fixed delay as estimated before it). */
  chunk(ms: number, wireBytes: number): number {
    if (!(ms >= 0) || !Number.isFinite(ms)) return 0;
    const wireMs = Math.max(0, ms - this.fixedMs());
    if (wireBytes > 0 && Number.isFinite(wireBytes)) {
      const sample = Math.max(0, ms - this.roundTripMs()) / wireBytes;
      this.averagePerByte = this.averagePerByte === undefined ? sample : this.averagePerByte + EWMA * (sample - this.averagePerByte);
      this.chunks.push({ ms, bytes: wireBytes });
      if (this.chunks.length > CHUNKS_KEPT) this.chunks.shift();
      this.fitted = fit(this.chunks);
    }
    return wireMs;
  }

  /** Milliseconds to the broker and back: the quickest small message less its own bytes at the measured rate (0 before one was timed). */
  roundTripMs(): number {
    const perByte = this.msPerByte() ?? 0;
    return this.roundTrips.reduce((least, { ms, bytes }) => Math.min(least, Math.max(0, ms - bytes * perByte)), this.roundTrips.length === 0 ? 0 : Number.POSITIVE_INFINITY);
  }

  /**
   * Milliseconds every chunk takes whatever its size: the fit's fixed part (the round trip and
   * what else each chunk waits for), never less than the round trip; the round trip without a fit.
   */
  fixedMs(): number {
    const roundTrip = this.roundTripMs();
    return this.fitted === undefined ? roundTrip : Math.max(roundTrip, this.fitted.fixedMs);
  }

  /** Milliseconds of wire per byte (the fit's, else the average); undefined before a chunk was timed. */
  msPerByte(): number | undefined {
    if (this.averagePerByte === undefined) return undefined;
    return this.fitted?.perByte ?? this.averagePerByte;
  }

  /**
   * Bytes the wire carries in `ms` (undefined before a measurement, Infinity when too fast to tell):
   * at the average rate, or at the fit's when that carries more, up to 4 times the largest chunk
   * timed (a larger one is timed before chunks grow further).
   */
  bytesIn(ms: number): number | undefined {
    if (this.averagePerByte === undefined) return undefined;
    const average = carried(ms, this.averagePerByte);
    if (this.fitted === undefined) return average;
    return Math.max(average, Math.min(carried(ms, this.fitted.perByte), FIT_GROWTH * this.largestChunkBytes()));
  }

  /** The largest chunk kept (wire bytes), 0 before any: how far a fit reaches. */
  private largestChunkBytes(): number {
    return this.chunks.reduce((most, { bytes }) => Math.max(most, bytes), 0);
  }

  /** Chunks were timed but their sizes are too close to fit a fixed delay: a chunk of another size would tell. */
  needsSpread(): boolean {
    return this.chunks.length > 0 && this.fitted === undefined && spreadOf(this.chunks) < FIT_SPREAD;
  }

  /** The fit (for tests): undefined while the chunks' sizes are too close. */
  fit(): Fit | undefined {
    return this.fitted;
  }
}

function carried(ms: number, perByte: number): number {
  return perByte > 0 ? ms / perByte : Number.POSITIVE_INFINITY;
}

function spreadOf(samples: readonly Sample[]): number {
  let least = Number.POSITIVE_INFINITY;
  let most = 0;
  for (const { bytes } of samples) {
    least = Math.min(least, bytes);
    most = Math.max(most, bytes);
  }
  return least > 0 ? most / least : 0;
}

/** Least squares through each size group's lower quartile; undefined when the sizes are too close to tell. */
function fit(samples: readonly Sample[]): Fit | undefined {
  const groups = new Map<number, Sample[]>();
  for (const sample of samples) {
    const key = Math.round(Math.log2(sample.bytes) * 2);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [sample]);
    else group.push(sample);
  }
  if (groups.size < 2) return undefined;
  const points = [...groups.values()].map((group) => ({ x: quantile(group.map((s) => s.bytes), 0.5), y: quantile(group.map((s) => s.ms), LOW_QUANTILE) }));
  const xs = points.map((p) => p.x);
  if (Math.max(...xs) / Math.min(...xs) < FIT_SPREAD) return undefined;
  const meanX = xs.reduce((a, b) => a + b, 0) / points.length;
  const meanY = points.reduce((a, p) => a + p.y, 0) / points.length;
  let sxx = 0;
  let sxy = 0;
  for (const { x, y } of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
  }
  const perByte = Math.max(0, sxy / sxx);
  // The fixed part never above what the quickest group took less its bytes: the line stays under every group.
  const under = Math.min(...points.map(({ x, y }) => y - x * perByte));
  const fixedMs = Math.max(0, Math.min(meanY - perByte * meanX, under));
  return { fixedMs, perByte };
}

/** The `q` quantile of `values` (nearest rank below). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * q)] ?? Number.NaN;
}
