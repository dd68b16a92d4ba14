import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../../agent/app/agent.js';
import { parseConfigText } from '../../../agent/config/load.js';
import { MemoryStationLink } from '../../fakes/memory-link.js';
import { stripCredentials } from '../../../agent/core/redact.js';
import { realHostPorts } from '../../../agent/ports/index.js';
import { runCli, waitFor } from '../../helpers/cli.js';
import { capturedLogger } from '../../helpers/log-capture.js';
import { freePort } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/tmp.js';

const PASSWORD = 'S3cret!pw';

async function rtspConfig(dir: string): Promise<string> {
  const port = await freePort(); // nothing listens: ffmpeg says "Connection refused" with the URL
  return `
host: { id: secret-host }
mqtt: { url: mqtt://127.0.0.1:1 }
storage: { dataDir: ${dir}/data }
cameras:
  - id: gate
    rtsp: { url: 'rtsp://admin:${PASSWORD}@127.0.0.1:${port}/live' }
    interval: 500ms
    timeout: 1s
    faults: { debounce: 200ms }
    detect: { enabled: false }
  - id: lane
    rtsp: { url: 'rtsp://127.0.0.1:${port}/other', username: admin, password: '${PASSWORD}' }
    interval: 500ms
    timeout: 1s
    faults: { debounce: 200ms }
    detect: { enabled: false }
`;
}

describe('camera passwords never leave the host', () => {
  it('are stripped from ffmpeg lines before they reach camera status, health or any log line (real ffmpeg)', async () => {
    const dir = await tempDir();
    const config = parseConfigText(await rtspConfig(dir), 'secrets.yaml');
    const link = new MemoryStationLink();
    const { logger, lines } = capturedLogger();
    const agent = createAgent({ config, ports: realHostPorts(), logger, link });
    await agent.start();
    try {
      await waitFor(() => ['gate', 'lane'].every((c) => link.cameraStatus.get(c)?.state === 'offline'), 30_000, 'both cameras offline');
      await waitFor(() => lines.some((l) => JSON.stringify(l).includes('Connection refused')), 30_000, 'ffmpeg\'s words in the log');
    } finally {
      await agent.stop();
    }
    const published = JSON.stringify({ status: [...link.cameraStatus.values()], health: link.health });
    expect(published).toContain('Connection refused'); // ffmpeg's words are kept, only the secret goes
    expect(published).not.toContain(PASSWORD);
    expect(published).not.toContain(encodeURIComponent(PASSWORD));
    const log = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(encodeURIComponent(PASSWORD));
  }, 60_000);

  it('minwang check prints a checklist without the password and without log lines', async () => {
    const dir = await tempDir();
    const file = join(dir, 'config.yaml');
    await writeFile(file, await rtspConfig(dir), { mode: 0o600 });
    const result = await runCli(['check', '--config', file]);
    expect(result.stdout).toMatch(/camera gate/);
    expect(`${result.stdout}\n${result.stderr}`).not.toContain(PASSWORD);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
  }, 90_000);

  it('masks URL credentials and known secrets in any line', () => {
    expect(stripCredentials('rtsp://admin:S3cret!pw@10.0.0.5:554/live: Connection refused')).toBe('rtsp://admin:***@10.0.0.5:554/live: Connection refused');
    expect(stripCredentials('auth failed for S3cret%21pw and S3cret!pw', [PASSWORD])).toBe('auth failed for *** and ***');
  });
});
