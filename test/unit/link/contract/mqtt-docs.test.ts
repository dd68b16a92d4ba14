import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { COMMAND_ERROR_CODES, COMMANDS, PAYLOAD_FIELDS, TOPIC_PATTERNS, TOPICS, type TopicKind } from '../../../../agent/link/contract/v1.js';

const docs = await readFile(new URL('../../../../docs/mqtt.md', import.meta.url), 'utf8');

function tableRows(): Map<string, { retained: string; qos: string }> {
  const rows = new Map<string, { retained: string; qos: string }>();
  for (const line of docs.split('\n')) {
    const cells = /^\| `([^`]+)` \| (\w+) \| (\d) \|/.exec(line);
    if (cells !== null) rows.set(cells[1] ?? '', { retained: cells[2] ?? '', qos: cells[3] ?? '' });
  }
  return rows;
}

function section(heading: string): string {
  const parts = docs.split(/^### /m);
  const found = parts.find((p) => p.startsWith(`${heading}\n`));
  if (found === undefined) throw new Error(`docs/mqtt.md has no section "### ${heading}"`);
  return found;
}

describe('docs/mqtt.md matches agent/link/contract/v1.ts', () => {
  const kinds = Object.keys(TOPICS) as TopicKind[];

  it.each(kinds)('documents topic %s with its retain flag and QoS', (kind) => {
    const row = tableRows().get(TOPIC_PATTERNS[kind]);
    expect(row, `no table row for ${TOPIC_PATTERNS[kind]}`).toBeDefined();
    expect(row).toEqual({ retained: TOPICS[kind].retain ? 'yes' : 'no', qos: String(TOPICS[kind].qos) });
  });

  it('documents no topic the contract does not have', () => {
    expect([...tableRows().keys()].sort()).toEqual(Object.values(TOPIC_PATTERNS).sort());
  });

  it.each(kinds)('names every payload field of %s in its section', (kind) => {
    const text = section(`\`${TOPIC_PATTERNS[kind]}\``);
    for (const field of PAYLOAD_FIELDS[kind] ?? []) expect(text, `${kind}.${field}`).toContain(`\`${field}\``);
  });

  it.each(Object.keys(COMMANDS))('documents command %s and each of its parameters', (op) => {
    const text = section(`\`${op}\``);
    const params = COMMANDS[op as keyof typeof COMMANDS].params;
    expect(params).toBeInstanceOf(z.ZodObject);
    for (const key of Object.keys((params as z.ZodObject).shape)) expect(text, `${op}.${key}`).toContain(`\`${key}\``);
  });

  it('lists every command error code', () => {
    const text = section(`\`${TOPIC_PATTERNS.commandResponse}\``);
    for (const code of COMMAND_ERROR_CODES) expect(text).toContain(`\`${code}\``);
  });
});
