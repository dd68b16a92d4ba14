import { join } from 'node:path';
import { checkPayload, checkTopicLevel } from '../contract/check.js';
import type { CommandRun, LinkState, StationLink } from '../contract/link.js';
import {
  COMMAND_OP_RE, cameraStatusSchema, eventBodySchema, eventClipAnswerSchema, eventFrameSchema, healthBodySchema, heartbeatBodySchema, modelSchema, patrolSchema, topic,
  type CameraStatusPayload, type CommandOp, type CommandResponse, type EventBody, type EventClipAnswer, type EventFrame, type HealthBody, type HeartbeatBody, type ModelPayload, type PatrolBody,
} from '../contract/v1.js';
import type { Config } from '../../config/schema.js';
import { AgentError, isAgentError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { HostPorts } from '../../ports/index.js';
import { EventLog } from '../outbox/event-log.js';
import { Outbox } from '../outbox/outbox.js';
import { CommandDispatcher } from '../commands/dispatcher.js';
import { registerBuiltins } from '../commands/builtins.js';
import { BrokerConnection, type ConnectionUp } from './connection.js';
import { readTlsMaterial } from './client-options.js';
import { OutboxSender } from './outbox-sender.js';
import { RetainedState, type OutgoingMessage } from './retained-state.js';
import { SessionCounter } from './session-counter.js';
import { definedProps } from '../../core/defined-props.js';

export interface MqttLinkDeps {
  config: Config;
  ports: Pick<HostPorts, 'clock' | 'fs' | 'mqtt'>;
  logger: Logger;
  version: string;
  /** Messages in flight at once (default 10). */
  window?: number;
  random?: () => number;
}

/**
 * The station link over MQTT: events, thumbnails, health and patrol reports go through the
 * durable outbox; retained state is republished on every connect; `cmd/<op>` requests are
 * dispatched to registered handlers. Started right after the data dir, stopped after every stage.
 */
export class MqttStationLink implements StationLink, Module {
  readonly name = 'mqtt-link';
  private readonly host: string;
  private readonly outbox: Outbox;
  private readonly eventLog: EventLog;
  private readonly sender: OutboxSender;
  private readonly dispatcher: CommandDispatcher;
  private readonly retained: RetainedState;
  private readonly sessions: SessionCounter;
  private readonly log: Logger;
  private connection: BrokerConnection | undefined;
  private readonly answerListeners = new Map<string, (ms: number | undefined, bytes: number) => void>();
  private publishAcked: ((ms: number, bytes: number) => void) | undefined;

  constructor(private readonly deps: MqttLinkDeps) {
    const { config, ports } = deps;
    const dataDir = config.storage.dataDir;
    this.host = config.host.id;
    this.log = deps.logger;
    this.outbox = new Outbox({ fs: ports.fs, dir: join(dataDir, 'outbox'), clock: ports.clock, logger: deps.logger.child({ part: 'outbox' }), limits: config.outbox });
    this.eventLog = new EventLog({ fs: ports.fs, dir: join(dataDir, 'events'), clock: ports.clock, logger: deps.logger.child({ part: 'event-log' }), retentionMs: config.eventLog.retention });
    this.sender = new OutboxSender({
      outbox: this.outbox, clock: ports.clock, logger: deps.logger.child({ part: 'sender' }), historicalAfterMs: config.outbox.historicalAfter,
      window: deps.window ?? 10, acked: (ms, bytes) => this.publishAcked?.(ms, bytes),
    });
    this.dispatcher = new CommandDispatcher({ clock: ports.clock, logger: deps.logger.child({ part: 'commands' }), maxBytes: config.mqtt.maxCommandBytes, answer: (op, response) => this.answer(op, response) });
    this.retained = new RetainedState(this.host, deps.version, () => this.sessions.current);
    this.sessions = new SessionCounter(ports.fs, dataDir);
    registerBuiltins((op, handler) => this.dispatcher.register(op, handler), {
      config,
      version: deps.version,
      clock: ports.clock,
      startedAt: ports.clock.monotonicMs(),
      session: () => this.sessions.current,
      rebirth: () => this.rebirth(),
      queryEvents: (params) => this.eventLog.query(params),
    });
  }

  async start(): Promise<void> {
    const { config, ports } = this.deps;
    const tls = await readTlsMaterial(ports.fs, config.mqtt.tls);
    if (config.mqtt.password !== undefined && config.mqtt.username === undefined) {
      this.log.warn('mqtt.password is set without mqtt.username: MQTT 3.1.1 forbids that and most brokers refuse it');
    }
    await this.outbox.open();
    await this.eventLog.open();
    this.connection = new BrokerConnection({
      mqtt: config.mqtt,
      clientId: config.mqtt.clientId ?? this.host,
      connector: ports.mqtt,
      clock: ports.clock,
      logger: this.log,
      sessions: this.sessions,
      tls,
      will: (session) => this.retained.status('offline', session, ports.clock.now()),
      handlers: { up: (up) => this.onUp(up), down: () => this.sender.detach(), message: (t, p, retained) => this.onMessage(t, p, retained) },
      ...definedProps({ random: this.deps.random }),
    });
    this.connection.start();
  }

  /** Publishes `stopped`, disconnects cleanly (no will), then closes the outbox. */
  async stop(): Promise<void> {
    const goodbye = this.retained.status('stopped', this.sessions.current, this.deps.ports.clock.now());
    await this.connection?.stop(goodbye);
    this.sender.close();
    await this.outbox.close();
    await this.eventLog.close();
  }

  async publishEvent(event: EventBody): Promise<void> {
    const body = this.guard(() => checkPayload('events', eventBodySchema, event));
    const queued = await this.outbox.enqueue({ kind: 'event', topic: topic.events(this.host), body, sequenced: true });
    void this.eventLog.append({ ...body, seq: queued.seq ?? 0 });
  }

  async publishThumbnail(eventId: string, jpeg: Buffer): Promise<void> {
    this.guard(() => checkTopicLevel('event id', eventId));
    await this.outbox.enqueue({ kind: 'image', topic: topic.eventThumbnail(this.host, eventId), blob: jpeg, sequenced: false });
  }

  /** JSON with the JPEG in base64 (the box belongs to the frame), queued as a picture: behind alerts and health, evicted first. */
  async publishFrame(frame: EventFrame): Promise<void> {
    const body = this.guard(() => checkPayload('events/<event-id>/frame', eventFrameSchema, frame));
    await this.outbox.enqueue({ kind: 'image', topic: topic.eventFrame(this.host, body.event), blob: Buffer.from(JSON.stringify(body)), sequenced: false });
  }

  async publishClipChunk(chunk: EventClipAnswer): Promise<void> {
    const body = this.guard(() => checkPayload('events/<event-id>/clip', eventClipAnswerSchema, chunk));
    const up = this.connection?.current;
    if (up === undefined) throw new AgentError('link.down', 'not connected to the broker: the clip chunk was not sent');
    await up.client.publishAsync(topic.eventClip(this.host, body.event), JSON.stringify(body), { qos: 1, retain: false });
  }

  async publishHealth(alert: HealthBody): Promise<void> {
    const body = this.guard(() => checkPayload('health', healthBodySchema, alert));
    await this.outbox.enqueue({ kind: 'health', topic: topic.health(this.host), body, sequenced: true });
  }

  async publishPatrol(report: PatrolBody, sheet: Buffer): Promise<void> {
    const body = this.guard(() => checkPayload('patrol', patrolSchema, report));
    await this.outbox.enqueue({ kind: 'patrol', topic: topic.patrol(this.host), body, sequenced: false });
    await this.outbox.enqueue({ kind: 'image', topic: topic.patrolSheet(this.host, body.id), blob: sheet, sequenced: false });
  }

  setCameraStatus(status: CameraStatusPayload): void {
    this.send(this.retained.setCamera(this.guard(() => checkPayload('camera/<camera>/status', cameraStatusSchema, status))));
  }

  setHeartbeat(heartbeat: HeartbeatBody): void {
    this.send(this.retained.setHeartbeat(this.guard(() => checkPayload('heartbeat', heartbeatBodySchema, heartbeat)), this.outbox.summary()));
  }

  setModel(model: ModelPayload): void {
    this.send(this.retained.setModel(this.guard(() => checkPayload('model', modelSchema, model))));
  }

  registerCommand<Op extends CommandOp>(op: Op, run: CommandRun<Op>): void {
    this.dispatcher.register(op, run);
  }

  onAnswerSent(op: CommandOp, listener: (ms: number | undefined, bytes: number) => void): void {
    this.answerListeners.set(op, listener);
  }

  onPublishAcked(listener: (ms: number, bytes: number) => void): void {
    this.publishAcked = listener;
  }

  state(): LinkState {
    const summary = this.outbox.summary();
    return { connected: this.connection?.current !== undefined, outboxDepth: summary.depth, dropped: summary.dropped.images + summary.dropped.messages };
  }

  /** The contract's gate: what does not match is logged here and refused to the caller, never queued. */
  private guard<T>(check: () => T): T {
    try {
      return check();
    } catch (err) {
      if (isAgentError(err)) this.log.error({ err, details: err.details }, 'payload refused: it does not match the contract');
      throw err;
    }
  }

  /** Republishes status and every retained message; 0 when not connected. */
  rebirth(): number {
    const up = this.connection?.current;
    if (up === undefined) return 0;
    const messages = [this.retained.status('online', up.session, this.deps.ports.clock.now()), ...this.retained.all(this.outbox.summary())];
    for (const message of messages) this.send(message);
    return messages.length;
  }

  private onUp(up: ConnectionUp): void {
    this.rebirth();
    const filter = topic.command(this.host, '#');
    up.client.subscribe(filter, { qos: 1 }, (err) => {
      if (err !== null && err !== undefined) this.log.error({ err, filter }, 'cannot subscribe to commands (check the broker ACL)');
    });
    this.sender.attach(up.client, up.protocolVersion);
  }

  private onMessage(topicName: string, payload: Buffer, retained: boolean): void {
    const prefix = `${topic.command(this.host, '')}`;
    if (!topicName.startsWith(prefix)) return;
    const op = topicName.slice(prefix.length);
    if (op.endsWith('/response') || !COMMAND_OP_RE.test(op)) return;
    void this.dispatcher.handle(op, payload, { retained });
  }

  private answer(op: string, response: CommandResponse): void {
    const payload = Buffer.from(JSON.stringify(response));
    const listener = this.answerListeners.get(op);
    const clock = this.deps.ports.clock;
    const t0 = clock.monotonicMs();
    this.send({ topic: topic.commandResponse(this.host, op), payload, qos: 1, retain: false }, listener && ((sent) => listener(sent ? clock.monotonicMs() - t0 : undefined, payload.length)));
  }

  /**
   * Publishes directly (not through the outbox) when connected; retained state is sent again on connect anyway.
   * `done`: whether the broker acknowledged it; without one, an acknowledged QoS 1 message is timed
   * for `onPublishAcked` like the outbox's (status, camera status and answers time the round trip even on a quiet host).
   */
  private send(message: OutgoingMessage, done?: (sent: boolean) => void): void {
    const up = this.connection?.current;
    if (up === undefined) {
      done?.(false);
      return;
    }
    const t0 = this.deps.ports.clock.monotonicMs();
    up.client.publish(message.topic, message.payload, { qos: message.qos, retain: message.retain }, (err?: Error | null) => {
      const sent = err === undefined || err === null;
      if (!sent) this.log.warn({ err, topic: message.topic }, 'publish failed');
      if (sent && done === undefined && message.qos === 1) this.publishAcked?.(this.deps.ports.clock.monotonicMs() - t0, message.topic.length + message.payload.length);
      done?.(sent);
    });
  }
}

