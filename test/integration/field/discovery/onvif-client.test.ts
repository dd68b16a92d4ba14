import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessOnvifClient } from '../../../../agent/field/discovery/onvif/library.js';
import { parseDeviceReading } from '../../../../agent/field/discovery/onvif/responses.js';
import { startSimCameras, type SimCamera, type SimCameras } from '../../../sim/onvif/index.js';

// The real onvif library against the simulated camera's SOAP services on loopback (no multicast:
// the WS-Discovery side is tested inside a network namespace, see discover-netns.test.ts).
const CAMERA: SimCamera = {
  name: 'Gate Cam',
  hardware: 'IPC-100',
  address: '127.0.0.1',
  port: 0,
  username: 'admin',
  password: 'pa55-word',
  profiles: [
    { token: 'main', name: 'mainStream', width: 1920, height: 1080, encoding: 'H264' },
    { token: 'sub', name: 'subStream', width: 640, height: 360, encoding: 'H264', snapshot: false },
  ],
};

let sim: SimCameras;
let url: string;

beforeAll(async () => {
  sim = await startSimCameras([CAMERA], { discovery: false });
  url = `http://127.0.0.1:${sim.ports.get(CAMERA)}/onvif/device_service`;
});
afterAll(() => sim.stop());

describe('the onvif library against the simulated camera', () => {
  it('reads profiles, stream and snapshot URIs with the right login', async () => {
    const outcome = await inProcessOnvifClient.readDevice(url, { username: 'admin', password: 'pa55-word' }, 5000);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const port = sim.ports.get(CAMERA) ?? 0;
    expect(parseDeviceReading(outcome.reading)).toEqual([
      { token: 'main', name: 'mainStream', encoding: 'H264', width: 1920, height: 1080, rtsp: 'rtsp://127.0.0.1:554/Streaming/main', snapshot: `http://127.0.0.1:${port}/snapshot/main.jpg`, notes: [] },
      { token: 'sub', name: 'subStream', encoding: 'H264', width: 640, height: 360, rtsp: 'rtsp://127.0.0.1:554/Streaming/sub', notes: ['snapshot URI refused: ONVIF SOAP Fault: GetSnapshotUri is not supported'] },
    ]);
    const media = sim.services.get(CAMERA)?.requests.filter((r) => r.action === 'GetStreamUri') ?? [];
    expect(media.length).toBeGreaterThan(0);
    expect(media.every((r) => r.authorised)).toBe(true);
  });

  it('is refused with a wrong password, as a real camera refuses it', async () => {
    const outcome = await inProcessOnvifClient.readDevice(url, { username: 'admin', password: 'wrong' }, 5000);
    expect(outcome).toEqual({ ok: false, failure: { message: 'ONVIF SOAP Fault: Sender not authorized' } });
  });

  it('is refused without a login', async () => {
    const outcome = await inProcessOnvifClient.readDevice(url, undefined, 5000);
    expect(outcome).toMatchObject({ ok: false, failure: { message: 'ONVIF SOAP Fault: Sender not authorized' } });
  });

  it('reports a refused connection with its code', async () => {
    const closed = await startSimCameras([{ ...CAMERA, port: 0 }], { discovery: false });
    const port = closed.ports.values().next().value as number;
    await closed.stop();
    const outcome = await inProcessOnvifClient.readDevice(`http://127.0.0.1:${port}/onvif/device_service`, undefined, 5000);
    expect(outcome).toMatchObject({ ok: false, failure: { code: 'ECONNREFUSED' } });
  });
});
