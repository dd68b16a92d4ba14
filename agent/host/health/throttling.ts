/** The Raspberry Pi firmware's throttle flags (`vcgencmd get_throttled`), decoded. */
export interface Throttling {
  raw: string;
  now: { underVoltage: boolean; frequencyCapped: boolean; throttled: boolean; softTempLimit: boolean };
  sinceBoot: { underVoltage: boolean; frequencyCapped: boolean; throttled: boolean; softTempLimit: boolean };
}

/** Accepts `0x50005` (vcgencmd) or `50005` (sysfs, hex without prefix). */
export function decodeThrottled(text: string): Throttling | null {
  const hex = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]+$/i.test(hex)) return null;
  const bits = Number.parseInt(hex, 16);
  const flags = (shift: number) => ({
    underVoltage: (bits & (1 << shift)) !== 0,
    frequencyCapped: (bits & (1 << (shift + 1))) !== 0,
    throttled: (bits & (1 << (shift + 2))) !== 0,
    softTempLimit: (bits & (1 << (shift + 3))) !== 0,
  });
  return { raw: `0x${bits.toString(16)}`, now: flags(0), sinceBoot: flags(16) };
}
