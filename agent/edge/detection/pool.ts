import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AgentError, type ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { DetectOptions, DetectionResult, Detector } from '../types.js';
import type { BackendName } from './backend.js';
import { MosaicYield } from './mosaic-yield.js';
import { logReady, MAX_BATCH, type DetectRequest, type WorkerMessage, type WorkerSetup } from './worker-protocol.js';

export interface DetectorPoolOptions {
  size: number;
  setup: WorkerSetup;
  /** Images waiting for a free worker; past this `detect` refuses at once (callers drop the frame). */
  maxQueue: number;
  logger: Logger;
  /** Crashed workers replaced before the pool gives up. */
  restartBudget?: number;
}

interface Job {
  id: number;
  image: Buffer;
  options: DetectOptions;
  resolve(result: DetectionResult): void;
  reject(err: Error): void;
}

/** The pictures a worker holds: one, or up to `MAX_BATCH` asking for the mosaic. */
interface Batch {
  id: number;
  jobs: Job[];
}

interface Slot {
  worker: Worker;
  job?: Batch;
}

export interface PoolStats {
  backend: BackendName | undefined;
  workers: number;
  busy: number;
  queued: number;
  completed: number;
  refused: number;
  restarts: number;
  /** Model runs (crops) since start, every worker together. */
  inferences: number;
  /** Time the workers spent on images since start, summed over workers (ms). */
  workerBusyMs: number;
  /** Live tensors in the worker that answered last: flat when nothing leaks. */
  numTensors: number | undefined;
}

/**
 * Inference off the main thread: `size` worker threads, each with its own copy of the model, so
 * MQTT, camera polling and timers never wait behind a 400 ms inference. A bounded queue in front;
 * a crashed worker fails only its own image and is replaced.
 */
export class DetectorPool implements Detector, Module {
  readonly name = 'detector';
  private slots: Slot[] = [];
  /** Workers of the model before a reload, finishing the image they hold. */
  private readonly retiring = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private stopping = false;
  private started = false;
  private readonly counts = { completed: 0, refused: 0, restarts: 0, inferences: 0, workerBusyMs: 0 };
  private backend: BackendName | undefined;
  private readonly said = new Set<string>();
  private lastNumTensors: number | undefined;
  private dispatchPending = false;
  private readonly mosaicYield = new MosaicYield();

  constructor(private options: DetectorPoolOptions) {}

  /** Worker threads the pool runs: how many images it works on at once. */
  get size(): number {
    return this.options.size;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const spawned = Array.from({ length: this.options.size }, () => this.spawn());
    const results = await Promise.allSettled(spawned.map((s) => s.ready));
    this.slots = spawned.map((s) => s.slot);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await this.stop();
      throw failed.reason;
    }
    this.started = true;
    this.options.logger.info({ workers: this.slots.length, backend: this.backend }, 'detector ready');
  }

  detect(image: Buffer, options: DetectOptions = {}): Promise<DetectionResult> {
    if (!this.started || this.stopping) return Promise.reject(new AgentError('detector.stopped', 'the detector is not running'));
    // Waiting for a free worker: jobs queued beyond the idle workers that take them at the next dispatch.
    if (this.queue.length >= this.options.maxQueue + this.slots.filter((slot) => slot.job === undefined).length) {
      this.counts.refused += 1;
      return Promise.reject(new AgentError('detector.busy', `detector queue is full (${this.options.maxQueue} images waiting)`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, image, options, resolve, reject });
      this.dispatchSoon();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    for (const job of this.queue.splice(0)) job.reject(new AgentError('detector.stopped', 'the detector stopped'));
    const slots = [...this.slots.splice(0), ...this.retiring];
    this.retiring.clear();
    for (const slot of slots) rejectAll(slot.job, new AgentError('detector.stopped', 'the detector stopped'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /**
   * Switches to another model between inferences: new workers load `setup` beside the old ones,
   * then take over the queue; old workers finish the image they hold and exit. If the new model
   * fails to load, the old workers keep serving and the error is thrown. Before `start`, it only
   * changes what `start` will load.
   */
  async reload(setup: WorkerSetup): Promise<void> {
    if (!this.started) {
      this.options = { ...this.options, setup };
      return;
    }
    const spawned = Array.from({ length: this.options.size }, () => this.spawn(setup));
    const results = await Promise.allSettled(spawned.map((s) => s.ready));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined || this.stopping) {
      await Promise.all(spawned.map((s) => s.slot.worker.terminate()));
      if (failed !== undefined) throw failed.reason;
      return;
    }
    this.options = { ...this.options, setup };
    const old = this.slots;
    this.slots = spawned.map((s) => s.slot);
    for (const slot of old) {
      if (slot.job === undefined) void slot.worker.terminate();
      else this.retiring.add(slot);
    }
    this.options.logger.info({ workers: this.slots.length, model: setup.modelId }, 'detector switched model');
    this.dispatch();
  }

  /** Whether packing several frames into mosaic inputs saves inferences on the frames seen lately. */
  mosaicPays(): boolean {
    return this.mosaicYield.pays();
  }

  stats(): PoolStats {
    return {
      backend: this.backend,
      workers: this.slots.length,
      busy: this.slots.filter((s) => s.job !== undefined).length,
      queued: this.queue.length,
      numTensors: this.lastNumTensors,
      ...this.counts,
      workerBusyMs: Math.round(this.counts.workerBusyMs),
    };
  }

  /**
   * Dispatches once the current turn of the event loop is over, so frames handed in together (the
   * hand-off's lanes refill when a batch answers) can share a worker's mosaic inputs.
   */
  private dispatchSoon(): void {
    if (this.dispatchPending) return;
    this.dispatchPending = true;
    setImmediate(() => {
      this.dispatchPending = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job !== undefined) continue;
      const jobs = this.takeBatch();
      if (jobs.length === 0) return;
      const first = jobs[0] as Job;
      slot.job = { id: first.id, jobs };
      // Copies the worker may own: the callers' Buffers may share a pooled ArrayBuffer.
      const items = jobs.map((job) => ({ image: new Uint8Array(job.image), options: job.options }));
      const request: DetectRequest = { id: first.id, items };
      slot.worker.postMessage(request, items.map((item) => item.image.buffer));
    }
  }

  /** The oldest job, and when it asks for the mosaic, the next queued ones that do too (up to `MAX_BATCH`). */
  private takeBatch(): Job[] {
    const first = this.queue.shift();
    if (first === undefined) return [];
    const jobs = [first];
    if (first.options.mosaic !== true) return jobs;
    for (let i = 0; i < this.queue.length && jobs.length < MAX_BATCH;) {
      if ((this.queue[i] as Job).options.mosaic === true) jobs.push(...this.queue.splice(i, 1));
      else i++;
    }
    return jobs;
  }

  private spawn(setup: WorkerSetup = this.options.setup): { slot: Slot; ready: Promise<void> } {
    const entry = workerEntry();
    const worker = new Worker(entry.filename, { eval: entry.eval, workerData: setup });
    const slot: Slot = { worker };
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          this.backend = message.backend;
          logReady(message, this.options.logger, this.said);
          resolve();
        } else if (message.type === 'failed') {
          reject(new AgentError(message.code as ErrorCode, message.message));
        } else {
          this.finish(slot, message);
        }
      });
      worker.on('error', (err) => {
        reject(err);
        this.onCrash(slot, err);
      });
      worker.on('exit', (code) => {
        reject(new AgentError('detector.failed', `detector worker exited with code ${code} before it was ready`));
        if (!this.stopping) this.onCrash(slot, new Error(`worker exited with code ${code}`));
      });
    });
    return { slot, ready };
  }

  private finish(slot: Slot, message: Extract<WorkerMessage, { type: 'result' | 'error' }>): void {
    const job = slot.job;
    if (job === undefined || job.id !== message.id) return;
    slot.job = undefined;
    // A worker of the model before a reload: its last image is answered, then it exits.
    if (this.retiring.delete(slot)) void slot.worker.terminate();
    if (message.type === 'result') {
      this.counts.completed += message.results.filter((r) => 'result' in r).length;
      if (job.jobs.some((j) => j.options.mosaic === true)) this.mosaicYield.record(job.jobs.length, message.inferences, message.mosaic);
      this.counts.inferences += message.inferences;
      this.counts.workerBusyMs += message.busyMs;
      this.lastNumTensors = message.numTensors;
      job.jobs.forEach((j, i) => {
        const answer = message.results[i];
        if (answer === undefined) j.reject(new AgentError('detector.failed', 'the worker answered fewer images than it was given'));
        else if ('result' in answer) j.resolve(answer.result);
        else j.reject(new AgentError(answer.code as ErrorCode, answer.message));
      });
    } else {
      rejectAll(job, new AgentError(message.code as ErrorCode, message.message));
    }
    this.dispatchSoon();
  }

  private onCrash(slot: Slot, err: Error): void {
    if (this.retiring.delete(slot)) {
      rejectAll(slot.job, new AgentError('detector.failed', `detector worker crashed: ${err.message}`, { cause: err }));
      return;
    }
    const index = this.slots.indexOf(slot);
    if (index < 0 || this.stopping) return;
    rejectAll(slot.job, new AgentError('detector.failed', `detector worker crashed: ${err.message}`, { cause: err }));
    slot.job = undefined;
    this.slots.splice(index, 1);
    void slot.worker.terminate();
    if (this.counts.restarts >= (this.options.restartBudget ?? 5)) {
      this.options.logger.error({ err, restarts: this.counts.restarts }, 'detector worker crashed; restart budget used up');
      if (this.slots.length === 0) for (const job of this.queue.splice(0)) job.reject(new AgentError('detector.failed', 'every detector worker has crashed'));
      return;
    }
    this.counts.restarts += 1;
    this.options.logger.warn({ err, restarts: this.counts.restarts }, 'detector worker crashed; starting another');
    const replacement = this.spawn();
    replacement.ready.then(() => {
      if (this.stopping) return void replacement.slot.worker.terminate();
      this.slots.push(replacement.slot);
      this.dispatch();
    }, (cause: unknown) => this.options.logger.error({ err: cause }, 'replacement detector worker failed to start'));
  }
}

function rejectAll(batch: Batch | undefined, err: Error): void {
  for (const job of batch?.jobs ?? []) job.reject(err);
}

/** The compiled worker beside this file; from TypeScript source (tests, bench) it is loaded through tsx. */
function workerEntry(): { filename: string | URL; eval: boolean } {
  if (import.meta.url.endsWith('.js')) return { filename: new URL('./worker.js', import.meta.url), eval: false };
  // tsx's ESM entry: its `import` export, beside the `require` one that resolve() finds.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const source = new URL('./worker.ts', import.meta.url).href;
  return { filename: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); })`, eval: true };
}
