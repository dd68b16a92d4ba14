import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AgentError } from '../core/errors.js';

/** The pedestrians clip from Debian's opencv-doc, as scripts/fetch-footage.sh caches it. */
export const DEMO_CLIP = join('opencv', 'vtest.avi');

/** Where scripts/fetch-footage.sh puts footage (`scripts/fetch-footage.sh --print`). */
export function footageDir(env: NodeJS.ProcessEnv): string {
  return env['MINWANG_FOOTAGE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'minwang', 'footage');
}

/** The demo clip's path, or an error saying exactly what is missing and how to get it. */
export async function demoClip(env: NodeJS.ProcessEnv): Promise<string> {
  const path = join(footageDir(env), DEMO_CLIP);
  try {
    await access(path);
    return path;
  } catch {
    throw new AgentError('demo.footage_missing', [
      `the demo footage is missing: ${path}`,
      'It is vtest.avi (pedestrians) from the Debian package opencv-doc 4.6.0+dfsg-12, checked by sha256.',
      'Get it with:  scripts/fetch-footage.sh   (needs apt-get: Debian, Ubuntu or Raspberry Pi OS; no root needed)',
      'or put it there yourself, or point MINWANG_FOOTAGE_DIR at a directory holding opencv/vtest.avi.',
    ].join('\n'));
  }
}
