import type { Config } from '../../config/schema.js';
import { parseConfigText } from '../../config/load.js';

export const DEMO_HOST = 'demo-village-01';
export const DEMO_CAMERA_LOGIN = { username: 'admin', password: 'demo-camera-pw' };
/** Watched by the detector: pedestrians all along. */
export const STREET = 'street';
/** An RTSP camera (the same footage through an RTSP relay): its clips are cut from the recorded stream. */
export const GATE = 'gate';
/** Only watched for faults; its picture goes black after `blackAfterMs`. */
export const YARD = 'yard';

/** The street picture in two named halves, so events show which side a pedestrian is on. */
const STREET_ZONES = '[{ name: west, polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }, { name: east, polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }]';

export interface DemoConfigInput {
  brokerUrl: string;
  dataDir: string;
  cameraUrl: (name: string) => string;
  /** The RTSP camera's stream. */
  rtspUrl: string;
}

/**
 * The agent's config for the demo, light enough for a busy 2-core machine: one detecting camera
 * sampled once a second, motion-gated, full frame only (no tiles), one worker; an RTSP camera that
 * records (its clips are cut from the stream) and detects the same way; the faulty camera is only watched. Faults are judged over a short window so the black picture shows up quickly.
 */
export function demoConfig(input: DemoConfigInput): Config {
  const login = `username: ${DEMO_CAMERA_LOGIN.username}, password: ${DEMO_CAMERA_LOGIN.password}`;
  const faults = 'faults: { window: 2s, debounce: 1s }';
  const yaml = [
    `host: { id: ${DEMO_HOST} }`,
    `mqtt: { url: "${input.brokerUrl}", protocolVersion: 4 }`,
    `storage: { dataDir: ${JSON.stringify(input.dataDir)} }`,
    'detector: { workers: 1, tiling: { grids: [] } }',
    'heartbeat: { interval: 10s }',
    // Host and station share this machine: no village uplink to keep free for alerts, so clips are not paced.
    'clips: { uplinkShare: 1 }',
    'cameras:',
    `  - { id: ${STREET}, name: "Main street", snapshot: { url: "${input.cameraUrl(STREET)}", ${login} }, interval: 1s, ${faults}, detect: { zones: ${STREET_ZONES} } }`,
    `  - { id: ${GATE}, name: "Village gate", rtsp: { url: "${input.rtspUrl}" }, interval: 1s, ${faults} }`,
    `  - { id: ${YARD}, name: "School yard", snapshot: { url: "${input.cameraUrl(YARD)}", ${login} }, interval: 1s, ${faults}, detect: { enabled: false } }`,
  ].join('\n');
  return parseConfigText(yaml, 'demo config');
}
