import { z } from 'zod';
import { hostId } from '../../contract/ids.js';

export const hostSchema = z.strictObject({
  id: hostId.describe('host id, the MQTT topic level: minwang/<id>/...'),
  timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai')
    .describe('time zone of schedules (arming windows, patrol report)'),
});

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
