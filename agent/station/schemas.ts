/**
 * What the station accepts from the broker. Anything on `minwang/#` is untrusted input: every
 * payload is parsed with the contract's readers (agent/link/contract/readers.ts: the agent's own
 * schemas, lenient only where older or newer hosts must still be read) before it reaches the
 * state model. Only what is the station's own business is declared here.
 */
export {
  cameraStatusReader as cameraStatusSchema, eventReader as eventSchema, healthReader as healthSchema, heartbeatReader as heartbeatSchema,
  modelReader as modelSchema, patrolReader as patrolSchema, statusReader as statusSchema, clipChunkReader as clipChunkSchema, eventFrameReader as eventFrameSchema,
  type CameraStatusMessage, type EventMessage, type HealthMessage, type HeartbeatMessage, type ModelMessage, type PatrolMessage, type StatusMessage,
} from '../link/contract/readers.js';
export { CAMERA_ID_RE as CAMERA_ID, HOST_ID_RE as HOST_ID, ITEM_ID_RE as ITEM_ID } from '../link/contract/ids.js';

/** Largest JPEG the station keeps (thumbnails and contact sheets). */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

/** A JPEG starts with SOI and a marker; anything else on an image topic is refused. */
export function isJpeg(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}
