import { CameraPipeline } from '../../agent/app/camera-pipeline.js';
import type { Config } from '../../agent/config/schema.js';
import { silentLogger } from '../../agent/core/logger.js';
import type { Detector } from '../../agent/edge/types.js';
import { AlertBoard } from '../../agent/host/health/alerts.js';
import { realHostPorts } from '../../agent/ports/index.js';
import type { FakeClock } from '../fakes/clock.js';
import { FrameListSource } from '../fakes/frame-list-source.js';
import { MemoryStationLink } from '../fakes/memory-link.js';
import { ClockScheduler } from '../fakes/scheduler.js';

/** One camera's pipeline on a fake clock, fed `frames` in turn, with `detector` and a memory link; started. */
export async function startPipeline(config: Config, camera: string, frames: Buffer[], detector: Detector, clock: FakeClock) {
  const source = new FrameListSource(camera, frames, clock);
  const link = new MemoryStationLink();
  const pipeline = new CameraPipeline({
    config, ports: { ...realHostPorts(), clock, scheduler: new ClockScheduler(clock) }, logger: silentLogger(), link, detector,
    alerts: new AlertBoard({ link, clock, logger: silentLogger() }), sources: new Map([[camera, source]]),
  });
  const modules = pipeline.modules();
  for (const m of modules) await m.start();
  const stop = async () => {
    for (const m of [...modules].reverse()) await m.stop();
  };
  return { pipeline, source, link, stop };
}
