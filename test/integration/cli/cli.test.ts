import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, waitFor } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';

const SUBCOMMANDS = ['run', 'check', 'discover', 'detect', 'model', 'provision', 'console', 'demo'];

async function configFile(text: string): Promise<string> {
  const file = join(await tempDir(), 'config.yaml');
  await writeFile(file, text);
  return file;
}

const GOOD = (dataDir: string) => `host: {id: test-host}\nmqtt: {url: 'mqtt://127.0.0.1:1883'}\nstorage: {dataDir: ${dataDir}}\ncameras: []\n`;

describe('minwang bin', () => {
  it('--help lists every subcommand and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const name of SUBCOMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.each(SUBCOMMANDS)('%s --help prints its usage', async (name) => {
    const result = await runCli([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`usage: minwang ${name}`);
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const bad = await runCli(['run', '--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--frobnicate'");
  });

  it.each([
    ['unknown key', 'host: {id: h}\nmqtt: {url: "mqtt://x", colour: red}\n', 'mqtt.colour: unknown key'],
    ['wrong type', 'host: {id: h}\nmqtt: {url: 5}\n', 'mqtt.url: expected string, got number 5'],
    ['bad duration', 'host: {id: h}\nmqtt: {url: "mqtt://x"}\ncameras:\n  - {id: a, file: {path: /x}, interval: fast}\n', 'cameras[0].interval: "fast" is not a duration (examples: 1s, 500ms)'],
    ['duplicate camera id', 'host: {id: h}\nmqtt: {url: "mqtt://x"}\ncameras:\n  - {id: a, file: {path: /x}}\n  - {id: a, file: {path: /y}}\n', 'cameras[1].id: duplicate camera id "a"'],
    ['invalid host id', 'host: {id: "Host 1"}\nmqtt: {url: "mqtt://x"}\n', 'host.id: must be 1-64 characters'],
    ['missing camera source', 'host: {id: h}\nmqtt: {url: "mqtt://x"}\ncameras:\n  - {id: a}\n', 'cameras[0]: no source'],
    ['YAML syntax error', 'host:\n  id: h\n mqtt: [\n', ':3:1: YAML syntax error'],
  ])('run exits 2 on a config with %s, naming it', async (_what, text, expected) => {
    const file = await configFile(text);
    const result = await runCli(['run', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}${expected.startsWith(':') ? '' : ': '}${expected}`);
  });


  it('run starts, and stops cleanly on SIGTERM', async () => {
    const dir = await tempDir();
    const file = await configFile(GOOD(join(dir, 'data')));
    const cli = startCli(['run', '--config', file, '--log-format', 'json']);
    await waitFor(() => cli.output().stderr.includes('minwang started'), 15_000, 'the agent to start');
    cli.child.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toContain('stopped cleanly');
  });
});
