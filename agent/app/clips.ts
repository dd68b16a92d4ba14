import { clipsDir } from '../config/sections/clips.js';
import type { CameraConfig, Config } from '../config/schema.js';
import { definedProps } from '../core/defined-props.js';
import type { Logger } from '../core/logger.js';
import { urlPassword } from '../core/redact.js';
import { rtspRecordArgs } from '../edge/cameras/rtsp-args.js';
import { ClipMaker, type ClipCamera } from '../edge/clips/clip-maker.js';

export type { ClipMaker };
import type { HealthReporter, StationLink } from '../link/contract/link.js';
import type { HostPorts } from '../ports/index.js';

export interface ClipsDeps {
  config: Config;
  ports: Pick<HostPorts, 'fs' | 'processes' | 'clock'>;
  logger: Logger;
  link: StationLink;
  alerts: HealthReporter;
}

/** The clip maker for the configured cameras, or undefined when `clips.enabled` is false. */
export function buildClipMaker(deps: ClipsDeps): ClipMaker | undefined {
  const { config, ports } = deps;
  const settings = config.clips;
  if (!settings.enabled) return undefined;
  const dir = clipsDir(config);
  const cameras = config.cameras.map((camera) => clipCamera(camera, `${dir}/ring/${camera.id}`, settings.segment));
  return new ClipMaker({
    settings: {
      ...settings, dir, disk: settings.dir ?? config.storage.dataDir,
      endAfter: Math.max(0, ...config.cameras.map((c) => c.events.endAfter)),
    },
    cameras,
    link: deps.link,
    alerts: deps.alerts,
    ...ports,
    logger: deps.logger.child({ module: 'clips' }),
  });
}

function clipCamera(camera: CameraConfig, ringDir: string, segmentMs: number): ClipCamera {
  const rtsp = camera.rtsp;
  if (rtsp === undefined) return { id: camera.id, privacyMasks: camera.privacyMasks };
  const args = rtspRecordArgs({
    url: rtsp.url, timeoutMs: camera.timeout, dir: ringDir, segmentMs,
    ...definedProps({ username: rtsp.username, password: rtsp.password }),
  });
  return {
    id: camera.id,
    privacyMasks: camera.privacyMasks,
    record: { args, secrets: [...urlPassword(rtsp.url), ...(rtsp.password === undefined ? [] : [rtsp.password])] },
  };
}
