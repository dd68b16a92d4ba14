import { expect } from 'vitest';
import { parseConfigText } from '../../agent/config/load.js';
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
