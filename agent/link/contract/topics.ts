/**
 * Every topic of contract v1 with its retain flag and QoS, and the builders that make topic names.
 * The prefix `minwang/<host-id>/` is added only here.
 */
export const TOPIC_ROOT = 'minwang';

export interface TopicSpec {
  retain: boolean;
  qos: 0 | 1;
  what: string;
}

export const TOPICS = {
  status: { retain: true, qos: 1, what: 'host online/offline/stopped with a session number; offline is the last will' },
  heartbeat: { retain: true, qos: 0, what: 'periodic host, camera, detector, outbox and model summary' },
  cameraStatus: { retain: true, qos: 1, what: 'one camera online/offline/degraded with a reason' },
  events: { retain: false, qos: 1, what: 'tracked-object lifecycle new/update/end' },
  eventThumbnail: { retain: false, qos: 1, what: 'JPEG of an event, cropped, privacy masks applied' },
  eventFrame: { retain: false, qos: 1, what: "an alerting event's whole picture: one privacy-masked full frame (at most 1280 px) with the object's box" },
  eventClip: { retain: false, qos: 1, what: "one chunk of an alerting event's MP4 clip, pushed unasked when clips.push is on" },
  health: { retain: false, qos: 1, what: 'health alerts raised and cleared' },
  model: { retain: true, qos: 1, what: 'installed model and update progress' },
  patrol: { retain: false, qos: 1, what: 'the daily patrol report: availability, faults, events, disk trend' },
  patrolSheet: { retain: false, qos: 1, what: 'contact-sheet JPEG of the patrol: one privacy-masked frame per camera' },
  command: { retain: false, qos: 1, what: 'request to the host: {"id", ...params}' },
  commandResponse: { retain: false, qos: 1, what: 'answer: {"id", "status", "data"|"error"}' },
} as const satisfies Record<string, TopicSpec>;

export type TopicKind = keyof typeof TOPICS;

export const topic = {
  root: (host: string) => `${TOPIC_ROOT}/${host}`,
  status: (host: string) => `${TOPIC_ROOT}/${host}/status`,
  heartbeat: (host: string) => `${TOPIC_ROOT}/${host}/heartbeat`,
  cameraStatus: (host: string, camera: string) => `${TOPIC_ROOT}/${host}/camera/${camera}/status`,
  events: (host: string) => `${TOPIC_ROOT}/${host}/events`,
  eventThumbnail: (host: string, eventId: string) => `${TOPIC_ROOT}/${host}/events/${eventId}/thumbnail`,
  eventClip: (host: string, eventId: string) => `${TOPIC_ROOT}/${host}/events/${eventId}/clip`,
  eventFrame: (host: string, eventId: string) => `${TOPIC_ROOT}/${host}/events/${eventId}/frame`,
  health: (host: string) => `${TOPIC_ROOT}/${host}/health`,
  model: (host: string) => `${TOPIC_ROOT}/${host}/model`,
  patrol: (host: string) => `${TOPIC_ROOT}/${host}/patrol`,
  patrolSheet: (host: string, reportId: string) => `${TOPIC_ROOT}/${host}/patrol/${reportId}/sheet`,
  command: (host: string, op: string) => `${TOPIC_ROOT}/${host}/cmd/${op}`,
  commandResponse: (host: string, op: string) => `${TOPIC_ROOT}/${host}/cmd/${op}/response`,
};

/** Topic patterns with placeholders, as the docs write them. */
export const TOPIC_PATTERNS: Record<TopicKind, string> = {
  status: topic.status('<host>'),
  heartbeat: topic.heartbeat('<host>'),
  cameraStatus: topic.cameraStatus('<host>', '<camera>'),
  events: topic.events('<host>'),
  eventThumbnail: topic.eventThumbnail('<host>', '<event-id>'),
  eventClip: topic.eventClip('<host>', '<event-id>'),
  eventFrame: topic.eventFrame('<host>', '<event-id>'),
  health: topic.health('<host>'),
  model: topic.model('<host>'),
  patrol: topic.patrol('<host>'),
  patrolSheet: topic.patrolSheet('<host>', '<report-id>'),
  command: topic.command('<host>', '<op>'),
  commandResponse: topic.commandResponse('<host>', '<op>'),
};
