import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { AgentError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { describeFailure } from './failure.js';
import type { OnvifClient } from './onvif/client.js';
import { parseDeviceReading, parseProbeAnswer } from './onvif/responses.js';
import { compareAddresses } from './snippet.js';
import type { DeviceReport, DiscoveredDevice, OnvifCredentials } from './types.js';
import { definedProps } from '../../core/defined-props.js';

export interface DiscoverOptions {
  client: OnvifClient;
  logger: Logger;
  /** How long to listen for WS-Discovery answers. */
  probeTimeoutMs: number;
  /** Time limit for reading one device's profiles, so one bad camera cannot hang discovery. */
  deviceTimeoutMs: number;
  interfaceName?: string;
  credentials?: OnvifCredentials;
  /** Devices read at once. */
  concurrency?: number;
  /** The host's interfaces; injected for tests. */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export interface DiscoveryResult {
  /** One report per device that answered, sorted by address. */
  reports: DeviceReport[];
  /** Answers that were not usable ONVIF probe matches, in plain words. */
  ignored: string[];
}

/** Probes the network for ONVIF devices and reads each one's media profiles and URIs. */
export async function discoverCameras(options: DiscoverOptions): Promise<DiscoveryResult> {
  const log = options.logger.child({ module: 'discovery' });
  if (options.interfaceName !== undefined) checkInterface(options.interfaceName, options.interfaces ?? networkInterfaces);
  const outcome = await options.client.probe({
    timeoutMs: options.probeTimeoutMs,
    ...definedProps({ interfaceName: options.interfaceName }),
  });
  const { devices, ignored } = uniqueDevices(outcome.answers.map(parseProbeAnswer));
  ignored.push(...outcome.problems);
  log.info({ devices: devices.length, ignored: ignored.length }, 'probe finished');
  if (ignored.length > 0) log.debug({ ignored }, 'answers that were not usable probe matches');
  const reports = await mapLimited(devices, options.concurrency ?? 4, (device) => readReport(device, options, log));
  return { reports: reports.sort((a, b) => compareAddresses(a.device.address, b.device.address)), ignored };
}

function uniqueDevices(parsed: ReturnType<typeof parseProbeAnswer>[]): { devices: DiscoveredDevice[]; ignored: string[] } {
  const byEndpoint = new Map<string, DiscoveredDevice>();
  const ignored: string[] = [];
  for (const result of parsed) {
    // A host with two interfaces on one subnet hears the same device twice.
    if (result.ok) byEndpoint.set(result.device.endpoint, byEndpoint.get(result.device.endpoint) ?? result.device);
    else ignored.push(result.problem);
  }
  return { devices: [...byEndpoint.values()], ignored };
}

async function readReport(device: DiscoveredDevice, options: DiscoverOptions, log: Logger): Promise<DeviceReport> {
  const outcome = await options.client.readDevice(device.serviceUrl, options.credentials, options.deviceTimeoutMs);
  if (!outcome.ok) {
    const failure = describeFailure(outcome.failure, options.credentials !== undefined);
    log.info({ address: device.address, kind: failure.kind, reason: failure.message }, 'device could not be read');
    return { device, profiles: [], failure };
  }
  const profiles = parseDeviceReading(outcome.reading);
  log.debug({ address: device.address, profiles: profiles.length }, 'device read');
  return { device, profiles };
}

function checkInterface(name: string, interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>): void {
  const all = interfaces();
  const addresses = all[name];
  if (addresses === undefined) {
    throw new AgentError('usage', `--interface: this host has no network interface "${name}" (it has: ${Object.keys(all).join(', ') || 'none'})`);
  }
  if (!addresses.some((a) => a.family === 'IPv4')) {
    throw new AgentError('usage', `--interface: ${name} has no IPv4 address; WS-Discovery needs one (is the cable in and DHCP done?)`);
  }
}

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(runners);
  return results;
}
