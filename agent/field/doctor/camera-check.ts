import { createFrameSource, type SourcePorts } from '../../edge/cameras/index.js';
import { judgePicture, measurePicture, samePixels } from '../../edge/camera-health/picture-checks.js';
import type { CameraConfig } from '../../config/schema.js';
import { faultReasonOf } from '../../core/camera-fault.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { decodeGrey, type GreyImage } from '../../edge/imaging/grey.js';
import type { Frame, FrameSource } from '../../edge/types.js';
import { say } from './i18n/index.js';
import { fail, pass, type Check, type CheckOutcome } from './types.js';

/** The smallest picture motion detection works on (`motion.width` ≥ 64). */
const MIN_WIDTH = 64;
const MIN_HEIGHT = 48;
/** Two frames this far apart: different on a live camera, identical on a frozen one. */
const FRAME_GAP_MS = 1000;


/** Reachable, authenticated, a decodable picture of a usable size, not black, not frozen: two frames. */
export function cameraCheck(camera: CameraConfig, ports: SourcePorts, logger: Logger): Check {
  return {
    id: `camera:${camera.id}`,
    title: say('camera.title', { id: camera.id }),
    timeoutMs: 2 * camera.timeout + FRAME_GAP_MS + 5000,
    run: (signal) => checkCamera(camera, createFrameSource(camera, ports, logger), signal),
  };
}

export async function checkCamera(camera: CameraConfig, source: FrameSource, signal: AbortSignal): Promise<CheckOutcome> {
  const stopOnAbort = (): void => void source.stop().catch(() => undefined);
  signal.addEventListener('abort', stopOnAbort, { once: true });
  try {
    await source.start();
    const first = await grabGrey(source, camera, signal);
    if ('status' in first) return first;
    await sleep(FRAME_GAP_MS, signal);
    const second = await grabGrey(source, camera, signal);
    if ('status' in second) return second;
    return judgeTwo(camera, first, second);
  } finally {
    signal.removeEventListener('abort', stopOnAbort);
    await source.stop().catch(() => undefined);
  }
}

async function grabGrey(source: FrameSource, camera: CameraConfig, signal: AbortSignal): Promise<GreyImage | CheckOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`${camera.timeout} ms`)), camera.timeout);
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let frame: Frame;
  try {
    frame = await source.grab(controller.signal);
  } catch (err) {
    const reason = faultReasonOf(err);
    return fail(say('camera.grabFailed', { what: say(`cameraFault.${reason}`), error: errorMessage(err) }), say(`cameraHint.${reason}`), { reason });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
  try {
    return await decodeGrey(frame.jpeg, camera.motion.width);
  } catch (err) {
    return fail(say('camera.undecodable', { bytes: frame.jpeg.length, error: errorMessage(err) }), say('cameraHint.bad_image'), { reason: 'bad_image' });
  }
}

function judgeTwo(camera: CameraConfig, first: GreyImage, second: GreyImage): CheckOutcome {
  const size = `${second.sourceWidth}×${second.sourceHeight}`;
  const details = { width: second.sourceWidth, height: second.sourceHeight };
  if (second.sourceWidth < MIN_WIDTH || second.sourceHeight < MIN_HEIGHT) {
    return fail(say('camera.tooSmall', { size }), say('camera.tooSmallHint', { min: `${MIN_WIDTH}×${MIN_HEIGHT}` }), { ...details, reason: 'bad_image' });
  }
  if (first.sourceWidth !== second.sourceWidth || first.sourceHeight !== second.sourceHeight) {
    return fail(say('camera.sizeChanges', { first: `${first.sourceWidth}×${first.sourceHeight}`, second: size }), say('camera.sizeChangesHint'), { ...details, reason: 'bad_image' });
  }
  const verdict = judgePicture(measurePicture(second), undefined, camera.faults);
  if (verdict.reason !== null) {
    const what = say(`cameraFault.${verdict.reason}`);
    return fail(verdict.detail === undefined ? what : say('camera.badPicture', { what, detail: verdict.detail }), say(`cameraHint.${verdict.reason}`), { ...details, reason: verdict.reason });
  }
  if (samePixels(first.data, second.data)) {
    return fail(say('camera.identical', { seconds: FRAME_GAP_MS / 1000 }), say('cameraHint.frozen'), { ...details, reason: 'frozen' });
  }
  return pass(say('camera.live', { size }), details);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
