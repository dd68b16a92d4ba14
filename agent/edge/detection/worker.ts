/** One inference thread: builds its own detector, then answers detect requests (one to four pictures each) one at a time. */
import { parentPort, workerData } from 'node:worker_threads';
import { ERROR_CODES, errorMessage } from '../../core/errors.js';
import { createDetector } from './create.js';
import type { DetectRequest, WorkerMessage, WorkerSetup } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('detection worker must run in a worker thread');
const post = (message: WorkerMessage) => port.postMessage(message);

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (Object.values(ERROR_CODES) as string[]).includes(code) ? code : 'detector.failed';
}

try {
  const detector = await createDetector(workerData as WorkerSetup);
  port.on('message', (request: DetectRequest) => {
    const items = request.items.map(({ image, options }) => ({ image: Buffer.from(image.buffer, image.byteOffset, image.byteLength), options }));
    const started = performance.now();
    const inferencesBefore = detector.inferences();
    const mosaicBefore = detector.mosaics();
    detector.detectBatch(items).then(
      (answers) => post({
        type: 'result', id: request.id, numTensors: detector.numTensors(),
        results: answers.map((a) => ('error' in a ? { code: codeOf(a.error), message: errorMessage(a.error) } : a)),
        inferences: detector.inferences() - inferencesBefore, busyMs: performance.now() - started,
        mosaic: { inputs: detector.mosaics().inputs - mosaicBefore.inputs, cells: detector.mosaics().cells - mosaicBefore.cells },
      }),
      (err: unknown) => post({ type: 'error', id: request.id, code: codeOf(err), message: errorMessage(err) }),
    );
  });
  post({
    type: 'ready', backend: detector.backend,
    ...(detector.fallbackReason === undefined ? {} : { fallbackReason: detector.fallbackReason }),
    ...(detector.secondModelProblem === undefined ? {} : { secondModelProblem: detector.secondModelProblem }),
  });
} catch (err) {
  post({ type: 'failed', code: codeOf(err), message: errorMessage(err) });
}
