import type { CameraFaultReason } from '../link/contract/v1.js';
import { AgentError, isAgentError } from './errors.js';
import { definedProps } from './defined-props.js';

/**
 * A camera that did not give a usable frame, with the reason the station sees
 * (`camera/<cam>/status`). Sources throw it; sampling and camera health read the reason.
 */
export function cameraFault(reason: CameraFaultReason, message: string, cause?: unknown): AgentError {
  return new AgentError('camera.fault', message, { details: { reason }, ...definedProps({ cause }) });
}

const REASONS: readonly CameraFaultReason[] = ['unreachable', 'timeout', 'auth', 'bad_image', 'black', 'frozen', 'covered', 'blurred', 'moved'];

/** The fault reason of an error from a source; anything unexpected counts as `unreachable`. */
export function faultReasonOf(err: unknown): CameraFaultReason {
  if (isAgentError(err, 'camera.fault')) {
    const reason = err.details['reason'];
    if (typeof reason === 'string' && (REASONS as readonly string[]).includes(reason)) return reason as CameraFaultReason;
  }
  return 'unreachable';
}
