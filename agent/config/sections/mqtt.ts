import { z } from 'zod';
import { duration } from '../duration.js';
import { byteSize } from '../size.js';
import { secretFields, checkOneSecretSource } from './secret.js';

const brokerUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'mqtt:' || url.protocol === 'mqtts:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an mqtt:// or mqtts:// URL with a host, e.g. mqtt://127.0.0.1:1883');

/** TLS for `mqtts://`: files in PEM form. The private key must not be world-readable. */
const tlsSchema = z.strictObject({
  ca: z.string().min(1).optional().describe('CA certificate(s) that signed the broker certificate; default: the system CAs'),
  cert: z.string().min(1).optional().describe('client certificate (with key), for brokers that authenticate hosts by certificate')
    .meta({ example: '/etc/minwang/host.crt' }),
  key: z.string().min(1).optional().describe('private key of the client certificate (with cert); must not be world-readable (chmod 600)')
    .meta({ example: '/etc/minwang/secrets/host.key' }),
  servername: z.string().min(1).max(253).optional().describe('name the broker certificate must carry, when it differs from the URL host')
    .meta({ example: 'broker.station.example' }),
}).meta({ example: { ca: '/etc/minwang/station-ca.crt' } }).superRefine((tls, ctx) => {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    ctx.addIssue({ code: 'custom', path: [tls.cert === undefined ? 'cert' : 'key'], message: 'give cert and key together' });
  }
});

const reconnectSchema = z.strictObject({
  min: duration({ min: 100, max: 60_000 }).default(1000).describe('first retry delay'),
  max: duration({ min: 1000, max: 3_600_000 }).default(120_000).describe('longest retry delay'),
});

export const MQTT_DEFAULTS = {
  keepalive: 30_000,
  connectTimeout: 10_000,
  sessionExpiry: 3_600_000,
  reconnect: { min: 1000, max: 120_000 },
  maxCommandBytes: 64 * 1024,
} as const;

export const mqttSchema = z.strictObject({
  url: brokerUrl.describe("the station's broker: mqtt://host[:port] or mqtts://host[:port]"),
  username: z.string().min(1).optional()
    .describe('broker user name; with the shipped broker ACL (config/mosquitto/) it must be the host id'),
  ...secretFields,
  clientId: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 characters of A-Z, a-z, 0-9, ".", "_" and "-"').optional()
    .describe('MQTT client id, 1-128 characters of A-Z, a-z, 0-9, ".", "_" and "-"; default: the host id (fixed, so the broker keeps the session)')
    .meta({ example: 'xidian-wangjia-01' }),
  protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5)
    .describe('5 = MQTT 5 (falls back to 4 when the broker refuses 5); 4 = MQTT 3.1.1 only'),
  keepalive: duration({ min: 1000, max: 1_200_000 }).default(MQTT_DEFAULTS.keepalive).describe('a dead or frozen broker is noticed within 1.5x this'),
  connectTimeout: duration({ min: 1000, max: 120_000 }).default(MQTT_DEFAULTS.connectTimeout).describe('longest wait for CONNACK'),
  sessionExpiry: duration({ min: 0, max: 7 * 86_400_000 }).default(MQTT_DEFAULTS.sessionExpiry)
    .describe('how long the broker keeps this host\'s session (and the commands queued for it) after a drop'),
  reconnect: reconnectSchema.default({ ...MQTT_DEFAULTS.reconnect }).describe('exponential backoff with jitter between connection attempts'),
  tls: tlsSchema.optional().describe('TLS, only with an mqtts:// url: PEM files'),
  maxCommandBytes: byteSize({ min: 1024, max: 16 * 1024 * 1024 }).default(MQTT_DEFAULTS.maxCommandBytes)
    .describe('larger command payloads are dropped unparsed'),
}).superRefine(checkOneSecretSource).superRefine((mqtt, ctx) => {
  if (mqtt.reconnect.min > mqtt.reconnect.max) {
    ctx.addIssue({ code: 'custom', path: ['reconnect', 'min'], message: 'must not be longer than reconnect.max' });
  }
  if (mqtt.tls !== undefined && !mqtt.url.startsWith('mqtts:')) {
    ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls is set but the url is not mqtts://' });
  }
}, { when: (payload) => payload.issues.length === 0 }).describe("the station's MQTT broker");
