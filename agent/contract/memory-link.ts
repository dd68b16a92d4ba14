import type { CommandHandler, LinkState, StationLink } from './link.js';
import type { CameraStatusPayload, EventBody, HealthBody, HeartbeatPayload, ModelPayload, PatrolBody } from './v1.js';

/**
 * A station link that keeps everything in memory: what tests assert on, and what a command
 * such as `detect` uses when no broker is involved. Nothing here reaches a station.
 */
export class MemoryStationLink implements StationLink {
  readonly events: EventBody[] = [];
  readonly thumbnails: { eventId: string; jpeg: Buffer }[] = [];
  readonly health: HealthBody[] = [];
  readonly patrols: { report: PatrolBody; sheet: Buffer }[] = [];
  readonly cameraStatus = new Map<string, CameraStatusPayload>();
  heartbeat: Omit<HeartbeatPayload, 'seq'> | undefined;
  model: ModelPayload | undefined;
  readonly commands = new Map<string, CommandHandler<unknown>>();

  publishEvent(event: EventBody): Promise<void> {
    this.events.push(event);
    return Promise.resolve();
  }

  publishThumbnail(eventId: string, jpeg: Buffer): Promise<void> {
    this.thumbnails.push({ eventId, jpeg });
    return Promise.resolve();
  }

  publishHealth(alert: HealthBody): Promise<void> {
    this.health.push(alert);
    return Promise.resolve();
  }

  publishPatrol(report: PatrolBody, sheet: Buffer): Promise<void> {
    this.patrols.push({ report, sheet });
    return Promise.resolve();
  }

  setCameraStatus(status: CameraStatusPayload): void {
    this.cameraStatus.set(status.camera, status);
  }

  setHeartbeat(heartbeat: Omit<HeartbeatPayload, 'seq'>): void {
    this.heartbeat = heartbeat;
  }

  setModel(model: ModelPayload): void {
    this.model = model;
  }

  registerCommand<T>(op: string, handler: CommandHandler<T>): void {
    if (this.commands.has(op)) throw new Error(`command ${op} registered twice`);
    this.commands.set(op, handler);
  }

  /** Runs a registered command as the station would ask it (params validated by its schema). */
  async command(op: string, request: Record<string, unknown>): Promise<unknown> {
    const handler = this.commands.get(op);
    if (handler === undefined) throw new Error(`no command ${op}`);
    return handler.run(handler.params.parse(request), { id: 'test', op });
  }

  state(): LinkState {
    return { connected: false, outboxDepth: 0, dropped: 0 };
  }
}
