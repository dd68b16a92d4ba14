import { afterEach, describe, expect, it } from 'vitest';
import { isolatedOnvifClient, type IsolatedOnvifClient } from '../../../../agent/field/discovery/onvif/isolated.js';

/** A worker script given inline, standing in for the onvif library at its worst. */
function worker(onJob: string): URL {
  const code = `import { parentPort, threadId } from 'node:worker_threads'; parentPort.on('message', (job) => { ${onJob} });`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

const ECHO = "parentPort.postMessage({ kind: 'read', outcome: { ok: false, failure: { message: JSON.stringify({ job, threadId }) } } });";
const URL_A = 'http://10.0.0.1/onvif/device_service';

let client: IsolatedOnvifClient | undefined;
afterEach(() => client?.close());

function echoed(outcome: unknown): { job: unknown; threadId: number } {
  return JSON.parse((outcome as { failure: { message: string } }).failure.message) as { job: unknown; threadId: number };
}

// What the CLI relies on: a device whose handling throws or hangs ends only the worker running it.
describe('the ONVIF library in worker threads', () => {
  it('reports a library that throws from a callback as a failure of that device', async () => {
    client = isolatedOnvifClient(worker("setImmediate(() => { throw new TypeError('Cannot read properties of undefined'); });"));
    const outcome = await client.readDevice(URL_A, undefined, 5000);
    expect(outcome).toEqual({ ok: false, failure: { message: 'the ONVIF library could not read its answers: Cannot read properties of undefined' } });
  });

  it('cuts off a device that never answers at its deadline', async () => {
    client = isolatedOnvifClient(worker('setInterval(() => {}, 1000);'));
    const outcome = await client.readDevice(URL_A, undefined, 1000);
    expect(outcome).toEqual({ ok: false, failure: { code: 'timeout', message: 'no complete answer within 1000 ms' } });
  });

  it('passes the job over and reuses a worker that answered, but never one that timed out', async () => {
    client = isolatedOnvifClient(worker(`if (job.serviceUrl.endsWith('/hang')) return; ${ECHO}`));
    const first = echoed(await client.readDevice(URL_A, { username: 'u', password: 'p' }, 5000));
    expect(first.job).toEqual({ kind: 'read', serviceUrl: URL_A, timeoutMs: 5000, credentials: { username: 'u', password: 'p' } });
    const second = echoed(await client.readDevice(URL_A, undefined, 5000));
    expect(second.threadId).toBe(first.threadId);
    expect(await client.readDevice('http://10.0.0.2/hang', undefined, 1000)).toMatchObject({ ok: false, failure: { code: 'timeout' } });
    const third = echoed(await client.readDevice(URL_A, undefined, 5000));
    expect(third.threadId).not.toBe(first.threadId);
  });

  it('turns a probe that crashes or cannot send into an error naming the cause', async () => {
    client = isolatedOnvifClient(worker('throw new Error("boom");'));
    await expect(client.probe({ timeoutMs: 500 })).rejects.toThrow(/^the WS-Discovery probe failed: .*boom/);
    const refused = isolatedOnvifClient(worker("parentPort.postMessage({ kind: 'probe-failed', message: 'connect ENETUNREACH', code: 'ENETUNREACH' });"));
    await expect(refused.probe({ timeoutMs: 500 })).rejects.toMatchObject({ code: 'discovery.probe_failed', details: { code: 'ENETUNREACH' } });
    await refused.close();
  });
});
