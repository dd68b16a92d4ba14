import { SimDeviceService } from './device-service.js';
import { SimDiscoveryResponder } from './discovery-responder.js';
import type { SimCamera } from './types.js';

export interface SimCameras {
  /** Each camera's HTTP port (the real one when the config asked for 0). */
  ports: ReadonlyMap<SimCamera, number>;
  services: ReadonlyMap<SimCamera, SimDeviceService>;
  responder?: SimDiscoveryResponder;
  stop(): Promise<void>;
}

/** Starts the cameras' ONVIF services, and the WS-Discovery responder unless `discovery` is false. */
export async function startSimCameras(cameras: readonly SimCamera[], options: { discovery?: boolean } = {}): Promise<SimCameras> {
  const services = new Map<SimCamera, SimDeviceService>();
  const ports = new Map<SimCamera, number>();
  let responder: SimDiscoveryResponder | undefined;
  const stop = async () => {
    await responder?.stop();
    await Promise.all([...services.values()].map((s) => s.stop()));
  };
  try {
    for (const camera of cameras) {
      const service = new SimDeviceService(camera);
      services.set(camera, service);
      ports.set(camera, await service.start());
    }
    if (options.discovery !== false) {
      responder = new SimDiscoveryResponder(cameras, ports);
      await responder.start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, services, ...(responder === undefined ? {} : { responder }), stop };
}

export type { SimCamera, SimProfile } from './types.js';
