import { CONTRACT_VERSION, TOPICS, topic, type CameraStatusPayload, type HeartbeatBody, type ModelPayload, type OutboxSummary, type StatusPayload } from '../contract/v1.js';

export interface OutgoingMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

/**
 * The retained part of the contract (status, heartbeat, camera status, model): the latest value
 * of each, so all of it can be published again on every connect and on `rebirth`.
 */
export class RetainedState {
  private heartbeat: HeartbeatBody | undefined;
  private heartbeatSeq = 0;
  private readonly cameras = new Map<string, CameraStatusPayload>();
  private model: ModelPayload | undefined;

  constructor(
    private readonly host: string,
    private readonly version: string,
    /** The current connection's session, so a station can tell a live host from a late will. */
    private readonly session: () => number,
  ) {}

  status(state: StatusPayload['state'], session: number, now: Date): OutgoingMessage {
    const payload: StatusPayload = { ts: now.toISOString(), state, session, version: this.version, contract: CONTRACT_VERSION };
    return json(topic.status(this.host), payload, TOPICS.status);
  }

  setHeartbeat(heartbeat: HeartbeatBody, outbox: OutboxSummary): OutgoingMessage {
    this.heartbeat = heartbeat;
    return this.heartbeatMessage(outbox);
  }

  setCamera(status: CameraStatusPayload): OutgoingMessage {
    this.cameras.set(status.camera, status);
    return json(topic.cameraStatus(this.host, status.camera), status, TOPICS.cameraStatus);
  }

  setModel(model: ModelPayload): OutgoingMessage {
    this.model = model;
    return json(topic.model(this.host), model, TOPICS.model);
  }

  /** Everything retained except status, in a stable order. */
  all(outbox: OutboxSummary): OutgoingMessage[] {
    const messages: OutgoingMessage[] = [];
    if (this.heartbeat !== undefined) messages.push(this.heartbeatMessage(outbox));
    for (const status of this.cameras.values()) messages.push(json(topic.cameraStatus(this.host, status.camera), status, TOPICS.cameraStatus));
    if (this.model !== undefined) messages.push(json(topic.model(this.host), this.model, TOPICS.model));
    return messages;
  }

  private heartbeatMessage(outbox: OutboxSummary): OutgoingMessage {
    const payload = { ...this.heartbeat, seq: ++this.heartbeatSeq, session: this.session(), outbox };
    return json(topic.heartbeat(this.host), payload, TOPICS.heartbeat);
  }
}

function json(topicName: string, payload: unknown, spec: { qos: 0 | 1; retain: boolean }): OutgoingMessage {
  return { topic: topicName, payload: Buffer.from(JSON.stringify(payload)), qos: spec.qos, retain: spec.retain };
}
