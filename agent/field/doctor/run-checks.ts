import { formatDuration } from '../../config/duration.js';
import { errorMessage } from '../../core/errors.js';
import { say } from './i18n/index.js';
import type { Check, CheckFinding, CheckOutcome } from './types.js';

/**
 * Runs every light check at once (they mostly wait on the network), then the heavy ones one by
 * one, each under its own time limit. Results keep the order the checks were given in.
 */
export async function runChecks(checks: readonly Check[], now: () => number = () => performance.now()): Promise<CheckFinding[]> {
  const results = new Map<Check, CheckFinding>();
  await Promise.all(checks.filter((c) => c.heavy !== true).map(async (c) => results.set(c, await runOne(c, now))));
  for (const check of checks.filter((c) => c.heavy === true)) results.set(check, await runOne(check, now));
  return checks.map((c) => results.get(c) as CheckFinding);
}

export async function runOne(check: Check, now: () => number): Promise<CheckFinding> {
  const started = now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`time limit ${formatDuration(check.timeoutMs)}`));
      resolve({
        status: 'fail',
        message: say('run.timeout', { limit: formatDuration(check.timeoutMs) }),
        hint: say('run.timeoutHint'),
      });
    }, check.timeoutMs);
  });
  const work = check.run(controller.signal).catch((err: unknown): CheckOutcome => ({
    status: 'fail',
    message: say('run.error', { error: errorMessage(err) }),
    hint: say('run.errorHint'),
  }));
  try {
    const outcome = await Promise.race([work, deadline]);
    return { id: check.id, title: check.title, ...outcome, ms: Math.round(now() - started) };
  } finally {
    clearTimeout(timer);
    controller.abort(new Error('check finished'));
  }
}
