import { z } from 'zod';
import { stringify } from 'yaml';
import './meta.js';
import { formatDuration } from './duration.js';
import { formatByteSize } from './size.js';
import { definedProps } from '../core/defined-props.js';

/** How the example generator reads one config key's schema through zod 4's public definitions. */

export type Schema = z.core.$ZodType;
type Meta = z.core.GlobalMeta;
export type Def = z.core.$ZodTypes['_zod']['def'];

/** A config key's schema with its wrappers (optional, default, pipe) peeled off and their metadata merged. */
export interface Field {
  core: Schema;
  meta: Meta;
  optional: boolean;
  /** The `.default()` (output form) or `.prefault()` (input form) value. */
  fallback?: { value: unknown; input: boolean };
}

export function describeField(schema: Schema): Field {
  const metas: Meta[] = [];
  let optional = false;
  let fallback: Field['fallback'];
  let current = schema;
  for (;;) {
    metas.unshift(z.globalRegistry.get(current) ?? {});
    const def = current._zod.def as Def;
    const next = unwrapOnce(def);
    if (next === undefined || metas[0]?.unit !== undefined) break;
    if (def.type === 'optional') optional = true;
    if (def.type === 'default' || def.type === 'prefault') fallback ??= { value: def.defaultValue, input: def.type === 'prefault' };
    current = next;
  }
  return { core: current, meta: Object.assign({}, ...metas) as Meta, optional, ...definedProps({ fallback }) };
}

function unwrapOnce(def: Def): Schema | undefined {
  switch (def.type) {
    case 'optional': case 'default': case 'prefault': case 'readonly': case 'nonoptional': case 'catch':
      return def.innerType;
    case 'pipe':
      return def.in._zod.def.type === 'transform' ? def.out : def.in;
    default:
      return undefined;
  }
}

export function objectEntries(schema: Schema): [string, Schema][] {
  const def = schema._zod.def as Def;
  if (def.type !== 'object') throw new Error('the config schema must be an object');
  return Object.entries(def.shape);
}

export function fallbackInput(field: Field): unknown {
  const fallback = field.fallback;
  if (fallback === undefined) return undefined;
  return fallback.input ? fallback.value : toInput(field, fallback.value);
}

/** Turns a parsed (output) value back into what a person writes: 30000 → 30s, 65536 → 64KiB. */
function toInput(field: Field, value: unknown): unknown {
  if (typeof value === 'number' && field.meta.unit === 'duration') return formatDuration(value);
  if (typeof value === 'number' && field.meta.unit === 'size') return formatByteSize(value);
  const element = elementOf(field);
  if (Array.isArray(value) && element !== undefined) return value.map((item) => toInput(element, item));
  return value;
}

type Kind = 'object' | 'objects' | 'leaf';

export function kindOf(field: Field): Kind {
  if (field.meta.unit !== undefined) return 'leaf';
  const def = field.core._zod.def as Def;
  if (def.type === 'object') return 'object';
  const element = elementOf(field);
  return element !== undefined && kindOf(element) === 'object' ? 'objects' : 'leaf';
}

export function elementOf(field: Field): Field | undefined {
  const def = field.core._zod.def as Def;
  return def.type === 'array' ? describeField(def.element) : undefined;
}

export function flow(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}
