import type { CameraConfig } from '../../config/schema.js';
import type { Logger } from '../../core/logger.js';
import type { HostPorts } from '../../ports/index.js';
import type { FrameSource } from '../types.js';
import { FfmpegSource } from './ffmpeg-source.js';
import { FileSource } from './file-source.js';
import { rtspArgs } from './rtsp-args.js';
import { SnapshotSource } from './snapshot-source.js';
import { urlPassword } from '../../core/redact.js';
import { definedProps } from '../../core/defined-props.js';

export { FfmpegSource } from './ffmpeg-source.js';
export { FileSource } from './file-source.js';
export { SnapshotSource } from './snapshot-source.js';

export type SourcePorts = Pick<HostPorts, 'clock' | 'http' | 'fs' | 'processes'>;

/** The source a camera's config describes (exactly one of snapshot, rtsp, file; the schema ensures it). */
export function createFrameSource(camera: CameraConfig, ports: SourcePorts, logger: Logger): FrameSource {
  const log = logger.child({ module: 'camera-source', camera: camera.id });
  if (camera.snapshot !== undefined) {
    return new SnapshotSource({
      camera: camera.id,
      url: camera.snapshot.url,
      ...definedProps({ username: camera.snapshot.username, password: camera.snapshot.password }),
      auth: camera.snapshot.auth,
      http: ports.http,
      clock: ports.clock,
    });
  }
  if (camera.rtsp !== undefined) {
    return new FfmpegSource({
      camera: camera.id,
      args: rtspArgs({
        url: camera.rtsp.url,
        ...definedProps({ username: camera.rtsp.username, password: camera.rtsp.password }),
        intervalMs: camera.interval,
        timeoutMs: camera.timeout,
      }),
      processes: ports.processes,
      clock: ports.clock,
      logger: log,
      secrets: [...urlPassword(camera.rtsp.url), ...(camera.rtsp.password === undefined ? [] : [camera.rtsp.password])],
      // A stream that gives no frame for several intervals (and at least the socket timeout) is stalled.
      stallMs: Math.max(camera.timeout, camera.interval * 3) + 2000,
    });
  }
  const file = camera.file ?? { path: '', loop: true };
  return new FileSource({ camera: camera.id, path: file.path, loop: file.loop, intervalMs: camera.interval, ...ports, logger: log });
}
