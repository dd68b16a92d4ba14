/** What the status LED says, most urgent first. */
export const LED_STATES = ['disk', 'broker', 'camera', 'ok'] as const;
export type LedState = (typeof LED_STATES)[number];

/** One step of a pattern: the LED lit (1) or dark (0) for `ms`. Every pattern lasts 2 s. */
export type LedStep = readonly [0 | 1, number];

/**
 * Patterns an installer can read without a manual: steady means all good, and the faster or
 * more broken the blinking, the more urgent. The same table is printed in docs/health.md.
 */
export const LED_PATTERNS: Record<LedState, readonly LedStep[]> = {
  ok: [[1, 2000]],
  camera: [[1, 200], [0, 200], [1, 200], [0, 1400]],
  broker: [[1, 1000], [0, 1000]],
  disk: Array.from({ length: 10 }, () => [[1, 100], [0, 100]] as const).flat(),
};

export interface LedInputs {
  /** A disk is low, read-only or the recorder stalled. */
  diskFault: boolean;
  brokerConnected: boolean;
  /** At least one camera is offline or degraded. */
  cameraFault: boolean;
}

export function ledStateFor(inputs: LedInputs): LedState {
  if (inputs.diskFault) return 'disk';
  if (!inputs.brokerConnected) return 'broker';
  if (inputs.cameraFault) return 'camera';
  return 'ok';
}
