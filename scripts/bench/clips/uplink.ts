/**
 * The clips bench's limited uplink in its own Node process (started by clips.ts), so its timers
 * are not held up by the station's work in the bench process. CLIPS_UPLINK: `{brokerPort,
 * bitsPerS}`; replies `{port}` once listening, exits on `stop`.
 */
import { Uplink } from './rig.js';

const { brokerPort, bitsPerS } = JSON.parse(process.env['CLIPS_UPLINK'] ?? '{}') as { brokerPort: number; bitsPerS: number };
const uplink = new Uplink(brokerPort, bitsPerS);
const port = await uplink.start();
process.on('message', () => {
  void uplink.stop().then(() => process.disconnect());
});
process.send?.({ port });
