import type { Clock } from '../../ports/clock.js';
import type { Processes } from '../../ports/process.js';

/** Sends one sd_notify state line (`READY=1`, `WATCHDOG=1`, `STOPPING=1`). */
export interface Notifier {
  notify(state: string): Promise<void>;
}

const NOTIFY_TIMEOUT_MS = 5000;

/**
 * sd_notify through the `systemd-notify` binary: Node has no unix datagram sockets. systemd
 * only accepts it with `NotifyAccess=all` in the unit (the sender is a child, not the main pid).
 */
export function systemdNotifier(deps: { processes: Processes; clock: Clock; env: NodeJS.ProcessEnv }): Notifier {
  return {
    notify: (state) => new Promise((resolve, reject) => {
      const child = deps.processes.spawn('systemd-notify', [state], { stdio: 'ignore', env: deps.env });
      const timer = deps.clock.setTimeout(() => child.kill('SIGKILL'), NOTIFY_TIMEOUT_MS);
      child.on('error', (err) => {
        deps.clock.clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, signal) => {
        deps.clock.clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`systemd-notify ${state} exited with ${code ?? signal ?? 'unknown'}`));
      });
    }),
  };
}
