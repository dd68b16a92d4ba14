import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { AgentError } from '../../../../agent/core/errors.js';
import { discoverCameras } from '../../../../agent/field/discovery/discover.js';
import type { OnvifClient, ProbeOptions, ReadOutcome } from '../../../../agent/field/discovery/onvif/client.js';

function answer(address: string, endpoint = `urn:uuid:${address}`) {
  return { from: address, data: { probeMatches: { probeMatch: { endpointReference: { address: endpoint }, XAddrs: `http://${address}/onvif/device_service`, scopes: '' } } } };
}

const PROFILES = { profiles: [{ $: { token: 'main' } }], uris: [{ token: 'main', snapshot: { uri: 'http://x/snap.jpg' } }] };

/** A fake ONVIF client: fixed answers, per-address outcomes, and a record of what was asked. */
function fakeClient(answers: ReturnType<typeof answer>[], outcomes: Record<string, ReadOutcome> = {}) {
  const probes: ProbeOptions[] = [];
  const reads: { url: string; user?: string; timeoutMs: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client: OnvifClient = {
    probe(options) {
      probes.push(options);
      return Promise.resolve({ answers, problems: ['Wrong SOAP message from 10.0.0.99:3702'] });
    },
    async readDevice(url, credentials, timeoutMs) {
      reads.push({ url, timeoutMs, ...(credentials === undefined ? {} : { user: credentials.username }) });
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      return outcomes[new URL(url).hostname] ?? { ok: true, reading: PROFILES };
    },
  };
  return { client, probes, reads, maxInFlight: () => maxInFlight };
}

const base = { logger: silentLogger(), probeTimeoutMs: 1000, deviceTimeoutMs: 2000 };

describe('discoverCameras', () => {
  it('reads every device once, sorted by address, with the login and time limit given', async () => {
    const fake = fakeClient([answer('10.0.0.12'), answer('10.0.0.9'), answer('10.0.0.12'), answer('10.0.0.100')]);
    const result = await discoverCameras({ ...base, client: fake.client, credentials: { username: 'admin', password: 'pw' } });
    expect(result.reports.map((r) => r.device.address)).toEqual(['10.0.0.9', '10.0.0.12', '10.0.0.100']);
    expect(fake.reads).toHaveLength(3);
    expect(fake.reads.every((r) => r.user === 'admin' && r.timeoutMs === 2000)).toBe(true);
    expect(result.reports[0]?.profiles[0]).toMatchObject({ token: 'main', snapshot: 'http://x/snap.jpg' });
    expect(result.ignored).toEqual(['Wrong SOAP message from 10.0.0.99:3702']);
  });

  it('keeps a device that failed, with the kind of failure and a hint', async () => {
    const fake = fakeClient([answer('10.0.0.1'), answer('10.0.0.2'), answer('10.0.0.3'), answer('10.0.0.4')], {
      '10.0.0.1': { ok: false, failure: { message: 'ONVIF SOAP Fault: Sender not authorized' } },
      '10.0.0.2': { ok: false, failure: { message: 'no complete answer within 2000 ms', code: 'timeout' } },
      '10.0.0.3': { ok: false, failure: { message: 'connect ECONNREFUSED 10.0.0.3:80', code: 'ECONNREFUSED' } },
      '10.0.0.4': { ok: false, failure: { message: 'Unrecognized configuration' } },
    });
    const result = await discoverCameras({ ...base, client: fake.client });
    expect(result.reports.map((r) => r.failure?.kind)).toEqual(['auth', 'timeout', 'unreachable', 'protocol']);
    expect(result.reports[0]?.failure?.hint).toMatch(/needs a login .*: add --username/);
    const withLogin = await discoverCameras({ ...base, client: fake.client, credentials: { username: 'a', password: 'b' } });
    expect(withLogin.reports[0]?.failure?.hint).toMatch(/refused the login/);
  });

  it('reads at most `concurrency` devices at once', async () => {
    const fake = fakeClient(Array.from({ length: 10 }, (_, i) => answer(`10.0.0.${i + 1}`)));
    const result = await discoverCameras({ ...base, client: fake.client, concurrency: 3 });
    expect(result.reports).toHaveLength(10);
    expect(fake.maxInFlight()).toBe(3);
  });

  it('checks --interface before probing and passes it on', async () => {
    const interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({
      eth0: [{ address: '10.0.0.2', family: 'IPv4', netmask: '255.255.255.0', mac: '', internal: false, cidr: null }],
      wlan0: [{ address: 'fe80::1', family: 'IPv6', netmask: '', mac: '', internal: false, cidr: null, scopeid: 0 }],
    });
    const fake = fakeClient([]);
    await expect(discoverCameras({ ...base, client: fake.client, interfaces, interfaceName: 'eth9' })).rejects.toThrow('no network interface "eth9" (it has: eth0, wlan0)');
    await expect(discoverCameras({ ...base, client: fake.client, interfaces, interfaceName: 'wlan0' })).rejects.toBeInstanceOf(AgentError);
    expect(fake.probes).toEqual([]);
    await discoverCameras({ ...base, client: fake.client, interfaces, interfaceName: 'eth0' });
    expect(fake.probes).toEqual([{ timeoutMs: 1000, interfaceName: 'eth0' }]);
  });
});
