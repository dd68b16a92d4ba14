import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export type { ChildProcess, SpawnOptions };

/** Child processes (ffmpeg, systemd-notify). */
export interface Processes {
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess;
}

export const realProcesses: Processes = { spawn: (command, args, options) => spawn(command, args, options) };
