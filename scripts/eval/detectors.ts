/**
 * The detector the eval runs, built exactly as a pool worker builds it (`workerSetup` →
 * `createDetector`), with only the raw score floor lowered so that precision/recall curves can be
 * drawn below the configured thresholds. The per-camera filter is then applied as `minwang detect`
 * and the agent apply it, score aside.
 */
import type { DetectorConfig } from '../../agent/config/sections/detector.js';
import { createDetector } from '../../agent/edge/detection/create.js';
import { cameraFilter, filterDetections, type CameraFilter } from '../../agent/edge/detection/filters.js';
import { workerSetup } from '../../agent/edge/detection/from-config.js';
import type { TfDetector } from '../../agent/edge/detection/tf-detector.js';
import type { Detection, Label } from '../../agent/edge/types.js';

/** Settings compared by the eval: named changes to the configured `detector:` section. */
export const SETTINGS: Record<string, (d: DetectorConfig) => DetectorConfig> = {
  configured: (d) => d,
  frame: (d) => ({ ...d, tiling: { ...d.tiling, grids: [] } }),
  tiles2: (d) => ({ ...d, tiling: { ...d.tiling, grids: [2] } }),
  tiles3: (d) => ({ ...d, tiling: { ...d.tiling, grids: [3] } }),
  tiles23: (d) => ({ ...d, tiling: { ...d.tiling, grids: [2, 3] } }),
  // Tiles on small pictures too (`minImageSide` 320 instead of 640; tried, not kept: docs/detection.md).
  'tiles-small': (d) => ({ ...d, tiling: { ...d.tiling, minImageSide: 320 } }),
  // `detector.lowLight`: dark frames (mean luminance below `belowLuma`) brightened before detection.
  'lowlight-off': (d) => ({ ...d, lowLight: { ...d.lowLight, method: 'off' } }),
  'lowlight-gamma': (d) => ({ ...d, lowLight: { ...d.lowLight, method: 'gamma', secondLook: false } }),
  'lowlight-gamma-twice': (d) => ({ ...d, lowLight: { ...d.lowLight, method: 'gamma', secondLook: true } }),
  'lowlight-normalise': (d) => ({ ...d, lowLight: { ...d.lowLight, method: 'normalise', secondLook: false } }),
  'lowlight-clahe': (d) => ({ ...d, lowLight: { ...d.lowLight, method: 'clahe', secondLook: false } }),
  // `detector.zoom`: a closer look at unsure boxes on still pictures.
  'zoom-off': (d) => ({ ...d, zoom: { ...d.zoom, maxPerPicture: 0 } }),
  zoom: (d) => ({ ...d, zoom: { ...d.zoom, maxPerPicture: Math.max(1, d.zoom.maxPerPicture) } }),
  // Without the second model on still pictures (`detector.secondModel: none`: the defaults before it).
  'second-none': (d) => ({ ...d, secondModel: 'none' }),
  // The closer look on two-wheelers too (off by default: docs/detection.md, "A closer look").
  'zoom-ebike': (d) => ({ ...d, zoom: { ...d.zoom, labels: ['person', 'ebike'], maxPerPicture: Math.max(1, d.zoom.maxPerPicture) } }),
  // More candidates for the closer look (tried, not kept: docs/detection.md, "Thresholds by presence").
  'zoom-wide': (d) => ({ ...d, zoom: { ...d.zoom, from: 0.15, maxPerPicture: 16 } }),
  // The thresholds before they were chosen by presence (person 0.45, e-bike 0.33).
  'before-presence': (d) => ({ ...d, labels: { ...d.labels, person: { ...d.labels.person, minScore: 0.45 }, ebike: { ...d.labels.ebike, minScore: 0.33 } } }),
  // The closer look from 0.25, as the eval ran it until 1 December 2026 (the agent's score floor kept its own at 0.30).
  'zoom-from-025': (d) => ({ ...d, zoom: { ...d.zoom, from: 0.25 } }),
  // The defaults before the closer look: no zoom, person threshold 0.50 (e-bike 0.33, as then).
  'before-zoom': (d) => ({ ...d, zoom: { ...d.zoom, maxPerPicture: 0 }, labels: { ...d.labels, person: { ...d.labels.person, minScore: 0.5 }, ebike: { ...d.labels.ebike, minScore: 0.33 } } }),
};

export const CURVE_FLOOR = 0.15;

export async function evalDetector(detector: DetectorConfig): Promise<TfDetector> {
  const setup = workerSetup(detector);
  return createDetector({ ...setup, minScore: Math.min(setup.minScore, CURVE_FLOOR) });
}

/** The detector-wide filter with every label's score threshold at 0: zones, masks and sizes still apply. */
export function scorelessFilter(detector: DetectorConfig): CameraFilter {
  const filter = cameraFilter(detector);
  return {
    ...filter,
    labels: { person: { ...filter.labels.person, minScore: 0 }, ebike: { ...filter.labels.ebike, minScore: 0 } },
  };
}

export function scoresByLabel(detections: readonly Detection[], filter: CameraFilter): Record<Label, number[]> {
  const kept = filterDetections(detections, filter);
  return {
    person: kept.filter((d) => d.label === 'person').map((d) => d.score),
    ebike: kept.filter((d) => d.label === 'ebike').map((d) => d.score),
  };
}
