/**
 * MQTT contract v1, in one module of runtime schemas (zod): every topic with its retain flag and
 * QoS (`topics.ts`), the id patterns (`ids.ts`), every payload (`payloads.ts`, types inferred from
 * the schemas), the lenient readers the station parses with (`readers.ts`) and every command with
 * its parameters and answer (`commands.ts`). The agent's link checks each payload before queueing
 * (`check.ts`). `docs/mqtt.md` documents it and a test keeps the two in step.
 */
import {
  cameraClipsSummarySchema, cameraDetectionSummarySchema, cameraStatusFields, detectorLoadSummarySchema, eventBodyFields, eventFrameFields, eventLoopSummarySchema, healthBodyFields, heartbeatFields, modelFields, patrolFields, sequencedFields, statusFields,
} from './payloads.js';
import type { TopicKind } from './topics.js';
import { eventClipAnswerSchema } from './commands.js';

export * from './ids.js';
export * from './topics.js';
export * from './payloads.js';
export * from './commands.js';

/** ISO 8601 UTC, e.g. 2026-11-29T11:24:21.123Z. */
export type Timestamp = string;

/**
 * The payload fields of each JSON topic, read from the schemas. `docs/mqtt.md` must name every one
 * in the topic's section (a test checks), so the docs cannot fall behind the contract.
 */
export const PAYLOAD_FIELDS: Partial<Record<TopicKind, readonly string[]>> = {
  status: Object.keys(statusFields),
  // Open: the health module adds its own fields; those that describe detection capacity are listed.
  heartbeat: [
    ...Object.keys(heartbeatFields), 'cameras', 'detection', 'clips', 'detector', 'eventLoop', ...Object.keys(cameraClipsSummarySchema.shape),
    ...Object.keys(cameraDetectionSummarySchema.shape), ...Object.keys(detectorLoadSummarySchema.shape), ...Object.keys(eventLoopSummarySchema.shape),
  ],
  cameraStatus: Object.keys(cameraStatusFields),
  events: Object.keys({ ...eventBodyFields, ...sequencedFields }),
  eventClip: Object.keys(eventClipAnswerSchema.shape),
  eventFrame: Object.keys(eventFrameFields),
  health: Object.keys({ ...healthBodyFields, ...sequencedFields }),
  model: Object.keys(modelFields),
  patrol: Object.keys(patrolFields), // open: the patrol report may grow
  command: ['id', 'expires'],
  commandResponse: ['id', 'status', 'data', 'error'],
};
