import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { envelope, escapeXml, fault, parseSoapRequest, record, type SoapRequest } from './soap.js';
import { rtspUri, snapshotUri, type SimCamera, type SimProfile } from './types.js';
import { UsernameTokenChecker } from './username-token.js';

/** Device-service calls ONVIF lets anyone make (Core spec, "pre-authentication"). */
const PRE_AUTH = new Set(['GetSystemDateAndTime', 'GetServices', 'GetCapabilities', 'GetServiceCapabilities', 'GetWsdlUrl', 'GetHostname', 'GetEndpointReference']);

const DEVICE_PATH = '/onvif/device_service';
const MEDIA_PATH = '/onvif/media_service';

type Reply = { status: number; xml: string };

/** Every SOAP request a camera received, for tests to assert on. */
export interface RequestLog {
  action: string;
  authorised: boolean;
}

/** The ONVIF device and media services of one simulated camera, over HTTP. */
export class SimDeviceService {
  readonly requests: RequestLog[] = [];
  private readonly tokens: UsernameTokenChecker;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  private camera: SimCamera;

  constructor(camera: SimCamera) {
    this.camera = camera;
    this.tokens = new UsernameTokenChecker(camera.username, camera.password);
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.camera.port, this.camera.address, () => resolve());
    });
    const address = server.address();
    // Port 0 asks for any free port; the URIs the camera gives must name the real one.
    if (typeof address === 'object' && address !== null) this.camera = { ...this.camera, port: address.port };
    return this.camera.port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.camera.behaviour === 'silent') return; // hold the connection open and never answer
    const body = await readBody(req);
    const reply = req.method === 'POST' && (req.url === DEVICE_PATH || req.url === MEDIA_PATH) ? this.answer(body) : { status: 404, xml: '' };
    res.writeHead(reply.status, { 'Content-Type': 'application/soap+xml; charset=utf-8' });
    res.end(reply.xml);
  }

  private answer(xml: string): Reply {
    const request = parseSoapRequest(xml);
    if (request === undefined) return { status: 400, xml: fault('ter:WellFormed', 'not a SOAP envelope') };
    const authorised = this.tokens.check(request.header).ok;
    this.requests.push({ action: request.action, authorised });
    if (!PRE_AUTH.has(request.action) && !authorised) {
      return { status: 400, xml: fault('ter:NotAuthorized', 'Sender not authorized') };
    }
    const body = this.respond(request);
    if (body === undefined) return { status: 400, xml: fault('ter:ActionNotSupported', `${request.action} is not supported`, 'env:Receiver') };
    return { status: 200, xml: envelope(body) };
  }

  private respond(request: SoapRequest): string | undefined {
    switch (request.action) {
      case 'GetSystemDateAndTime':
        return systemDateAndTime(new Date());
      case 'GetServices':
        return services(this.baseUrl());
      case 'GetCapabilities':
        return capabilities(this.baseUrl());
      case 'GetProfiles':
        return `<trt:GetProfilesResponse>${this.camera.profiles.map(profileXml).join('')}</trt:GetProfilesResponse>`;
      case 'GetVideoSources':
        return videoSources(this.camera.profiles[0]);
      case 'GetStreamUri':
        return this.withProfile(request, (p) => `<trt:GetStreamUriResponse>${mediaUri(rtspUri(this.camera, p))}</trt:GetStreamUriResponse>`);
      case 'GetSnapshotUri':
        return this.withProfile(request, (p) => (p.snapshot === false ? undefined : `<trt:GetSnapshotUriResponse>${mediaUri(snapshotUri(this.camera, p))}</trt:GetSnapshotUriResponse>`));
      default:
        return undefined;
    }
  }

  private withProfile(request: SoapRequest, render: (p: SimProfile) => string | undefined): string | undefined {
    const token = record(request.body)['ProfileToken'];
    const profile = this.camera.profiles.find((p) => p.token === token);
    return profile === undefined ? undefined : render(profile);
  }

  private baseUrl(): string {
    return `http://${this.camera.address}:${this.camera.port}`;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function systemDateAndTime(now: Date): string {
  return '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
    '<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>' +
    `<tt:Time><tt:Hour>${now.getUTCHours()}</tt:Hour><tt:Minute>${now.getUTCMinutes()}</tt:Minute><tt:Second>${now.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${now.getUTCFullYear()}</tt:Year><tt:Month>${now.getUTCMonth() + 1}</tt:Month><tt:Day>${now.getUTCDate()}</tt:Day></tt:Date>` +
    '</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>';
}

function services(base: string): string {
  const service = (ns: string, path: string) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${base}${path}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
  return `<tds:GetServicesResponse>${service('http://www.onvif.org/ver10/device/wsdl', DEVICE_PATH)}${service('http://www.onvif.org/ver10/media/wsdl', MEDIA_PATH)}</tds:GetServicesResponse>`;
}

function capabilities(base: string): string {
  return `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${base}${DEVICE_PATH}</tt:XAddr></tt:Device>` +
    `<tt:Media><tt:XAddr>${base}${MEDIA_PATH}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>` +
    '</tds:Capabilities></tds:GetCapabilitiesResponse>';
}

const VIDEO_SOURCE = 'VideoSource_1';

function profileXml(p: SimProfile): string {
  return `<trt:Profiles token="${escapeXml(p.token)}" fixed="true"><tt:Name>${escapeXml(p.name)}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>${VIDEO_SOURCE}</tt:SourceToken><tt:Bounds x="0" y="0" width="${p.width}" height="${p.height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="VideoEncoder_${escapeXml(p.token)}"><tt:Name>${escapeXml(p.name)}</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>${p.encoding}</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution><tt:Quality>4</tt:Quality>` +
    '<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2048</tt:BitrateLimit></tt:RateControl>' +
    '<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>';
}

function videoSources(main: SimProfile | undefined): string {
  if (main === undefined) return '<trt:GetVideoSourcesResponse/>';
  return `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE}"><tt:Framerate>25</tt:Framerate>` +
    `<tt:Resolution><tt:Width>${main.width}</tt:Width><tt:Height>${main.height}</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`;
}

function mediaUri(uri: string): string {
  return `<trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>`;
}
