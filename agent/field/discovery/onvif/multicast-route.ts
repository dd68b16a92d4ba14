import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

export const WS_DISCOVERY_GROUP = '239.255.255.250';
export const WS_DISCOVERY_PORT = 3702;

/**
 * Fails when this host has no route to the WS-Discovery group (no network, no default route).
 * The onvif library sends its probe without a callback, so Node drops that error and discovery
 * would just hear nothing. Connecting a UDP socket looks the route up without sending a packet.
 */
export async function checkMulticastRoute(interfaceName?: string): Promise<void> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, interfaceName === undefined ? undefined : ipv4Of(interfaceName), () => {
        socket.connect(WS_DISCOVERY_PORT, WS_DISCOVERY_GROUP, (err?: Error) => (err ? reject(err) : resolve()));
      });
    });
  } finally {
    socket.close();
  }
}

function ipv4Of(name: string): string | undefined {
  return networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
}
