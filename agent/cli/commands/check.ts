import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { AgentError, EXIT, errorMessage, isUsageError, type ExitCode } from '../../core/errors.js';
import { DEFAULT_LANG, LANGS, langFromLocale, parseLang, type Lang } from '../../core/i18n/lang.js';
import { createLogger } from '../../core/logger.js';
import { doctorChecks } from '../../field/doctor/checks.js';
import { say } from '../../field/doctor/i18n/index.js';
import { doctorReport, formatChecklist, type DoctorReport } from '../../field/doctor/report.js';
import { runChecks } from '../../field/doctor/run-checks.js';
import { realHostPorts } from '../../ports/index.js';
import { CONFIG_OPTION, type CliIO, type Command } from '../command.js';
import { configPath } from '../config-path.js';

export const checkCommand: Command = {
  name: 'check',
  summary: "the installer's doctor: cameras, broker, disks, GPIO, clock, model self-test",
  usage: 'check [--config FILE] [--json] [--lang en|zh-CN]',
  help: [
    '-c, --config FILE   config file (default: $MINWANG_CONFIG or /etc/minwang/config.yaml)',
    '    --json          one JSON object: {"ok", "counts", "checks": [{"id", "status", "message", "hint", ...}]}',
    '                    (texts in English unless --lang is given; ids, statuses and details never change)',
    '    --lang LANG     en or zh-CN (default: from the locale, LC_ALL / LC_MESSAGES / LANG, e.g. zh_CN.UTF-8)',
    '',
    'Checks the config; each camera (reachable, login, a decodable picture, not black or frozen);',
    'the broker (login and TLS, publishing on this host\'s topics, refused on other hosts\'); every',
    'watched disk (writable, free space); GPIO; the clock; the model (files verified, self-test,',
    'inference time). Each check has its own time limit; they run side by side.',
    'Exits 0 when every check passes (warnings allowed), 1 when one fails, 2 on a bad config.',
  ],
  options: { ...CONFIG_OPTION, json: { type: 'boolean' }, lang: { type: 'string' } },
  async run({ io, values, logLevel, logFormat }): Promise<ExitCode> {
    const file = configPath(values, io.env);
    const json = values['json'] === true;
    const lang = reportLang(values['lang'], json, io.env);
    let config: Config;
    try {
      config = await loadConfig(file, { env: io.env });
    } catch (err) {
      if (!isUsageError(err)) throw err;
      const report = doctorReport(file, null, [{ id: 'config', title: say('config.title'), status: 'fail', message: say('config.invalid', { error: errorMessage(err) }), hint: say('config.invalidHint'), ms: 0 }], lang);
      write(io, report, json, lang);
      return EXIT.USAGE;
    }
    // Logs have no place on the installer's checklist screen (the checklist says what failed and why):
    // errors only, unless asked for more.
    const logger = createLogger({ level: values['log-level'] === undefined ? 'error' : logLevel, format: logFormat, stream: io.stderr });
    try {
      const checks = doctorChecks(config, { ...realHostPorts(), env: io.env }, logger);
      const results = await runChecks(checks);
      const report = doctorReport(file, config.host.id, [{ id: 'config', title: say('config.title'), status: 'pass', message: say('config.valid', { n: config.cameras.length }), ms: 0 }, ...results], lang);
      write(io, report, json, lang);
      return report.ok ? EXIT.OK : EXIT.FAILURE;
    } finally {
      logger.flush();
    }
  },
};

/** `--lang` wins; otherwise the checklist follows the locale, and `--json` (read by scripts) stays English. */
function reportLang(flag: unknown, json: boolean, env: NodeJS.ProcessEnv): Lang {
  if (typeof flag === 'string') {
    const lang = parseLang(flag);
    if (lang === undefined) throw new AgentError('usage', `--lang ${JSON.stringify(flag)}: expected one of ${LANGS.join(', ')}`);
    return lang;
  }
  return json ? DEFAULT_LANG : langFromLocale(env);
}

function write(io: CliIO, report: DoctorReport, json: boolean, lang: Lang): void {
  io.stdout.write(json ? `${JSON.stringify(report)}\n` : formatChecklist(report, lang));
}
