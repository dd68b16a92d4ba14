import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { EXIT, errorMessage, isUsageError, type ExitCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { doctorChecks } from '../../field/doctor/checks.js';
import { doctorReport, formatChecklist, type DoctorReport } from '../../field/doctor/report.js';
import { runChecks } from '../../field/doctor/run-checks.js';
import { realHostPorts } from '../../ports/index.js';
import { CONFIG_OPTION, type CliIO, type Command } from '../command.js';
import { configPath } from '../config-path.js';

export const checkCommand: Command = {
  name: 'check',
  summary: "the installer's doctor: cameras, broker, disks, GPIO, clock, model self-test",
  usage: 'check [--config FILE] [--json]',
  help: [
    '-c, --config FILE   config file (default: $MINWANG_CONFIG or /etc/minwang/config.yaml)',
    '    --json          one JSON object: {"ok", "counts", "checks": [{"id", "status", "message", "hint", ...}]}',
    '',
    'Checks the config; each camera (reachable, login, a decodable picture, not black or frozen);',
    'the broker (login and TLS, publishing on this host\'s topics, refused on other hosts\'); every',
    'watched disk (writable, free space); GPIO; the clock; the model (files verified, self-test,',
    'inference time). Each check has its own time limit; they run side by side.',
    'Exits 0 when every check passes (warnings allowed), 1 when one fails, 2 on a bad config.',
  ],
  options: { ...CONFIG_OPTION, json: { type: 'boolean' } },
  async run({ io, values, logLevel, logFormat }): Promise<ExitCode> {
    const file = configPath(values, io.env);
    const json = values['json'] === true;
    let config: Config;
    try {
      config = await loadConfig(file, { env: io.env });
    } catch (err) {
      if (!isUsageError(err)) throw err;
      const report = doctorReport(file, null, [{ id: 'config', title: 'config', status: 'fail', message: errorMessage(err), hint: 'fix the config file, then run the check again', ms: 0 }]);
      write(io, report, json);
      return EXIT.USAGE;
    }
    // Logs have no place on the installer's checklist screen (the checklist says what failed and why):
    // errors only, unless asked for more.
    const logger = createLogger({ level: values['log-level'] === undefined ? 'error' : logLevel, format: logFormat, stream: io.stderr });
    try {
      const checks = doctorChecks(config, { ...realHostPorts(), env: io.env }, logger);
      const results = await runChecks(checks);
      const report = doctorReport(file, config.host.id, [{ id: 'config', title: 'config', status: 'pass', message: `valid, ${config.cameras.length} camera(s)`, ms: 0 }, ...results]);
      write(io, report, json);
      return report.ok ? EXIT.OK : EXIT.FAILURE;
    } finally {
      logger.flush();
    }
  },
};

function write(io: CliIO, report: DoctorReport, json: boolean): void {
  io.stdout.write(json ? `${JSON.stringify(report)}\n` : formatChecklist(report));
}
