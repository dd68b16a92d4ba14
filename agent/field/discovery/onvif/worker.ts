import { parentPort } from 'node:worker_threads';
import { inProcessOnvifClient } from './library.js';
import type { WorkerAnswer, WorkerJob } from './worker-protocol.js';

/** Worker thread entry: runs ONVIF jobs with the library, one at a time, and posts each answer. */
async function answer(job: WorkerJob): Promise<WorkerAnswer> {
  if (job.kind === 'read') {
    return { kind: 'read', outcome: await inProcessOnvifClient.readDevice(job.serviceUrl, job.credentials, job.timeoutMs) };
  }
  try {
    return { kind: 'probed', outcome: await inProcessOnvifClient.probe(job.options) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { kind: 'probe-failed', message: err instanceof Error ? err.message : String(err), ...(typeof code === 'string' ? { code } : {}) };
  }
}

parentPort?.on('message', (job: WorkerJob) => {
  void answer(job).then((result) => parentPort?.postMessage(result));
});
