import { Worker } from 'node:worker_threads';
import { AgentError } from '../../core/errors.js';
import type { OnvifCredentials } from '../types.js';
import type { OnvifClient, ProbeOptions, ProbeOutcome, ReadOutcome } from './client.js';
import type { WorkerAnswer, WorkerJob } from './worker-protocol.js';

/** Extra time a worker gets past its own deadline (thread start-up, loading the library). */
const GRACE_MS = 3000;

/**
 * The onvif library run in a worker thread per job. A device whose answers make the library
 * throw, or that never answers, ends only its own worker: the thread is terminated at the
 * deadline, which also closes every socket it had open.
 */
export function isolatedOnvifClient(workerUrl = new URL('./worker.js', import.meta.url)): OnvifClient {
  return {
    async probe(options: ProbeOptions): Promise<ProbeOutcome> {
      const result = await runJob(workerUrl, { kind: 'probe', options }, options.timeoutMs + GRACE_MS);
      if (result.kind === 'probed') return result.outcome;
      if (result.kind === 'probe-failed') {
        throw new AgentError('discovery.probe_failed', `cannot send the WS-Discovery probe: ${result.message}`, { details: result.code === undefined ? {} : { code: result.code } });
      }
      throw new AgentError('discovery.probe_failed', `the WS-Discovery probe failed: ${crashMessage(result)}`);
    },
    async readDevice(serviceUrl: string, credentials: OnvifCredentials | undefined, timeoutMs: number): Promise<ReadOutcome> {
      const job: WorkerJob = { kind: 'read', serviceUrl, timeoutMs, ...(credentials === undefined ? {} : { credentials }) };
      const result = await runJob(workerUrl, job, timeoutMs);
      if (result.kind === 'read') return result.outcome;
      if (result.kind === 'timeout') return { ok: false, failure: { code: 'timeout', message: `no complete answer within ${timeoutMs} ms` } };
      if (result.kind === 'crashed') return { ok: false, failure: { message: `the ONVIF library could not read its answers: ${result.message}` } };
      return { ok: false, failure: { message: 'unexpected worker answer' } };
    },
  };
}

type JobResult = WorkerAnswer | { kind: 'timeout' } | { kind: 'crashed'; message: string };

function crashMessage(result: JobResult): string {
  return result.kind === 'crashed' ? result.message : result.kind === 'timeout' ? 'it did not finish in time' : 'unexpected worker answer';
}

function runJob(workerUrl: URL, job: WorkerJob, deadlineMs: number): Promise<JobResult> {
  return new Promise((resolve) => {
    const worker = new Worker(workerUrl, { workerData: job });
    let settled = false;
    const settle = (result: JobResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
      void worker.terminate();
    };
    const timer = setTimeout(() => settle({ kind: 'timeout' }), deadlineMs);
    worker.on('message', (message: WorkerAnswer) => settle(message));
    worker.on('error', (err) => settle({ kind: 'crashed', message: err.message }));
    worker.on('exit', (code) => settle({ kind: 'crashed', message: `worker exited with code ${code} before answering` }));
  });
}
