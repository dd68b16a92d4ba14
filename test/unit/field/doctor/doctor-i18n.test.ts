import { describe, expect, it } from 'vitest';
import { LANGS, type Lang } from '../../../../agent/core/i18n/lang.js';
import { placeholdersOf } from '../../../../agent/core/i18n/translate.js';
import { DOCTOR_CATALOGUES, say, textIn, type DoctorKey, type Text, type TextParam } from '../../../../agent/field/doctor/i18n/index.js';
import { displayWidth, doctorReport, formatChecklist } from '../../../../agent/field/doctor/report.js';
import { runChecks } from '../../../../agent/field/doctor/run-checks.js';
import type { CheckFinding, CheckStatus } from '../../../../agent/field/doctor/types.js';

const { en, 'zh-CN': zh } = DOCTOR_CATALOGUES;
const KEYS = Object.keys(en) as DoctorKey[];
/** Keys the report itself uses (marks, heading, summary); the rest are what checks say. */
const FRAME = /^(mark|report|list)\./;
const STATUSES: CheckStatus[] = ['pass', 'warn', 'fail'];

/** Parameters for any text: nested texts where a check passes one, a number otherwise. */
function paramsFor(key: DoctorKey): Record<string, TextParam> {
  const nested: Record<string, TextParam> = {
    what: say('cameraFault.covered'),
    acl: say('broker.aclHint'),
    free: say('disk.free', { gib: 1.5, percent: 3 }),
    uses: [say('gpio.led', { pin: 17 }), say('gpio.relay', { id: 'gate', pin: 5 })],
    found: [say('model.found', { n: 2, label: say('model.label.person') }), say('model.found', { n: 1, label: say('model.label.ebike') })],
    summary: say('model.verified', { id: 'nanodet', version: 3, found: [say('model.found', { n: 2, label: say('model.label.person') })], ms: 412, backend: 'wasm' }),
  };
  return Object.fromEntries(placeholdersOf(en[key]).map((name) => [name, nested[name] ?? 7]));
}

const text = (key: DoctorKey): Text => ({ key, params: paramsFor(key) });

/** One checklist line per text a check can say, every status, each failing or warning line with a hint. */
function everyLine(): CheckFinding[] {
  const messages = KEYS.filter((key) => !FRAME.test(key) && !key.endsWith('Hint') && !key.endsWith('.title'));
  const hints = KEYS.filter((key) => key.endsWith('Hint'));
  const titles = KEYS.filter((key) => key.endsWith('.title') || key.endsWith('Title'));
  return messages.map((key, i) => {
    const status = STATUSES[i % 3]!;
    const hint = status === 'pass' ? {} : { hint: text(hints[i % hints.length]!) };
    return { id: key, title: text(titles[i % titles.length]!), status, message: text(key), ...hint, ms: 1 };
  });
}

function checklist(lang: Lang, findings = everyLine()): string {
  return formatChecklist(doctorReport('/etc/minwang/config.yaml', 'xidian-01', findings, lang), lang);
}

describe('doctor catalogues', () => {
  it('have the same keys in every language, each text with the same placeholders', () => {
    for (const lang of LANGS) {
      expect(Object.keys(DOCTOR_CATALOGUES[lang]).sort()).toEqual([...KEYS].sort());
      for (const key of KEYS) expect(placeholdersOf(DOCTOR_CATALOGUES[lang][key]), `${lang} ${key}`).toEqual(placeholdersOf(en[key]));
    }
  });

  it('translate every text into Chinese', () => {
    expect(KEYS.filter((key) => (zh[key] as string) === en[key])).toEqual([]);
    expect(KEYS.filter((key) => !/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(zh[key]))).toEqual([]);
  });
});

describe('the checklist in both languages', () => {
  it('puts every text into words, with nothing left unfilled', () => {
    for (const lang of LANGS) {
      for (const key of KEYS) expect(textIn(lang, text(key)), `${lang} ${key}`).not.toMatch(/\{\w+\}/);
      expect(checklist(lang)).not.toMatch(/\{\w+\}/);
    }
  });

  it('in Chinese contains no English text of the catalogue', () => {
    const zhList = checklist('zh-CN');
    // Natural-language pieces only: two English words in a row, not a config key or a command.
    const fragments = KEYS.flatMap((key) => en[key].split(/\{\w+\}/)).filter((f) => /[A-Za-z]{2,} [A-Za-z]{2,}/.test(f));
    expect(fragments.length).toBeGreaterThan(50);
    expect(fragments.filter((f) => zhList.includes(f))).toEqual([]);
    expect(zhList).toMatch(/^minwang 安装自检：主机 xidian-01（配置文件 \/etc\/minwang\/config\.yaml）$/m);
    for (const mark of ['[通过]', '[注意]', '[失败]']) expect(zhList).toContain(mark);
    expect(zhList).toMatch(/共 \d+ 项检查，\d+ 项未通过。\n$/);
    expect(zhList).toContain('人员、1 个电动车');
  });

  it('in English reads as before', () => {
    const enList = checklist('en');
    expect(enList).not.toMatch(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/);
    expect(enList).toMatch(/^minwang check: xidian-01 \(\/etc\/minwang\/config\.yaml\)$/m);
    expect(enList).toMatch(/\d+ of \d+ checks failed\.\n$/);
    expect(enList).toContain('2 person, 1 ebike');
  });

  it('says all passed, with or without warnings, in each language', () => {
    const ok = (status: CheckStatus): CheckFinding => ({ id: 'clock', title: say('clock.title'), status, message: say('clock.synchronised', { now: 'x' }), hint: say('clock.unknownHint'), ms: 0 });
    expect(checklist('zh-CN', [ok('pass'), ok('pass')])).toMatch(/全部 2 项检查通过。\n$/);
    expect(checklist('zh-CN', [ok('pass'), ok('warn')])).toMatch(/全部 2 项检查通过（其中 1 项需要注意）。\n$/);
    expect(checklist('en', [ok('pass'), ok('warn')])).toMatch(/All 2 checks passed \(1 with a warning\)\.\n$/);
  });

  it('lines up the messages of Chinese titles (two columns a character) and their hints', () => {
    const report = doctorReport('c.yaml', 'h', everyLine(), 'zh-CN');
    const lines = formatChecklist(report, 'zh-CN').split('\n');
    const starts = report.checks.map((check) => {
      const line = lines.find((l) => l.includes(`] ${check.title} `) && l.endsWith(check.message))!;
      return displayWidth(line.slice(0, line.length - check.message.length));
    });
    expect(new Set(starts).size).toBe(1);
    const hints = lines.filter((l) => l.trimStart().startsWith('→')).map((l) => displayWidth(l.slice(0, l.indexOf('→'))));
    expect(hints.length).toBeGreaterThan(10);
    expect(new Set([...hints, ...starts])).toEqual(new Set(starts));
    expect(displayWidth('摄像头 gate')).toBe(11);
  });

  it('words a check that timed out or threw in the chosen language', async () => {
    const findings = await runChecks([
      { id: 'slow', title: say('camera.title', { id: 'gate' }), timeoutMs: 20, run: () => new Promise(() => undefined) },
      { id: 'throws', title: say('clock.title'), timeoutMs: 1000, run: () => Promise.reject(new Error('boom')) },
    ]);
    const zhList = checklist('zh-CN', findings);
    expect(zhList).toMatch(/\[失败\] 摄像头 gate\s+20ms 内没有结果/);
    expect(zhList).toMatch(/\[失败\] 系统时钟\s+意外错误：boom/);
    expect(zhList).toContain('→ 程序出了意外错误；加上 --log-level debug 再运行一次可看到详情');
  });
});
