import { z } from 'zod';

/** A point in normalised image coordinates: [x, y], each 0..1 (0,0 is the top left). */
const point = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

/** A polygon of at least three normalised points, e.g. [[0,0],[0.3,0],[0.3,0.2]]. */
export const polygonSchema = z.array(point).min(3, 'a polygon needs at least 3 points').max(64);
export type Polygon = z.output<typeof polygonSchema>;
