import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, waitFor } from '../../helpers/cli.js';
import { footage } from '../../helpers/footage.js';
import { tempDir } from '../../helpers/tmp.js';

interface Line {
  kind: string;
  topic: string;
  saved?: string;
  payload?: { type?: string; label?: string; camera?: string; state?: string; reason?: string | null; eventId?: string };
}

/** The one-command demo, headless, as a real process with a bounded run: what a newcomer sees, as JSON. */
describe('minwang demo', () => {
  it('shows person events with saved thumbnails and the faulty camera going black, then stops cleanly', async () => {
    footage('opencv/vtest.avi');
    const save = await tempDir();
    const demo = startCli(['demo', '--json', '--save', save, '--black-after', '10s', '--duration', '85s', '--web-port', '0']);
    const lines = (): Line[] => demo.output().stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
    const personNew = (l: Line) => l.kind === 'event' && l.payload?.type === 'new' && l.payload.label === 'person';
    const thumbnailSaved = (l: Line) => l.kind === 'thumbnail' && l.saved !== undefined;
    const yardBlack = (l: Line) => l.kind === 'cameraStatus' && l.payload?.camera === 'yard' && l.payload.state === 'degraded' && l.payload.reason === 'black';
    try {
      await waitFor(() => lines().some(personNew) && lines().some(thumbnailSaved) && lines().some(yardBlack), 80_000, 'a person event, a saved thumbnail and the yard camera black');
    } finally {
      demo.child.kill('SIGTERM');
    }
    const result = await demo.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stopped\. Thumbnails are in/);
    const thumbnail = lines().find(thumbnailSaved);
    expect(thumbnail?.saved?.startsWith(save)).toBe(true);
    expect(existsSync(thumbnail?.saved ?? '')).toBe(true);
    const street = lines().filter((l) => l.kind === 'cameraStatus' && l.payload?.camera === 'street').map((l) => l.payload?.state);
    expect(street).toContain('online');
    expect(street).not.toContain('degraded');
  }, 120_000);

  it('fetches the footage on first use, with progress on the terminal, into an empty cache, then runs', async () => {
    const cache = await tempDir();
    const demo = startCli(['demo', '--json', '--duration', '100s', '--web-port', '0'], { MINWANG_FOOTAGE_DIR: cache });
    const lines = (): Line[] => demo.output().stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
    const streetOnline = (l: Line) => l.kind === 'cameraStatus' && l.payload?.camera === 'street' && l.payload.state === 'online';
    try {
      await waitFor(() => lines().some(streetOnline), 90_000, 'the street camera online after the footage was fetched');
    } finally {
      demo.child.kill('SIGTERM');
    }
    const result = await demo.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/first run: fetching the demo footage/);
    expect(result.stderr).toMatch(/footage: fetching opencv-doc 4\.6\.0\+dfsg-12 \(96 MB\)/);
    expect(result.stderr).toContain(`footage: ready in ${cache}`);
    expect(existsSync(join(cache, 'opencv', 'vtest.avi'))).toBe(true);
  }, 150_000);

  it('says clearly when Debian\'s archive cannot be reached, and what to do instead', async () => {
    const dir = await tempDir();
    // apt-get through a proxy that refuses every connection: what a host without network sees.
    await writeFile(join(dir, 'apt.conf'), 'Acquire::http::Proxy "http://127.0.0.1:9/";\nAcquire::Retries "0";\n');
    const empty = join(dir, 'footage');
    const result = await runCli(['demo', '--json'], { MINWANG_FOOTAGE_DIR: empty, APT_CONFIG: join(dir, 'apt.conf') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Debian's archive is unreachable/);
    expect(result.stderr).toContain(join(empty, 'opencv', 'vtest.avi'));
    expect(result.stderr).toMatch(/scripts\/fetch-footage\.sh opencv/);
    expect(result.stdout).toBe('');
  }, 60_000);
});
