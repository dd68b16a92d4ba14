import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SYSFS_GPIO = '/sys/class/gpio';

export interface GpioChip {
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

/** Labels of the chip that drives a Raspberry Pi's 40-pin header (Pi 1-3, 4, 5). */
const HEADER_CHIP_LABEL = /^pinctrl-(bcm2835|bcm2711|bcm2712|rp1)$/;

/** Reads every `gpiochipN` under a sysfs GPIO root (the real one, or a test fixture). */
export function readGpioChips(root: string = SYSFS_GPIO): GpioChip[] {
  const names = readdirSync(root).filter((name) => /^gpiochip\d+$/.test(name));
  return names.map((name) => ({
    name,
    base: readInt(join(root, name, 'base')),
    ngpio: readInt(join(root, name, 'ngpio')),
    label: readFileSync(join(root, name, 'label'), 'utf8').trim(),
  })).sort((a, b) => a.base - b.base);
}

/**
 * The chip whose line N is BCM GPIO N. Kernels before 6.6 numbered it from 0; 6.6 and later
 * give dynamic bases (512 on a Pi 4), so the base is read, never assumed.
 */
export function headerChip(chips: readonly GpioChip[]): GpioChip | undefined {
  return chips.find((chip) => HEADER_CHIP_LABEL.test(chip.label)) ?? (chips.length === 1 ? chips[0] : undefined);
}

/** The sysfs number for a BCM pin, or an explanation of why there is none. */
export function sysfsNumber(bcm: number, chips: readonly GpioChip[]): number | string {
  const chip = headerChip(chips);
  if (chip === undefined) {
    const seen = chips.map((c) => `${c.name} "${c.label}" base ${c.base}`).join(', ') || 'none';
    return `no Raspberry Pi header GPIO chip found (chips: ${seen})`;
  }
  if (bcm >= chip.ngpio) return `BCM ${bcm} is beyond ${chip.name} "${chip.label}" (${chip.ngpio} lines)`;
  return chip.base + bcm;
}

function readInt(path: string): number {
  const value = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  if (!Number.isInteger(value)) throw new Error(`${path} does not hold a number`);
  return value;
}
