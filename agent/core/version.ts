import { readFileSync } from 'node:fs';

/** The package version, as `status` and `ping` report it. */
export function agentVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
