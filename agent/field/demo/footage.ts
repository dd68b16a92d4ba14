import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentError } from '../../core/errors.js';
import type { Processes } from '../../ports/process.js';

/** The pedestrians clip from Debian's opencv-doc, as scripts/fetch-footage.sh caches it. */
export const DEMO_CLIP = join('opencv', 'vtest.avi');

/** The fetch script, beside `agent/` in the repo and beside `dist/` in the package. */
export const FETCH_SCRIPT = fileURLToPath(new URL('../../../scripts/fetch-footage.sh', import.meta.url));

/** The script's exit code when Debian's archive cannot be reached with apt. */
const APT_UNREACHABLE = 3;

/** Where scripts/fetch-footage.sh puts footage (`scripts/fetch-footage.sh --print`). */
export function footageDir(env: NodeJS.ProcessEnv): string {
  return env['MINWANG_FOOTAGE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'minwang', 'footage');
}

export interface DemoClipDeps {
  env: NodeJS.ProcessEnv;
  processes: Processes;
  /** Where the fetch's progress goes (the terminal). */
  progress: { write(text: string): unknown };
  script?: string;
}

/**
 * The demo clip's path. On first use it is fetched from the pinned Debian package by
 * scripts/fetch-footage.sh, its progress on the terminal; when that fails, the error says why
 * (apt unreachable, or a download that did not verify) and what to do instead.
 */
export async function demoClip(deps: DemoClipDeps): Promise<string> {
  const dir = footageDir(deps.env);
  const path = join(dir, DEMO_CLIP);
  if (await exists(path)) return path;
  deps.progress.write(`minwang demo: first run: fetching the demo footage (vtest.avi from Debian's opencv-doc, sha256-checked) into ${dir}\n`);
  const code = await runScript(deps);
  if (code === 0 && (await exists(path))) return path;
  throw new AgentError('demo.footage_missing', [
    code === APT_UNREACHABLE
      ? `the demo footage could not be fetched: Debian's archive is unreachable with apt-get (see above); it belongs at ${path}`
      : `the demo footage could not be fetched (scripts/fetch-footage.sh exited ${String(code)}, see above); it belongs at ${path}`,
    'It is vtest.avi (pedestrians) from the Debian package opencv-doc 4.6.0+dfsg-12, checked by sha256.',
    'Try again with:  scripts/fetch-footage.sh opencv   (needs apt-get: Debian, Ubuntu or Raspberry Pi OS; no root needed)',
    'or put it there yourself, or point MINWANG_FOOTAGE_DIR at a directory holding opencv/vtest.avi.',
  ].join('\n'));
}

function runScript(deps: DemoClipDeps): Promise<number | null> {
  return new Promise((resolve) => {
    const child = deps.processes.spawn('bash', [deps.script ?? FETCH_SCRIPT, 'opencv'], { env: deps.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => deps.progress.write(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => deps.progress.write(chunk.toString()));
    child.once('error', (err) => {
      deps.progress.write(`minwang demo: cannot run ${deps.script ?? FETCH_SCRIPT}: ${err.message}\n`);
      resolve(null);
    });
    child.once('close', (code) => resolve(code));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
