import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../../../agent/app/agent.js';
import { parseConfigText } from '../../../../agent/config/load.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { realHostPorts } from '../../../../agent/ports/index.js';
import { StatusHistoryLink } from '../../../fakes/status-history-link.js';
import { waitFor } from '../../../helpers/cli.js';
import { footage } from '../../../helpers/footage.js';
import { tempDir } from '../../../helpers/tmp.js';

const SERVER = fileURLToPath(new URL('../../../sim/rtsp/digest-server.py', import.meta.url));
const RIGHT = 'Dig3st-right';
const WRONG = 'Dig3st-wrong';

/** A real GStreamer RTSP server with Digest auth, serving 30 s of vtest.avi as RTP/JPEG. */
async function startDigestServer(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const clip = join(dir, 'vtest-mjpeg.avi');
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-i', footage('opencv/vtest.avi'), '-t', '30', '-an', '-c:v', 'mjpeg', '-q:v', '5', clip]);
  const child = spawn('/usr/bin/python3', [SERVER, clip, 'admin', RIGHT], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /port \d+/.test(out) || child.exitCode !== null, 15_000, 'the GStreamer RTSP server to listen');
  const port = Number(/port (\d+)/.exec(out)?.[1]);
  if (!Number.isInteger(port)) throw new Error(`GStreamer RTSP server did not start (needs python3-gi, gir1.2-gst-rtsp-server-1.0): ${out}`);
  return { port, child };
}

/** The server's answer to an unauthenticated DESCRIBE (its status line and WWW-Authenticate). */
async function describeUnauthenticated(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`DESCRIBE rtsp://127.0.0.1:${port}/live RTSP/1.0\r\nCSeq: 1\r\n\r\n`));
    let text = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no RTSP answer')));
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\r\n\r\n')) socket.end();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('RTSP cameras against a real GStreamer server with Digest auth', () => {
  let dir: string;
  let server: { port: number; child: ChildProcess };
  beforeAll(async () => {
    dir = await tempDir();
    server = await startDigestServer(dir);
  }, 60_000);
  afterAll(() => {
    server?.child.kill('SIGKILL');
  });

  it('asks for Digest, not Basic', async () => {
    const answer = await describeUnauthenticated(server.port);
    expect(answer).toMatch(/^RTSP\/1\.0 401/);
    expect(answer).toMatch(/WWW-Authenticate: Digest /i);
    expect(answer).not.toMatch(/WWW-Authenticate: Basic/i);
  });

  it('a wrong password is offline/auth from its first status, never online; the right one is online after a picture; no password is published', async () => {
    const config = parseConfigText(`
host: { id: digest-host }
mqtt: { url: mqtt://127.0.0.1:1 }
storage: { dataDir: ${dir}/data }
cameras:
  - id: wrong
    rtsp: { url: 'rtsp://127.0.0.1:${server.port}/live', username: admin, password: '${WRONG}' }
    interval: 500ms
    detect: { enabled: false }
  - id: right
    rtsp: { url: 'rtsp://admin:${RIGHT}@127.0.0.1:${server.port}/live' }
    interval: 500ms
    detect: { enabled: false }
`, 'digest.yaml');
    const link = new StatusHistoryLink();
    const agent = createAgent({ config, ports: realHostPorts(), logger: silentLogger(), link });
    await agent.start();
    try {
      const seen = (camera: string) => link.history.filter((s) => s.camera === camera);
      await waitFor(() => seen('wrong').length > 0 && seen('right').some((s) => s.state === 'online'), 60_000, 'a verdict on both cameras');
      expect(seen('wrong')[0]).toMatchObject({ state: 'offline', reason: 'auth' });
      expect(seen('wrong').some((s) => s.state === 'online')).toBe(false);
      expect(seen('right')[0]).toMatchObject({ state: 'online' });
    } finally {
      await agent.stop();
    }
    const published = JSON.stringify([link.history, link.health, link.heartbeat]);
    expect(published).not.toContain(WRONG);
    expect(published).not.toContain(RIGHT);
  }, 90_000);
});
