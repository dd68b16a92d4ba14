import { AgentError } from '../../core/errors.js';
import type { Gpio } from '../gpio.js';

/** The GPIO of a host that has none (a PC, a VM, a container): says why, opens nothing. */
export function unavailableGpio(reason: string): Gpio {
  return {
    unavailableReason: () => reason,
    open(bcm) {
      throw new AgentError('not_implemented', `GPIO ${bcm} cannot be opened: ${reason}`);
    },
  };
}
