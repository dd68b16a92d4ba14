import type { LinkState } from '../../link/contract/link.js';
import type { CameraClipsSummary, CameraDetectionSummary, CameraState, DetectorLoadSummary, EventLoopSummary } from '../../link/contract/v1.js';

export interface CameraSummary {
  id: string;
  state: CameraState;
  reason: string | null;
  /** Frames sampled per minute, when the camera stage measures it. */
  fpm?: number;
  /** Connection quality from the camera stage: expected vs achieved fps, reconnects and stalls. */
  quality?: CameraLinkQuality;
  /** Frames offered to detection, detected and dropped, and the detection latency. */
  detection?: CameraDetectionSummary;
  /** The video held for clips and the clips made (absent when clips are off). */
  clips?: CameraClipsSummary;
}

export interface CameraLinkQuality {
  expectedFps: number;
  achievedFps: number;
  reconnectsLastHour: number;
  stallsLastHour: number;
  /** Frames dropped before detection because detection was busy. */
  dropped: number;
  /** New objects the flood guard counted but did not publish, since start (absent: not measured). */
  eventsNotPublished?: number;
}

export interface DetectorSummary extends Partial<DetectorLoadSummary> {
  backend: string;
  /** Mean inference time over the recent window. */
  avgMs: number | null;
}

/**
 * What the heartbeat reports, each from a narrow provider the composition root passes in.
 * Every source is optional: a source that is missing (its stage not built or disabled) is
 * simply absent from the heartbeat, never faked.
 */
export interface HeartbeatSources {
  /** Host vital signs (uptime, load, temperature, memory, throttling, clock). */
  host?: () => ({ uptimeS: number } & object) | null;
  disks?: () => readonly object[];
  /** Health alerts currently raised. */
  alerts?: () => readonly object[];
  cameras?: () => readonly CameraSummary[];
  detector?: () => DetectorSummary | undefined;
  /** The main thread's delay and utilisation since the last heartbeat. */
  eventLoop?: () => EventLoopSummary;
  link?: () => LinkState;
  modelVersion?: () => string | undefined;
}
