import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import type { MqttClient } from '../../../agent/ports/mqtt.js';
import { ClipFetcher } from '../../../agent/station/clip-fetcher.js';
import { FakeClock } from '../../fakes/clock.js';
import { tempDir } from '../../helpers/tmp.js';

/** A broker connection to a host that has gone away: requests go out, no answer ever comes. */
class UnansweredClient extends EventEmitter {
  readonly connected = true;
  requests = 0;
  subscribe(): void {}
  publish(): void {
    this.requests += 1;
  }
  endAsync(): Promise<void> {
    return Promise.resolve();
  }
}

const clip = { bytes: 100_000, durationS: 10, sha256: 'a'.repeat(64) };

/** Whether `stop` settles without the (fake) clock moving; a real second is the bound for "at once". */
async function stopsAtOnce(fetcher: ClipFetcher): Promise<boolean> {
  return Promise.race([
    fetcher.stop().then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000)),
  ]);
}

/** Waits (bounded) until the transfer, past its file work, has set a timer: it is asking or waiting. */
async function transferWaiting(clock: FakeClock): Promise<void> {
  for (let i = 0; i < 400 && clock.pendingTimers() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(clock.pendingTimers()).toBe(1);
}

async function started(clock: FakeClock): Promise<{ fetcher: ClipFetcher; client: UnansweredClient }> {
  const client = new UnansweredClient();
  const fetcher = new ClipFetcher({
    broker: { url: 'mqtt://127.0.0.1:1' }, connect: () => client as unknown as MqttClient, dir: await tempDir(),
    clock, logger: silentLogger(), answerTimeoutMs: 200,
  });
  await fetcher.start();
  return { fetcher, client };
}

// The demo stops its agent before its console: the console's fetches then back off against a host
// that no longer answers, and stopping the console waited out the backoff (up to 30 s).
describe('stopping the clip fetcher', () => {
  it('does not wait out the backoff between unanswered requests', async () => {
    const clock = new FakeClock();
    const { fetcher, client } = await started(clock);
    const fetching = fetcher.fetch('host-a', 'gate-ev-1', clip);
    fetching.catch(() => undefined);
    await transferWaiting(clock);
    for (let i = 0; i < 8; i++) await clock.advance(500); // three requests, then a 4 s backoff under way
    expect(client.requests).toBe(3);
    expect(clock.pendingTimers()).toBe(1);
    expect(await stopsAtOnce(fetcher)).toBe(true);
    await expect(fetching).rejects.toThrow(/the clip fetcher stopped/);
    expect(client.requests).toBe(3);
  });

  it('does not wait for a push that has not come, nor ask for the clip after it stopped', async () => {
    const clock = new FakeClock();
    const { fetcher, client } = await started(clock);
    const fetching = fetcher.fetch('host-a', 'gate-ev-2', clip, true);
    fetching.catch(() => undefined);
    await transferWaiting(clock);
    await clock.advance(1000); // inside the 5 s wait for a push
    expect(client.requests).toBe(0);
    expect(await stopsAtOnce(fetcher)).toBe(true);
    await expect(fetching).rejects.toThrow(/the clip fetcher stopped/);
    expect(client.requests).toBe(0);
  });
});
