import { describe, expect, it } from 'vitest';
import { runChecks } from '../../../../agent/field/doctor/run-checks.js';
import { doctorReport, formatChecklist } from '../../../../agent/field/doctor/report.js';
import { fail, pass, warn, type Check } from '../../../../agent/field/doctor/types.js';

const check = (id: string, run: Check['run'], extra: Partial<Check> = {}): Check => ({ id, title: id, timeoutMs: 1000, run, ...extra });

describe('runChecks', () => {
  it('fails a check that never answers at its time limit, aborts it, and still reports the others', async () => {
    let aborted = false;
    const results = await runChecks([
      check('hangs', (signal) => new Promise(() => signal.addEventListener('abort', () => { aborted = true; })), { timeoutMs: 50 }),
      check('fine', () => Promise.resolve(pass('all good'))),
    ]);
    expect(results.map((r) => [r.id, r.status])).toEqual([['hangs', 'fail'], ['fine', 'pass']]);
    expect(results[0]?.message).toMatch(/no answer within/);
    expect(aborted).toBe(true);
  });

  it('turns a thrown error into a failed line, and runs heavy checks after the light ones', async () => {
    const order: string[] = [];
    const results = await runChecks([
      check('heavy', () => { order.push('heavy'); return Promise.resolve(pass('ok')); }, { heavy: true }),
      check('throws', () => { order.push('throws'); return Promise.reject(new Error('boom')); }),
    ]);
    expect(order).toEqual(['throws', 'heavy']);
    expect(results.map((r) => r.id)).toEqual(['heavy', 'throws']);
    expect(results[1]).toMatchObject({ status: 'fail', message: 'boom' });
  });
});

describe('doctorReport', () => {
  it('is ok with warnings, not with a failure, and prints hints only for what is not passing', () => {
    const base = { title: 't', ms: 1 };
    const warned = doctorReport('c.yaml', 'h1', [{ id: 'a', ...base, ...pass('fine') }, { id: 'b', ...base, ...warn('hmm', 'look') }]);
    expect(warned.ok).toBe(true);
    expect(formatChecklist(warned)).toMatch(/All 2 checks passed \(1 with a warning\)/);
    const failed = doctorReport('c.yaml', 'h1', [{ id: 'a', ...base, ...fail('broken', 'fix it') }]);
    expect(failed.ok).toBe(false);
    expect(formatChecklist(failed)).toMatch(/\[FAIL\] t\s+broken\n\s+→ fix it/);
  });
});
