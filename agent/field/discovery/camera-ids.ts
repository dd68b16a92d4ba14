import { CAMERA_ID_RE } from '../../link/contract/ids.js';
import type { DiscoveredDevice } from './types.js';

const MAX_ID = 32;

/** `Gate Cam (Nord)` → `gate-cam-nord`; text with no latin letters or digits gives ''. */
export function slugify(text: string, max = MAX_ID): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
}

function baseId(device: DiscoveredDevice): string {
  return slugify(device.name ?? '') || slugify(device.hardware ?? '') || `cam-${device.address.replace(/[.:]/g, '-')}`.slice(0, MAX_ID);
}

/** The last part of an address (`192.168.1.64` → `64`): tells apart cameras that share a name. */
function addressTail(address: string): string {
  return address.split(/[.:]/).filter((p) => p !== '').pop() ?? '';
}

function withSuffix(base: string, suffix: string): string {
  const room = MAX_ID - suffix.length - 1;
  return `${base.slice(0, room).replace(/-+$/, '')}-${suffix}`;
}

/**
 * Camera ids for the config: from the device's name, else its hardware, else its address;
 * valid (`[a-z0-9-]{1,32}`) and unique among themselves and `taken`. Devices sharing a name
 * all get their address's last part appended, so `ipcam-11`, `ipcam-12` say which is which.
 */
export function assignCameraIds(devices: readonly DiscoveredDevice[], taken: Iterable<string> = []): string[] {
  const used = new Set(taken);
  const bases = devices.map(baseId);
  const counts = new Map<string, number>();
  for (const base of bases) counts.set(base, (counts.get(base) ?? 0) + 1);
  return devices.map((device, i) => {
    const base = bases[i] ?? 'cam';
    let id = (counts.get(base) ?? 0) > 1 || used.has(base) ? withSuffix(base, addressTail(device.address) || '1') : base;
    for (let n = 2; used.has(id) && n <= devices.length + used.size + 1; n += 1) id = withSuffix(base, String(n));
    if (!CAMERA_ID_RE.test(id) || used.has(id)) throw new Error(`could not derive a camera id for ${device.address} (got "${id}")`);
    used.add(id);
    return id;
  });
}
