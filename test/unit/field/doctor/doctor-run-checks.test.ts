import { describe, expect, it } from 'vitest';
import { runChecks } from '../../../../agent/field/doctor/run-checks.js';
import { doctorReport, formatChecklist, inWords } from '../../../../agent/field/doctor/report.js';
import { say } from '../../../../agent/field/doctor/i18n/index.js';
import { fail, pass, warn, type Check } from '../../../../agent/field/doctor/types.js';

const check = (id: string, run: Check['run'], extra: Partial<Check> = {}): Check => ({ id, title: say('camera.title', { id }), timeoutMs: 1000, run, ...extra });
const fine = say('clock.synchronised', { now: '2026-01-01T00:00:00.000Z' });

describe('runChecks', () => {
  it('fails a check that never answers at its time limit, aborts it, and still reports the others', async () => {
    let aborted = false;
    const results = await runChecks([
      check('hangs', (signal) => new Promise(() => signal.addEventListener('abort', () => { aborted = true; })), { timeoutMs: 50 }),
      check('fine', () => Promise.resolve(pass(fine))),
    ]);
    expect(results.map((r) => [r.id, r.status])).toEqual([['hangs', 'fail'], ['fine', 'pass']]);
    expect(inWords(results[0]!, 'en').message).toMatch(/no answer within/);
    expect(aborted).toBe(true);
  });

  it('turns a thrown error into a failed line, and runs heavy checks after the light ones', async () => {
    const order: string[] = [];
    const results = await runChecks([
      check('heavy', () => { order.push('heavy'); return Promise.resolve(pass(fine)); }, { heavy: true }),
      check('throws', () => { order.push('throws'); return Promise.reject(new Error('boom')); }),
    ]);
    expect(order).toEqual(['throws', 'heavy']);
    expect(results.map((r) => r.id)).toEqual(['heavy', 'throws']);
    expect(inWords(results[1]!, 'en')).toMatchObject({ status: 'fail', message: 'boom' });
  });
});

describe('doctorReport', () => {
  it('is ok with warnings, not with a failure, and prints hints only for what is not passing', () => {
    const base = { title: say('clock.title'), ms: 1 };
    const warned = doctorReport('c.yaml', 'h1', [{ id: 'a', ...base, ...pass(fine) }, { id: 'b', ...base, ...warn(say('clock.unknown', { now: 'x' }), say('clock.unknownHint')) }], 'en');
    expect(warned.ok).toBe(true);
    expect(formatChecklist(warned, 'en')).toMatch(/All 2 checks passed \(1 with a warning\)/);
    const failed = doctorReport('c.yaml', 'h1', [{ id: 'a', ...base, ...fail(say('disk.missing', { path: '/x' }), say('disk.missingHint')) }], 'en');
    expect(failed.ok).toBe(false);
    expect(formatChecklist(failed, 'en')).toMatch(/\[FAIL\] clock\s+\/x does not exist\n\s+→ create it/);
  });
});
