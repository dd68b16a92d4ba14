import { createFrameSource, type SourcePorts } from '../../edge/cameras/index.js';
import { judgePicture, measurePicture, samePixels } from '../../edge/camera-health/picture-checks.js';
import type { CameraConfig } from '../../config/schema.js';
import { faultReasonOf } from '../../core/camera-fault.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { decodeGrey, type GreyImage } from '../../edge/imaging/grey.js';
import type { CameraFaultReason } from '../../link/contract/v1.js';
import type { Frame, FrameSource } from '../../edge/types.js';
import { fail, pass, type Check, type CheckOutcome } from './types.js';

/** The smallest picture motion detection works on (`motion.width` ≥ 64). */
const MIN_WIDTH = 64;
const MIN_HEIGHT = 48;
/** Two frames this far apart: different on a live camera, identical on a frozen one. */
const FRAME_GAP_MS = 1000;

const FAULT_HINTS: Record<CameraFaultReason, string> = {
  auth: 'the user name or password is wrong: log in to the camera\'s web page with the ones in the config, then fix cameras[].snapshot/rtsp username and password',
  unreachable: 'check the address in the URL, the cable or PoE port, and that this host is on the camera\'s network (ping the camera)',
  timeout: 'the camera accepted the connection but sent no picture in time: check it is not overloaded or rebooting, or raise cameras[].timeout',
  bad_image: 'the URL answers, but not with a picture: check the snapshot path (`minwang discover` prints the right one)',
  black: 'the picture is black: check the lens is not covered and the IR lights work at night',
  covered: 'the picture is uniform: the lens may be covered, fogged or painted',
  frozen: 'the camera sends the same picture again and again: reboot it',
  blurred: 'the picture is out of focus: clean the lens or refocus',
  moved: 'the view changed: re-aim the camera',
};

/** Reachable, authenticated, a decodable picture of a usable size, not black, not frozen: two frames. */
export function cameraCheck(camera: CameraConfig, ports: SourcePorts, logger: Logger): Check {
  return {
    id: `camera:${camera.id}`,
    title: `camera ${camera.id}`,
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
    return fail(`${describe(reason)}: ${errorMessage(err)}`, FAULT_HINTS[reason], { reason });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
  try {
    return await decodeGrey(frame.jpeg, camera.motion.width);
  } catch (err) {
    return fail(`the picture cannot be decoded (${frame.jpeg.length} bytes): ${errorMessage(err)}`, FAULT_HINTS.bad_image, { reason: 'bad_image' });
  }
}

function judgeTwo(camera: CameraConfig, first: GreyImage, second: GreyImage): CheckOutcome {
  const size = `${second.sourceWidth}×${second.sourceHeight}`;
  const details = { width: second.sourceWidth, height: second.sourceHeight };
  if (second.sourceWidth < MIN_WIDTH || second.sourceHeight < MIN_HEIGHT) {
    return fail(`the picture is only ${size}`, `pick a stream of at least ${MIN_WIDTH}×${MIN_HEIGHT} (a sub-stream of 640×360 or more is best)`, { ...details, reason: 'bad_image' });
  }
  if (first.sourceWidth !== second.sourceWidth || first.sourceHeight !== second.sourceHeight) {
    return fail(`the picture size changes between frames (${first.sourceWidth}×${first.sourceHeight}, then ${size})`, 'the URL may serve different streams in turn: pick one fixed stream', { ...details, reason: 'bad_image' });
  }
  const verdict = judgePicture(measurePicture(second), undefined, camera.faults);
  if (verdict.reason !== null) {
    return fail(verdict.detail ?? verdict.reason, FAULT_HINTS[verdict.reason], { ...details, reason: verdict.reason });
  }
  if (samePixels(first.data, second.data)) {
    return fail(`two pictures ${FRAME_GAP_MS / 1000} s apart are identical`, FAULT_HINTS.frozen, { ...details, reason: 'frozen' });
  }
  return pass(`${size} picture, live`, details);
}

function describe(reason: CameraFaultReason): string {
  switch (reason) {
    case 'auth': return 'login refused';
    case 'unreachable': return 'not reachable';
    case 'timeout': return 'no answer in time';
    case 'bad_image': return 'not a picture';
    default: return reason;
  }
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
