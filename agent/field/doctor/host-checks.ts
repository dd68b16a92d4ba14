import { randomBytes } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import type { DiskConfig } from '../../config/sections/health.js';
import { readDiskStats } from '../../host/health/disk-stats.js';
import { HostStatsReader } from '../../host/health/host-stats.js';
import { watchedDisks } from '../../host/health/monitor.js';
import { probeWritable } from '../../host/health/write-probe.js';
import type { HostPorts } from '../../ports/index.js';
import { say } from './i18n/index.js';
import { fail, pass, warn, type Check, type CheckOutcome } from './types.js';

const HOST_CHECK_TIMEOUT_MS = 10_000;
const GIB = 1024 ** 3;

/** Every disk the agent watches (the data dir always): writable, with the configured free space. */
export function diskChecks(config: Config, ports: Pick<HostPorts, 'fs'>): Check[] {
  return watchedDisks(config).map((disk) => ({
    id: `disk:${disk.path}`,
    title: say('disk.title', { path: disk.path }),
    timeoutMs: HOST_CHECK_TIMEOUT_MS,
    run: () => checkDisk(disk, ports),
  }));
}

async function checkDisk(disk: DiskConfig, { fs }: Pick<HostPorts, 'fs'>): Promise<CheckOutcome> {
  const exists = await fs.access(disk.path).then(() => true, () => false);
  if (!exists) return fail(say('disk.missing', { path: disk.path }), say('disk.missingHint'));
  const stats = await readDiskStats(fs, disk.path);
  const details = { freeBytes: stats.freeBytes, freePercent: round1(stats.freePercent), freeInodesPercent: round1(stats.freeInodesPercent) };
  const free = say('disk.free', { gib: (stats.freeBytes / GIB).toFixed(1), percent: round1(stats.freePercent) });
  if (disk.writeProbe !== false) {
    const probe = await probeWritable(fs, disk.path, randomBytes(4).toString('hex'));
    if (!probe.ok) {
      const hint = probe.code === 'EACCES' || probe.code === 'EPERM'
        ? say('disk.permissionHint', { path: disk.path })
        : probe.code === 'EROFS' ? say('disk.readOnlyHint') : say('disk.otherHint');
      return fail(say('disk.notWritable', { path: disk.path, code: probe.code, error: probe.message }), hint, details);
    }
  }
  const lowBytes = disk.minFreeBytes !== undefined && stats.freeBytes < disk.minFreeBytes;
  if (stats.freePercent < disk.minFreePercent || lowBytes) {
    return fail(say('disk.low', { free }), say('disk.lowHint', { percent: disk.minFreePercent }), details);
  }
  if (stats.freeInodesPercent < disk.minFreeInodesPercent) {
    return fail(say('disk.fewInodes', { percent: round1(stats.freeInodesPercent) }), say('disk.fewInodesHint'), details);
  }
  return pass(say('disk.ok', { free }), details);
}

/** GPIO matters only when the config uses it (LED, tamper switch, camera relays). */
export function gpioCheck(config: Config, ports: Pick<HostPorts, 'gpio'>): Check {
  return {
    id: 'gpio',
    title: say('gpio.title'),
    timeoutMs: HOST_CHECK_TIMEOUT_MS,
    run: () => {
      const used = [
        ...(config.gpio.led === undefined ? [] : [say('gpio.led', { pin: config.gpio.led.pin })]),
        ...(config.gpio.tamper === undefined ? [] : [say('gpio.tamper', { pin: config.gpio.tamper.pin })]),
        ...config.cameras.flatMap((c) => (c.relay === undefined ? [] : [say('gpio.relay', { id: c.id, pin: c.relay.pin })])),
      ];
      const reason = ports.gpio.unavailableReason();
      if (reason === undefined) return Promise.resolve(pass(used.length === 0 ? say('gpio.unused') : say('gpio.available', { uses: used })));
      if (used.length === 0) return Promise.resolve(warn(say('gpio.unavailableUnused', { reason }), say('gpio.unavailableUnusedHint')));
      return Promise.resolve(fail(say('gpio.unavailableUsed', { uses: used, reason }), say('gpio.unavailableUsedHint')));
    },
  };
}

export function clockCheck(ports: Pick<HostPorts, 'fs' | 'clock' | 'processes'>): Check {
  return {
    id: 'clock',
    title: say('clock.title'),
    timeoutMs: HOST_CHECK_TIMEOUT_MS,
    run: async () => {
      const { state } = await new HostStatsReader(ports).clockSync();
      const now = ports.clock.now().toISOString();
      if (state === 'synchronized') return pass(say('clock.synchronised', { now }));
      if (state === 'unsynchronized') return fail(say('clock.unsynchronised', { now }), say('clock.unsynchronisedHint'));
      return warn(say('clock.unknown', { now }), say('clock.unknownHint'));
    },
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
