/**
 * One error class for the whole agent. The code says which subsystem failed and
 * what kind of failure it is; guards below decide what a caller does with it.
 */
export const ERROR_CODES = {
  // usage and configuration: the operator must fix something before anything starts
  USAGE: 'usage',
  CONFIG_NOT_FOUND: 'config.not_found',
  CONFIG_SYNTAX: 'config.syntax',
  CONFIG_INVALID: 'config.invalid',
  SECRET_UNREADABLE: 'config.secret_unreadable',
  SECRET_INSECURE: 'config.secret_insecure',
  // lifecycle
  STATE_LOCKED: 'state.locked',
  STATE_IO: 'state.io',
  MODULE_START: 'lifecycle.start_failed',
  MODULE_STOP_TIMEOUT: 'lifecycle.stop_timeout',
  // host hardware
  GPIO_UNAVAILABLE: 'gpio.unavailable',
  GPIO_BUSY: 'gpio.busy',
  // cameras: a source did not give a usable frame (details.reason says why)
  CAMERA_FAULT: 'camera.fault',
  CAMERA_UNKNOWN: 'camera.unknown',
  NOT_IMPLEMENTED: 'not_implemented',
  // camera discovery
  DISCOVERY_PROBE_FAILED: 'discovery.probe_failed',
  // the demo
  DEMO_FOOTAGE_MISSING: 'demo.footage_missing',
  // station link: a stage handed over something that cannot be published
  LINK_INVALID_MESSAGE: 'link.invalid_message',
  // station link: not connected for something that is sent only while connected (pushed clip chunks)
  LINK_DOWN: 'link.down',
  // models and detection
  MODEL_INVALID: 'model.invalid',
  MODEL_MISSING: 'model.missing',
  MODEL_CORRUPT: 'model.corrupt',
  IMAGE_UNREADABLE: 'detector.image_unreadable',
  // a picture whose header declares more pixels than the agent decodes (a memory bomb)
  IMAGE_TOO_LARGE: 'image.too_large',
  DETECTOR_FAILED: 'detector.failed',
  DETECTOR_BUSY: 'detector.busy',
  DETECTOR_STOPPED: 'detector.stopped',
  // release bundles and provisioning: a bundle that does not verify, a card that cannot be written
  RELEASE_INVALID: 'release.invalid',
  PROVISION_FAILED: 'provision.failed',
  // event clips: recording, cutting or storing a clip failed (details.code: ENOSPC, EROFS...)
  CLIP_FAILED: 'clips.failed',
  // model updates: a bundle refused (details.reason says why)
  MODEL_REFUSED: 'model.refused',
  // the station console: its database cannot be reached or migrated
  STATION_DATABASE: 'station.database',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface AgentErrorOptions {
  cause?: unknown;
  /** Structured facts for logs and MQTT error answers (never secrets). */
  details?: Record<string, unknown>;
}

export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

export function isAgentError(err: unknown, code?: ErrorCode): err is AgentError {
  return err instanceof AgentError && (code === undefined || err.code === code);
}

/** Errors an operator fixes by changing the command line or the config file. */
export function isUsageError(err: unknown): boolean {
  if (!(err instanceof AgentError)) return false;
  return err.code === 'usage' || err.code.startsWith('config.');
}

/** Exit codes scripts can trust: 0 ok, 1 failure, 2 usage or config error. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(err: unknown): ExitCode {
  return isUsageError(err) ? EXIT.USAGE : EXIT.FAILURE;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
