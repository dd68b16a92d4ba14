/**
 * The clips bench's station fetcher in its own Node process (started by latency.ts for one
 * in-flight block): the station's ClipFetcher fetching one clip over and over (the saved copy
 * deleted each time) until told to stop, so its decoding, hashing and writing do not share an
 * event loop with the station client that times the alerts. CLIPS_FETCH: `{url, dir, host,
 * event, clip, chunkBytes}`; replies `completed` after every whole fetch, `stopped` at the end.
 */
import { rm } from 'node:fs/promises';
import { silentLogger } from '../../../agent/core/logger.js';
import type { ClipInfo } from '../../../agent/link/contract/v1.js';
import { realHostPorts } from '../../../agent/ports/index.js';
import { ClipFetcher } from '../../../agent/station/clip-fetcher.js';

const options = JSON.parse(process.env['CLIPS_FETCH'] ?? '{}') as { url: string; dir: string; host: string; event: string; clip: ClipInfo; chunkBytes: number };
const ports = realHostPorts();
const fetcher = new ClipFetcher({ broker: { url: options.url }, connect: ports.mqtt, dir: options.dir, clock: ports.clock, logger: silentLogger(), chunkBytes: options.chunkBytes });
const path = fetcher.path(options.host, options.event);
let running = true;
process.on('message', () => {
  running = false;
  void (async () => {
    await fetcher.stop(); // the fetch under way ends mid-transfer
    for (const suffix of ['', '.part', '.want.json']) await rm(`${path}${suffix}`, { force: true });
    process.send?.('stopped');
    process.disconnect();
  })();
});
await fetcher.start();
await new Promise((resolve) => setTimeout(resolve, 300)); // its subscription
try {
  while (running) {
    await rm(path, { force: true });
    await fetcher.fetch(options.host, options.event, options.clip);
    process.send?.('completed');
  }
} catch {
  // stopped mid-transfer
}
