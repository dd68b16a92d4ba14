import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layout rules of docs/architecture.md that a test can check.
const AGENT = join(import.meta.dirname, '..', '..', 'agent');
const MAX_LINES = 300;
const WHY_ONE_FILE = /^\/\/ One file: \S/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('the agent/ tree', () => {
  it('has at most 12 top-level folders, each named in docs/architecture.md', () => {
    const folders = readdirSync(AGENT).filter((name) => statSync(join(AGENT, name)).isDirectory());
    expect(folders.length).toBeLessThanOrEqual(12);
    const architecture = readFileSync(join(AGENT, '..', 'docs', 'architecture.md'), 'utf8');
    expect(folders.filter((folder) => !architecture.includes(`agent/${folder}/`))).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines without a first-line comment saying why it is one file`, () => {
    const long = sourceFiles(AGENT)
      .filter((path) => readFileSync(path, 'utf8').split('\n').length > MAX_LINES)
      .filter((path) => !WHY_ONE_FILE.test(readFileSync(path, 'utf8')))
      .map((path) => relative(AGENT, path));
    expect(long).toEqual([]);
  });
});
