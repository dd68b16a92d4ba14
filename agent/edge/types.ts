import type { WHOLE_FRAME_SEARCHES } from '../config/sections/detector.js';
/**
 * The values that flow between stages: cameras → sampling → motion → detection → tracking/events.
 * Stages share these types and nothing else; the composition root connects them.
 */

/** A box in normalised image coordinates, 0..1: [x1, y1, x2, y2] with x1 < x2, y1 < y2. */
export type Box = [number, number, number, number];

/** One sampled picture from a camera, as the camera gave it (JPEG). */
export interface Frame {
  camera: string;
  /** Wall-clock capture time (for `ts` fields). */
  capturedAt: Date;
  /** Monotonic capture time in ms (for ages and durations). */
  mono: number;
  jpeg: Buffer;
  /** Known when the source decoded or was told the size; else undefined until decoded. */
  width?: number;
  height?: number;
}

/** The labels the agent alerts on. */
export type Label = 'person' | 'ebike';

export interface Detection {
  label: Label;
  /** The model's own class name (COCO: person, bicycle, motorcycle...). */
  class: string;
  score: number;
  box: Box;
}

/** What a detector found in one image. `width`/`height` are the image's pixels. */
export interface DetectionResult {
  width: number;
  height: number;
  ms: number;
  detections: Detection[];
}

/** How a whole-frame search is run on the busy plan (`detector.whenBusy.wholeFrame`). */
export type WholeFrameSearch = (typeof WHOLE_FRAME_SEARCHES)[number];

export interface DetectOptions {
  /** Where to look (e.g. motion regions); undefined means the whole image (plus tiles). */
  regions?: Box[];
  /**
   * How far a crop merged from several regions may be shrunk into the model's input (1 = never,
   * default 1.5). Larger merges more regions into fewer inferences: cheaper, and small objects shrink.
   */
  maxShrink?: number;
  /**
   * Pack small region crops into cells of a 2×2 mosaic input instead of one input each (docs/detection.md):
   * with a pool, several frames' cells share inputs. Only with `regions`.
   */
  mosaic?: boolean;
  /**
   * With `mosaic`: a crop too large for a cell that fits half the input shrunk at most this many
   * times shares an input with another frame's (pairs, docs/capacity.md). Absent: no pairs.
   */
  pairShrink?: number;
  /**
   * Without `regions` (a whole-frame search), on the busy plan: `tiles` (default) the full frame and
   * its tiles, each in a whole input; `pairs` the same crops, each in half an input when it fits (with
   * `mosaic` and `pairShrink`); `frame` the full frame alone (in half an input when it fits).
   */
  still?: WholeFrameSearch;
}

/** Runs the model on an encoded image (JPEG/PNG) and returns raw detections, before per-camera filters. */
export interface Detector {
  detect(image: Buffer, options?: DetectOptions): Promise<DetectionResult>;
}

/**
 * Where a camera's frames come from (HTTP snapshot, RTSP through ffmpeg, replayed footage).
 * `grab` returns the next frame or throws a `camera.fault` AgentError whose reason the station sees.
 */
export interface FrameSource {
  readonly camera: string;
  start(): Promise<void>;
  /** Releases sockets and child processes; after it resolves nothing of the source runs. */
  stop(): Promise<void>;
  /** The next frame, newer than the one returned before; rejects when `signal` aborts. */
  grab(signal: AbortSignal): Promise<Frame>;
  /** Restarts of the underlying connection or process (RTSP), for connection-quality stats. */
  restarts?(): number;
}
