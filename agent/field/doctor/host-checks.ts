import { randomBytes } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import type { DiskConfig } from '../../config/sections/health.js';
import { readDiskStats } from '../../host/health/disk-stats.js';
import { HostStatsReader } from '../../host/health/host-stats.js';
import { watchedDisks } from '../../host/health/monitor.js';
import { probeWritable } from '../../host/health/write-probe.js';
import type { HostPorts } from '../../ports/index.js';
import { fail, pass, warn, type Check, type CheckOutcome } from './types.js';

const HOST_CHECK_TIMEOUT_MS = 10_000;
const GIB = 1024 ** 3;

/** Every disk the agent watches (the data dir always): writable, with the configured free space. */
export function diskChecks(config: Config, ports: Pick<HostPorts, 'fs'>): Check[] {
  return watchedDisks(config).map((disk) => ({
    id: `disk:${disk.path}`,
    title: `disk ${disk.path}`,
    timeoutMs: HOST_CHECK_TIMEOUT_MS,
    run: () => checkDisk(disk, ports),
  }));
}

async function checkDisk(disk: DiskConfig, { fs }: Pick<HostPorts, 'fs'>): Promise<CheckOutcome> {
  const exists = await fs.access(disk.path).then(() => true, () => false);
  if (!exists) return fail(`${disk.path} does not exist`, 'create it (scripts/install.sh creates the data dir, owned by the minwang user) or fix the path in the config');
  const stats = await readDiskStats(fs, disk.path);
  const details = { freeBytes: stats.freeBytes, freePercent: round1(stats.freePercent), freeInodesPercent: round1(stats.freeInodesPercent) };
  const free = `${(stats.freeBytes / GIB).toFixed(1)} GiB free (${round1(stats.freePercent)}%)`;
  if (disk.writeProbe !== false) {
    const probe = await probeWritable(fs, disk.path, randomBytes(4).toString('hex'));
    if (!probe.ok) {
      const hint = probe.code === 'EACCES' || probe.code === 'EPERM'
        ? `give the user the agent runs as write access: chown minwang: ${disk.path}`
        : probe.code === 'EROFS' ? 'the disk is read-only: an SD card does this when it is failing; replace it' : 'check the disk (dmesg)';
      return fail(`cannot write to ${disk.path}: ${probe.code} ${probe.message}`, hint, details);
    }
  }
  const lowBytes = disk.minFreeBytes !== undefined && stats.freeBytes < disk.minFreeBytes;
  if (stats.freePercent < disk.minFreePercent || lowBytes) {
    return fail(`writable, but only ${free}`, `free space on the disk, or lower health.disks minFreePercent (now ${disk.minFreePercent}%)`, details);
  }
  if (stats.freeInodesPercent < disk.minFreeInodesPercent) {
    return fail(`writable, but only ${round1(stats.freeInodesPercent)}% of inodes free`, 'too many small files: delete old ones', details);
  }
  return pass(`writable, ${free}`, details);
}

/** GPIO matters only when the config uses it (LED, tamper switch, camera relays). */
export function gpioCheck(config: Config, ports: Pick<HostPorts, 'gpio'>): Check {
  return {
    id: 'gpio',
    title: 'GPIO',
    timeoutMs: HOST_CHECK_TIMEOUT_MS,
    run: () => {
      const used = [
        ...(config.gpio.led === undefined ? [] : [`gpio.led (GPIO${config.gpio.led.pin})`]),
        ...(config.gpio.tamper === undefined ? [] : [`gpio.tamper (GPIO${config.gpio.tamper.pin})`]),
        ...config.cameras.flatMap((c) => (c.relay === undefined ? [] : [`cameras ${c.id} relay (GPIO${c.relay.pin})`])),
      ];
      const reason = ports.gpio.unavailableReason();
      if (reason === undefined) return Promise.resolve(pass(used.length === 0 ? 'available (not used by this config)' : `available for ${used.join(', ')}`));
      if (used.length === 0) return Promise.resolve(warn(`not available: ${reason}`, 'nothing in the config uses GPIO, so this is fine off a Raspberry Pi'));
      return Promise.resolve(fail(`not available, but the config uses ${used.join(', ')}: ${reason}`, 'run on the Pi, and add the minwang user to the gpio group (scripts/install.sh does)'));
    },
  };
}

export function clockCheck(ports: Pick<HostPorts, 'fs' | 'clock' | 'processes'>): Check {
  return {
    id: 'clock',
    title: 'clock',
    timeoutMs: HOST_CHECK_TIMEOUT_MS,
    run: async () => {
      const { state } = await new HostStatsReader(ports).clockSync();
      const now = ports.clock.now().toISOString();
      if (state === 'synchronized') return pass(`synchronised (${now})`);
      if (state === 'unsynchronized') return fail(`not synchronised; it reads ${now}`, 'event times will be wrong: check that systemd-timesyncd can reach an NTP server (timedatectl timesync-status)');
      return warn(`cannot tell whether it is synchronised (systemd-timesyncd is not running); it reads ${now}`, 'if another NTP client (chrony, ntpd) keeps time, this is fine; otherwise enable systemd-timesyncd');
    },
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
