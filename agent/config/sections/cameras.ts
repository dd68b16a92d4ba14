import { z } from 'zod';
import { duration } from '../duration.js';
import { secretFields, checkOneSecretSource } from './secret.js';
import { polygonSchema } from './regions.js';
import { cameraRelaySchema } from './gpio.js';
import { cameraPipelineFields } from './camera-pipeline.js';
import { cameraDetectSchema } from './detector.js';

import { cameraId } from '../../link/contract/ids.js';

const httpUrl = (protocols: string[], example: string) => z.string().refine((text) => {
  try {
    return protocols.includes(new URL(text).protocol);
  } catch {
    return false;
  }
}, `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, e.g. ${example}`);

const username = z.string().min(1).optional().describe('user name, when the camera asks for one').meta({ example: 'admin' });

const snapshotSource = z.strictObject({
  url: httpUrl(['http:', 'https:'], 'http://192.168.1.64/ISAPI/Streaming/channels/101/picture').describe('JPEG snapshot URL'),
  username,
  ...secretFields,
  auth: z.enum(['auto', 'basic']).default('auto')
    .describe('auto: Digest as the camera asks, Basic only over https; basic: also allow Basic over plain http (the password travels in clear)'),
}).superRefine(checkOneSecretSource);

const rtspSource = z.strictObject({
  url: httpUrl(['rtsp:', 'rtsps:'], 'rtsp://192.168.1.64:554/Streaming/Channels/102').describe('RTSP stream URL'),
  username,
  ...secretFields,
}).superRefine(checkOneSecretSource)
  .meta({ example: { url: 'rtsp://192.168.1.65:554/cam/realmonitor?channel=1&subtype=1', username: 'admin', passwordFile: '/etc/minwang/secrets/camera-password' } });

/** Replays footage (a video file, an image, or a directory of images): the demo and tests. */
const fileSource = z.strictObject({
  path: z.string().min(1).describe('video file, image file or directory of images').meta({ example: '/usr/share/minwang/footage/vtest.avi' }),
  loop: z.boolean().default(true).describe('start again at the end'),
});

export const SOURCE_KINDS = ['snapshot', 'rtsp', 'file'] as const;

export const cameraSchema = z.strictObject({
  id: cameraId.describe('camera id, unique on this host: 1-32 characters of a-z, 0-9 and "-"; an MQTT topic level'),
  name: z.string().min(1).max(64).optional().describe('human name shown on the console'),
  snapshot: snapshotSource.optional()
    .describe('an HTTP(S) JPEG snapshot, Basic or Digest auth (whichever the camera asks for). Each camera has exactly one source: snapshot, rtsp or file'),
  rtsp: rtspSource.optional().describe('instead of snapshot: an RTSP stream, read through ffmpeg'),
  file: fileSource.optional().describe('instead of snapshot: replayed footage (a video file, an image or a directory of images), for demos and tests'),
  interval: duration({ min: 100, max: 3_600_000 }).default(1000).describe('sampling period'),
  privacyMasks: z.array(polygonSchema).max(32).default([])
    .describe('areas blacked out in every image that leaves the host: polygons of [x, y] points, each 0..1 of the image (0,0 top left)')
    .meta({ example: [[[0, 0], [0.25, 0], [0.25, 0.15], [0, 0.15]]] }),
  relay: cameraRelaySchema.optional().describe('GPIO relay that power-cycles this camera when it stays offline (see gpio.relay)')
    .meta({ example: { pin: 22 } }),
  ...cameraPipelineFields,
  detect: cameraDetectSchema.describe('zones, masks and thresholds for detection on this camera'),
}).superRefine((camera, ctx) => {
  const given = SOURCE_KINDS.filter((k) => (camera as Record<string, unknown>)[k] !== undefined);
  if (given.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'no source: give one of snapshot, rtsp or file' });
  } else if (given.length > 1) {
    ctx.addIssue({ code: 'custom', path: [given[1] ?? 'rtsp'], message: `give only one source, not ${given.join(' and ')}` });
  }
}, { when: isObjectPayload }); // also when other keys are wrong, so every problem is reported at once

export const camerasSchema = z.array(cameraSchema).max(256).default([]).superRefine((cameras, ctx) => {
  const seen = new Map<string, number>();
  cameras.forEach((camera, i) => {
    const id: unknown = (camera as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate camera id "${id}" (also cameras[${first}])` });
    } else {
      seen.set(id, i);
    }
  });
}, { when: (payload) => Array.isArray(payload.value) }).describe('the cameras this host watches');

function isObjectPayload(payload: { value: unknown }): boolean {
  return typeof payload.value === 'object' && payload.value !== null;
}
