import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { elementText, envelope, escapeXml, parseSoapRequest, record } from './soap.js';
import { endpointOf, type SimCamera } from './types.js';

export const WS_DISCOVERY_GROUP = '239.255.255.250';
export const WS_DISCOVERY_PORT = 3702;

/**
 * Answers WS-Discovery Probes for the simulated cameras, like cameras on a LAN: it listens on
 * the multicast group and each camera answers unicast from its own address.
 */
export class SimDiscoveryResponder {
  readonly probes: string[] = [];
  private listener: Socket | undefined;
  private readonly senders = new Map<SimCamera, Socket>();

  constructor(private readonly cameras: readonly SimCamera[], private readonly ports: ReadonlyMap<SimCamera, number>) {}

  async start(): Promise<void> {
    const listener = createSocket({ type: 'udp4', reuseAddr: true });
    this.listener = listener;
    await bind(listener, WS_DISCOVERY_PORT);
    for (const address of new Set(this.cameras.map((c) => c.address))) {
      try {
        listener.addMembership(WS_DISCOVERY_GROUP, address);
      } catch (err) {
        // Two cameras on one interface: the group is already joined there.
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    for (const camera of this.cameras) {
      const sender = createSocket('udp4');
      await bind(sender, 0, camera.address);
      this.senders.set(camera, sender);
    }
    listener.on('message', (message, rinfo) => this.onMessage(message.toString('utf8'), rinfo));
  }

  async stop(): Promise<void> {
    const sockets = [this.listener, ...this.senders.values()].filter((s): s is Socket => s !== undefined);
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private onMessage(xml: string, from: RemoteInfo): void {
    const request = parseSoapRequest(xml);
    if (request?.action !== 'Probe') return;
    const types = elementText(record(request.body)['Types']) ?? '';
    if (types !== '' && !/NetworkVideoTransmitter/.test(types)) return;
    const messageId = elementText(record(request.header)['MessageID']) ?? '';
    this.probes.push(from.address);
    for (const [camera, sender] of this.senders) {
      const reply = Buffer.from(probeMatch(camera, this.ports.get(camera) ?? camera.port, messageId));
      sender.send(reply, from.port, from.address);
    }
  }
}

function probeMatch(camera: SimCamera, port: number, relatesTo: string): string {
  const scopes = [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/Profile/Streaming',
    `onvif://www.onvif.org/name/${encodeURIComponent(camera.name)}`,
    `onvif://www.onvif.org/hardware/${encodeURIComponent(camera.hardware)}`,
  ].join(' ');
  const header = `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo>` +
    '<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>' +
    '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>';
  const body = `<d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>${endpointOf(camera)}</wsa:Address></wsa:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>${escapeXml(scopes)}</d:Scopes>` +
    `<d:XAddrs>http://${camera.address}:${port}/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches>`;
  return envelope(body, header);
}

function bind(socket: Socket, port: number, address?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
