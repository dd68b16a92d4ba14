import * as os from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { Processes } from '../../ports/process.js';
import { decodeThrottled, type Throttling } from './throttling.js';

export interface HostPaths {
  thermal: string;
  /** Raspberry Pi firmware's throttle flags, on kernels that expose them. */
  throttled: string;
  /** Present (a file) while systemd-timesyncd considers the clock synchronised. */
  timesync: string;
}

export const REAL_HOST_PATHS: HostPaths = {
  thermal: '/sys/class/thermal',
  throttled: '/sys/devices/platform/soc/soc:firmware/get_throttled',
  timesync: '/run/systemd/timesync/synchronized',
};

export type ClockSync = 'synchronized' | 'unsynchronized' | 'unknown';

export interface HostStats {
  uptimeS: number;
  load: [number, number, number];
  memory: { totalBytes: number; availableBytes: number };
  cpuTempC: number | null;
  throttling: Throttling | null;
  clock: { state: ClockSync; /** seconds in this state, measured on the monotonic clock */ forS: number };
}

/** Reads the host's vital signs; every source is optional, a missing one reads as null. */
export class HostStatsReader {
  private clockState: { state: ClockSync; sinceMono: number } | undefined;
  private vcgencmdMissing = false;

  constructor(private readonly deps: { fs: FileSystem; clock: Clock; processes: Processes; paths?: HostPaths; vcgencmd?: string }) {}

  async read(): Promise<HostStats> {
    const [load1, load5, load15] = os.loadavg();
    return {
      uptimeS: Math.round(os.uptime()),
      load: [round2(load1 ?? 0), round2(load5 ?? 0), round2(load15 ?? 0)],
      memory: { totalBytes: os.totalmem(), availableBytes: os.freemem() },
      cpuTempC: await this.cpuTemperature(),
      throttling: await this.throttling(),
      clock: await this.clockSync(),
    };
  }

  private get paths(): HostPaths {
    return this.deps.paths ?? REAL_HOST_PATHS;
  }

  /** The CPU's thermal zone (cpu-thermal on a Pi, x86_pkg_temp on a PC), else the hottest. */
  async cpuTemperature(): Promise<number | null> {
    const zones = await this.deps.fs.readdir(this.paths.thermal).catch(() => [] as string[]);
    const readings: { type: string; celsius: number }[] = [];
    for (const zone of zones.filter((z) => z.startsWith('thermal_zone'))) {
      const type = await this.readText(join(this.paths.thermal, zone, 'type'));
      const milli = Number.parseInt((await this.readText(join(this.paths.thermal, zone, 'temp'))) ?? '', 10);
      if (Number.isFinite(milli)) readings.push({ type: type ?? '', celsius: Math.round(milli / 100) / 10 });
    }
    const cpu = readings.find((r) => /cpu|soc|pkg/i.test(r.type));
    if (cpu !== undefined) return cpu.celsius;
    return readings.length === 0 ? null : Math.max(...readings.map((r) => r.celsius));
  }

  async throttling(): Promise<Throttling | null> {
    const text = await this.readText(this.paths.throttled);
    if (text !== undefined) return decodeThrottled(text);
    if (this.vcgencmdMissing || this.deps.vcgencmd === undefined) return null;
    const output = await this.runVcgencmd(this.deps.vcgencmd);
    if (output === undefined) return null;
    const match = /throttled=(0x[0-9a-f]+)/i.exec(output);
    return match?.[1] === undefined ? null : decodeThrottled(match[1]);
  }

  async clockSync(): Promise<HostStats['clock']> {
    const now = this.deps.clock.monotonicMs();
    const state = await this.readClockState();
    if (this.clockState?.state !== state) this.clockState = { state, sinceMono: now };
    return { state, forS: Math.round((now - this.clockState.sinceMono) / 1000) };
  }

  private async readClockState(): Promise<ClockSync> {
    const { fs } = this.deps;
    if (await fs.access(this.paths.timesync).then(() => true, () => false)) return 'synchronized';
    const dir = join(this.paths.timesync, '..');
    return (await fs.access(dir).then(() => true, () => false)) ? 'unsynchronized' : 'unknown';
  }

  private async readText(path: string): Promise<string | undefined> {
    return this.deps.fs.readFile(path, 'utf8').then((t) => t.trim(), () => undefined);
  }

  private runVcgencmd(command: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      let output = '';
      const child = this.deps.processes.spawn(command, ['get_throttled'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const timer = this.deps.clock.setTimeout(() => child.kill('SIGKILL'), 2000);
      child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') this.vcgencmdMissing = true;
      });
      child.on('close', (code) => {
        this.deps.clock.clearTimeout(timer);
        resolve(code === 0 ? output : undefined);
      });
    });
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
