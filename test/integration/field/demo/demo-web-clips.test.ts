/**
 * The demo's web console plays event clips: the RTSP camera's (cut from its recorded stream) and
 * the snapshot camera's (made from its frames), asked for on the event page as an operator would,
 * fetched over the demo's broker, and served whole and in ranges. ffprobe reads what is served.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { Demo } from '../../../../agent/field/demo/demo.js';
import { DEMO_HOST, GATE, STREET } from '../../../../agent/field/demo/demo-config.js';
import type { EventPayload } from '../../../../agent/link/contract/v1.js';
import { waitFor } from '../../../helpers/cli.js';
import { footage } from '../../../helpers/footage.js';
import { tempDir } from '../../../helpers/tmp.js';

const run = promisify(execFile);

async function ffprobeSeconds(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  return Number(stdout.trim());
}

describe('npm run demo', () => {
  it('shows events whose clips play in the web console, from the RTSP camera and the snapshot camera', async () => {
    const dir = await tempDir();
    const demo = new Demo({
      clip: footage('opencv/vtest.avi'), saveDir: join(dir, 'saved'), blackAfterMs: 600_000, logger: silentLogger(), webPort: 0,
      terminal: { mode: 'none', out: { write: () => true } },
    });
    const ends: EventPayload[] = [];
    let station: mqtt.MqttClient | undefined;
    try {
      await demo.start();
      station = await mqtt.connectAsync(demo.broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
      station.on('message', (_t, payload) => {
        const event = JSON.parse(payload.toString()) as EventPayload;
        if (event.type === 'end' && event.clip !== undefined) ends.push(event);
      });
      await station.subscribeAsync(`minwang/${DEMO_HOST}/events`, { qos: 1 });
      const ended = (camera: string) => ends.find((e) => e.camera === camera);
      await waitFor(() => ended(GATE) !== undefined && ended(STREET) !== undefined, 150_000, 'an ended event with a clip from each detecting camera');

      const url = demo.webUrl()!;
      const page = await (await fetch(`${url}event/${DEMO_HOST}/${ended(GATE)!.id}`)).text();
      const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1];
      expect(page).toContain('class="clip-fetch"');
      for (const event of [ended(GATE)!, ended(STREET)!]) {
        const base = `${url}clip/${DEMO_HOST}/${event.id}`;
        const asked = await fetch(base, { method: 'POST', headers: { accept: 'application/json', 'x-csrf-token': csrf ?? '' } });
        expect(asked.status).toBe(202);
        let state = '';
        for (let i = 0; i < 240 && state !== 'ready'; i++) {
          state = ((await (await fetch(base)).json()) as { state: string }).state;
          expect(state).not.toBe('failed');
          if (state !== 'ready') await new Promise((r) => setTimeout(r, 500));
        }
        expect(state).toBe('ready');
        const served = await fetch(`${base}.mp4`);
        expect(served.headers.get('content-type')).toBe('video/mp4');
        const file = join(dir, `${event.id}.mp4`);
        await writeFile(file, Buffer.from(await served.arrayBuffer()));
        const seconds = await ffprobeSeconds(file);
        expect(Math.abs(seconds - event.clip!.durationS) / event.clip!.durationS).toBeLessThanOrEqual(0.25);
        expect((await fetch(`${base}.mp4`, { headers: { range: 'bytes=0-1023' } })).status).toBe(206);
      }
    } finally {
      await station?.endAsync();
      await demo.stop();
    }
  }, 240_000);
});
