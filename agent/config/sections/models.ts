import { z } from 'zod';
import { byteSize } from '../size.js';

const PUBLIC_KEY_RE = /^[A-Za-z0-9+/]{43}=$/;

const trialSchema = z.strictObject({
  inferences: z.int().min(1).max(10_000).default(20).describe('inferences without an error before a new model is committed'),
  maxSlowdown: z.number().min(1).max(20).default(2).describe('trial mean inference time may be at most this many times the previous mean'),
  maxBoots: z.int().min(1).max(20).default(3).describe('agent starts during a trial before it counts as a crash loop and rolls back'),
}).default({ inferences: 20, maxSlowdown: 2, maxBoots: 3 });

/** Safe model updates: who may sign bundles, where they may come from, how large, how they are tried. */
export const modelsSchema = z.strictObject({
  trustedKeys: z.array(z.string().regex(PUBLIC_KEY_RE, 'an Ed25519 public key as `minwang model keygen` prints it (44 base64 characters)'))
    .max(16).default([])
    .describe('maintainer Ed25519 public keys, as `minwang model keygen` prints them; list the old and the new key while rotating. None: every update is refused')
    .meta({ example: ['11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo='] }),
  allowedOrigins: z.array(z.url({ protocol: /^https$/ }).transform((u) => new URL(u).origin))
    .max(32).default([])
    .describe('HTTPS origins (scheme://host[:port]) model/install may download from; redirects are followed only within the same origin. Bundles can always come as MQTT chunks')
    .meta({ example: ['https://models.example.org'] }),
  maxBundleBytes: byteSize({ min: 1024 * 1024, max: 2 * 1024 ** 3 }).default(64 * 1024 * 1024).describe('largest bundle accepted, by URL or by chunks'),
  trial: trialSchema.describe('after a switch the new model is on trial; it is committed once this passes'),
}).default({ trustedKeys: [], allowedOrigins: [], maxBundleBytes: 64 * 1024 * 1024, trial: { inferences: 20, maxSlowdown: 2, maxBoots: 3 } })
  .describe('safe model updates (docs/models.md)');

export type ModelsConfig = z.output<typeof modelsSchema>;
