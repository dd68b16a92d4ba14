import { systemClock, type Clock } from './clock.js';
import { realFileSystem, type FileSystem } from './fs.js';
import { realHttp, type Http } from './http.js';
import { realMqttConnector, type MqttConnector } from './mqtt.js';
import { realProcesses, type Processes } from './process.js';
import type { Gpio } from './gpio.js';
import type { Scheduler } from './scheduler.js';
import { cronScheduler } from './real/scheduler.js';
import { onoffGpio } from './real/gpio-onoff.js';

/**
 * Everything the agent needs from the outside world. The composition root receives one of
 * these; `run` passes the real host, tests pass fakes.
 */
export interface HostPorts {
  clock: Clock;
  fs: FileSystem;
  http: Http;
  mqtt: MqttConnector;
  gpio: Gpio;
  processes: Processes;
  scheduler: Scheduler;
  /** Environment variables (systemd's NOTIFY_SOCKET, secrets). */
  env: NodeJS.ProcessEnv;
}

export function realHostPorts(): HostPorts {
  return {
    clock: systemClock,
    fs: realFileSystem,
    http: realHttp,
    mqtt: realMqttConnector,
    gpio: onoffGpio(),
    processes: realProcesses,
    scheduler: cronScheduler,
    env: process.env,
  };
}

export type { Clock, FileSystem, Http, MqttConnector, Processes, Gpio, Scheduler };
