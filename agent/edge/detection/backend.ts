import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { AgentError, errorMessage } from '../../core/errors.js';

export const BACKENDS = ['auto', 'wasm', 'tensorflow', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

/** The TensorFlow.js namespace; the native binding re-exports the same API. */
export type Tf = typeof tfjs;

export interface ReadyBackend {
  tf: Tf;
  name: BackendName;
  /** Why `auto` did not pick the native backend, when it did not. */
  fallbackReason?: string;
}

const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * Makes a TensorFlow.js backend ready. `auto` takes the native `@tensorflow/tfjs-node` when it is
 * installed and loads (it is an optional peer, never required), else wasm with SIMD.
 * The wasm binaries come from node_modules: nothing is downloaded.
 */
export async function readyBackend(choice: BackendChoice, threads = 1): Promise<ReadyBackend> {
  if (choice === 'tensorflow') return { tf: await loadNative(), name: 'tensorflow' };
  if (choice === 'auto') {
    try {
      return { tf: await loadNative(), name: 'tensorflow' };
    } catch (err) {
      return { ...(await readyJsBackend('wasm', threads)), fallbackReason: errorMessage(err) };
    }
  }
  return readyJsBackend(choice, threads);
}

async function readyJsBackend(name: 'wasm' | 'cpu', threads: number): Promise<ReadyBackend> {
  if (name === 'wasm') {
    setWasmPaths(wasmDir());
    setThreadsCount(threads);
  }
  const ok = await withoutProcessHandlers(() => tfjs.setBackend(name));
  if (!ok) throw new AgentError('detector.failed', `TensorFlow.js backend "${name}" failed to initialise`);
  await tfjs.ready();
  tfjs.enableProdMode();
  return { tf: tfjs, name };
}

async function loadNative(): Promise<Tf> {
  let native: Tf;
  try {
    // A variable specifier: the package is optional and has no types here.
    const specifier: string = TFJS_NODE;
    native = (await import(specifier)) as Tf;
  } catch (err) {
    throw new AgentError('detector.failed', `backend "tensorflow" needs ${TFJS_NODE}, which is not installed or does not load: ${errorMessage(err)}`, { cause: err });
  }
  await native.setBackend('tensorflow');
  await native.ready();
  native.enableProdMode();
  return native;
}

/**
 * The wasm runtime (emscripten) installs process handlers that rethrow every unhandled rejection
 * and crash the process; the agent decides that itself, so whatever it adds is removed again.
 */
async function withoutProcessHandlers<T>(work: () => Promise<T>): Promise<T> {
  const exceptions = new Set(process.listeners('uncaughtException'));
  const rejections = new Set(process.listeners('unhandledRejection'));
  try {
    return await work();
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!exceptions.has(l)) process.off('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!rejections.has(l)) process.off('unhandledRejection', l);
  }
}

/** The directory of tfjs-backend-wasm's .wasm files, with the trailing slash setWasmPaths wants. */
export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return `${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/')}`;
}
