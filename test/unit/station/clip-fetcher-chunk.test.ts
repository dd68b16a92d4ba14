import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import { ClipFetcher, STATION_CHUNK_BYTES } from '../../../agent/station/clip-fetcher.js';
import { FakeClock } from '../../fakes/clock.js';

const make = (chunkBytes?: number) => new ClipFetcher({
  broker: { url: 'mqtt://127.0.0.1:1' }, connect: () => { throw new Error('not connected in this test'); }, dir: '/nonexistent', clock: new FakeClock(), logger: silentLogger(),
  ...(chunkBytes === undefined ? {} : { chunkBytes }),
});

describe("the station's clip chunk", () => {
  it('is 16 KiB unless asked otherwise, and must be one cmd/events/clip accepts', () => {
    expect(STATION_CHUNK_BYTES).toBe(16 * 1024);
    expect(() => make()).not.toThrow();
    expect(() => make(65_536)).not.toThrow();
    expect(() => make(512)).toThrow(/chunkBytes must be a whole number of bytes from 1024 to 262144/);
    expect(() => make(300_000)).toThrow(RangeError);
    expect(() => make(2048.5)).toThrow(RangeError);
  });
});
