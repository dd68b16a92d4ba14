import { z } from 'zod';
import { hostSchema } from './sections/host.js';
import { mqttSchema } from './sections/mqtt.js';
import { storageSchema } from './sections/storage.js';
import { camerasSchema } from './sections/cameras.js';
import { heartbeatSchema } from './sections/heartbeat.js';
import { healthSchema } from './sections/health.js';
import { gpioSchema } from './sections/gpio.js';
import { patrolSchema } from './sections/patrol.js';
import { retentionSchema } from './sections/retention.js';
import { watchdogSchema } from './sections/watchdog.js';
import { hostEventsSchema } from './sections/camera-pipeline.js';
import { eventLogSchema, outboxSchema } from './sections/outbox.js';
import { detectorSchema } from './sections/detector.js';
import { modelsSchema } from './sections/models.js';
import { clipsSchema } from './sections/clips.js';

/**
 * What every host sets (the spec's example): these keys are active in `config/minwang.example.yaml`,
 * generated from this schema by `npm run config:example`; every other key shows its default or a
 * commented-out example.
 */
const ESSENTIALS = {
  host: { id: 'xidian-wangjia-01' },
  mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'xidian-wangjia-01', passwordFile: '/etc/minwang/secrets/mqtt-password' },
  storage: { dataDir: '/var/lib/minwang' },
  cameras: [{
    id: 'gate',
    name: 'Village gate',
    snapshot: { url: 'http://192.168.1.64/ISAPI/Streaming/channels/101/picture', username: 'admin', passwordEnv: 'MINWANG_GATE_PASSWORD' },
    interval: '1s',
  }],
};

/**
 * The one schema of the config file: the TypeScript type, the defaults and the error messages
 * all come from here. Each section lives in `sections/` next to its bounds and descriptions.
 */
export const configSchema = z.strictObject({
  host: hostSchema,
  mqtt: mqttSchema,
  storage: storageSchema,
  cameras: camerasSchema,
  heartbeat: heartbeatSchema,
  health: healthSchema,
  gpio: gpioSchema,
  patrol: patrolSchema,
  retention: retentionSchema,
  watchdog: watchdogSchema,
  events: hostEventsSchema,
  outbox: outboxSchema,
  eventLog: eventLogSchema,
  detector: detectorSchema,
  models: modelsSchema,
  clips: clipsSchema,
}).meta({ example: ESSENTIALS });

export type Config = z.output<typeof configSchema>;
export type CameraConfig = Config['cameras'][number];
