// One file: for now only, and knowingly too big: downloads, chunk reassembly, slots, trial and rollback share one
// busy lock and one progress stream. Splitting it into transfer, slots and trial behind the FileSystem port
// is open work in issue 13.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelsConfig } from '../../config/sections/models.js';
import type { StationLink } from '../../link/contract/link.js';
import type { CommandParams, ModelPayload } from '../../link/contract/v1.js';
import { CommandError } from '../../link/commands/dispatcher.js';
import { AgentError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock } from '../../ports/clock.js';
import type { Http } from '../../ports/http.js';
import { sha256Of } from '../store.js';
import type { DetectionResult, DetectOptions, Detector } from '../../edge/types.js';
import { openBundle } from './bundle.js';
import { checkOrigin, downloadBundle } from './download.js';
import { checkInstallPolicy } from './policy.js';
import { SlotStore, type ModelTarget, type SlotRef, type SlotState } from './slots.js';

export interface SelfTestOutcome {
  ok: boolean;
  problems: string[];
}

export interface ModelUpdaterDeps {
  /** `<dataDir>/models`. */
  root: string;
  config: ModelsConfig;
  link: StationLink;
  logger: Logger;
  clock: Clock;
  http: Http;
  agentVersion: string;
  /** The model shipped with the agent: always there, the last fallback. */
  packaged: SlotRef & { modelsRoot: string };
  /** Loads the model in a worker of its own and runs its self-test. */
  selfTest(target: ModelTarget): Promise<SelfTestOutcome>;
  /** Makes the detector use this model from its next inference (or from its start). */
  activate(target: ModelTarget): Promise<void>;
}

type Chunk = CommandParams<'model/install/chunk'>;

/** A chunk transfer silent this long no longer blocks a new one. */
const TRANSFER_IDLE_MS = 10 * 60_000;

interface Transfer {
  id: string;
  lastChunkAt: number;
  received: number;
  total: number;
  bytes: number;
  file: string;
}

type UpdateState = NonNullable<ModelPayload['update']>;

/**
 * Safe model updates: verifies a signed bundle, stages it in a slot, self-tests it in its own
 * worker, switches the detector to it between inferences, tries it for a while, and goes back
 * to the previous slot (with a `model_rollback` health alert) if anything looks wrong.
 */
export class ModelUpdater implements Module {
  readonly name = 'model-update';
  private readonly slots: SlotStore;
  private state!: SlotState;
  private busy: string | undefined;
  private transfer: Transfer | undefined;
  private running: Promise<void> = Promise.resolve();
  private chunks: Promise<unknown> = Promise.resolve();
  /** The last transfer completed: a late copy of its last chunk is acknowledged, not refused. */
  private finished: { id: string; total: number } | undefined;
  private update: UpdateState | undefined;
  private readonly trial = { ok: 0, totalMs: 0, baselineMs: [] as number[] };

  constructor(private readonly deps: ModelUpdaterDeps) {
    this.slots = new SlotStore(deps.root, deps.packaged);
  }

  async start(): Promise<void> {
    await mkdir(this.deps.root, { recursive: true });
    await this.pruneIncoming();
    this.state = await this.slots.readState();
    await this.recoverAtBoot();
    // Written before pruning: a state rebuilt from the slots on disk must keep their highest version.
    await this.slots.writeState(this.state);
    await this.slots.prune(this.state);
    await this.deps.activate(this.slots.target(this.state.current));
    this.registerCommands();
    this.publish();
  }

  async stop(): Promise<void> {
    await this.running;
  }

  /** `<id>@<bundleVersion>` for the heartbeat. */
  modelVersion(): string | undefined {
    return this.state === undefined ? undefined : `${this.state.current.id}@${this.state.current.bundleVersion}`;
  }

  /** Resolves when no install is running (tests, shutdown). */
  idle(): Promise<void> {
    return this.running;
  }

  /** Wraps the detector so the trial sees every inference's outcome and time. */
  watch(detector: Detector): Detector {
    return {
      detect: async (image: Buffer, options?: DetectOptions): Promise<DetectionResult> => {
        try {
          const result = await detector.detect(image, options);
          this.onInference(undefined, result.ms);
          return result;
        } catch (err) {
          this.onInference(err, 0);
          throw err;
        }
      },
    };
  }

  /** Installs a bundle file (already downloaded or assembled); throws `model.refused` and changes nothing when refused. */
  async installFile(file: string): Promise<void> {
    try {
      this.progress({ state: 'verifying' });
      const bytes = await readFile(file);
      const bundle = openBundle(bytes, { trustedKeys: this.deps.config.trustedKeys, maxBytes: this.deps.config.maxBundleBytes });
      const version = bundle.manifest.bundleVersion;
      checkInstallPolicy(bundle.manifest, { now: this.deps.clock.now(), agentVersion: this.deps.agentVersion, highestInstalled: this.state.highestVersion });
      const ref = await this.slots.stage(bundle, sha256Of(bytes));
      this.progress({ state: 'testing', version });
      const test = await this.deps.selfTest(this.slots.target(ref)).catch((err: unknown): SelfTestOutcome => ({ ok: false, problems: [errorMessage(err)] }));
      if (!test.ok) {
        await this.slots.remove(ref);
        await this.alert(`bundle ${version} failed its self-test: ${test.problems.join('; ')}`, { version });
        this.progress({ state: 'rolled_back', version, error: `self-test failed: ${test.problems.join('; ')}` });
        return;
      }
      await this.switchTo(ref);
    } catch (err) {
      const current = this.update?.state;
      if (current !== 'rolled_back') this.progress({ state: 'failed', ...(this.update?.version === undefined ? {} : { version: this.update.version }), error: errorMessage(err) });
      throw err;
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Goes back to the previous slot, e.g. on `model/rollback` or a failed trial. */
  async rollback(reason: string): Promise<void> {
    const previous = this.state.previous;
    if (previous === null) throw new AgentError('model.refused', 'there is no previous model to go back to', { details: { reason: 'no_previous' } });
    const failed = this.state.current;
    this.state = { ...this.state, current: previous, previous: null, trial: null };
    await this.slots.writeState(this.state);
    await this.deps.activate(this.slots.target(previous));
    await this.slots.remove(failed);
    this.deps.logger.warn({ from: failed, to: previous, reason }, 'model rolled back');
    await this.alert(`model ${failed.id}@${failed.bundleVersion} rolled back to ${previous.id}@${previous.bundleVersion}: ${reason}`, { from: failed.bundleVersion, to: previous.bundleVersion });
    this.progress({ state: 'rolled_back', version: failed.bundleVersion, error: reason });
  }

  private async switchTo(ref: SlotRef): Promise<void> {
    const old = this.state;
    if (old.previous !== null && old.previous.slot !== null) await this.slots.remove(old.previous);
    this.state = { current: ref, previous: old.current, trial: { boots: 0 }, highestVersion: Math.max(old.highestVersion, ref.bundleVersion) };
    await this.slots.writeState(this.state);
    this.trial.ok = 0;
    this.trial.totalMs = 0;
    try {
      await this.deps.activate(this.slots.target(ref));
    } catch (err) {
      await this.rollback(`the detector could not load it: ${errorMessage(err)}`);
      return;
    }
    this.deps.logger.info({ slot: ref }, 'model switched; on trial');
    this.progress({ state: 'active', version: ref.bundleVersion });
  }

  private onInference(err: unknown, ms: number): void {
    if (this.state?.trial === null || this.state === undefined) {
      if (err === undefined) this.trial.baselineMs = [...this.trial.baselineMs.slice(-49), ms];
      return;
    }
    if (this.busy === 'rollback') return;
    if (err !== undefined) {
      if ((err as { code?: unknown }).code === 'detector.busy' || (err as { code?: unknown }).code === 'detector.stopped') return;
      return this.startRollback(`the new model failed an inference during its trial: ${errorMessage(err)}`);
    }
    this.trial.ok += 1;
    this.trial.totalMs += ms;
    if (this.trial.ok < this.deps.config.trial.inferences) return;
    const trialMs = this.trial.totalMs / this.trial.ok;
    const baseline = this.trial.baselineMs.length === 0 ? undefined : this.trial.baselineMs.reduce((a, b) => a + b, 0) / this.trial.baselineMs.length;
    if (baseline !== undefined && trialMs > baseline * this.deps.config.trial.maxSlowdown) {
      return this.startRollback(`the new model takes ${Math.round(trialMs)} ms per inference, over ${this.deps.config.trial.maxSlowdown}x the previous ${Math.round(baseline)} ms`);
    }
    this.state = { ...this.state, trial: null };
    this.trial.baselineMs = [];
    this.serially('commit', () => this.slots.writeState(this.state).then(() => this.deps.logger.info({ slot: this.state.current }, 'model trial passed; committed')), false);
  }

  private startRollback(reason: string): void {
    this.serially('rollback', () => this.rollback(reason));
  }

  /** Runs after whatever model task is running; `blocks` tasks make new installs answer `busy`. */
  private serially(what: string, task: () => Promise<void>, blocks = true): void {
    if (blocks) this.busy = what;
    this.running = this.running.then(task).catch((err: unknown) => this.deps.logger.error({ err }, `model ${what} failed`)).finally(() => {
      if (blocks && this.busy === what) this.busy = undefined;
    });
  }

  /** Bundles half received or half downloaded before a restart: nothing resumes them, so they only fill the disk. */
  private async pruneIncoming(): Promise<void> {
    const names = await readdir(this.deps.root).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith('incoming-'))) {
      await rm(join(this.deps.root, name), { force: true, recursive: true });
      this.deps.logger.info({ file: name }, 'removed a model bundle left incomplete by an earlier run');
    }
  }

  /** Crash loop: a trial slot that keeps restarting the agent, or a slot whose files went bad. */
  private async recoverAtBoot(): Promise<void> {
    const { trial, current, previous } = this.state;
    if (trial !== null && previous !== null) {
      const boots = trial.boots + 1;
      if (boots > this.deps.config.trial.maxBoots) {
        this.state = { ...this.state, current: previous, previous: null, trial: null };
        await this.slots.writeState(this.state);
        await this.alert(`model ${current.id}@${current.bundleVersion} rolled back after ${trial.boots} starts without finishing its trial`, { from: current.bundleVersion });
        return;
      }
      this.state = { ...this.state, trial: { boots } };
      await this.slots.writeState(this.state);
    }
    if (await this.slots.loadable(this.state.current)) return;
    const fallback = previous !== null && this.state.current !== previous && (await this.slots.loadable(previous)) ? previous : this.slots.packagedRef();
    this.deps.logger.error({ slot: this.state.current, fallback }, 'current model slot is damaged; falling back');
    this.state = { ...this.state, current: fallback, previous: null, trial: null };
    await this.slots.writeState(this.state);
  }

  private registerCommands(): void {
    const { link } = this.deps;
    link.registerCommand('model/install', ({ url }) => Promise.resolve().then(() => this.startDownload(url)));
    link.registerCommand('model/install/chunk', (chunk) => this.receiveChunk(chunk));
    link.registerCommand('model/rollback', async () => {
      this.claim('rollback');
      try {
        await this.rollback('requested by the station');
      } finally {
        this.busy = undefined;
      }
      return { installed: this.state.current };
    });
  }

  private startDownload(url: string): { accepted: true } {
    // Refused in the command's own answer, before anything starts.
    checkOrigin(url, this.deps.config.allowedOrigins);
    this.claim('download');
    const file = join(this.deps.root, `incoming-${randomUUID()}.bundle`);
    this.serially('install', async () => {
      this.progress({ state: 'downloading', progress: 0 });
      // An overall deadline: a server that trickles or stalls must not keep the updater busy forever.
      const deadline = new AbortController();
      const timer = this.deps.clock.setTimeout(() => deadline.abort(), this.deps.config.downloadTimeout);
      try {
        await downloadBundle(url, {
          http: this.deps.http, allowedOrigins: this.deps.config.allowedOrigins, maxBytes: this.deps.config.maxBundleBytes, file,
          deadline: deadline.signal, onProgress: (received, total) => this.downloadProgress(received, total),
        });
      } catch (err) {
        await rm(file, { force: true });
        this.progress({ state: 'failed', error: errorMessage(err) });
        throw err;
      } finally {
        this.deps.clock.clearTimeout(timer);
      }
      await this.installFile(file);
    });
    return { accepted: true };
  }

  private claim(what: string): void {
    if (this.busy !== undefined || this.transfer !== undefined) {
      throw new CommandError('busy', `a model ${this.transfer === undefined ? this.busy : `transfer (${this.transfer.id})`} is already running`);
    }
    this.busy = what;
  }

  /**
   * Chunks are taken one at a time: two copies of one chunk (sent again under another request id)
   * must not both pass the order check before either is appended.
   */
  private receiveChunk(chunk: Chunk): Promise<{ transfer: string; received: number; total: number }> {
    const turn = this.chunks.then(() => this.takeChunk(chunk));
    this.chunks = turn.catch(() => undefined);
    return turn;
  }

  private async takeChunk(chunk: Chunk): Promise<{ transfer: string; received: number; total: number }> {
    const now = this.deps.clock.monotonicMs();
    if (this.transfer !== undefined && this.transfer.id !== chunk.transfer && now - this.transfer.lastChunkAt > TRANSFER_IDLE_MS) {
      this.deps.logger.warn({ transfer: this.transfer.id }, 'abandoning a silent model transfer');
      await this.abandonTransfer(`transfer ${this.transfer.id} went silent`);
    }
    if (this.transfer === undefined && this.finished?.id === chunk.transfer) {
      return { transfer: chunk.transfer, received: this.finished.total, total: this.finished.total };
    }
    if (this.transfer === undefined || this.transfer.id !== chunk.transfer) {
      if (chunk.index !== 0) throw new AgentError('model.refused', `transfer ${chunk.transfer} is unknown; start it with chunk 0`, { details: { reason: 'unknown_transfer' } });
      this.claim('transfer');
      this.busy = undefined;
      this.transfer = { id: chunk.transfer, lastChunkAt: now, received: 0, total: chunk.total, bytes: 0, file: join(this.deps.root, `incoming-${chunk.transfer}.bundle`) };
      await rm(this.transfer.file, { force: true });
    }
    const transfer = this.transfer;
    if (chunk.index < transfer.received) return { transfer: transfer.id, received: transfer.received, total: transfer.total };
    if (chunk.index > transfer.received || chunk.total !== transfer.total) {
      throw new AgentError('model.refused', `expected chunk ${transfer.received} of ${transfer.total}, got ${chunk.index} of ${chunk.total}`, { details: { reason: 'out_of_order' } });
    }
    const data = Buffer.from(chunk.dataBase64, 'base64');
    if (sha256Of(data) !== chunk.sha256) throw new AgentError('model.refused', `chunk ${chunk.index} does not match its sha256; send it again`, { details: { reason: 'chunk_hash' } });
    if (transfer.bytes + data.length > this.deps.config.maxBundleBytes) {
      await this.abandonTransfer(`bundle is over the cap of ${this.deps.config.maxBundleBytes} bytes`);
      throw new AgentError('model.refused', `bundle is over the cap of ${this.deps.config.maxBundleBytes} bytes`, { details: { reason: 'too_large' } });
    }
    await appendFile(transfer.file, data);
    transfer.bytes += data.length;
    transfer.received += 1;
    transfer.lastChunkAt = now;
    this.downloadProgress(transfer.received, transfer.total);
    if (transfer.received === transfer.total) {
      this.transfer = undefined;
      this.finished = { id: transfer.id, total: transfer.total };
      this.serially('install', () => this.installFile(transfer.file));
    }
    return { transfer: transfer.id, received: transfer.received, total: transfer.total };
  }

  private async abandonTransfer(error: string): Promise<void> {
    const transfer = this.transfer;
    this.transfer = undefined;
    if (transfer !== undefined) await rm(transfer.file, { force: true });
    this.progress({ state: 'failed', error });
  }

  private downloadProgress(received: number, total: number | undefined): void {
    // 0..1 as the contract says, in steps of 1%, so a download sends at most 101 progress messages.
    const progress = total === undefined ? undefined : Math.floor((100 * received) / total) / 100;
    if (progress !== this.update?.progress) this.progress({ state: 'downloading', ...(progress === undefined ? {} : { progress }) });
  }

  private progress(update: UpdateState): void {
    this.update = update;
    this.publish();
  }

  private publish(): void {
    const { current } = this.state;
    this.deps.link.setModel({
      ts: this.deps.clock.now().toISOString(),
      installed: { id: current.id, version: current.bundleVersion, sha256: current.sha256 },
      ...(this.update === undefined ? {} : { update: this.update }),
    });
  }

  private async alert(message: string, details: Record<string, unknown>): Promise<void> {
    await this.deps.link.publishHealth({
      ts: this.deps.clock.now().toISOString(), id: randomUUID(), kind: 'model_rollback', state: 'raised',
      subject: 'model', severity: 'warning', message, details,
    }).catch((err: unknown) => this.deps.logger.error({ err }, 'could not queue the model_rollback alert'));
  }
}
