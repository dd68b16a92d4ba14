import { CommandDispatcher } from '../../agent/link/commands/dispatcher.js';
import { checkPayload, checkTopicLevel } from '../../agent/link/contract/check.js';
import type { CommandRun, LinkState, StationLink } from '../../agent/link/contract/link.js';
import {
  CommandError, cameraStatusSchema, eventBodySchema, eventClipAnswerSchema, eventFrameSchema, healthBodySchema, heartbeatBodySchema, modelSchema, patrolSchema,
  type CameraStatusPayload, type CommandOp, type CommandResponse, type EventBody, type EventClipAnswer, type EventFrame, type HealthBody, type HeartbeatBody, type ModelPayload, type PatrolBody,
} from '../../agent/link/contract/v1.js';
import { silentLogger, type Logger } from '../../agent/core/logger.js';
import { systemClock, type Clock } from '../../agent/ports/clock.js';

/**
 * A station link that keeps everything in memory, for tests. It applies the same contract checks
 * as `MqttStationLink` (a payload that does not match is refused, not kept) and answers commands
 * through the same dispatcher, so what passes here passes on the broker too.
 */
export class MemoryStationLink implements StationLink {
  readonly events: EventBody[] = [];
  readonly thumbnails: { eventId: string; jpeg: Buffer }[] = [];
  readonly frames: EventFrame[] = [];
  readonly clipChunks: EventClipAnswer[] = [];
  readonly health: HealthBody[] = [];
  readonly patrols: { report: PatrolBody; sheet: Buffer }[] = [];
  readonly cameraStatus = new Map<string, CameraStatusPayload>();
  heartbeat: HeartbeatBody | undefined;
  model: ModelPayload | undefined;
  /** Every answer sent, in order, as the station would receive them on `cmd/<op>/response`. */
  readonly answers: { op: string; response: CommandResponse }[] = [];
  private readonly dispatcher: CommandDispatcher;
  private nextId = 0;

  constructor(options: { clock?: Clock; logger?: Logger } = {}) {
    this.dispatcher = new CommandDispatcher({
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger(),
      maxBytes: 32 * 1024 * 1024,
      answer: (op, response) => this.answers.push({ op, response }),
    });
  }

  publishEvent(event: EventBody): Promise<void> {
    return attempt(() => this.events.push(checkPayload('events', eventBodySchema, event)));
  }

  publishFrame(frame: EventFrame): Promise<void> {
    return attempt(() => {
      this.frames.push(checkPayload('events/<event-id>/frame', eventFrameSchema, frame));
    });
  }

  publishThumbnail(eventId: string, jpeg: Buffer): Promise<void> {
    return attempt(() => {
      checkTopicLevel('event id', eventId);
      this.thumbnails.push({ eventId, jpeg });
    });
  }

  publishClipChunk(chunk: EventClipAnswer): Promise<void> {
    return attempt(() => this.clipChunks.push(checkPayload('events/<event-id>/clip', eventClipAnswerSchema, chunk)));
  }

  publishHealth(alert: HealthBody): Promise<void> {
    return attempt(() => this.health.push(checkPayload('health', healthBodySchema, alert)));
  }

  publishPatrol(report: PatrolBody, sheet: Buffer): Promise<void> {
    return attempt(() => this.patrols.push({ report: checkPayload('patrol', patrolSchema, report), sheet }));
  }

  setCameraStatus(status: CameraStatusPayload): void {
    this.cameraStatus.set(status.camera, checkPayload('camera/<camera>/status', cameraStatusSchema, status));
  }

  setHeartbeat(heartbeat: HeartbeatBody): void {
    this.heartbeat = checkPayload('heartbeat', heartbeatBodySchema, heartbeat);
  }

  setModel(model: ModelPayload): void {
    this.model = checkPayload('model', modelSchema, model);
  }

  registerCommand<Op extends CommandOp>(op: Op, run: CommandRun<Op>): void {
    this.dispatcher.register(op, run);
  }

  ops(): string[] {
    return this.dispatcher.ops();
  }

  /**
   * Sends `cmd/<op>` as a station would (through the dispatcher: envelope, the op's contract
   * schema, expiry); resolves with the answer's `data`, or rejects with a CommandError carrying its code.
   */
  async command(op: string, params: Record<string, unknown>): Promise<unknown> {
    const response = await this.request(op, { ...params, id: `test-${++this.nextId}` });
    if (response.status === 'error') throw new CommandError(response.error.code, response.error.message);
    return response.data;
  }

  /** Sends a whole request (with its `id`) and resolves with the answer the station would receive. */
  async request(op: string, request: Record<string, unknown>): Promise<CommandResponse> {
    await this.dispatcher.handle(op, Buffer.from(JSON.stringify(request)));
    const response = this.answers.findLast((a) => a.op === op && a.response.id === request['id'])?.response;
    if (response === undefined) throw new Error(`cmd/${op} was not answered`);
    return response;
  }

  state(): LinkState {
    return { connected: false, outboxDepth: 0, dropped: 0 };
  }
}

/** Like the MQTT link's publish methods: a refused payload is a rejected promise, not a throw. */
function attempt(fn: () => unknown): Promise<void> {
  try {
    fn();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
