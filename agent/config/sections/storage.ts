import { z } from 'zod';

export const storageSchema = z.strictObject({
  dataDir: z.string().min(1).default('/var/lib/minwang').describe('outbox, model slots and state; must be writable by the agent, which locks it'),
}).default({ dataDir: '/var/lib/minwang' });
