import { z } from 'zod';
import { secretFields, checkOneSecretSource } from './secret.js';

const brokerUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'mqtt:' || url.protocol === 'mqtts:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an mqtt:// or mqtts:// URL with a host, e.g. mqtt://127.0.0.1:1883');

export const mqttSchema = z.strictObject({
  url: brokerUrl.describe('station broker'),
  username: z.string().min(1).optional().describe('broker user name'),
  ...secretFields,
}).superRefine(checkOneSecretSource);
