import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Gpio, GpioDirection, GpioEdge, GpioPin } from '../../ports/gpio.js';

/**
 * Opens a configured pin, or says clearly why not and returns undefined: GPIO is an extra,
 * and the agent runs without it (a PC, a container, a Pi without permission).
 */
export function openOptional(gpio: Gpio, bcm: number, direction: GpioDirection, what: string, logger: Logger, edge?: GpioEdge): GpioPin | undefined {
  const reason = gpio.unavailableReason();
  if (reason !== undefined) {
    logger.warn({ bcm, reason }, `${what} disabled: GPIO is not available: ${reason}`);
    return undefined;
  }
  try {
    return gpio.open(bcm, direction, edge);
  } catch (err) {
    logger.error({ bcm, err }, `${what} disabled: cannot open GPIO ${bcm}: ${errorMessage(err)}`);
    return undefined;
  }
}
