import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/logger.js';
import type { HostPorts } from '../../ports/index.js';
import { brokerChecks } from './broker-check.js';
import { cameraCheck } from './camera-check.js';
import { clockCheck, diskChecks, gpioCheck } from './host-checks.js';
import { modelChecks } from './model-check.js';
import type { Check } from './types.js';

export interface DoctorOptions {
  /** Where model ids are looked up (default: the packaged models). */
  modelsRoot?: string;
}

/** Every check the installer needs, in checklist order: cameras, broker, disks, GPIO, clock, models. */
export function doctorChecks(config: Config, ports: HostPorts, logger: Logger, options: DoctorOptions = {}): Check[] {
  return [
    ...config.cameras.map((camera) => cameraCheck(camera, ports, logger)),
    ...brokerChecks(config, { connector: ports.mqtt, fs: ports.fs }),
    ...diskChecks(config, ports),
    gpioCheck(config, ports),
    clockCheck(ports),
    ...modelChecks(config, options.modelsRoot),
  ];
}
