import { describe, expect, it } from 'vitest';
import { AckPipeline, type Incoming } from '../../../agent/station/ack-pipeline.js';
import type { StationMessage } from '../../../agent/station/messages.js';

const item = (n: number): Incoming => ({
  message: { kind: 'thumbnail', host: `h${n}`, eventId: `e${n}`, jpeg: Buffer.from([n]) } as unknown as StationMessage,
  delivery: { receivedAt: new Date(0), retained: false },
});
const hostOf = (i: Incoming) => i.message.host;

/** A sink whose commits the test completes one by one. */
function manualSink() {
  const batches: string[][] = [];
  const commits: (() => void)[] = [];
  const sink = (batch: readonly Incoming[]) => {
    batches.push(batch.map(hostOf));
    return new Promise<void>((resolve) => commits.push(resolve));
  };
  return { sink, batches, commits };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('AckPipeline (group commit before the PUBACKs)', () => {
  it('reads on at once, commits what arrived meanwhile together, and acknowledges in arrival order only after the commit', async () => {
    const { sink, batches, commits } = manualSink();
    const pipeline = new AckPipeline(sink);
    const acks: string[] = [];
    let reads = 0;
    for (const n of [1, 2]) pipeline.push(item(n), () => acks.push(`h${n}`), () => reads++);
    expect(reads).toBe(2);
    await tick();
    expect(batches).toEqual([['h1', 'h2']]);
    // Arriving while the first batch commits: an invalid message (nothing stored) and two more.
    pipeline.push(undefined, () => acks.push('invalid'), () => reads++);
    for (const n of [3, 4]) pipeline.push(item(n), () => acks.push(`h${n}`), () => reads++);
    expect(acks).toEqual([]);
    commits.shift()!();
    await tick();
    await tick();
    expect(acks).toEqual(['h1', 'h2']);
    expect(batches).toEqual([['h1', 'h2'], ['h3', 'h4']]);
    commits.shift()!();
    await pipeline.idle();
    expect(acks).toEqual(['h1', 'h2', 'invalid', 'h3', 'h4']);
    expect(reads).toBe(5);
  });

  it('stops reading when too much waits, and reads on as the store catches up', async () => {
    const { sink, commits } = manualSink();
    const pipeline = new AckPipeline(sink, 3);
    let reads = 0;
    for (let n = 1; n <= 5; n++) pipeline.push(item(n), undefined, () => reads++);
    expect(reads).toBe(2);
    expect(pipeline.waiting()).toBe(5);
    await tick();
    commits.shift()!();
    await pipeline.idle();
    expect(reads).toBe(5);
    expect(pipeline.waiting()).toBe(0);
  });

  it('acknowledges nothing of a batch whose commit fails (the console stopping): the broker delivers it again', async () => {
    const pipeline = new AckPipeline(() => Promise.reject(new Error('stopping')));
    const acks: number[] = [];
    pipeline.push(item(1), () => acks.push(1), () => undefined);
    await pipeline.idle();
    pipeline.push(item(2), () => acks.push(2), () => undefined);
    await pipeline.idle();
    expect(acks).toEqual([]);
    expect(pipeline.waiting()).toBe(0);
  });

  it('holds a message without a way to read on (QoS 2) until its own acknowledgement', async () => {
    const { sink, commits } = manualSink();
    const pipeline = new AckPipeline(sink);
    let released = false;
    pipeline.push(item(1), () => (released = true));
    await tick();
    expect(released).toBe(false);
    commits.shift()!();
    await pipeline.idle();
    expect(released).toBe(true);
  });
});
