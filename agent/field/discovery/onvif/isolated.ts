import { AgentError } from '../../../core/errors.js';
import type { OnvifCredentials } from '../types.js';
import type { OnvifClient, ProbeOptions, ProbeOutcome, ReadOutcome } from './client.js';
import { WorkerPool, type JobResult } from './worker-pool.js';
import type { WorkerJob } from './worker-protocol.js';
import { definedProps } from '../../../core/defined-props.js';

/** Extra time the probe's worker gets past its listening time (thread start-up, loading the library). */
const PROBE_GRACE_MS = 3000;

export interface IsolatedOnvifClient extends OnvifClient {
  /** Ends the worker threads. */
  close(): Promise<void>;
}

/**
 * The onvif library run in worker threads. A device whose answers make the library throw, or
 * that never answers, ends only the worker running its job: the thread is terminated at the
 * deadline, which also closes every socket it had open.
 */
export function isolatedOnvifClient(script = new URL('./worker.js', import.meta.url)): IsolatedOnvifClient {
  const pool = new WorkerPool(script);
  return {
    async probe(options: ProbeOptions): Promise<ProbeOutcome> {
      const result = await pool.run({ kind: 'probe', options }, options.timeoutMs + PROBE_GRACE_MS);
      if (result.kind === 'probed') return result.outcome;
      if (result.kind === 'probe-failed') {
        throw new AgentError('discovery.probe_failed', `cannot send the WS-Discovery probe: ${result.message}`, { details: definedProps({ code: result.code }) });
      }
      throw new AgentError('discovery.probe_failed', `the WS-Discovery probe failed: ${describe(result)}`);
    },
    async readDevice(serviceUrl: string, credentials: OnvifCredentials | undefined, timeoutMs: number): Promise<ReadOutcome> {
      const job: WorkerJob = { kind: 'read', serviceUrl, timeoutMs, ...definedProps({ credentials }) };
      const result = await pool.run(job, timeoutMs);
      if (result.kind === 'read') return result.outcome;
      if (result.kind === 'timeout') return { ok: false, failure: { code: 'timeout', message: `no complete answer within ${timeoutMs} ms` } };
      return { ok: false, failure: { message: describe(result) } };
    },
    close: () => pool.close(),
  };
}

function describe(result: JobResult): string {
  if (result.kind === 'crashed') return `the ONVIF library could not read its answers: ${result.message}`;
  if (result.kind === 'timeout') return 'it did not finish in time';
  return `unexpected worker answer "${result.kind}"`;
}
