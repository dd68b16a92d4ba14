import { expect } from 'vitest';
import { parseConfigText } from '../../agent/config/load.js';
import type { Config } from '../../agent/config/schema.js';
import { AgentError } from '../../agent/core/errors.js';

/** The error message a config text is refused with (as file `config.yaml` unless named); fails if accepted. */
export function configProblems(text: string, file = 'config.yaml'): string {
  try {
    parseConfigText(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return (err as AgentError).message;
  }
  throw new Error('config was accepted');
}

/**
 * A config with one camera `gate` whose frames a test supplies itself (the file source is replaced by
 * a scripted one), detection off, polled every 100 ms; `extra` adds top-level sections.
 */
export function scriptedCameraConfig(options: { host: string; dataDir: string; faults?: string; extra?: string }): Config {
  return parseConfigText(`
host: { id: ${options.host} }
mqtt: { url: mqtt://127.0.0.1:1 }
storage: { dataDir: ${options.dataDir} }
${options.extra ?? ''}
cameras:
  - id: gate
    file: { path: /dev/null }
    interval: 100ms
    faults: { ${options.faults ?? 'debounce: 100ms'} }
    detect: { enabled: false }
`, `${options.host}.yaml`);
}
