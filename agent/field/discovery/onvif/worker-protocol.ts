import type { OnvifCredentials } from '../types.js';
import type { ProbeOptions, ProbeOutcome, ReadOutcome } from './client.js';

/** What the main thread asks an ONVIF worker to do (one message per job). */
export type WorkerJob =
  | { kind: 'probe'; options: ProbeOptions }
  | { kind: 'read'; serviceUrl: string; credentials?: OnvifCredentials; timeoutMs: number };

/** What an ONVIF worker posts back: exactly one message per job. */
export type WorkerAnswer =
  | { kind: 'probed'; outcome: ProbeOutcome }
  | { kind: 'probe-failed'; message: string; code?: string }
  | { kind: 'read'; outcome: ReadOutcome };
