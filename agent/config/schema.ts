import { z } from 'zod';
import { hostSchema } from './sections/host.js';
import { mqttSchema } from './sections/mqtt.js';
import { storageSchema } from './sections/storage.js';
import { camerasSchema } from './sections/cameras.js';
import { detectorSchema } from './sections/detector.js';

/**
 * The one schema of the config file: the TypeScript type, the defaults and the error messages
 * all come from here. Each section lives in `sections/` next to its bounds and descriptions.
 */
export const configSchema = z.strictObject({
  host: hostSchema,
  mqtt: mqttSchema,
  storage: storageSchema,
  cameras: camerasSchema,
  detector: detectorSchema,
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type CameraConfig = Config['cameras'][number];
