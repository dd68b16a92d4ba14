import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { MIN_CHUNK_BYTES } from '../../../../agent/edge/clips/clip-pacer.js';
import { ClipSender, PUSH_CHUNK } from '../../../../agent/edge/clips/clip-sender.js';
import { ClipStore } from '../../../../agent/edge/clips/clip-store.js';
import { CommandError, type EventClipAnswer } from '../../../../agent/link/contract/v1.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { FakeClock } from '../../../fakes/clock.js';
import { tempDir } from '../../../helpers/tmp.js';

/** A link whose outbox depth the test sets, and which records pushed chunks. */
function fakeLink() {
  const link = {
    depth: 0,
    connected: true,
    pushed: [] as EventClipAnswer[],
    state: () => ({ connected: link.connected, outboxDepth: link.depth, dropped: 0 }),
    publishClipChunk: (chunk: EventClipAnswer) => {
      link.pushed.push(chunk);
      return Promise.resolve();
    },
  };
  return link;
}

async function setup(bytes: number, uplinkShare?: number) {
  const dir = await tempDir();
  const clock = new FakeClock();
  const store = new ClipStore({ fs: realFileSystem, dir: join(dir, 'clips'), maxBytes: 10 * 1024 ** 2, maxAgeMs: 86_400_000, clock });
  await store.open();
  const file = join(dir, 'c.tmp');
  await writeFile(file, Buffer.alloc(bytes, 7));
  const info = await store.keep('ev-1', 'gate', file, 3);
  const link = fakeLink();
  const stopping = new AbortController();
  const sender = new ClipSender({ store, link, clock, logger: silentLogger(), stopping: stopping.signal, ...(uplinkShare === undefined ? {} : { uplinkShare }) });
  return { clock, link, sender, info, stopping };
}

/** Lets promise callbacks run (the store reads real files). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('sending clips last', () => {
  it('answers a chunk only once the outbox is empty, and busy when it stays full', async () => {
    const { clock, link, sender } = await setup(5000);
    link.depth = 3;
    let answered: EventClipAnswer | undefined;
    void sender.chunk({ event: 'ev-1', offset: 4096, chunkBytes: 4096 }).then((a) => { answered = a; });
    await settle();
    await clock.advance(1000);
    expect(answered).toBeUndefined(); // alerts and events are still going out
    link.depth = 0;
    await clock.advance(100);
    await settle();
    expect(answered).toMatchObject({ event: 'ev-1', offset: 4096, length: 904 });

    link.depth = 1;
    const busy = sender.chunk({ event: 'ev-1', offset: 0, chunkBytes: 4096 }).then(() => 'answered', (err: unknown) => err);
    await settle();
    await clock.advance(20_100);
    expect(await busy).toMatchObject({ code: 'busy' });
    await expect(sender.chunk({ event: 'ev-2', offset: 0, chunkBytes: 4096 })).rejects.toBeInstanceOf(CommandError);
    await expect(sender.chunk({ event: 'ev-1', offset: 6000, chunkBytes: 4096 })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('pushes chunk by chunk while the outbox is empty, and stops when the station pulls', async () => {
    const { clock, link, sender, info } = await setup(200 * 1024);
    link.depth = 1;
    sender.queuePush('ev-1');
    await settle();
    await clock.advance(500);
    expect(link.pushed).toEqual([]); // something else waits to be sent
    link.depth = 0;
    for (let i = 0; i < 40 && link.pushed.length < 13; i++) {
      await clock.advance(100);
      await settle();
    }
    // 16 KiB chunks (PUSH_CHUNK): 200 KiB is 12 whole ones and 8 KiB.
    expect(link.pushed.map((c) => [c.offset, c.length])).toEqual([...Array.from({ length: 12 }, (_, i) => [i * PUSH_CHUNK, PUSH_CHUNK]), [12 * PUSH_CHUNK, 8192]]);
    expect(link.pushed.every((c) => c.clip.sha256 === info.sha256)).toBe(true);
    await sender.idle();

    // A second push of the same clip stops as soon as the station asks for it.
    link.pushed.length = 0;
    await sender.chunk({ event: 'ev-1', offset: 0, chunkBytes: 65536 });
    sender.queuePush('ev-1');
    await settle();
    await clock.advance(1000);
    await sender.idle();
    expect(link.pushed).toEqual([]);
  });

  it('paces answers to clips.uplinkShare, and an alert queued during the wait still goes first', async () => {
    const { clock, link, sender } = await setup(50_000, 0.5);
    const first = await sender.chunk({ event: 'ev-1', offset: 0, chunkBytes: 4096 });
    expect(first.length).toBe(MIN_CHUNK_BYTES); // before any measurement of the uplink, the smallest chunk
    await clock.advance(200); // the answer took 200 ms to reach the station, which asks for the next chunk
    let second: EventClipAnswer | undefined;
    void sender.chunk({ event: 'ev-1', offset: 1024, chunkBytes: 4096 }).then((a) => { second = a; });
    await settle();
    await clock.advance(150);
    await settle();
    expect(second).toBeUndefined(); // the uplink is idle as long as the chunk took
    link.depth = 1; // an alert is queued just before the chunk's turn
    await clock.advance(50);
    await settle();
    await clock.advance(500);
    await settle();
    expect(second).toBeUndefined(); // it waits for the alert
    link.depth = 0;
    await clock.advance(50);
    await settle();
    // 1 KiB in 200 ms is a slow uplink: the next chunk is not the 4 KiB asked but twice the first one's wire
    // bytes (2352 B of clip), once, so that chunks of two sizes tell a fixed delay from the bytes' time.
    expect(second).toMatchObject({ offset: 1024, length: 2352 });
  });
});
