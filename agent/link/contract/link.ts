/**
 * The agent's side of the station link, as the stages see it. Stages never touch MQTT: they
 * hand messages to a `StationLink`, which checks them against the contract and owns topics,
 * sequencing, durability and delivery.
 * The composition root gives every module the same link.
 */
import type { CommandAnswer, CommandOp, CommandParams, EventClipAnswer } from './commands.js';
import type { CameraStatusPayload, EventBody, EventFrame, HealthBody, HealthKind, HeartbeatBody, ModelPayload, PatrolBody } from './payloads.js';

export interface CommandContext {
  /** The request id, for logs. */
  id: string;
  op: string;
}

/**
 * Runs one command with its parameters, already validated by the op's schema in the contract
 * (`COMMANDS[op].params`); the resolved value is the answer's `data`, checked against
 * `COMMANDS[op].answer`. Throw a CommandError to answer with a specific code.
 */
export type CommandRun<Op extends CommandOp> = (params: CommandParams<Op>, ctx: CommandContext) => Promise<CommandAnswer<Op>>;

export interface LinkState {
  /** Connected to the broker right now. */
  connected: boolean;
  /** Messages waiting for delivery. */
  outboxDepth: number;
  /** Messages dropped because the outbox was full, since start. */
  dropped: number;
}

export interface StationLink {
  /** Queues an events message; resolves once it is durably queued (it will reach the station). */
  publishEvent(event: EventBody): Promise<void>;
  /** Queues the JPEG for an event (events/<id>/thumbnail). */
  publishThumbnail(eventId: string, jpeg: Buffer): Promise<void>;
  /** Queues an alerting event's whole picture (events/<id>/frame), with the thumbnails' priority. */
  publishFrame(frame: EventFrame): Promise<void>;
  /**
   * Publishes one chunk of an event's clip on events/<id>/clip (`clips.push`), directly, not through
   * the outbox: resolves on the broker's acknowledgement, rejects when not connected. The caller
   * waits for an empty outbox first, so a pushed clip never goes ahead of an alert.
   */
  publishClipChunk(chunk: EventClipAnswer): Promise<void>;
  /** Queues a health alert raised or cleared. */
  publishHealth(alert: HealthBody): Promise<void>;
  /** Queues the daily patrol report and its contact sheet (patrol, patrol/<id>/sheet). */
  publishPatrol(report: PatrolBody, sheet: Buffer): Promise<void>;
  /** Retained camera state; republished on reconnect and on `rebirth`. */
  setCameraStatus(status: CameraStatusPayload): void;
  /** Retained heartbeat; the link adds `seq`, `session` and `outbox`. */
  setHeartbeat(heartbeat: HeartbeatBody): void;
  /** Retained model state. */
  setModel(model: ModelPayload): void;
  /** Answers `cmd/<op>` requests of a contract op with this handler. One handler per op. */
  registerCommand<Op extends CommandOp>(op: Op, run: CommandRun<Op>): void;
  /**
   * Calls `listener` for every answer of `op` once it has left: with the milliseconds from its
   * publish to the broker's acknowledgement and its bytes, or `undefined` ms when it was not sent
   * (not connected, refused). How clip answers measure the uplink (docs/clips.md). Optional.
   */
  onAnswerSent?(op: CommandOp, listener: (ms: number | undefined, bytes: number) => void): void;
  /**
   * Calls `listener` for every QoS 1 message the broker acknowledged (the outbox's, retained state,
   * answers of ops without `onAnswerSent`), with the milliseconds from its publish to the PUBACK and
   * its bytes: small ones time the uplink's round trip, which clip chunks take off their own time
   * (docs/clips.md). One listener. Optional.
   */
  onPublishAcked?(listener: (ms: number, bytes: number) => void): void;
  state(): LinkState;
}

/**
 * Where a module raises and clears health alerts: the health monitor's alert board, passed in by the
 * composition root, so every alert open on the Pi shows in the heartbeat and patrol's `openAlerts`.
 * Raise and clear are idempotent per kind and subject; only transitions reach the station.
 */
export interface HealthReporter {
  raise(kind: HealthKind, subject: string, change: { severity: HealthBody['severity']; message: string; details?: Record<string, unknown> }): void;
  clear(kind: HealthKind, subject: string, message: string, details?: Record<string, unknown>): void;
}
