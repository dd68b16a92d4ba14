import { z } from 'zod';
import { duration } from '../duration.js';

/** A BCM GPIO number on a Raspberry Pi header (GPIO2..GPIO27). */
export const bcmPin = z.number().int().min(2).max(27).describe('BCM GPIO number on the Pi header');

const ledSchema = z.strictObject({
  pin: bcmPin,
  activeLow: z.boolean().default(false).describe('true when the LED lights on a low output'),
});

const tamperSchema = z.strictObject({
  pin: bcmPin,
  openWhen: z.enum(['high', 'low']).default('high').describe('input level when the enclosure is open'),
  debounce: duration({ min: 10, max: 10_000 }).default(200).describe('the level must hold this long to count'),
});

const DEFAULT_RELAY_POLICY = { checkEvery: 60_000, offlineChecks: 5, offFor: 10_000, maxCycles: 3 };

const relayPolicySchema = z.strictObject({
  checkEvery: duration({ min: 5000, max: 3_600_000 }).default(DEFAULT_RELAY_POLICY.checkEvery).describe('how often camera states are checked'),
  offlineChecks: z.number().int().min(1).max(100).default(DEFAULT_RELAY_POLICY.offlineChecks)
    .describe('consecutive offline checks before a power cycle'),
  offFor: duration({ min: 1000, max: 300_000 }).default(DEFAULT_RELAY_POLICY.offFor).describe('how long power stays cut'),
  maxCycles: z.number().int().min(1).max(20).default(DEFAULT_RELAY_POLICY.maxCycles).describe('power cycles per outage before giving up (and reporting it)'),
}).default(DEFAULT_RELAY_POLICY);

export const gpioSchema = z.strictObject({
  led: ledSchema.optional().meta({ example: { pin: 17 } })
    .describe('status LED: steady = all good; 2 short blinks = a camera fault; slow blink = broker unreachable; fast blink = disk fault (docs/health.md)'),
  tamper: tamperSchema.optional().meta({ example: { pin: 27 } }).describe('enclosure door switch; raises the tamper alert while open'),
  relay: relayPolicySchema.describe('how camera power relays (cameras[].relay) are used'),
}).default({ relay: DEFAULT_RELAY_POLICY }).describe('GPIO on a Raspberry Pi: status LED, tamper switch, camera power relays');

/** Per camera (`cameras[].relay`): the relay that switches its power. */
export const cameraRelaySchema = z.strictObject({
  pin: bcmPin,
  powerOffValue: z.union([z.literal(0), z.literal(1)]).default(1)
    .describe('output level that cuts power (1 with a normally-closed relay, so a dead agent leaves cameras powered)'),
});
