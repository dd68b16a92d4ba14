import { DEFAULT_CONFIG_PATH } from '../config/load.js';
import type { OptionValues } from './command.js';

/** `--config`, else $MINWANG_CONFIG, else the installed default. */
export function configPath(values: OptionValues, env: NodeJS.ProcessEnv): string {
  const flag = values['config'];
  if (typeof flag === 'string') return flag;
  return env['MINWANG_CONFIG'] ?? DEFAULT_CONFIG_PATH;
}
