import type { Box, Detection, Frame, Label } from '../types.js';
import { iou, relativeDistance } from '../box.js';

export interface Track {
  id: string;
  label: Label;
  box: Box;
  score: number;
  hits: number;
  firstSeenMono: number;
  /** When the detector last found it. */
  lastDetectedMono: number;
  /** When it was last known to be there: found by the detector, or kept with its picture unchanged. */
  lastSeenMono: number;
  startedAt: Date;
  lastSeenAt: Date;
  zones: string[];
  /** The box it appeared with, and how far it has moved from there at most (centre distance in that box's diagonals). */
  firstBox: Box;
  maxMove: number;
  /** Its latest scores, oldest first (at most `SCORE_HISTORY`): the track's confidence is taken from them, not one frame. */
  scores: number[];
  /** The frame the detector last found it on (its box there is `box`): what it looked like last. */
  lastFrame: Frame;
  /** The frame where the object scored best, and its box there: the thumbnail's source. */
  best: { frame: Frame; box: Box; score: number };
}

/** Scores kept per track: about 10 s at 1 frame/s. */
export const SCORE_HISTORY = 10;

export interface TrackerOptions {
  iou: number;
  /** A detection this close (centre distance in track diagonals) continues a track even without overlap. */
  maxDistance?: number;
  /** Whether detection `to`, which does not overlap it, may continue this track (default: always). */
  mayJump?: (track: Track, to: Detection) => boolean;
  newId: () => string;
}

/** A detection that would continue a track (`index` into the frame's detections). */
export interface Pairing {
  track: Track;
  index: number;
}

export interface TrackUpdate {
  track: Track;
  /** Just created by this frame. */
  created: boolean;
  /** The detection (its index in the frame's detections) that updated or created the track. */
  index: number;
}

/**
 * Follows objects across one camera's frames: a detection continues the track of the same label
 * whose box overlaps it most (IoU), or failing that the nearest one (objects at 1 frame/s move
 * further than their own width); anything else starts a new track with a new, stable id.
 */
export class ObjectTracker {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly options: TrackerOptions) {}

  active(): Track[] {
    return [...this.tracks.values()];
  }

  /**
   * `refused` names pairings (from `pairings`) that must not happen: the detection is then matched
   * to another track or starts its own.
   */
  observe(frame: Frame, detections: readonly Detection[], zonesOf: (box: Box) => string[], refused?: (pairing: Pairing) => boolean): TrackUpdate[] {
    const pairs = this.pairings(detections).filter((pair) => refused?.(pair) !== true);
    const usedTracks = new Set<string>();
    const usedDetections = new Set<number>();
    const updates: TrackUpdate[] = [];
    for (const { track, index } of pairs) {
      if (usedTracks.has(track.id) || usedDetections.has(index)) continue;
      usedTracks.add(track.id);
      usedDetections.add(index);
      updates.push({ track: this.continueTrack(track, detections[index] as Detection, frame, zonesOf), created: false, index });
    }
    detections.forEach((detection, index) => {
      if (!usedDetections.has(index)) updates.push({ track: this.startTrack(detection, frame, zonesOf), created: true, index });
    });
    return updates;
  }

  /**
   * Keeps a track alive on a frame where it was not looked for because nothing changed over it:
   * it is still there, but no new detection is credited to it.
   */
  keep(id: string, frame: Frame): void {
    const track = this.tracks.get(id);
    if (track === undefined) return;
    track.lastSeenMono = frame.mono;
    track.lastSeenAt = frame.capturedAt;
  }

  /** Removes and returns the tracks not seen since `oldestMono`. */
  expire(oldestMono: number): Track[] {
    const ended = [...this.tracks.values()].filter((t) => t.lastSeenMono < oldestMono);
    for (const track of ended) this.tracks.delete(track.id);
    return ended;
  }

  /** Every detection that could continue each track, best first (before the best pairs are chosen). */
  pairings(detections: readonly Detection[]): Pairing[] {
    const maxDistance = this.options.maxDistance ?? 1;
    const pairs: { track: Track; index: number; cost: number }[] = [];
    for (const track of this.tracks.values()) {
      detections.forEach((d, index) => {
        if (d.label !== track.label) return;
        const overlap = iou(track.box, d.box);
        if (overlap >= this.options.iou) pairs.push({ track, index, cost: -overlap });
        else if (this.options.mayJump?.(track, d) ?? true) {
          const distance = relativeDistance(track.box, d.box);
          if (distance <= maxDistance) pairs.push({ track, index, cost: distance });
        }
      });
    }
    // Overlaps (negative cost) first, best first; then nearest centres.
    return pairs.sort((a, b) => a.cost - b.cost);
  }

  private continueTrack(track: Track, d: Detection, frame: Frame, zonesOf: (box: Box) => string[]): Track {
    track.box = d.box;
    track.score = d.score;
    track.hits++;
    track.lastDetectedMono = frame.mono;
    track.lastSeenMono = frame.mono;
    track.lastSeenAt = frame.capturedAt;
    track.lastFrame = frame;
    track.zones = zonesOf(d.box);
    track.maxMove = Math.max(track.maxMove, relativeDistance(track.firstBox, d.box));
    track.scores.push(d.score);
    if (track.scores.length > SCORE_HISTORY) track.scores.shift();
    if (d.score > track.best.score) track.best = { frame, box: d.box, score: d.score };
    return track;
  }

  private startTrack(d: Detection, frame: Frame, zonesOf: (box: Box) => string[]): Track {
    const track: Track = {
      id: this.options.newId(),
      label: d.label,
      box: d.box,
      score: d.score,
      hits: 1,
      firstSeenMono: frame.mono,
      lastDetectedMono: frame.mono,
      lastSeenMono: frame.mono,
      startedAt: frame.capturedAt,
      lastSeenAt: frame.capturedAt,
      zones: zonesOf(d.box),
      firstBox: d.box,
      maxMove: 0,
      scores: [d.score],
      lastFrame: frame,
      best: { frame, box: d.box, score: d.score },
    };
    this.tracks.set(track.id, track);
    return track;
  }
}
