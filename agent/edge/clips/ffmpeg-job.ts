import { AgentError } from '../../core/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { Processes } from '../../ports/process.js';

export interface FfmpegJobOptions {
  processes: Processes;
  clock: Clock;
  /** Everything after `ffmpeg`. */
  args: readonly string[];
  /** Killed (SIGKILL) after this long. */
  timeoutMs: number;
  /** Runs under `nice -n 19`, so recording and cutting never take CPU from detection. */
  nice?: boolean;
  /** Kills the job (the agent is stopping). */
  signal?: AbortSignal;
}

const STDERR_BYTES = 4000;

/** What ffmpeg's stderr says about the disk it writes to: the errno a health alert reports. */
export function diskErrorOf(stderr: string): 'ENOSPC' | 'EROFS' | 'EACCES' | 'ENOTDIR' | 'EIO' | undefined {
  if (/No space left on device/i.test(stderr)) return 'ENOSPC';
  if (/Read-only file system/i.test(stderr)) return 'EROFS';
  if (/Permission denied/i.test(stderr)) return 'EACCES';
  if (/Not a directory/i.test(stderr)) return 'ENOTDIR';
  if (/Input\/output error/i.test(stderr)) return 'EIO';
  return undefined;
}

/** Runs one ffmpeg to completion; rejects with `clips.failed` (details: exit code, errno, stderr tail). */
export function runFfmpeg(options: FfmpegJobOptions): Promise<void> {
  const [command, args] = options.nice === false ? ['ffmpeg', options.args] : ['nice', ['-n', '19', 'ffmpeg', ...options.args]];
  return new Promise((resolve, reject) => {
    const child = options.processes.spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_BYTES);
    });
    const timer = options.clock.setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    const abort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (err) => {
      stderr += `spawn failed: ${err.message}`;
    });
    child.on('close', (code, signal) => {
      options.clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      if (code === 0) {
        resolve();
        return;
      }
      const tail = stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
      const why = signal === 'SIGKILL' ? `took longer than ${options.timeoutMs} ms` : `exited with ${code ?? signal}`;
      reject(new AgentError('clips.failed', `ffmpeg ${why}: ${tail}`, { details: { code: diskErrorOf(stderr) ?? null } }));
    });
  });
}

/** The container's duration in seconds, as ffprobe reads it (a file it cannot read rejects). */
export function probeDurationS(processes: Processes, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = processes.spawn('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      out = (out + text).slice(-200);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number.parseFloat(out.trim());
      if (code === 0 && Number.isFinite(seconds)) resolve(Math.round(seconds * 1000) / 1000);
      else reject(new AgentError('clips.failed', `ffprobe cannot read ${path} (exit ${code})`));
    });
  });
}
