import { z } from 'zod';

export const storageSchema = z.strictObject({
  dataDir: z.string().min(1).default('/var/lib/minwang').describe('outbox, model slots, state'),
}).default({ dataDir: '/var/lib/minwang' });
