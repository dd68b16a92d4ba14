/**
 * The agent's side of the station link, as the stages see it. Stages never touch MQTT: they
 * hand messages to a `StationLink`, which owns topics, sequencing, durability and delivery.
 * The composition root gives every module the same link.
 */
import type { z } from 'zod';
import type { CameraStatusPayload, EventBody, HealthBody, HeartbeatPayload, ModelPayload, PatrolBody } from './v1.js';

export interface CommandContext {
  /** The request id, for logs. */
  id: string;
  op: string;
}

export interface CommandHandler<T> {
  /** Validates the request's parameters (the request minus `id` and `expires`); unknown fields are errors. */
  params: z.ZodType<T>;
  /** Runs the command; the resolved value is the answer's `data`. Throw an AgentError to answer with an error. */
  run(params: T, ctx: CommandContext): Promise<unknown>;
}

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
  /** Queues a health alert raised or cleared. */
  publishHealth(alert: HealthBody): Promise<void>;
  /** Queues the daily patrol report and its contact sheet (patrol, patrol/<id>/sheet). */
  publishPatrol(report: PatrolBody, sheet: Buffer): Promise<void>;
  /** Retained camera state; republished on reconnect and on `rebirth`. */
  setCameraStatus(status: CameraStatusPayload): void;
  /** Retained heartbeat; the link adds `seq`. */
  setHeartbeat(heartbeat: Omit<HeartbeatPayload, 'seq'>): void;
  /** Retained model state. */
  setModel(model: ModelPayload): void;
  /** Answers `cmd/<op>` requests with this handler. One handler per op. */
  registerCommand<T>(op: string, handler: CommandHandler<T>): void;
  state(): LinkState;
}
