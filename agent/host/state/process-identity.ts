import { readFileSync } from 'node:fs';

/** Who a process id is right now: a pid alone is reused after a reboot or a wrap-around. */
export interface ProcessIdentity {
  /** `/proc/sys/kernel/random/boot_id`: differs after every boot. */
  bootId: string;
  /** Field 22 of `/proc/<pid>/stat`, clock ticks since boot: differs for a reused pid. */
  startTicks: string;
  /** Wall time the process started (boot time + start ticks), to judge locks that carry only a pid. */
  startedAtMs: number;
}

/** The identity of a live process, or undefined when no such process exists. */
export type IdentifyProcess = (pid: number) => ProcessIdentity | undefined;

// Linux's USER_HZ is 100 on every architecture the agent ships for.
const TICKS_PER_SECOND = 100;

export const realIdentifyProcess: IdentifyProcess = (pid) => {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = fields[19] ?? '0';
  return { bootId: bootId(), startTicks, startedAtMs: bootTimeMs() + (Number(startTicks) * 1000) / TICKS_PER_SECOND };
};

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

function bootTimeMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '));
  return Number(line?.slice(6) ?? 0) * 1000;
}
