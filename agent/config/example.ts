import { z } from 'zod';
import { parse, stringify } from 'yaml';
import './meta.js';
import { formatDuration } from './duration.js';
import { formatByteSize } from './size.js';

/**
 * Renders the example config (`config/minwang.example.yaml`) from the config schema, so the file
 * cannot drift from what the loader accepts. Every key appears in schema order with a comment made
 * from its metadata: Required / Optional / Default, the range, the `.describe()` text. Keys a host
 * sets are active; an optional key is shown commented out with its `.meta({ example })` value.
 * Every value shown is checked against its schema, so an example that would not load fails here.
 */

type Schema = z.core.$ZodType;
type Meta = z.core.GlobalMeta;
type Def = z.core.$ZodTypes['_zod']['def'];

const WIDTH = 100;

const HEADER = `# minwang configuration: every key with its default and range. Keys not listed here are errors.
# Generated from the config schema (agent/config/) by \`npm run config:example\`; do not edit by hand.
# Durations are written like 500ms, 1s, 5m, 2h, 1d (or 1m30s); sizes like 64KiB, 256MiB, 2GB.
# A commented-out key or block is optional: remove its leading "# " to use it.
# Secrets (any \`password\`) may instead be given as \`passwordFile: /path\` (a file that is not
# world-readable; a trailing newline is ignored) or \`passwordEnv: NAME\` (an environment variable).
`;

/** A config key's schema with its wrappers (optional, default, pipe) peeled off and their metadata merged. */
interface Field {
  core: Schema;
  meta: Meta;
  optional: boolean;
  /** The `.default()` (output form) or `.prefault()` (input form) value. */
  fallback?: { value: unknown; input: boolean };
}

interface Ctx {
  indent: number;
  /** Columns at which a `# ` is inserted: one per enclosing commented-out block. */
  comments: number[];
  path: string;
}

interface Rendered {
  lines: string[];
  /** The value the active lines stand for (what the loader will read); undefined when commented out. */
  value: unknown;
}

export function renderConfigExample(schema: Schema): string {
  const root = describeField(schema);
  const sections = objectEntries(root.core).map(([key, child]) =>
    renderKey(key, child, root.meta.example, { indent: 0, comments: [], path: '' }).lines.join('\n'));
  const text = `${HEADER}\n${sections.join('\n\n')}\n`;
  check(schema, parse(text) as unknown, '(the whole file)');
  return text;
}

function describeField(schema: Schema): Field {
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
  return { core: current, meta: Object.assign({}, ...metas) as Meta, optional, ...(fallback === undefined ? {} : { fallback }) };
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

function objectEntries(schema: Schema): [string, Schema][] {
  const def = schema._zod.def as Def;
  if (def.type !== 'object') throw new Error('the config schema must be an object');
  return Object.entries(def.shape);
}

function renderKey(key: string, schema: Schema, parentExample: unknown, ctx: Ctx): Rendered {
  const field = describeField(schema);
  const path = ctx.path === '' ? key : `${ctx.path}.${key}`;
  const { active, value } = chooseValue(field, key, parentExample);
  const inner: Ctx = { indent: ctx.indent, comments: active ? ctx.comments : [...ctx.comments, ctx.indent], path };
  const body = renderValue(key, field, value, inner);
  if (!active) check(schema, body.value, path);
  return { lines: [...commentLines(field, ctx), ...body.lines], value: active ? body.value : undefined };
}

/** Active when the parent's example sets the key, it has a default, or it is required; else commented out. */
function chooseValue(field: Field, key: string, parentExample: unknown): { active: boolean; value: unknown } {
  if (isRecord(parentExample) && key in parentExample) return { active: true, value: parentExample[key] };
  const { example } = field.meta;
  if (example !== undefined && (field.optional || field.fallback !== undefined)) return { active: false, value: example };
  if (field.fallback !== undefined && kindOf(field) !== 'object') return { active: true, value: fallbackInput(field) };
  return { active: field.fallback !== undefined || !field.optional, value: example };
}

function fallbackInput(field: Field): unknown {
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

function kindOf(field: Field): Kind {
  if (field.meta.unit !== undefined) return 'leaf';
  const def = field.core._zod.def as Def;
  if (def.type === 'object') return 'object';
  const element = elementOf(field);
  return element !== undefined && kindOf(element) === 'object' ? 'objects' : 'leaf';
}

function elementOf(field: Field): Field | undefined {
  const def = field.core._zod.def as Def;
  return def.type === 'array' ? describeField(def.element) : undefined;
}

function renderValue(key: string, field: Field, value: unknown, ctx: Ctx): Rendered {
  switch (kindOf(field)) {
    case 'object':
      return renderObject(key, field, value ?? field.meta.example, ctx);
    case 'objects':
      return renderList(key, field, value, ctx);
    case 'leaf':
      return renderLeaf(key, value, ctx);
  }
}

function renderObject(key: string, field: Field, example: unknown, ctx: Ctx): Rendered {
  const fields = renderFields(field, example, { ...ctx, indent: ctx.indent + 2 });
  return { lines: [line(ctx, `${key}:`), ...fields.lines], value: fields.value };
}

function renderFields(field: Field, example: unknown, ctx: Ctx): Rendered {
  const lines: string[] = [];
  const value: Record<string, unknown> = {};
  for (const [name, schema] of objectEntries(field.core)) {
    const rendered = renderKey(name, schema, example, ctx);
    lines.push(...rendered.lines);
    if (rendered.value !== undefined) value[name] = rendered.value;
  }
  return { lines, value };
}

/** A list of mappings: each item walked like an object, its first line (a comment) starting with `- `. */
function renderList(key: string, field: Field, value: unknown, ctx: Ctx): Rendered {
  const items = requireValue(value, ctx.path);
  if (!Array.isArray(items) || items.length === 0) return renderLeaf(key, items, ctx);
  const element = elementOf(field) ?? field;
  const lines = [line(ctx, `${key}:`)];
  const values = items.map((item, i) => {
    const itemCtx: Ctx = { ...ctx, indent: ctx.indent + 4, path: `${ctx.path}[${i}]` };
    const rendered = renderFields(element, item, itemCtx);
    const [first = '', ...rest] = rendered.lines;
    const prefix = line(itemCtx, '');
    lines.push(`${prefix.slice(0, -2)}- ${first.slice(prefix.length)}`, ...rest);
    return rendered.value;
  });
  return { lines, value: values };
}

function renderLeaf(key: string, value: unknown, ctx: Ctx): Rendered {
  const present = requireValue(value, ctx.path);
  if (Array.isArray(present) && present.some((item) => typeof item === 'object' && item !== null)) {
    return { lines: [line(ctx, `${key}:`), ...present.map((item) => line({ ...ctx, indent: ctx.indent + 2 }, `- ${flow(item)}`))], value: present };
  }
  return { lines: [line(ctx, `${key}: ${flow(present)}`)], value: present };
}

function requireValue(value: unknown, path: string): unknown {
  if (value === undefined) throw new Error(`${path}: no value to show; give it .meta({ example: ... }) in the schema`);
  return value;
}

function flow(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}

/** Indents `content` to `ctx.indent`, inserting `# ` at each commented-out block's column. */
function line(ctx: Ctx, content: string): string {
  let text = '';
  let column = 0;
  for (const at of ctx.comments) {
    text += `${' '.repeat(at - column)}# `;
    column = at;
  }
  return `${text}${' '.repeat(ctx.indent - column)}${content}`;
}

function check(schema: Schema, value: unknown, path: string): void {
  const result = z.safeParse(schema, value);
  if (result.success) return;
  const problems = result.error.issues.map((issue) => `${[path, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  throw new Error(`the example does not validate:\n${problems.join('\n')}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- comments ----

function commentLines(field: Field, ctx: Ctx): string[] {
  const facts = [presence(field), ...bounds(field)].filter((fact) => fact !== '');
  const text = [facts.length === 0 ? '' : `${capitalize(facts.join(', '))}.`, sentence(field.meta.description ?? '')].join(' ').trim();
  if (text === '') return [];
  const prefix = line(ctx, '# ');
  return wrap(text, WIDTH - prefix.length).map((part) => `${prefix}${part}`);
}

function presence(field: Field): string {
  if (field.fallback !== undefined) return kindOf(field) === 'object' ? '' : `default${describeDefault(field)}`;
  return field.optional ? 'optional' : 'required';
}

function describeDefault(field: Field): string {
  const value = fallbackInput(field);
  if (Array.isArray(value) && value.length === 0) return ': none';
  return typeof value === 'string' && value.includes(' ') ? ` "${value}"` : ` ${flow(value)}`;
}

/** The range, list length and allowed values the schema enforces. */
function bounds(field: Field): string[] {
  const { unit, min, max } = field.meta;
  if (unit !== undefined && min !== undefined && max !== undefined) {
    const format = unit === 'duration' ? formatDuration : formatByteSize;
    return [`range ${format(min)} to ${format(max)}`];
  }
  const def = field.core._zod.def as Def;
  if (def.type === 'number') return numberRange(def.checks ?? []);
  if (def.type === 'array') return listLength(def.checks ?? []);
  if (def.type === 'enum') return [`one of ${Object.values(def.entries).join(', ')}`];
  if (def.type === 'union') return literalChoices(def.options);
  return [];
}

function checkDefs(checks: readonly z.core.$ZodCheck[]): z.core.$ZodChecks['_zod']['def'][] {
  return checks.map((check) => check._zod.def as z.core.$ZodChecks['_zod']['def']);
}

function numberRange(checks: readonly z.core.$ZodCheck[]): string[] {
  let min: string | undefined;
  let max: string | undefined;
  for (const def of checkDefs(checks)) {
    if (def.check === 'greater_than') min = `${def.inclusive ? '' : 'above '}${String(def.value)}`;
    if (def.check === 'less_than') max = `${def.inclusive ? '' : 'below '}${String(def.value)}`;
  }
  if (min !== undefined && max !== undefined) return [`range ${min}-${max}`];
  if (min !== undefined) return [`at least ${min}`];
  return max === undefined ? [] : [`at most ${max}`];
}

function listLength(checks: readonly z.core.$ZodCheck[]): string[] {
  const defs = checkDefs(checks);
  const min = defs.find((def) => def.check === 'min_length')?.minimum;
  const max = defs.find((def) => def.check === 'max_length')?.maximum;
  if (min !== undefined && max !== undefined) return [`${min}-${max} entries`];
  if (min !== undefined) return [`at least ${min} ${min === 1 ? 'entry' : 'entries'}`];
  return max === undefined ? [] : [`up to ${max} entries`];
}

function literalChoices(options: readonly Schema[]): string[] {
  const values = options.flatMap((option) => {
    const def = option._zod.def as Def;
    return def.type === 'literal' ? def.values.map(String) : [];
  });
  return values.length === options.length ? [`one of ${values.join(', ')}`] : [];
}

/** Starts a description with a capital and ends it with a full stop (identifiers like disk_low stay as they are). */
function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const capital = /^[a-z][a-z-]*(?:[\s,:]|$)/.test(trimmed) ? capitalize(trimmed) : trimmed;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  return current === '' ? lines : [...lines, current];
}
