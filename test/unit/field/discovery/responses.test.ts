import { describe, expect, it } from 'vitest';
import { parseDeviceReading, parseProbeAnswer, parseScopes } from '../../../../agent/field/discovery/onvif/responses.js';
import { cleanUri } from '../../../../agent/field/discovery/uris.js';

/** A ProbeMatch as the onvif library hands it over (its XML → object conversion). */
function probeData(match: Record<string, unknown>): unknown {
  return { probeMatches: { probeMatch: match } };
}

const MATCH = {
  endpointReference: { address: 'urn:uuid:abc' },
  types: 'dn:NetworkVideoTransmitter',
  scopes: 'onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/Gate%20Cam onvif://www.onvif.org/hardware/DS-2CD2042',
  XAddrs: 'http://[fe80::1]/onvif/device_service http://192.168.1.64/onvif/device_service http://10.0.0.64/onvif/device_service',
  metadataVersion: 1,
};

describe('WS-Discovery answers', () => {
  it('reads the endpoint, name, hardware and the XAddr on the address that answered', () => {
    expect(parseProbeAnswer({ from: '10.0.0.64', data: probeData(MATCH) })).toEqual({
      ok: true,
      device: { address: '10.0.0.64', endpoint: 'urn:uuid:abc', serviceUrl: 'http://10.0.0.64/onvif/device_service', name: 'Gate Cam', hardware: 'DS-2CD2042' },
    });
  });

  it('falls back to the first http XAddr, and takes the first of several matches', () => {
    const result = parseProbeAnswer({ from: '172.16.0.9', data: probeData({ ...MATCH, XAddrs: 'soap.udp://x:3702 http://192.168.1.64:8000/onvif/device_service' }) });
    expect(result).toMatchObject({ ok: true, device: { serviceUrl: 'http://192.168.1.64:8000/onvif/device_service' } });
    const two = parseProbeAnswer({ from: '10.0.0.64', data: { probeMatches: { probeMatch: [MATCH, { ...MATCH, endpointReference: { address: 'urn:uuid:def' } }] } } });
    expect(two).toMatchObject({ ok: true, device: { endpoint: 'urn:uuid:abc' } });
  });

  it('reads Scopes and XAddrs given with attributes', () => {
    const result = parseProbeAnswer({ from: '10.0.0.64', data: probeData({ ...MATCH, scopes: { _: MATCH.scopes, $: { MatchBy: 'x' } } }) });
    expect(result).toMatchObject({ ok: true, device: { name: 'Gate Cam' } });
  });

  it('says why an answer is not usable', () => {
    expect(parseProbeAnswer({ from: '10.0.0.9', data: { hello: 1 } })).toMatchObject({ ok: false, problem: expect.stringMatching(/^10\.0\.0\.9: not a WS-Discovery ProbeMatch/) as unknown });
    expect(parseProbeAnswer({ from: '10.0.0.9', data: probeData({ ...MATCH, XAddrs: 'soap.udp://x:3702' }) })).toMatchObject({ ok: false, problem: '10.0.0.9: the ProbeMatch has no http(s) device service address' });
  });

  it('makes scope text safe to print: decoded, no control characters, bounded', () => {
    expect(parseScopes('onvif://www.onvif.org/name/Front_Door onvif://www.onvif.org/name/second')).toEqual({ name: 'Front Door' });
    expect(parseScopes('onvif://www.onvif.org/name/%1B%5B31mred%07')).toEqual({ name: '[31mred' });
    expect(parseScopes(`onvif://www.onvif.org/hardware/${'x'.repeat(100)}`).hardware).toHaveLength(64);
    expect(parseScopes('onvif://www.onvif.org/name/%E0%A4%A bad')).toEqual({ name: '%E0%A4%A' });
  });
});

describe('device profiles', () => {
  const raw = (token: unknown, extra: Record<string, unknown> = {}) => ({ $: { token, fixed: true }, name: 'main', ...extra });
  const encoder = { videoEncoderConfiguration: { $: { token: 'e' }, encoding: 'H264', resolution: { width: 1920, height: 1080 } } };

  it('pairs each profile with its stream and snapshot URIs', () => {
    const profiles = parseDeviceReading({
      profiles: [raw('main', encoder), raw(1)],
      uris: [
        { token: 'main', stream: { uri: 'rtsp://10.0.0.64:554/main', invalidAfterConnect: false }, snapshot: { uri: 'http://10.0.0.64/snap.jpg' } },
        { token: '1', stream: { uri: 'rtsp://10.0.0.64:554/1' }, snapshotError: 'ONVIF SOAP Fault: not supported' },
      ],
    });
    expect(profiles).toEqual([
      { token: 'main', name: 'main', encoding: 'H264', width: 1920, height: 1080, rtsp: 'rtsp://10.0.0.64:554/main', snapshot: 'http://10.0.0.64/snap.jpg', notes: [] },
      { token: '1', name: 'main', rtsp: 'rtsp://10.0.0.64:554/1', notes: ['snapshot URI refused: ONVIF SOAP Fault: not supported'] },
    ]);
  });

  it('drops URIs of the wrong kind and profiles without a token', () => {
    const profiles = parseDeviceReading({ profiles: [raw('a'), { name: 'no token' }], uris: [{ token: 'a', stream: { uri: 'http://x/stream' }, snapshot: { uri: 'not a url' } }] });
    expect(profiles).toEqual([{ token: 'a', name: 'main', notes: ['the device gave a http stream URI; expected rtsp or rtsps', 'the device gave an invalid snapshot URI'] }]);
  });

  it('keeps a lone profile the library did not wrap in a list', () => {
    expect(parseDeviceReading({ profiles: raw('only'), uris: [] })).toHaveLength(1);
  });
});

describe('URIs from devices', () => {
  it('removes a login embedded in the URI', () => {
    expect(cleanUri('rtsp://admin:hunter2@10.0.0.64:554/main', ['rtsp:'], 'stream')).toEqual({
      uri: 'rtsp://10.0.0.64:554/main',
      notes: ['removed a login from the stream URI; give username and passwordEnv/passwordFile in the config instead'],
    });
  });

  it('redacts a password carried in the query', () => {
    const clean = cleanUri('http://10.0.0.64/snapshot.cgi?user=admin&pwd=hunter2', ['http:'], 'snapshot');
    expect(clean.uri).toBe('http://10.0.0.64/snapshot.cgi?user=admin&pwd=REDACTED');
    expect(JSON.stringify(clean)).not.toContain('hunter2');
  });
});
