/**
 * The id patterns of contract v1, defined once. Config, the link, the commands and the station
 * all import them from here, so an id one side accepts is never refused by the other.
 */
import { z } from 'zod';

/** Host ids: the MQTT topic level `minwang/<host>/`, also a file name and URL segment at the station. */
export const HOST_ID_RE = /^[a-z0-9-]{1,64}$/;
/** Camera ids: the topic level `camera/<camera>/status`. */
export const CAMERA_ID_RE = /^[a-z0-9-]{1,32}$/;
/**
 * Event, health and patrol report ids: opaque, but safe as a topic level (no "/", "+", "#"),
 * a file name (no leading ".") and a URL segment.
 */
export const ITEM_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Zone names, as configured and as they appear in events' `zones`. */
export const ZONE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
/** Request ids: what the station chose, echoed in the answer. */
export const COMMAND_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
/** Command names: one or more lower-case topic levels (`ping`, `events/query`). */
export const COMMAND_OP_RE = /^[a-z][a-z0-9-]{0,31}(\/[a-z][a-z0-9-]{0,31}){0,3}$/;

export const hostId = z.string().regex(HOST_ID_RE, 'must be 1-64 characters of a-z, 0-9 and "-" (it becomes an MQTT topic level)');
export const cameraId = z.string().regex(CAMERA_ID_RE, 'must be 1-32 characters of a-z, 0-9 and "-"');
export const itemId = z.string().regex(ITEM_ID_RE, 'must be 1-128 characters of A-Z, a-z, 0-9, ".", "_" and "-", not starting with "." "_" or "-"');
export const zoneName = z.string().regex(ZONE_NAME_RE, 'must be 1-64 characters of letters, digits, " ", ".", "_" and "-"');
export const commandId = z.string().regex(COMMAND_ID_RE, 'must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-"');
