/**
 * The ONVIF camera simulator as a process, for tests that run it inside a network namespace:
 *   node --import tsx test/sim/onvif/main.ts CAMERAS.json
 * Prints one line `{"ready": true, ...}` when every camera listens; SIGTERM stops it.
 */
import { readFileSync } from 'node:fs';
import { startSimCameras } from './index.js';
import type { SimCamera } from './types.js';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: main.ts CAMERAS.json\n');
  process.exit(2);
}
const cameras = JSON.parse(readFileSync(file, 'utf8')) as SimCamera[];
const sim = await startSimCameras(cameras);
process.stdout.write(`${JSON.stringify({ ready: true, cameras: cameras.map((c) => ({ address: c.address, port: sim.ports.get(c) })) })}\n`);

const stop = () => {
  const probes = sim.responder?.probes.length ?? 0;
  void sim.stop().then(() => {
    process.stdout.write(`${JSON.stringify({ stopped: true, probes })}\n`);
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
