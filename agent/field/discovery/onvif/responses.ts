import { z } from 'zod';
import { cleanUri } from '../uris.js';
import type { DiscoveredDevice, MediaProfile } from '../types.js';
import type { RawDeviceReading, RawProbeAnswer } from './client.js';
import { definedProps } from '../../../core/defined-props.js';

/** Text as the library gives it: it turns numeric-looking text into numbers. */
const text = z.union([z.string(), z.number()]).transform(String);
/** An element that may carry attributes: the library then gives `{ _: text, $: {...} }`. */
const textOrElement = z.union([text, z.object({ _: text }).transform((e) => e._)]);

const probeMatchSchema = z.object({
  endpointReference: z.object({ address: text }),
  XAddrs: textOrElement,
  scopes: textOrElement.optional(),
});

const probeAnswerSchema = z.object({
  probeMatches: z.object({ probeMatch: z.union([probeMatchSchema, z.array(probeMatchSchema).min(1)]) }),
});

export type ProbeParse = { ok: true; device: DiscoveredDevice } | { ok: false; problem: string };

/** Validates one WS-Discovery ProbeMatch and picks the device service URL for its address. */
export function parseProbeAnswer(answer: RawProbeAnswer): ProbeParse {
  const parsed = probeAnswerSchema.safeParse(answer.data);
  if (!parsed.success) return { ok: false, problem: `${answer.from}: not a WS-Discovery ProbeMatch (${parsed.error.issues[0]?.message ?? 'unreadable'})` };
  const raw = parsed.data.probeMatches.probeMatch;
  const match = Array.isArray(raw) ? (raw[0] as z.output<typeof probeMatchSchema>) : raw;
  const serviceUrl = pickServiceUrl(match.XAddrs, answer.from);
  if (serviceUrl === undefined) return { ok: false, problem: `${answer.from}: the ProbeMatch has no http(s) device service address` };
  const scopes = parseScopes(match.scopes ?? '');
  return {
    ok: true,
    device: {
      address: answer.from,
      endpoint: match.endpointReference.address,
      serviceUrl,
      ...definedProps({ name: scopes.name, hardware: scopes.hardware }),
    },
  };
}

/** The XAddr on the address the answer came from, else the first usable one (as the library does). */
function pickServiceUrl(xaddrs: string, from: string): string | undefined {
  const urls = xaddrs.split(/\s+/).flatMap((x) => {
    try {
      const url = new URL(x);
      return url.protocol === 'http:' || url.protocol === 'https:' ? [url] : [];
    } catch {
      return [];
    }
  });
  return (urls.find((u) => u.hostname === from) ?? urls[0])?.href;
}

const SCOPE_PREFIX = 'onvif://www.onvif.org/';

/** `onvif://www.onvif.org/name/Gate%20Cam` → name "Gate Cam"; same for hardware. */
export function parseScopes(scopes: string): { name?: string; hardware?: string } {
  const found: { name?: string; hardware?: string } = {};
  for (const scope of scopes.split(/\s+/)) {
    if (!scope.toLowerCase().startsWith(SCOPE_PREFIX)) continue;
    const [kind, ...rest] = scope.slice(SCOPE_PREFIX.length).split('/');
    const value = printable(decode(rest.join('/')).replace(/_/g, ' '));
    if (value === '') continue;
    if (kind?.toLowerCase() === 'name' && found.name === undefined) found.name = value;
    if (kind?.toLowerCase() === 'hardware' && found.hardware === undefined) found.hardware = value;
  }
  return found;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/**
 * Device-supplied text shown on a terminal or written into a YAML comment: no control or format
 * characters, no line or paragraph separators (a newline would end the comment), bounded length.
 */
export function printable(value: string, max = 64): string {
  return value.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

const number = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const profileSchema = z.object({
  $: z.object({ token: text }),
  name: text.optional(),
  videoEncoderConfiguration: z.object({
    encoding: text.optional(),
    resolution: z.object({ width: number, height: number }).optional(),
  }).optional().catch(undefined),
});

const uriResponse = z.object({ uri: text });

const STREAM_PROTOCOLS = ['rtsp:', 'rtsps:'] as const;
const SNAPSHOT_PROTOCOLS = ['http:', 'https:'] as const;

/** Validates the library's profiles and the URIs read for each; drops what cannot be used. */
export function parseDeviceReading(reading: RawDeviceReading): MediaProfile[] {
  const list = Array.isArray(reading.profiles) ? (reading.profiles as unknown[]) : reading.profiles === undefined ? [] : [reading.profiles];
  return list.flatMap((raw) => {
    const parsed = profileSchema.safeParse(raw);
    if (!parsed.success) return [];
    const uris = reading.uris.find((u) => u.token === parsed.data.$.token);
    return [toProfile(parsed.data, uris)];
  });
}

function toProfile(p: z.output<typeof profileSchema>, uris: RawDeviceReading['uris'][number] | undefined): MediaProfile {
  const encoder = p.videoEncoderConfiguration;
  const stream = uris?.streamError === undefined ? cleanUri(uriResponse.safeParse(uris?.stream).data?.uri, STREAM_PROTOCOLS, 'stream') : { notes: [`stream URI refused: ${uris.streamError}`] };
  const snapshot = uris?.snapshotError === undefined ? cleanUri(uriResponse.safeParse(uris?.snapshot).data?.uri, SNAPSHOT_PROTOCOLS, 'snapshot') : { notes: [`snapshot URI refused: ${uris.snapshotError}`] };
  return {
    token: printable(p.$.token),
    ...(p.name === undefined ? {} : { name: printable(p.name) }),
    ...(encoder?.encoding === undefined ? {} : { encoding: printable(encoder.encoding, 16) }),
    ...(encoder?.resolution === undefined ? {} : { width: encoder.resolution.width, height: encoder.resolution.height }),
    ...definedProps({ rtsp: stream.uri, snapshot: snapshot.uri }),
    notes: [...stream.notes, ...snapshot.notes],
  };
}
