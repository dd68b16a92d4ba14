import { Worker } from 'node:worker_threads';
import type { WorkerAnswer, WorkerJob } from './worker-protocol.js';

export type JobResult = WorkerAnswer | { kind: 'timeout' } | { kind: 'crashed'; message: string };

/**
 * Worker threads that run ONVIF jobs one at a time each. A worker that answered is kept for the
 * next job (starting one costs far more than a job); a worker whose job timed out or that
 * crashed is terminated, which also closes every socket it had open, and never reused.
 */
export class WorkerPool {
  private readonly idle = new Set<Worker>();
  private closed = false;

  constructor(private readonly script: URL) {}

  run(job: WorkerJob, deadlineMs: number): Promise<JobResult> {
    const worker = this.take();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: JobResult, reusable: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (reusable && !this.closed) this.release(worker);
        else void worker.terminate();
        resolve(result);
      };
      const onMessage = (message: WorkerAnswer) => finish(message, true);
      const onError = (err: Error) => finish({ kind: 'crashed', message: err.message }, false);
      const onExit = (code: number) => finish({ kind: 'crashed', message: `worker exited with code ${code} before answering` }, false);
      const timer = setTimeout(() => finish({ kind: 'timeout' }, false), deadlineMs);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(job);
    });
  }

  /** Ends the idle workers; workers still running a job end when it does. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = [...this.idle];
    this.idle.clear();
    await Promise.all(idle.map((w) => w.terminate()));
  }

  private take(): Worker {
    const reused = this.idle.values().next().value;
    if (reused !== undefined) {
      this.idle.delete(reused);
      reused.ref();
      return reused;
    }
    const worker = new Worker(this.script);
    // An idle worker that dies (a late throw from the library) is dropped, never reused.
    worker.on('error', () => this.idle.delete(worker));
    worker.on('exit', () => this.idle.delete(worker));
    return worker;
  }

  private release(worker: Worker): void {
    // Idle workers must not keep the CLI alive if a caller forgets close().
    worker.unref();
    this.idle.add(worker);
  }
}
