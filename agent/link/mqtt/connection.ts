import type { IConnackPacket } from 'mqtt';
import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { MqttClient, MqttConnector } from '../../ports/mqtt.js';
import { Backoff } from '../../core/backoff.js';
import { classifyBrokerError } from './broker-errors.js';
import { connectOptions, type TlsMaterial } from './client-options.js';
import type { SessionCounter } from './session-counter.js';

/** A connection that lasted this long resets the backoff; a shorter one keeps it growing. */
const STABLE_MS = 10_000;
/** Each of the two shutdown steps (stopped, DISCONNECT) waits at most this: the lifecycle gives a module 5 s. */
const GOODBYE_TIMEOUT_MS = 2000;

export interface ConnectionUp {
  client: MqttClient;
  session: number;
  sessionPresent: boolean;
  protocolVersion: 4 | 5;
}

export interface ConnectionHandlers {
  /** The connection is up. Runs before anything else is sent on it. */
  up(connection: ConnectionUp): void;
  /** The connection that was up is gone; its client must not be used any more. */
  down(): void;
  /** `retained`: the broker delivered it from its retained store, not as it was published. */
  message(topic: string, payload: Buffer, retained: boolean): void;
}

export interface BrokerConnectionDeps {
  mqtt: Config['mqtt'];
  clientId: string;
  connector: MqttConnector;
  clock: Clock;
  logger: Logger;
  sessions: Pick<SessionCounter, 'next'>;
  tls: TlsMaterial;
  /** The last will for a connection with this session number. */
  will: (session: number) => { topic: string; payload: Buffer };
  handlers: ConnectionHandlers;
  random?: () => number;
}

/**
 * Keeps one connection to the broker: a fresh mqtt.js client per attempt (so each CONNECT
 * carries a will with its own session number), exponential backoff with jitter between
 * attempts, MQTT 3.1.1 when a broker refuses MQTT 5.
 */
export class BrokerConnection {
  private client: MqttClient | undefined;
  private up: ConnectionUp | undefined;
  private upSince = 0;
  private stopped = true;
  private retryTimer: TimerHandle | undefined;
  private protocolVersion: 4 | 5;
  private readonly backoff: Backoff;
  private failures = 0;

  constructor(private readonly deps: BrokerConnectionDeps) {
    this.protocolVersion = deps.mqtt.protocolVersion;
    this.backoff = new Backoff({ minMs: deps.mqtt.reconnect.min, maxMs: deps.mqtt.reconnect.max }, deps.random);
  }

  get current(): ConnectionUp | undefined {
    return this.up;
  }

  start(): void {
    this.stopped = false;
    void this.attempt();
  }

  /** Publishes `goodbye` (when connected) and disconnects cleanly, so the broker does not send the will. */
  async stop(goodbye?: { topic: string; payload: Buffer }): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) this.deps.clock.clearTimeout(this.retryTimer);
    const client = this.client;
    const wasUp = this.up !== undefined;
    this.client = undefined;
    this.up = undefined;
    if (client === undefined) return;
    // Acknowledgements still arriving for queued messages count until `goodbye` is acknowledged (in order).
    if (wasUp && goodbye !== undefined) {
      await this.bounded(client.publishAsync(goodbye.topic, goodbye.payload, { qos: 1, retain: true }), 'publishing stopped');
    }
    if (wasUp) this.deps.handlers.down();
    await this.bounded(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), 'disconnecting');
    client.end(true);
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) return;
    let session: number;
    try {
      session = await this.deps.sessions.next();
    } catch (err) {
      this.deps.logger.error({ err }, `cannot save the session number: ${errorMessage(err)}`);
      this.scheduleRetry(this.backoff.next());
      return;
    }
    if (this.stopped) return;
    const protocolVersion = this.protocolVersion;
    const client = this.deps.connector(this.deps.mqtt.url, connectOptions({
      mqtt: this.deps.mqtt,
      clientId: this.deps.clientId,
      protocolVersion,
      tls: this.deps.tls,
      will: this.deps.will(session),
    }));
    this.client = client;
    let lastError: unknown;
    // Handlers go on before the CONNECT leaves: a resumed session delivers queued commands right after CONNACK.
    client.on('message', (topic, payload, packet) => {
      if (client === this.client) this.deps.handlers.message(topic, payload, packet.retain);
    });
    client.on('error', (err) => { lastError = err; });
    client.on('connect', (connack: IConnackPacket) => this.onConnect(client, session, protocolVersion, connack));
    client.on('close', () => this.onClose(client, session, protocolVersion, lastError));
  }

  private onConnect(client: MqttClient, session: number, protocolVersion: 4 | 5, connack: IConnackPacket): void {
    if (client !== this.client) return;
    this.upSince = this.deps.clock.monotonicMs();
    this.failures = 0;
    this.up = { client, session, sessionPresent: connack.sessionPresent, protocolVersion };
    this.deps.logger.info({ session, sessionPresent: connack.sessionPresent, protocolVersion }, 'connected to the broker');
    this.deps.handlers.up(this.up);
  }

  private onClose(client: MqttClient, session: number, protocolVersion: 4 | 5, error: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    client.end(true);
    const wasUp = this.up !== undefined;
    this.up = undefined;
    if (wasUp) this.deps.handlers.down();
    if (this.stopped) return;
    const info = classifyBrokerError(error, protocolVersion);
    if (info.kind === 'protocol' && protocolVersion === 5) {
      this.protocolVersion = 4;
      this.deps.logger.warn('the broker refused MQTT 5; using MQTT 3.1.1');
      this.scheduleRetry(0);
      return;
    }
    if (wasUp && this.deps.clock.monotonicMs() - this.upSince >= STABLE_MS) this.backoff.reset();
    const retryInMs = this.backoff.next();
    this.failures++;
    const fields = { kind: info.kind, session, retryInMs, failures: this.failures };
    const text = wasUp ? `lost the broker connection: ${info.message}` : `cannot connect to the broker: ${info.message}`;
    if (info.needsOperator) this.deps.logger.error(fields, text);
    else this.deps.logger.warn(fields, text);
    this.scheduleRetry(retryInMs);
  }

  private scheduleRetry(ms: number): void {
    if (this.stopped) return;
    this.retryTimer = this.deps.clock.setTimeout(() => void this.attempt(), ms);
  }

  private async bounded(work: Promise<unknown>, what: string): Promise<void> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.deps.clock.setTimeout(() => {
        this.deps.logger.warn({ timeoutMs: GOODBYE_TIMEOUT_MS }, `gave up ${what}`);
        resolve();
      }, GOODBYE_TIMEOUT_MS);
    });
    try {
      await Promise.race([work.then(() => undefined, (err: unknown) => this.deps.logger.warn({ err }, `failed ${what}`)), timeout]);
    } finally {
      if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    }
  }
}
