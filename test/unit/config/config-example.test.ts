import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parse } from 'yaml';
import { renderConfigExample } from '../../../agent/config/example.js';
import { configSchema } from '../../../agent/config/schema.js';
import { loadConfig } from '../../../agent/config/load.js';
import { duration, formatDuration } from '../../../agent/config/duration.js';
import { byteSize, formatByteSize } from '../../../agent/config/size.js';
import { tempDir } from '../../helpers/tmp.js';

const EXAMPLE = new URL('../../../config/minwang.example.yaml', import.meta.url);
const readExample = (): Promise<string> => readFile(EXAMPLE, 'utf8');

describe('config/minwang.example.yaml', () => {
  it('is what the config schema renders', async () => {
    expect(await readExample(), 'config/minwang.example.yaml differs from the schema: run `npm run config:example`')
      .toBe(renderConfigExample(configSchema));
  });

  it('loads with the real config loader, secrets read from a private file and the environment', async () => {
    const dir = await tempDir();
    const secret = join(dir, 'mqtt-password');
    await writeFile(secret, 'broker-pw\n', { mode: 0o600 });
    const file = join(dir, 'config.yaml');
    await writeFile(file, (await readExample()).replace('passwordFile: /etc/minwang/secrets/mqtt-password', `passwordFile: ${secret}`));

    const config = await loadConfig(file, { env: { MINWANG_GATE_PASSWORD: 'gate-pw' } });

    expect(config.host.id).toBe('xidian-wangjia-01');
    expect(config.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', username: 'xidian-wangjia-01', password: 'broker-pw' });
    expect(config.cameras.map((c) => [c.id, c.snapshot?.password, c.interval])).toEqual([['gate', 'gate-pw', 1000]]);
    expect(config.storage.dataDir).toBe('/var/lib/minwang');
  });

  it('changes nothing but what the spec example sets: every other active key is its default', async () => {
    const active = parse(await readExample()) as Record<string, unknown>;
    const essentials = { host: { id: 'h' }, mqtt: { url: 'mqtt://127.0.0.1:1883' } };
    const { host: _h, mqtt: _m, cameras: _c, storage: _s, ...rest } = configSchema.parse({ ...active, ...essentials });
    const { host: _h2, mqtt: _m2, cameras: _c2, storage: _s2, ...defaults } = configSchema.parse(essentials);
    expect(rest).toEqual(defaults);
  });
});

describe('renderConfigExample', () => {
  const render = (shape: z.core.$ZodShape, example?: unknown): string =>
    renderConfigExample(z.strictObject(shape).meta(example === undefined ? {} : { example }));
  const body = (text: string): string => text.slice(text.indexOf('\n\n') + 2);

  it('writes durations and sizes the way a person does, with their range', () => {
    const text = render({
      every: duration({ min: 1000, max: 3_600_000 }).default(90_000).describe('how often'),
      max: byteSize({ min: 1024, max: 2 ** 30 }).default(2e9 / 1000).describe('largest'),
    });
    expect(body(text)).toBe([
      '# Default 90s, range 1s to 1h. How often.',
      'every: 90s',
      '',
      '# Default 2MB, range 1KiB to 1GiB. Largest.',
      'max: 2MB',
      '',
    ].join('\n'));
  });

  it('marks required and optional keys; an optional block is commented out with its example', () => {
    const text = render({
      id: z.string().describe('host id').meta({ example: 'xidian-wangjia-01' }),
      led: z.strictObject({
        pin: z.int().min(2).max(27).describe('BCM pin'),
        activeLow: z.boolean().default(false),
      }).optional().describe('status LED').meta({ example: { pin: 17 } }),
    });
    expect(body(text)).toBe([
      '# Required. Host id.',
      'id: xidian-wangjia-01',
      '',
      '# Optional. Status LED.',
      '# led:',
      '#   # Required, range 2-27. BCM pin.',
      '#   pin: 17',
      '#   # Default false.',
      '#   activeLow: false',
      '',
    ].join('\n'));
  });

  it('renders a list of mappings item by item, the parent example choosing which optional keys are set', () => {
    const camera = z.strictObject({ id: z.string().describe('camera id'), name: z.string().optional().meta({ example: 'Gate' }) });
    const text = render({ cameras: z.array(camera).max(4).default([]) }, { cameras: [{ id: 'gate' }, { id: 'lane', name: 'Lane' }] });
    expect(body(text)).toBe([
      '# Default: none, up to 4 entries.',
      'cameras:',
      '  - # Required. Camera id.',
      '    id: gate',
      '    # Optional.',
      '    # name: Gate',
      '  - # Required. Camera id.',
      '    id: lane',
      '    # Optional.',
      '    name: Lane',
      '',
    ].join('\n'));
  });

  it('refuses a key it has no value to show for, naming it', () => {
    expect(() => render({ host: z.strictObject({ id: z.string() }) })).toThrow(/^host\.id: no value to show; give it \.meta\(\{ example: \.\.\. \}\)/);
  });

  it('refuses an example its own schema would reject, even a commented-out one', () => {
    expect(() => render({ pin: z.int().min(2).max(27).optional().meta({ example: 40 }) })).toThrow(/the example does not validate:\npin: Too big/);
    expect(() => render({ at: duration({ min: 1000, max: 60_000 }).optional().meta({ example: '2h' }) })).toThrow(/at: "2h" is out of range/);
  });
});

describe('formatting a default', () => {
  it.each([[0, '0s'], [250, '250ms'], [1500, '1500ms'], [30_000, '30s'], [90_000, '90s'], [120_000, '2m'], [3_600_000, '1h'], [7 * 86_400_000, '7d']])(
    '%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text),
  );

  it.each([[65_536, '64KiB'], [256 * 1024 ** 2, '256MiB'], [2e9, '2GB'], [10e6, '10MB'], [1500, '1500B'], [2 ** 50, '1024TiB']])(
    '%d bytes is %s', (bytes, text) => expect(formatByteSize(bytes)).toBe(text),
  );
});
