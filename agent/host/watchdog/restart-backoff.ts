import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../ports/clock.js';
import { restartDelayMs, type RestartHistory } from '../state/restart-record.js';
import type { Notifier } from './notifier.js';

/** systemd's start timeout in the unit (`TimeoutStartSec=`), which the wait must not run into. */
const START_TIMEOUT_MS = 120_000;

/**
 * Before starting again after failures in a row, wait (5 s, 10 s … 5 min) and say why, in the log
 * and in systemd's status line (`systemctl status minwang`), extending the start timeout to match.
 * A stop signal ends the wait.
 */
export async function waitBeforeRestart(deps: {
  history: RestartHistory; clock: Clock; logger: Logger; notifier?: Notifier; signal?: AbortSignal;
}): Promise<void> {
  const { history, logger, notifier } = deps;
  const delayMs = restartDelayMs(history.failures);
  if (delayMs === 0) return;
  const why = `restarting after ${history.failures} failed run(s) in a row (last: ${history.reason}); waiting ${Math.round(delayMs / 1000)} s`;
  logger.warn({ failures: history.failures, lastReason: history.reason, lastAt: history.at, delayMs }, why);
  await notifier?.notify(`STATUS=${why.replace(/\n/g, ' ')}`).catch(() => undefined);
  await notifier?.notify(`EXTEND_TIMEOUT_USEC=${(delayMs + START_TIMEOUT_MS) * 1000}`).catch(() => undefined);
  await deps.clock.sleep(delayMs, deps.signal).catch(() => undefined);
}
