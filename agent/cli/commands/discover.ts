import { formatDuration, parseDuration } from '../../config/duration.js';
import { AgentError, EXIT, isAgentError, type ExitCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { discoverCameras, type DiscoveryResult } from '../../field/discovery/discover.js';
import { readLogin } from '../../field/discovery/login.js';
import { isolatedOnvifClient } from '../../field/discovery/onvif/isolated.js';
import { buildSnippet, type Snippet } from '../../field/discovery/snippet.js';
import type { CliIO, Command, OptionValues } from '../command.js';
import { definedProps } from '../../core/defined-props.js';

const NONE_FOUND_HINTS = [
  'the host and the cameras must be on the same subnet: WS-Discovery multicast does not cross routers',
  'multicast to 239.255.255.250 port 3702 must not be blocked (switch IGMP snooping, Wi-Fi client isolation, a firewall on this host)',
  'ONVIF must be enabled on the camera: many ship with it off (look for "ONVIF" or "Integration Protocol" in its web page)',
  'try a longer --timeout, or --interface NAME to probe from another network interface',
];

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'find ONVIF cameras on the local network and print a cameras: config snippet',
  usage: 'discover [--timeout 5s] [--device-timeout 10s] [--interface NAME] [--username USER (--password-file FILE | --password-env NAME)] [--json]',
  help: [
    '    --timeout DURATION         how long to listen for answers (default 5s)',
    '    --device-timeout DURATION  time limit for reading each camera (default 10s)',
    '    --interface NAME           network interface to probe from (default: the multicast route\'s)',
    '    --username USER            ONVIF login, to read stream and snapshot URIs',
    '    --password-file FILE       file holding the password (must not be world-readable)',
    '    --password-env NAME        environment variable holding the password',
    '    --json                     one JSON object: every device, its profiles and URIs, and the snippet',
    '',
    'Prints a YAML cameras: snippet (stdout) to paste into the config, and what happened to each',
    'device (stderr). Passwords are never printed: the snippet names the file or variable instead.',
    'Exits 0 when at least one device answered, 1 when none did, 2 on a usage error.',
  ],
  options: {
    timeout: { type: 'string' },
    'device-timeout': { type: 'string' },
    interface: { type: 'string' },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    'password-env': { type: 'string' },
    // Accepted only to refuse it with a reason, rather than an "unknown option".
    password: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ io, values, logLevel, logFormat }): Promise<ExitCode> {
    if (values['password'] !== undefined) {
      throw new AgentError('usage', 'a password on the command line is visible to every user of this host; use --password-file FILE or --password-env NAME');
    }
    const probeTimeoutMs = durationFlag(values, 'timeout', 5000, { min: 500, max: 60_000 });
    const deviceTimeoutMs = durationFlag(values, 'device-timeout', 10_000, { min: 1000, max: 120_000 });
    const interfaceName = stringFlag(values, 'interface');
    const login = await readLogin({ username: stringFlag(values, 'username'), passwordFile: stringFlag(values, 'password-file'), passwordEnv: stringFlag(values, 'password-env') }, io.env);
    // Progress logs would bury the answer; show warnings unless asked for more.
    const logger = createLogger({ level: values['log-level'] === undefined ? 'warn' : logLevel, format: logFormat, stream: io.stderr });
    const client = isolatedOnvifClient();
    try {
      io.stderr.write(`Probing for ONVIF devices for ${formatDuration(probeTimeoutMs)}${interfaceName === undefined ? '' : ` on ${interfaceName}`}...\n`);
      const result = await discoverCameras({
        client,
        logger,
        probeTimeoutMs,
        deviceTimeoutMs,
        ...definedProps({ interfaceName, credentials: login?.credentials }),
      });
      const snippet = buildSnippet(result.reports, login?.snippet);
      if (values['json'] === true) io.stdout.write(`${JSON.stringify(jsonReport(result, snippet))}\n`);
      else if (snippet.cameras.length > 0) io.stdout.write(snippet.text);
      writeSummary(io, result, snippet, login !== undefined);
      return result.reports.length > 0 ? EXIT.OK : EXIT.FAILURE;
    } catch (err) {
      if (isAgentError(err, 'discovery.probe_failed')) throw new AgentError('discovery.probe_failed', `${err.message}\nhint: ${probeHint(err.details['code'])}`);
      throw err;
    } finally {
      await client.close();
      logger.flush();
    }
  },
};

function writeSummary(io: CliIO, result: DiscoveryResult, snippet: Snippet, loggedIn: boolean): void {
  const lines: string[] = [];
  if (result.reports.length === 0) {
    lines.push('No ONVIF camera answered. Check:', ...NONE_FOUND_HINTS.map((h) => `  - ${h}`));
  } else {
    const ready = snippet.cameras.filter((c) => c.entry !== undefined).length;
    lines.push(`Found ${plural(result.reports.length, 'ONVIF device')}: ${ready} ready to paste into the cameras: section${ready < result.reports.length ? `, ${result.reports.length - ready} not` : ''}.`);
    for (const camera of snippet.cameras.filter((c) => c.entry === undefined)) {
      const { address, name } = camera.report.device;
      lines.push(`  ${address}${name === undefined ? '' : ` ${name}`}: ${camera.skipped ?? 'not added'}`);
      if (camera.report.failure !== undefined) lines.push(`    hint: ${camera.report.failure.hint}`);
    }
    if (loggedIn && ready > 0) lines.push('Set the password where the snippet says (passwordEnv/passwordFile), then run `minwang check`.');
  }
  if (result.ignored.length > 0) lines.push(`Ignored ${plural(result.ignored.length, 'answer')} that were not usable ONVIF probe matches (see --log-level debug).`);
  io.stderr.write(`${lines.join('\n')}\n`);
}

function jsonReport(result: DiscoveryResult, snippet: Snippet) {
  return {
    devices: snippet.cameras.map(({ report, id, entry, skipped }) => ({
      ...report.device,
      status: report.failure === undefined ? 'ok' : 'failed',
      ...definedProps({ failure: report.failure }),
      profiles: report.profiles,
      id,
      camera: entry ?? null,
      ...definedProps({ skipped }),
    })),
    ignored: result.ignored,
    snippet: snippet.text,
  };
}

function probeHint(code: unknown): string {
  if (code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' || code === 'EHOSTUNREACH') {
    return 'this host has no route for multicast on that network: is the interface up with an address? try --interface NAME';
  }
  if (code === 'EACCES' || code === 'EPERM') return 'a firewall on this host refused the probe: allow UDP to 239.255.255.250 port 3702';
  return 'check the network interface (ip addr) and try --interface NAME';
}

function durationFlag(values: OptionValues, flag: string, fallback: number, bounds: { min: number; max: number }): number {
  const text = stringFlag(values, flag);
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new AgentError('usage', `--${flag}: "${text}" is not a duration (examples: 5s, 1500ms)`);
  if (ms < bounds.min || ms > bounds.max) throw new AgentError('usage', `--${flag}: ${text} is out of range (${formatDuration(bounds.min)} to ${formatDuration(bounds.max)})`);
  return ms;
}

function stringFlag(values: OptionValues, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
