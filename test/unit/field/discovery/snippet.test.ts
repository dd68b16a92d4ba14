import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { assignCameraIds, slugify } from '../../../../agent/field/discovery/camera-ids.js';
import { buildSnippet, chooseSource, type SnippetLogin } from '../../../../agent/field/discovery/snippet.js';
import type { DeviceReport, DiscoveredDevice, MediaProfile } from '../../../../agent/field/discovery/types.js';

const WRAP = 'host: {id: test-host}\nmqtt: {url: "mqtt://127.0.0.1:1883"}\n';

function device(address: string, name?: string, hardware?: string): DiscoveredDevice {
  return { address, endpoint: `urn:uuid:${address}`, serviceUrl: `http://${address}/onvif/device_service`, ...(name === undefined ? {} : { name }), ...(hardware === undefined ? {} : { hardware }) };
}

function profile(token: string, extra: Partial<MediaProfile> = {}): MediaProfile {
  return { token, notes: [], ...extra };
}

const MAIN = profile('main', { name: 'mainStream', width: 1920, height: 1080, encoding: 'H264', rtsp: 'rtsp://10.0.0.11:554/main', snapshot: 'http://10.0.0.11/snap/main.jpg' });
const SUB = profile('sub', { name: 'subStream', width: 640, height: 360, encoding: 'H264', rtsp: 'rtsp://10.0.0.11:554/sub' });
const LOGIN: SnippetLogin = { username: 'admin', password: { passwordEnv: 'CAM_PASSWORD' } };

describe('camera ids from discovered devices', () => {
  it('slugifies names into [a-z0-9-]', () => {
    expect(slugify('Gate Cam (Nord)')).toBe('gate-cam-nord');
    expect(slugify('  Café—Entrée  ')).toBe('cafe-entree');
    expect(slugify('大门')).toBe('');
    expect(slugify('x'.repeat(40))).toHaveLength(32);
  });

  it('uses the name, else the hardware, else the address', () => {
    expect(assignCameraIds([device('10.0.0.11', 'Gate'), device('10.0.0.12', undefined, 'DS-2CD2042'), device('10.0.0.13', '大门')]))
      .toEqual(['gate', 'ds-2cd2042', 'cam-10-0-0-13']);
  });

  it('tells apart devices that share a name by their address, and avoids ids already taken', () => {
    expect(assignCameraIds([device('10.0.0.11', 'IPCAM'), device('10.0.0.12', 'IPCAM'), device('10.0.0.13', 'Gate')], ['gate']))
      .toEqual(['ipcam-11', 'ipcam-12', 'gate-13']);
    expect(assignCameraIds([device('10.0.0.11', 'IPCAM'), device('10.0.1.11', 'IPCAM')])).toEqual(['ipcam-11', 'ipcam-2']);
  });

  it('keeps long names within 32 characters when a suffix is added', () => {
    const ids = assignCameraIds([device('10.0.0.201', 'A very long camera name over the limit'), device('10.0.0.202', 'A very long camera name over the limit')]);
    expect(ids).toEqual(['a-very-long-camera-name-over-201', 'a-very-long-camera-name-over-202']);
  });

  it('always gives valid, unique ids (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.ipV4(), fc.option(fc.string({ maxLength: 80 }), { nil: undefined })), { maxLength: 30 }), (entries) => {
      const ids = assignCameraIds(entries.map(([address, name]) => device(address, name)));
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[a-z0-9-]{1,32}$/);
    }));
  });
});

describe('the cameras: snippet', () => {
  it('parses as the cameras of a config, with a password placeholder and never a password', () => {
    const reports: DeviceReport[] = [
      { device: device('10.0.0.12', 'Gate Cam'), profiles: [{ ...MAIN, snapshot: 'http://10.0.0.12/snap/main.jpg' }] },
      { device: device('10.0.0.11', 'Gate Cam'), profiles: [MAIN, SUB] },
    ];
    const snippet = buildSnippet(reports, LOGIN);
    const config = parseConfigText(WRAP + snippet.text, 'snippet.yaml');
    expect(config.cameras.map((c) => c.id)).toEqual(['gate-cam-11', 'gate-cam-12']);
    expect(config.cameras[0]).toMatchObject({ name: 'Gate Cam', snapshot: { url: 'http://10.0.0.11/snap/main.jpg', username: 'admin', passwordEnv: 'CAM_PASSWORD' } });
    expect(snippet.text).toContain('# 10.0.0.11 Gate Cam');
    expect(snippet.text).toContain('rtsp://10.0.0.11:554/sub');
  });

  it('names a password file when the login came from one', () => {
    const snippet = buildSnippet([{ device: device('10.0.0.11'), profiles: [MAIN] }], { username: 'admin', password: { passwordFile: '/etc/minwang/secrets/cameras' } });
    expect(parseConfigText(WRAP + snippet.text, 's.yaml').cameras[0]?.snapshot).toMatchObject({ username: 'admin', passwordFile: '/etc/minwang/secrets/cameras' });
  });

  it('lists devices that failed as comments with the reason, and still parses', () => {
    const reports: DeviceReport[] = [
      { device: device('10.0.0.13', 'Lobby'), profiles: [], failure: { kind: 'auth', message: 'ONVIF SOAP Fault: Sender not authorized', hint: 'h' } },
      { device: device('10.0.0.14', 'Empty'), profiles: [] },
    ];
    const snippet = buildSnippet(reports, LOGIN);
    expect(snippet.text).toMatch(/^cameras: \[\]\n/);
    expect(snippet.text).toContain('# 10.0.0.13 Lobby: not added (login refused: ONVIF SOAP Fault: Sender not authorized)');
    expect(snippet.text).toContain('# 10.0.0.14 Empty: not added (the device has no media profiles)');
    expect(parseConfigText(WRAP + snippet.text, 's.yaml').cameras).toEqual([]);
  });

  it('quotes device text that YAML would misread, and strips nothing it needs', () => {
    const snippet = buildSnippet([{ device: device('10.0.0.11', 'yes: #1 [main]'), profiles: [MAIN] }]);
    expect(parseConfigText(WRAP + snippet.text, 's.yaml').cameras[0]).toMatchObject({ id: 'yes-1-main', name: 'yes: #1 [main]' });
  });

  it('refuses an entry the config schema would refuse, saying why', () => {
    const snippet = buildSnippet([{ device: device('10.0.0.11', 'n'.repeat(64) + 'x'), profiles: [MAIN] }]);
    // 65 characters: longer than the schema allows for a name
    expect(snippet.cameras[0]?.entry).toBeUndefined();
    expect(snippet.cameras[0]?.skipped).toMatch(/would not pass the config schema: name:/);
    expect(() => parseConfigText(WRAP + snippet.text, 's.yaml')).not.toThrow();
  });
});

describe('choosing the source', () => {
  it('prefers a snapshot, else the smallest RTSP stream', () => {
    expect(chooseSource([SUB, MAIN])).toMatchObject({ kind: 'snapshot', url: MAIN.snapshot });
    expect(chooseSource([{ ...MAIN, snapshot: undefined }, SUB])).toMatchObject({ kind: 'rtsp', url: SUB.rtsp });
    expect(chooseSource([profile('x')])).toBeUndefined();
  });
});
