import type { StationLink } from '../link/contract/link.js';
import type { CameraStatusPayload, EventBody } from '../link/contract/v1.js';

export interface LinkTaps {
  onCameraStatus?: (status: CameraStatusPayload) => void;
  onEvent?: (event: EventBody) => void;
}

/**
 * The same link, with side modules (patrol, relays, LED, heartbeat) told about every camera
 * status and event the pipeline hands it. Stages keep talking only to the link. The link's
 * optional reports (`onAnswerSent`, `onPublishAcked`: PUBACK times the clip pacer measures the
 * uplink by) are passed through when the link has them: without them clips are paced by the
 * station's time to ask for the next chunk, round trips and a broker's held packets counted as wire.
 */
export function tapLink(link: StationLink, taps: LinkTaps): StationLink {
  const reports: Pick<StationLink, 'onAnswerSent' | 'onPublishAcked'> = {};
  if (link.onAnswerSent !== undefined) reports.onAnswerSent = (op, listener) => link.onAnswerSent?.(op, listener);
  if (link.onPublishAcked !== undefined) reports.onPublishAcked = (listener) => link.onPublishAcked?.(listener);
  return {
    ...reports,
    publishEvent: (event) => {
      taps.onEvent?.(event);
      return link.publishEvent(event);
    },
    publishThumbnail: (eventId, jpeg) => link.publishThumbnail(eventId, jpeg),
    publishFrame: (frame) => link.publishFrame(frame),
    publishClipChunk: (chunk) => link.publishClipChunk(chunk),
    publishHealth: (alert) => link.publishHealth(alert),
    publishPatrol: (report, sheet) => link.publishPatrol(report, sheet),
    setCameraStatus: (status) => {
      taps.onCameraStatus?.(status);
      link.setCameraStatus(status);
    },
    setHeartbeat: (heartbeat) => link.setHeartbeat(heartbeat),
    setModel: (model) => link.setModel(model),
    registerCommand: (op, handler) => link.registerCommand(op, handler),
    state: () => link.state(),
  };
}
