import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../agent/link/commands/redact.js';
import { parseConfigText } from '../../../agent/config/load.js';
import { silentLogger } from '../../../agent/core/logger.js';
import { ImageSaver } from '../../../agent/station/terminal/saver.js';
import { SqliteStore } from '../../../agent/station/store/sqlite.js';
import { JPEG, msg, topic } from './fixtures.js';
import { configProblems } from '../../helpers/config.js';
import { tempDir } from '../../helpers/tmp.js';

const mode = (s: { mode: number }) => (s.mode & 0o777).toString(8);

describe('smaller secret leaks', () => {
  it('a numeric password is not echoed in the config error', () => {
    const problems = configProblems(`
host: { id: h }
mqtt: { url: 'mqtt://127.0.0.1:1883', username: h, password: 98765432 }
storage: { dataDir: /tmp/x }
`);
    expect(problems).toMatch(/mqtt\.password: expected string, got a number \(value not shown; quote it/);
    expect(problems).not.toContain('98765432');
  });

  it('config/get redacts passwords in snapshot URL query strings', () => {
    const config = parseConfigText(`
host: { id: h }
mqtt: { url: 'mqtt://127.0.0.1:1883' }
storage: { dataDir: /tmp/x }
cameras:
  - id: gate
    snapshot: { url: 'http://192.168.1.64/cgi-bin/snapshot.cgi?loginuse=admin&loginpas=Zq9secret&chn=1' }
`, 'c.yaml');
    const shown = JSON.stringify(redactSecrets(config));
    expect(shown).not.toContain('Zq9secret');
    expect(shown).toContain('loginuse=admin');
    expect(shown).toContain('chn=1');
  });

  it('the console database and saved pictures are readable by the console user only', async () => {
    const dir = await tempDir();
    const store = new SqliteStore(join(dir, 'state', 'console.sqlite'), 10, silentLogger());
    await store.record(msg(topic.eventThumbnail('h', 'e1'), JPEG), { receivedAt: new Date(), retained: false });
    expect(mode(await stat(join(dir, 'state', 'console.sqlite')))).toBe('600');
    expect(mode(await stat(join(dir, 'state', 'console.sqlite-wal')))).toBe('600');
    await store.close();
    const saved = await new ImageSaver(join(dir, 'saved')).save({ kind: 'thumbnail', host: 'h', eventId: 'e1', jpeg: Buffer.from('jpeg') });
    expect(mode(await stat(saved ?? ''))).toBe('600');
    expect(mode(await stat(join(dir, 'saved', 'h', 'thumbnails')))).toBe('700');
  });
});
