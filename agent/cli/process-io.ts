import type { CliIO } from './command.js';

/** The real process's streams, environment and stop signals. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onStopSignal(handler) {
      const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
      let count = 0;
      const listener = (signal: NodeJS.Signals) => {
        count += 1;
        // A second signal means the operator has given up waiting: leave now.
        if (count > 1) process.exit(1);
        handler(signal);
      };
      for (const s of signals) process.on(s, listener);
      return () => {
        for (const s of signals) process.off(s, listener);
      };
    },
  };
}
