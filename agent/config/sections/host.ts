import { z } from 'zod';
import { hostId } from '../../link/contract/ids.js';

export const hostSchema = z.strictObject({
  id: hostId.describe('host id: 1-64 characters of a-z, 0-9 and "-"; it becomes the MQTT topic level minwang/<id>/'),
  timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai')
    .describe('IANA time zone of schedules (arming windows, the patrol report)'),
}).describe('this host');

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
