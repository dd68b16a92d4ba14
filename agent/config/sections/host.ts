import { z } from 'zod';

export const HOST_ID_RE = /^[a-z0-9-]{1,64}$/;

export const hostSchema = z.strictObject({
  id: z.string().regex(HOST_ID_RE, 'must be 1-64 characters of a-z, 0-9 and "-" (it becomes an MQTT topic level)')
    .describe('host id, the MQTT topic level: minwang/<id>/...'),
});
