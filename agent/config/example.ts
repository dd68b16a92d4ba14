import { z } from 'zod';
import { parse } from 'yaml';
import { commentText, wrap } from './example-comment.js';
import {
  describeField, elementOf, fallbackInput, flow, kindOf, objectEntries, type Field, type Schema,
} from './example-field.js';

/**
 * Renders the example config (`config/minwang.example.yaml`) from the config schema, so the file
 * cannot drift from what the loader accepts. Every key appears in schema order with a comment made
 * from its metadata: Required / Optional / Default, the range, the `.describe()` text. Keys a host
 * sets are active; an optional key is shown commented out with its `.meta({ example })` value.
 * Every value shown is checked against its schema, so an example that would not load fails here.
 */

const WIDTH = 100;

const HEADER = `# minwang configuration: every key with its default and range. Keys not listed here are errors.
# Generated from the config schema (agent/config/) by \`npm run config:example\`; do not edit by hand.
# Durations are written like 500ms, 1s, 5m, 2h, 1d (or 1m30s); sizes like 64KiB, 256MiB, 2GB.
# A commented-out key or block is optional: remove its leading "# " to use it.
# Secrets (any \`password\`) may instead be given as \`passwordFile: /path\` (a file that is not
# world-readable; a trailing newline is ignored) or \`passwordEnv: NAME\` (an environment variable).
`;

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
  const text = commentText(field);
  if (text === '') return [];
  const prefix = line(ctx, '# ');
  return wrap(text, WIDTH - prefix.length).map((part) => `${prefix}${part}`);
}
