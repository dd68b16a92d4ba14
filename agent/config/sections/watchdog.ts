import { z } from 'zod';
import { duration } from '../duration.js';

export const watchdogSchema = z.strictObject({
  maxQuiet: duration({ min: 10_000, max: 3_600_000 }).default(120_000)
    .describe('a loop (cameras, outbox, health, heartbeat) silent for longer than this stops the pings, and systemd restarts the agent'),
}).default({ maxQuiet: 120_000 }).describe('the systemd watchdog (under systemd with WatchdogSec)');
