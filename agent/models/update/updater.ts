import type { ModelsConfig } from '../../config/sections/models.js';
import type { StationLink, HealthReporter } from '../../link/contract/link.js';
import type { ModelPayload } from '../../link/contract/v1.js';
import { CommandError } from '../../link/commands/dispatcher.js';
import { AgentError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { Http } from '../../ports/http.js';
import { sha256Of } from '../store.js';
import type { DetectionResult, DetectOptions, Detector } from '../../edge/types.js';
import { openBundle } from './bundle.js';
import { checkOrigin } from './download.js';
import { checkInstallPolicy } from './policy.js';
import { SlotStore, type ModelTarget, type SlotRef, type SlotState } from './slots.js';
import { ChunkReceiver, downloadIncoming, pruneIncoming } from './transfer.js';
import { recoverAtBoot, TrialJudge } from './trial.js';
import { definedProps } from '../../core/defined-props.js';

export interface SelfTestOutcome {
  ok: boolean;
  problems: string[];
}

export interface ModelUpdaterDeps {
  /** `<dataDir>/models`. */
  root: string;
  config: ModelsConfig;
  link: StationLink;
  /** The host's alert board: `model_rollback` is raised on a rollback and cleared when a model passes its trial. */
  health: HealthReporter;
  logger: Logger;
  clock: Clock;
  http: Http;
  fs: FileSystem;
  agentVersion: string;
  /** The model shipped with the agent: always there, the last fallback. */
  packaged: SlotRef & { modelsRoot: string };
  /** Loads the model in a worker of its own and runs its self-test. */
  selfTest(target: ModelTarget): Promise<SelfTestOutcome>;
  /** Makes the detector use this model from its next inference (or from its start). */
  activate(target: ModelTarget): Promise<void>;
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
  private readonly chunks: ChunkReceiver;
  private readonly trial: TrialJudge;
  private busy: string | undefined;
  private running: Promise<void> = Promise.resolve();
  private update: UpdateState | undefined;

  constructor(private readonly deps: ModelUpdaterDeps) {
    this.slots = new SlotStore(deps.fs, deps.root, deps.packaged);
    this.trial = new TrialJudge(deps.config.trial);
    this.chunks = new ChunkReceiver(deps, {
      ensureIdle: () => this.ensureIdle(),
      progress: (received, total) => this.downloadProgress(received, total),
      failed: (error) => this.progress({ state: 'failed', error }),
      complete: (file) => this.serially('install', () => this.installFile(file)),
    });
  }

  async start(): Promise<void> {
    await this.deps.fs.mkdir(this.deps.root, { recursive: true });
    await pruneIncoming(this.deps);
    const recovered = await recoverAtBoot(await this.slots.readState(), { slots: this.slots, maxBoots: this.deps.config.trial.maxBoots, logger: this.deps.logger });
    this.state = recovered.state;
    if (recovered.rolledBack !== undefined) this.alert(recovered.rolledBack.message, recovered.rolledBack.details);
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
      const bytes = await this.deps.fs.readFile(file);
      const bundle = openBundle(bytes, { trustedKeys: this.deps.config.trustedKeys, maxBytes: this.deps.config.maxBundleBytes });
      const version = bundle.manifest.bundleVersion;
      checkInstallPolicy(bundle.manifest, { now: this.deps.clock.now(), agentVersion: this.deps.agentVersion, highestInstalled: this.state.highestVersion });
      const ref = await this.slots.stage(bundle, sha256Of(bytes));
      this.progress({ state: 'testing', version });
      const test = await this.deps.selfTest(this.slots.target(ref)).catch((err: unknown): SelfTestOutcome => ({ ok: false, problems: [errorMessage(err)] }));
      if (!test.ok) {
        await this.slots.remove(ref);
        this.alert(`bundle ${version} failed its self-test: ${test.problems.join('; ')}`, { version });
        this.progress({ state: 'rolled_back', version, error: `self-test failed: ${test.problems.join('; ')}` });
        return;
      }
      await this.switchTo(ref);
    } catch (err) {
      const current = this.update?.state;
      if (current !== 'rolled_back') this.progress({ state: 'failed', ...definedProps({ version: this.update?.version }), error: errorMessage(err) });
      throw err;
    } finally {
      await this.deps.fs.rm(file, { force: true });
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
    this.alert(`model ${failed.id}@${failed.bundleVersion} rolled back to ${previous.id}@${previous.bundleVersion}: ${reason}`, { from: failed.bundleVersion, to: previous.bundleVersion });
    this.progress({ state: 'rolled_back', version: failed.bundleVersion, error: reason });
  }

  private async switchTo(ref: SlotRef): Promise<void> {
    const old = this.state;
    if (old.previous !== null && old.previous.slot !== null) await this.slots.remove(old.previous);
    this.state = { current: ref, previous: old.current, trial: { boots: 0 }, highestVersion: Math.max(old.highestVersion, ref.bundleVersion) };
    await this.slots.writeState(this.state);
    this.trial.begin();
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
    if (this.state?.trial === null || this.state === undefined) return this.trial.observe(err, ms);
    if (this.busy === 'rollback') return;
    const verdict = this.trial.judge(err, ms);
    if (verdict.kind === 'rollback') return this.startRollback(verdict.reason);
    if (verdict.kind === 'continue') return;
    this.state = { ...this.state, trial: null };
    this.serially('commit', () => this.slots.writeState(this.state).then(() => {
      this.deps.logger.info({ slot: this.state.current }, 'model trial passed; committed');
      this.deps.health.clear('model_rollback', 'model', 'a model passed its trial and is committed');
    }), false);
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

  private registerCommands(): void {
    const { link } = this.deps;
    link.registerCommand('model/install', ({ url }) => Promise.resolve().then(() => this.startDownload(url)));
    link.registerCommand('model/install/chunk', (chunk) => this.chunks.receive(chunk));
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
    this.serially('install', async () => {
      this.progress({ state: 'downloading', progress: 0 });
      const file = await downloadIncoming(url, this.deps, (received, total) => this.downloadProgress(received, total)).catch((err: unknown) => {
        this.progress({ state: 'failed', error: errorMessage(err) });
        throw err;
      });
      await this.installFile(file);
    });
    return { accepted: true };
  }

  private claim(what: string): void {
    this.ensureIdle();
    this.busy = what;
  }

  private ensureIdle(): void {
    const transfer = this.chunks.active();
    if (this.busy !== undefined || transfer !== undefined) {
      throw new CommandError('busy', `a model ${transfer === undefined ? this.busy : `transfer (${transfer})`} is already running`);
    }
  }

  private downloadProgress(received: number, total: number | undefined): void {
    // 0..1 as the contract says, in steps of 1%, so a download sends at most 101 progress messages.
    const progress = total === undefined ? undefined : Math.floor((100 * received) / total) / 100;
    if (progress !== this.update?.progress) this.progress({ state: 'downloading', ...definedProps({ progress }) });
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
      ...definedProps({ update: this.update }),
    });
  }

  private alert(message: string, details: Record<string, unknown>): void {
    this.deps.health.raise('model_rollback', 'model', { severity: 'warning', message, details });
  }
}
