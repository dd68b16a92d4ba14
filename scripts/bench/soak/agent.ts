/**
 * The soak's agent process (started by soak.ts, not a benchmark of its own): the whole agent from
 * the config text in SOAK_CONFIG, with a stand-in detector that calls every moving blob a person.
 * It runs alone in this process so that the RSS, file descriptors and event-loop delay the soak
 * reports are the agent's own. Messages from the parent: `sample` (answered with the figures of the
 * window since the last sample), `baseline` (restart the whole-run histogram), `stop`.
 */
import { readdir } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAgent } from '../../../agent/app/agent.js';
import { parseConfigText } from '../../../agent/config/load.js';
import { motionSchema } from '../../../agent/config/sections/camera-pipeline.js';
import { silentLogger } from '../../../agent/core/logger.js';
import { decodeGrey } from '../../../agent/edge/imaging/grey.js';
import { MotionDetector } from '../../../agent/edge/motion/motion-detector.js';
import type { Detector } from '../../../agent/edge/types.js';
import { realHostPorts } from '../../../agent/ports/index.js';

export interface SoakAgentSample { rssMb: number; fds: number; loopP99Ms: number; loopMaxMs: number }
export type SoakAgentReply =
  | { kind: 'started' }
  | { kind: 'sample'; sample: SoakAgentSample }
  | { kind: 'stopped'; wholeRunLoopMs: { p50: number; p99: number; p999: number; max: number } };
type Request = { kind: 'sample' | 'baseline' | 'stop' };

/** Sees a person wherever its own motion gate finds a moving blob. */
function motionAsPeople(): Detector {
  const blobs = new MotionDetector(motionSchema.parse({ minArea: 0.004 }));
  return {
    async detect(image) {
      const grey = await decodeGrey(image, 160);
      const found = blobs.detect(grey).regions;
      return { width: grey.sourceWidth, height: grey.sourceHeight, ms: 1, detections: found.map((box) => ({ label: 'person' as const, class: 'person', score: 0.6, box })) };
    },
  };
}

const send = (reply: SoakAgentReply) => process.send?.(reply);
const ms = (ns: number) => Math.round(ns / 1e4) / 100;

const configText = process.env.SOAK_CONFIG;
if (configText === undefined || process.send === undefined) {
  process.stderr.write('soak-agent: started by scripts/bench/soak.ts only (needs SOAK_CONFIG and an IPC channel)\n');
  process.exit(2);
}
const agent = createAgent({ config: parseConfigText(configText, 'soak.yaml'), ports: realHostPorts(), logger: silentLogger(), detector: motionAsPeople() });
await agent.start();
const window = monitorEventLoopDelay({ resolution: 10 });
const whole = monitorEventLoopDelay({ resolution: 10 });
window.enable();
whole.enable();
process.on('message', (request: Request) => {
  void (async () => {
    if (request.kind === 'baseline') whole.reset();
    else if (request.kind === 'sample') {
      const fds = (await readdir('/proc/self/fd')).length;
      send({ kind: 'sample', sample: { rssMb: Math.round(process.memoryUsage().rss / 1024 / 102.4) / 10, fds, loopP99Ms: ms(window.percentile(99)), loopMaxMs: ms(window.max) } });
      window.reset();
    } else {
      window.disable();
      whole.disable();
      await agent.stop();
      send({ kind: 'stopped', wholeRunLoopMs: { p50: ms(whole.percentile(50)), p99: ms(whole.percentile(99)), p999: ms(whole.percentile(99.9)), max: ms(whole.max) } });
      process.disconnect();
    }
  })();
});
send({ kind: 'started' });
