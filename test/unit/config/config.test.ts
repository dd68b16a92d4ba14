import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../../agent/config/load.js';
import { parseDuration } from '../../../agent/config/duration.js';
import { tempDir } from '../../helpers/tmp.js';
import { configProblems } from '../../helpers/config.js';

const GOOD = `host:
  id: xidian-wangjia-01
mqtt:
  url: mqtt://127.0.0.1:1883
storage:
  dataDir: /tmp/minwang
cameras:
  - id: gate
    snapshot:
      url: http://192.168.1.64/ISAPI/Streaming/channels/101/picture
    interval: 1s
`;

const problems = (text: string): string => configProblems(text);

describe('config schema', () => {
  it('accepts the spec example and fills defaults', () => {
    const config = parseConfigText(GOOD, 'config.yaml');
    expect(config.cameras[0]?.interval).toBe(1000);
    expect(parseConfigText(GOOD.replace('    interval: 1s\n', ''), 'c.yaml').cameras[0]?.interval).toBe(1000);
    const noStorage = GOOD.replace('storage:\n  dataDir: /tmp/minwang\n', '');
    expect(parseConfigText(noStorage, 'c.yaml').storage.dataDir).toBe('/var/lib/minwang');
  });

  it('accepts the shipped example config', async () => {
    const text = await readFile(new URL('../../../config/minwang.example.yaml', import.meta.url), 'utf8');
    const config = parseConfigText(text, 'minwang.example.yaml');
    expect(config.cameras.map((c) => c.id)).toEqual(['gate']);
  });

  it('names an unknown key with its path and line', () => {
    expect(problems(GOOD.replace('  url: mqtt', '  colour: red\n  url: mqtt'))).toBe('config.yaml: mqtt.colour: unknown key (line 4)');
  });

  it('names a wrong type', () => {
    expect(problems(GOOD.replace('dataDir: /tmp/minwang', 'dataDir: [1, 2]'))).toMatch(/^config\.yaml: storage\.dataDir: expected string, got a list/);
  });

  it('names a bad duration with examples', () => {
    expect(problems(GOOD.replace('interval: 1s', 'interval: fast'))).toBe(
      'config.yaml: cameras[0].interval: "fast" is not a duration (examples: 1s, 500ms) (line 11)',
    );
    expect(problems(GOOD.replace('interval: 1s', 'interval: 10ms'))).toMatch(/cameras\[0\]\.interval: "10ms" is out of range \(100ms to 1h\)/);
  });

  it('names a duplicate camera id', () => {
    const twice = `${GOOD}  - id: gate\n    rtsp: { url: rtsp://10.0.0.2/stream }\n`;
    expect(problems(twice)).toMatch(/config\.yaml: cameras\[1\]\.id: duplicate camera id "gate" \(also cameras\[0\]\)/);
  });

  it('defaults the time zone and refuses an unknown one', () => {
    expect(parseConfigText(GOOD, 'c.yaml').host.timezone).toBe('Asia/Shanghai');
    expect(problems(GOOD.replace('  id: xidian-wangjia-01', '  id: xidian-wangjia-01\n  timezone: Mars/Olympus'))).toMatch(
      /host\.timezone: must be an IANA time zone/,
    );
  });

  it('names an invalid host id', () => {
    expect(problems(GOOD.replace('xidian-wangjia-01', 'Xidian_01'))).toMatch(/^config\.yaml: host\.id: must be 1-64 characters/);
  });

  it('names a camera with no source, and one with two', () => {
    const none = GOOD.replace(/ {4}snapshot:\n {6}url: .*\n/, '');
    expect(problems(none)).toMatch(/config\.yaml: cameras\[0\]: no source: give one of snapshot, rtsp or file/);
    const two = GOOD.replace('    interval: 1s', '    rtsp: { url: rtsp://10.0.0.2/s }\n    interval: 1s');
    expect(problems(two)).toMatch(/cameras\[0\]\.rtsp: give only one source, not snapshot and rtsp/);
  });

  it('gives line and column for YAML syntax errors', () => {
    expect(problems('host:\n  id: x\n mqtt: [\n')).toMatch(/^config\.yaml:3:1: YAML syntax error: /);
  });

  it('reports a missing required section and every problem at once', () => {
    const message = problems('host:\n  id: BAD\ncameras:\n  - id: a\n');
    expect(message.split('\n')).toEqual([
      'config.yaml: host.id: must be 1-64 characters of a-z, 0-9 and "-" (it becomes an MQTT topic level) (line 2)',
      'config.yaml: mqtt: is required (object)',
      'config.yaml: cameras[0]: no source: give one of snapshot, rtsp or file (line 4)',
    ]);
  });

  it('refuses a non-MQTT broker URL and an empty file', () => {
    expect(problems(GOOD.replace('mqtt://127.0.0.1:1883', 'http://127.0.0.1'))).toMatch(/mqtt\.url: must be an mqtt:\/\/ or mqtts:\/\/ URL/);
    expect(problems('')).toMatch(/config\.yaml: the file is empty/);
  });
});

describe('secrets', () => {
  it('reads passwordFile and passwordEnv, refusing a world-readable file', async () => {
    const dir = await tempDir();
    const secret = join(dir, 'mqtt-password');
    await writeFile(secret, 's3cret\n', { mode: 0o600 });
    const file = join(dir, 'config.yaml');
    const text = GOOD.replace('  url: mqtt://127.0.0.1:1883', `  url: mqtt://127.0.0.1:1883\n  passwordFile: ${secret}`)
      .replace('      url: http://192.168.1.64/ISAPI/Streaming/channels/101/picture', '      url: http://192.168.1.64/x\n      passwordEnv: GATE_PW');
    await writeFile(file, text);
    const config = await loadConfig(file, { env: { GATE_PW: 'cam-pw' } });
    expect(config.mqtt.password).toBe('s3cret');
    expect(config.cameras[0]?.snapshot?.password).toBe('cam-pw');

    await expect(loadConfig(file, { env: {} })).rejects.toThrow(/cameras\[0\]\.snapshot\.passwordEnv: environment variable GATE_PW is not set/);
    await chmod(secret, 0o644);
    await expect(loadConfig(file, { env: { GATE_PW: 'x' } })).rejects.toThrow(/mqtt\.passwordFile: secret file .* is world-readable \(mode 644\)/);
  });

  it('refuses two sources for one secret', () => {
    expect(problems(GOOD.replace('  url: mqtt://127.0.0.1:1883', '  url: mqtt://127.0.0.1:1883\n  password: a\n  passwordEnv: B'))).toMatch(
      /mqtt\.passwordEnv: give only one of password, passwordEnv/,
    );
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500], ['1s', 1000], ['5m', 300_000], ['2h', 7_200_000], ['1d', 86_400_000], ['1m30s', 90_000], ['1.5s', 1500],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['fast', '', '5', '1 x', 's', '-1s', '1s fast'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});
