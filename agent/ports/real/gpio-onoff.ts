import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BinaryValue, Gpio as OnoffGpio } from 'onoff';
import { AgentError, errorMessage } from '../../core/errors.js';
import type { Gpio, GpioDirection, GpioEdge, GpioPin } from '../gpio.js';
import { readGpioChips, SYSFS_GPIO, sysfsNumber, type GpioChip } from './gpio-chip.js';

type OnoffModule = { Gpio: typeof OnoffGpio };

/**
 * GPIO through onoff (sysfs). Everything that can be missing is checked up front, once, so a
 * PC, a VM or a container gets one clear reason and the agent runs on without GPIO.
 */
export function onoffGpio(root: string = SYSFS_GPIO, load: () => OnoffModule = loadOnoff): Gpio {
  let probed: { onoff: OnoffModule; chips: GpioChip[] } | string | undefined;
  const probe = () => (probed ??= probeGpio(root, load));
  return {
    unavailableReason() {
      const result = probe();
      return typeof result === 'string' ? result : undefined;
    },
    open(bcm, direction, edge = 'none') {
      const result = probe();
      if (typeof result === 'string') throw new AgentError('gpio.unavailable', `GPIO ${bcm} cannot be opened: ${result}`);
      const line = sysfsNumber(bcm, result.chips);
      if (typeof line === 'string') throw new AgentError('gpio.unavailable', `GPIO ${bcm} cannot be opened: ${line}`);
      return openPin(result.onoff, line, direction, edge);
    },
  };
}

function probeGpio(root: string, load: () => OnoffModule): { onoff: OnoffModule; chips: GpioChip[] } | string {
  if (!existsSync(root)) return `${root} does not exist (not a Raspberry Pi, or the kernel has no sysfs GPIO)`;
  let onoff: OnoffModule;
  try {
    onoff = load();
  } catch (err) {
    return `the onoff library cannot load (${errorMessage(err).split('\n')[0] ?? ''}); rebuild it with npm rebuild onoff epoll`;
  }
  if (!existsSync(`${root}/export`) || (root === SYSFS_GPIO && !onoff.Gpio.accessible)) {
    return `${root}/export is not writable; run the agent as a user in the gpio group`;
  }
  try {
    return { onoff, chips: readGpioChips(root) };
  } catch (err) {
    return `cannot read GPIO chips under ${root}: ${errorMessage(err)}`;
  }
}

function openPin(onoff: OnoffModule, line: number, direction: GpioDirection, edge: GpioEdge): GpioPin {
  const gpio = new onoff.Gpio(line, direction, direction === 'in' ? edge : undefined);
  return {
    read: () => gpio.read(),
    write: (value: BinaryValue) => gpio.write(value),
    watch(callback) {
      const listener = (err: Error | null | undefined, value: BinaryValue) => {
        if (err === null || err === undefined) callback(value);
      };
      gpio.watch(listener);
      return () => gpio.unwatch(listener);
    },
    release: () => gpio.unexport(),
  };
}

function loadOnoff(): OnoffModule {
  // onoff is CommonJS with a native dependency (epoll): load it only when GPIO is really used.
  return createRequire(import.meta.url)('onoff') as OnoffModule;
}
