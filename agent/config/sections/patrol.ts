import { z } from 'zod';
import { cronExpression } from '../cron.js';

export const DEFAULT_PATROL = { enabled: true, at: '0 8 * * *', tileWidth: 320 };

export const patrolSchema = z.strictObject({
  enabled: z.boolean().default(DEFAULT_PATROL.enabled).describe('publish the daily patrol report (patrol, patrol/<id>/sheet)'),
  at: cronExpression.default(DEFAULT_PATROL.at).describe('when, as cron (minute hour day month weekday) in host.timezone'),
  tileWidth: z.number().int().min(160).max(960).default(DEFAULT_PATROL.tileWidth).describe('contact-sheet tile width in pixels (tiles are 16:9)'),
}).default(DEFAULT_PATROL).describe('the daily patrol report: a contact sheet of every camera');
