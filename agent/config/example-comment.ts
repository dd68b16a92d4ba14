import type { z } from 'zod';
import { formatDuration } from './duration.js';
import { formatByteSize } from './size.js';
import { fallbackInput, flow, kindOf, type Def, type Field, type Schema } from './example-field.js';

/** The comment above a key in the example config: Required / Optional / Default, range, description. */
export function commentText(field: Field): string {
  const facts = [presence(field), ...bounds(field)].filter((fact) => fact !== '');
  return [facts.length === 0 ? '' : `${capitalize(facts.join(', '))}.`, sentence(field.meta.description ?? '')].join(' ').trim();
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

export function wrap(text: string, width: number): string[] {
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
