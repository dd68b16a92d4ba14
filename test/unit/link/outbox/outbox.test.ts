import { appendFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem, type FileSystem } from '../../../../agent/ports/fs.js';
import { Outbox, type OutboxLimits } from '../../../../agent/link/outbox/outbox.js';
import type { OutboxInput } from '../../../../agent/link/outbox/messages.js';
import { tempDir } from '../../../helpers/tmp.js';

const LIMITS: OutboxLimits = { maxBytes: 1024 * 1024, maxMessages: 1000 };

async function openOutbox(dir: string, options: { limits?: OutboxLimits; clock?: FakeClock; fs?: FileSystem; segmentBytes?: number } = {}) {
  const outbox = new Outbox({
    fs: options.fs ?? realFileSystem,
    dir,
    clock: options.clock ?? new FakeClock(),
    logger: silentLogger(),
    limits: options.limits ?? LIMITS,
    ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
  });
  await outbox.open();
  return outbox;
}

const event = (i: number): OutboxInput => ({ kind: 'event', topic: 'events', body: { id: `e${i}`, camera: 'gate' }, sequenced: true });
const image = (i: number, bytes = 1000): OutboxInput => ({ kind: 'image', topic: `events/e${i}/thumbnail`, blob: Buffer.alloc(bytes, i), sequenced: false });

function queuedIds(outbox: Outbox): string[] {
  return [...outbox.messages()].map((m) => (m.body?.['id'] as string | undefined) ?? m.topic);
}

describe('outbox', () => {
  it('numbers events and health with a seq that keeps growing across restarts', async () => {
    const dir = await tempDir();
    let outbox = await openOutbox(dir);
    const first = await Promise.all([event(0), event(1), image(1), event(2)].map((m) => outbox.enqueue(m)));
    expect(first.map((m) => m.seq)).toEqual([0, 1, undefined, 2]);
    for (const m of first) outbox.ack(m.n);
    await outbox.close();

    outbox = await openOutbox(dir);
    expect(outbox.summary().depth).toBe(0);
    expect((await outbox.enqueue(event(3))).seq).toBe(3);
    await outbox.close();
  });

  it('keeps unacknowledged messages across a restart, in order, with their payloads', async () => {
    const dir = await tempDir();
    let outbox = await openOutbox(dir);
    const queued = [];
    for (let i = 0; i < 5; i++) queued.push(await outbox.enqueue(event(i)));
    queued.push(await outbox.enqueue(image(9)));
    outbox.ack(queued[1]?.n ?? -1);
    await outbox.close();

    outbox = await openOutbox(dir);
    expect(queuedIds(outbox)).toEqual(['e0', 'e2', 'e3', 'e4', 'events/e9/thumbnail']);
    const [head] = outbox.messages();
    expect(JSON.parse((await outbox.payload(head!, { historical: true })).toString())).toEqual({ id: 'e0', camera: 'gate', seq: 0, historical: true });
    const thumb = [...outbox.messages()].at(-1)!;
    expect(await outbox.payload(thumb)).toEqual(Buffer.alloc(1000, 9));
    await outbox.close();
  });

  it('skips a torn record at the end of the journal and goes on', async () => {
    const dir = await tempDir();
    let outbox = await openOutbox(dir);
    for (let i = 0; i < 3; i++) await outbox.enqueue(event(i));
    await outbox.close();
    const journal = join(dir, 'journal');
    const [segment] = (await readdir(journal)).sort().slice(-1);
    const data = await readFile(join(journal, segment!));
    // A power cut mid-write: half of a copy of the last record, then garbage.
    await appendFile(join(journal, segment!), Buffer.concat([data.subarray(data.length - 40, data.length - 10), Buffer.from('MWO1\xff\xff')]));

    outbox = await openOutbox(dir);
    expect(queuedIds(outbox)).toEqual(['e0', 'e1', 'e2']);
    expect((await outbox.enqueue(event(3))).seq).toBe(3);
    await outbox.close();
  });

  it('skips a corrupted record in the middle and keeps the ones after it', async () => {
    const dir = await tempDir();
    let outbox = await openOutbox(dir);
    for (let i = 0; i < 3; i++) await outbox.enqueue(event(i));
    await outbox.close();
    const journal = join(dir, 'journal');
    const file = join(journal, (await readdir(journal)).sort().at(-1)!);
    const data = await readFile(file);
    const at = data.indexOf('"e1"');
    data[at + 1] = 'X'.charCodeAt(0);
    await writeFile(file, data);

    outbox = await openOutbox(dir);
    expect(queuedIds(outbox)).toEqual(['e0', 'e2']);
    await outbox.close();
  });

  it('evicts thumbnails before events when full, and counts what it dropped', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox(dir, { limits: { maxBytes: 1024 * 1024, maxMessages: 4 } });
    await outbox.enqueue(image(1));
    await outbox.enqueue(event(1));
    await outbox.enqueue(image(2));
    await outbox.enqueue(event(2));
    await outbox.enqueue(event(3));
    expect(queuedIds(outbox)).toEqual(['e1', 'events/e2/thumbnail', 'e2', 'e3']);
    await outbox.enqueue(event(4));
    await outbox.enqueue(event(5));
    expect(queuedIds(outbox)).toEqual(['e2', 'e3', 'e4', 'e5']);
    expect(outbox.summary().dropped).toEqual({ images: 2, messages: 1 });
    expect(await readdir(join(dir, 'blobs'))).toEqual([]);
    await outbox.close();
    const reopened = await openOutbox(dir, { limits: { maxBytes: 1024 * 1024, maxMessages: 4 } });
    expect(reopened.summary().dropped).toEqual({ images: 2, messages: 1 });
    expect(queuedIds(reopened)).toEqual(['e2', 'e3', 'e4', 'e5']);
    await reopened.close();
  });

  it('bounds the queued bytes', async () => {
    const dir = await tempDir();
    const outbox = await openOutbox(dir, { limits: { maxBytes: 2500, maxMessages: 1000 } });
    for (let i = 0; i < 4; i++) await outbox.enqueue(image(i));
    expect(outbox.summary().bytes).toBeLessThanOrEqual(2500);
    expect(outbox.summary().dropped.images).toBe(2);
    await outbox.close();
  });

  it('deletes finished segments and keeps the seq when every old segment is gone', async () => {
    const dir = await tempDir();
    let outbox = await openOutbox(dir, { segmentBytes: 600 });
    for (let i = 0; i < 20; i++) outbox.ack((await outbox.enqueue(event(i))).n);
    expect((await readdir(join(dir, 'journal'))).length).toBe(1);
    await outbox.close();
    outbox = await openOutbox(dir, { segmentBytes: 600 });
    expect((await outbox.enqueue(event(20))).seq).toBe(20);
    await outbox.close();
  });

  it('reports the age of the oldest queued message', async () => {
    const clock = new FakeClock();
    const outbox = await openOutbox(await tempDir(), { clock });
    await outbox.enqueue(event(0));
    await clock.advance(90_000);
    expect(outbox.summary()).toMatchObject({ depth: 1, oldestS: 90 });
    await outbox.close();
  });

  it('fails the enqueue, not the process, when the disk refuses the write', async () => {
    const dir = await tempDir();
    let failing = false;
    const fs: FileSystem = {
      ...realFileSystem,
      open: (async (...args: Parameters<FileSystem['open']>) => {
        const handle = await realFileSystem.open(...args);
        const datasync = handle.datasync.bind(handle);
        handle.datasync = () => (failing ? Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) : datasync());
        return handle;
      }),
    };
    const outbox = await openOutbox(dir, { fs });
    await outbox.enqueue(event(0));
    failing = true;
    await expect(outbox.enqueue(event(1))).rejects.toThrow(/could not queue a event message: EIO/);
    failing = false;
    await outbox.enqueue(event(2));
    expect(queuedIds(outbox)).toEqual(['e0', 'e2']);
    await outbox.close();
  });

  it('survives a garbled cursor (sends again) and a lost blob (skips it, counted)', async () => {
    const dir = await tempDir();
    let outbox = await openOutbox(dir);
    const first = await outbox.enqueue(event(0));
    await outbox.enqueue(image(1));
    await outbox.enqueue(event(2));
    outbox.ack(first.n);
    await outbox.close();
    await writeFile(join(dir, 'cursor.json'), '{"doneBelow": 1, "do');
    await writeFile(join(dir, '.cursor.json.99999.tmp'), 'left by a crash');
    const [blob] = await readdir(join(dir, 'blobs'));
    await rm(join(dir, 'blobs', blob!));

    outbox = await openOutbox(dir);
    expect(queuedIds(outbox)).toEqual(['e0', 'e2']);
    expect(outbox.summary().dropped).toEqual({ images: 1, messages: 0 });
    expect(await readdir(dir)).not.toContain('.cursor.json.99999.tmp');
    await outbox.close();
  });
});
