import { describe, expect, it } from 'vitest';
import { isolatedOnvifClient } from '../../../agent/discovery/onvif/isolated.js';

/** A worker script given inline, standing in for the onvif library at its worst. */
function worker(code: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

// What the CLI relies on: a device whose handling throws or hangs ends only its own worker.
describe('the ONVIF library in a worker thread', () => {
  it('reports a library that throws from a callback as a failure of that device', async () => {
    const client = isolatedOnvifClient(worker("setImmediate(() => { throw new TypeError(\"Cannot read properties of undefined (reading 'map')\"); });"));
    const outcome = await client.readDevice('http://10.0.0.1/onvif/device_service', undefined, 5000);
    expect(outcome).toEqual({ ok: false, failure: { message: "the ONVIF library could not read its answers: Cannot read properties of undefined (reading 'map')" } });
  });

  it('cuts off a device that never answers at its deadline', async () => {
    const client = isolatedOnvifClient(worker('setInterval(() => {}, 1000);'));
    const outcome = await client.readDevice('http://10.0.0.1/onvif/device_service', undefined, 1000);
    expect(outcome).toEqual({ ok: false, failure: { code: 'timeout', message: 'no complete answer within 1000 ms' } });
  });

  it('passes the job to the worker and its answer back', async () => {
    const echo = "import { parentPort, workerData } from 'node:worker_threads'; parentPort.postMessage({ kind: 'read', outcome: { ok: false, failure: { message: JSON.stringify(workerData) } } });";
    const outcome = await isolatedOnvifClient(worker(echo)).readDevice('http://10.0.0.1/x', { username: 'u', password: 'p' }, 5000);
    expect(outcome).toEqual({ ok: false, failure: { message: JSON.stringify({ kind: 'read', serviceUrl: 'http://10.0.0.1/x', timeoutMs: 5000, credentials: { username: 'u', password: 'p' } }) } });
  });

  it('turns a probe that crashes or cannot send into an error naming the cause', async () => {
    await expect(isolatedOnvifClient(worker('throw new Error("boom");')).probe({ timeoutMs: 500 })).rejects.toThrow('the WS-Discovery probe failed: boom');
    const refused = "import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ kind: 'probe-failed', message: 'connect ENETUNREACH', code: 'ENETUNREACH' });";
    await expect(isolatedOnvifClient(worker(refused)).probe({ timeoutMs: 500 })).rejects.toMatchObject({ code: 'discovery.probe_failed', details: { code: 'ENETUNREACH' } });
  });
});
