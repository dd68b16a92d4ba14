import type { CameraState, CameraStatusPayload } from '../../link/contract/v1.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { Gpio, GpioPin } from '../../ports/gpio.js';
import { openOptional } from './open-optional.js';
import type { HealthReporter } from '../../link/contract/link.js';

export interface RelayPolicy {
  checkEvery: number;
  offlineChecks: number;
  offFor: number;
  maxCycles: number;
}

export interface CameraRelay {
  camera: string;
  pin: number;
  powerOffValue: 0 | 1;
}

interface RelayState {
  relay: CameraRelay;
  pin: GpioPin;
  state: CameraState | undefined;
  offlineChecks: number;
  cycles: number;
  cycling: boolean;
}

/**
 * Power-cycles a camera that stays offline: after `offlineChecks` consecutive offline checks the
 * relay cuts its power for `offFor`, at most `maxCycles` times per outage, then gives up and says
 * so. Everything is logged and reported; stopping the agent always leaves cameras powered.
 */
export class CameraRelays implements Module {
  readonly name = 'camera-relays';
  private readonly relays = new Map<string, RelayState>();
  private timer: TimerHandle | undefined;
  private readonly abort = new AbortController();
  private readonly cycles = new Set<Promise<void>>();

  constructor(
    private readonly deps: { gpio: Gpio; clock: Clock; logger: Logger; health: HealthReporter; policy: RelayPolicy; relays: readonly CameraRelay[] },
  ) {}

  async start(): Promise<void> {
    for (const relay of this.deps.relays) {
      const log = this.deps.logger.child({ camera: relay.camera });
      const pin = openOptional(this.deps.gpio, relay.pin, 'out', `power relay of camera ${relay.camera}`, log);
      if (pin === undefined) continue;
      await pin.write(powerOn(relay));
      this.relays.set(relay.camera, { relay, pin, state: undefined, offlineChecks: 0, cycles: 0, cycling: false });
    }
    if (this.relays.size > 0) this.timer = this.deps.clock.setInterval(() => this.check(), this.deps.policy.checkEvery);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.abort.abort(new Error('stopping'));
    await Promise.allSettled([...this.cycles]);
    for (const { relay, pin } of this.relays.values()) {
      await pin.write(powerOn(relay)).catch(() => undefined);
      pin.release();
    }
    this.relays.clear();
  }

  /** The camera stage's status feed (teed from `link.setCameraStatus`). */
  onCameraStatus(status: CameraStatusPayload): void {
    const entry = this.relays.get(status.camera);
    if (entry === undefined) return;
    entry.state = status.state;
    if (status.state === 'offline') return;
    if (entry.cycles > 0) {
      this.deps.logger.info({ camera: status.camera, cycles: entry.cycles }, 'camera is back after power cycling');
      const message = `camera ${status.camera} is back (${status.state}) after ${entry.cycles} power cycle(s)`;
      this.deps.health.clear('camera_power_cycle', status.camera, message);
      this.deps.health.clear('camera_power_cycle_failed', status.camera, message);
    }
    entry.offlineChecks = 0;
    entry.cycles = 0;
  }

  private check(): void {
    for (const entry of this.relays.values()) {
      if (entry.state !== 'offline' || entry.cycling) continue;
      entry.offlineChecks++;
      if (entry.offlineChecks < this.deps.policy.offlineChecks) continue;
      entry.offlineChecks = 0;
      if (entry.cycles >= this.deps.policy.maxCycles) this.giveUp(entry);
      else this.track(this.powerCycle(entry));
    }
  }

  private async powerCycle(entry: RelayState): Promise<void> {
    const { relay, pin } = entry;
    const { policy, logger, health, clock } = this.deps;
    entry.cycling = true;
    entry.cycles++;
    const attempt = { camera: relay.camera, cycle: entry.cycles, of: policy.maxCycles };
    logger.warn(attempt, 'camera stays offline: power-cycling it');
    health.raise('camera_power_cycle', relay.camera, {
      severity: 'warning',
      message: `camera ${relay.camera} stayed offline; power-cycling it through its relay`,
      details: { maxCycles: policy.maxCycles, offForS: policy.offFor / 1000 },
    });
    try {
      await pin.write(relay.powerOffValue);
      await clock.sleep(policy.offFor, this.abort.signal).catch(() => undefined);
    } finally {
      await pin.write(powerOn(relay)).catch((err: unknown) => logger.error({ err, camera: relay.camera }, 'cannot restore camera power'));
      entry.cycling = false;
    }
  }

  private giveUp(entry: RelayState): void {
    const { camera } = entry.relay;
    if (entry.cycles === this.deps.policy.maxCycles) {
      this.deps.logger.error({ camera, cycles: entry.cycles }, 'camera still offline after the last power cycle; giving up');
      this.deps.health.raise('camera_power_cycle_failed', camera, {
        severity: 'critical',
        message: `camera ${camera} is still offline after ${entry.cycles} power cycles; someone must check it`,
        details: { cycles: entry.cycles },
      });
    }
  }

  private track(work: Promise<void>): void {
    this.cycles.add(work);
    void work.finally(() => this.cycles.delete(work));
  }
}

function powerOn(relay: CameraRelay): 0 | 1 {
  return (1 - relay.powerOffValue) as 0 | 1;
}
