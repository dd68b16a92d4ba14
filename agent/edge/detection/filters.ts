import type { CameraDetectConfig, DetectorConfig, LabelRulesInput, NamedZone } from '../../config/sections/detector.js';
import { DEFAULT_LABEL_RULES } from '../../config/sections/detector.js';
import type { Polygon } from '../../config/sections/regions.js';
import type { Box, Detection, Label } from '../types.js';
import { area } from '../box.js';

export interface LabelRules {
  minScore: number;
  minArea: number;
  maxArea: number;
}

/** Everything that decides whether one camera's detection raises an alert. */
export interface CameraFilter {
  labels: Record<Label, LabelRules>;
  zones: readonly NamedZone[];
  masks: readonly Polygon[];
}

/** The score each label needs on a camera (detector-wide, overridden per camera): a moving track's median must reach it. */
export function labelThresholds(detector: Pick<DetectorConfig, 'labels'>, camera?: Partial<CameraDetectConfig>): Record<Label, number> {
  const { labels } = cameraFilter(detector, camera);
  return { person: labels.person.minScore, ebike: labels.ebike.minScore };
}

/** Merges defaults ← detector-wide labels ← the camera's own overrides. */
export function cameraFilter(detector: Pick<DetectorConfig, 'labels'>, camera?: Partial<CameraDetectConfig>): CameraFilter {
  const rules = (label: Label): LabelRules => ({
    ...DEFAULT_LABEL_RULES[label],
    ...defined(detector.labels[label]),
    ...defined(camera?.labels?.[label]),
  });
  return { labels: { person: rules('person'), ebike: rules('ebike') }, zones: camera?.zones ?? [], masks: camera?.masks ?? [] };
}

/**
 * Keeps the detections that should raise an alert: score and box size within the label's
 * rules, foot point (bottom centre, where the object stands) inside a zone when zones are set,
 * and not inside any mask. Pure: the composition root applies it between detection and tracking.
 */
export function filterDetections(detections: readonly Detection[], filter: CameraFilter): Detection[] {
  return detections.filter((d) => passes(d, filter));
}

function passes(d: Detection, filter: CameraFilter): boolean {
  const rules = filter.labels[d.label];
  const size = area(d.box);
  if (d.score < rules.minScore || size < rules.minArea || size > rules.maxArea) return false;
  const foot = footPoint(d.box);
  if (filter.masks.some((mask) => insidePolygon(foot, mask))) return false;
  return filter.zones.length === 0 || filter.zones.some((zone) => insidePolygon(foot, zone.polygon));
}

/** The names of the zones an object stands in (its foot point), in config order: events' `zones`. */
export function zonesAt(box: Box, filter: Pick<CameraFilter, 'zones'>): string[] {
  const foot = footPoint(box);
  return filter.zones.filter((zone) => insidePolygon(foot, zone.polygon)).map((zone) => zone.name);
}

/** Where the object stands: the bottom centre of its box. */
function footPoint(box: Box): [number, number] {
  return [(box[0] + box[2]) / 2, box[3]];
}

/** Even-odd ray casting; a point on the boundary may fall either way. */
export function insidePolygon([x, y]: readonly [number, number], polygon: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] ?? [0, 0];
    const [xj, yj] = polygon[j] ?? [0, 0];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function defined(rules: LabelRulesInput | undefined): Partial<LabelRules> {
  if (rules === undefined) return {};
  return Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined));
}
