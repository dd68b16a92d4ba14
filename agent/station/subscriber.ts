/**
 * The station's one MQTT connection: subscribes to the contract's topics, validates every
 * message and feeds the state model. Consumers (terminal, web) listen for what was received.
 */
import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { TOPIC_ROOT } from '../link/contract/v1.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../ports/clock.js';
import type { MqttConnector } from '../ports/mqtt.js';
import { AckPipeline, type BatchSink, type Incoming } from './ack-pipeline.js';
import { parseMessage, type Delivery, type ParseResult } from './messages.js';
import type { ApplyResult, StationState } from './state.js';
import { definedProps } from '../core/defined-props.js';

export interface BrokerOptions {
  url: string;
  username?: string;
  password?: string;
  /** PEM CA bundle for mqtts:// with a private CA. */
  ca?: Buffer;
  /** Share the event streams with other consoles of this group (`$share/<group>/...`). */
  shareGroup?: string;
  /**
   * A fixed client id with a persistent session (clean: false, kept `SESSION_EXPIRY_S`): what the
   * broker queued for this console while it was down is delivered when it comes back.
   */
  clientId?: string;
  /** MQTT 5 unless the broker speaks only 3.1.1 (the demo's embedded broker). */
  protocolVersion?: 4 | 5;
}

export interface Received {
  topic: string;
  bytes: number;
  delivery: Delivery;
  parsed: ParseResult;
  /** Set when the message was valid and went into the state model. */
  result?: ApplyResult;
}

/** Retained state every console needs in full, even when it shares the event streams. */
const STATE_TOPICS = ['status', 'heartbeat', 'camera/+/status', 'model'];
const STREAM_TOPICS = ['events', 'events/+/thumbnail', 'events/+/frame', 'health', 'patrol', 'patrol/+/sheet', 'cmd/#'];

/** The subscriptions for a console: everything, or state in full plus a share of the streams. */
export function subscriptions(shareGroup?: string): string[] {
  if (shareGroup === undefined) return [`${TOPIC_ROOT}/#`];
  return [
    ...STATE_TOPICS.map((t) => `${TOPIC_ROOT}/+/${t}`),
    ...STREAM_TOPICS.map((t) => `$share/${shareGroup}/${TOPIC_ROOT}/+/${t}`),
  ];
}

/** How long the broker keeps a persistent console session (and what is queued for it) while it is away. */
export const SESSION_EXPIRY_S = 24 * 3600;

/** The broker's most unacknowledged messages in flight to the console (MQTT 5 receive maximum). */
export const RECEIVE_MAXIMUM = 1000;

/** mqtt.js sends its PUBACK when handleMessage calls back without an error: this one holds it back. */
const HELD = new Error('acknowledgement held until the message is stored');

/** What mqtt.js keeps private: the one way to send a packet through its own writer. */
interface PacketSender {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }): void;
}

/** Another console's session, held by this one until that console is back (or this one stops). */
export interface AdoptedSession {
  /** Resolves once the connection is gone: handed back to its console, lost, or ended. */
  readonly closed: Promise<void>;
  /** Lets the session go (its unacknowledged messages wait at the broker for the next holder). */
  end(): Promise<void>;
}

export class StationSubscriber implements Module {
  readonly name = 'station-subscriber';
  private client: MqttClient | undefined;
  private pipeline: AckPipeline | undefined;
  private readonly listeners = new Set<(received: Received) => void>();
  private rejected = 0;
  /** Settles a pending `start` when `stop` comes first (broker never reached). */
  private abandonStart: (() => void) | undefined;

  constructor(
    /**
     * `sink` stores valid messages in batches before the broker gets their acknowledgements (PUBACK):
     * a sink that resolves only once the batch is durable makes ingest at-least-once.
     */
    private readonly deps: { broker: BrokerOptions; connect: MqttConnector; state: StationState; clock: Clock; logger: Logger; sink?: BatchSink },
  ) {}

  onReceived(listener: (received: Received) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  connected(): boolean {
    return this.client?.connected ?? false;
  }

  rejectedCount(): number {
    return this.rejected;
  }

  /** Resolves once subscribed; rejects when the broker refuses us (bad credentials, no access). */
  async start(): Promise<void> {
    const { broker, logger } = this.deps;
    const client = this.deps.connect(broker.url, this.clientOptions());
    this.client = client;
    this.pipeline = this.attach(client);
    client.on('offline', () => logger.warn({ url: redact(broker.url) }, 'broker unreachable; retrying'));
    client.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'broker connection error'));
    client.on('connect', () => logger.info({ url: redact(broker.url) }, 'connected to the station broker'));
    await this.firstSubscription(client);
  }

  /**
   * Takes over the persistent session of another console of the group that is gone (`SessionKeeper`
   * decides when): what the broker queued for it, what it held unacknowledged, and its share of what
   * comes next are stored here, as this console's own. No subscription is made (the session has
   * them) and no reconnection: the session is that console's, and when it comes back under its id
   * the broker hands the session back to it and `closed` resolves. Resolves null when the broker
   * has no such session (nothing to take over: the new empty one is left to expire at once).
   */
  async adopt(clientId: string): Promise<AdoptedSession | null> {
    const { broker } = this.deps;
    const options = this.sessionOptions(clientId);
    const client = this.deps.connect(broker.url, { ...options, reconnectPeriod: 0 });
    const pipeline = this.attach(client);
    client.on('error', (err) => this.deps.logger.warn({ err: errorMessage(err), session: clientId }, 'taken-over session: connection error'));
    const closed = new Promise<void>((resolve) => client.once('close', () => {
      pipeline?.stop();
      void client.endAsync(true).finally(resolve);
    }));
    const present = await new Promise<boolean | undefined>((resolve) => {
      client.once('connect', (connack) => resolve(connack.sessionPresent));
      void closed.then(() => resolve(undefined));
    });
    if (present === true) return { closed, end: async () => { pipeline?.stop(); await client.endAsync(true); await closed; } };
    // MQTT 5: the empty session made by this connection expires as it closes (3.1.1 cannot say so).
    if (present === false) await client.endAsync(broker.protocolVersion === 4, { properties: { sessionExpiryInterval: 0 } }).catch(() => undefined);
    await closed;
    return null;
  }

  /**
   * mqtt.js sends the PUBACK when its message handler calls back (unless with an error) and reads
   * the next message after it; with a sink, the PUBACK is held until the message is stored.
   */
  private attach(client: MqttClient): AckPipeline | undefined {
    const sink = this.deps.sink;
    const pipeline = sink === undefined ? undefined : new AckPipeline(sink);
    client.handleMessage = (packet, done) => {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const item = this.handle(packet.topic, payload, packet.retain);
      if (pipeline === undefined) return done();
      const { qos, messageId } = packet;
      if (qos === 1 && messageId !== undefined) {
        // Acknowledged on the connection it came by, once stored; after a reconnect the broker sends it again.
        const stream = client.stream;
        const ack = () => {
          if (client.stream === stream && client.connected) (client as unknown as PacketSender)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
        };
        pipeline.push(item, ack, () => done(HELD));
      } else if (qos === 0) {
        pipeline.push(item, undefined, () => done());
      } else {
        pipeline.push(item, () => done());
      }
    };
    return pipeline;
  }

  async stop(): Promise<void> {
    this.abandonStart?.();
    this.pipeline?.stop();
    const client = this.client;
    this.client = undefined;
    // Forced: the console only ever sends acknowledgements, nothing worth waiting for.
    if (client !== undefined) await client.endAsync(true);
  }

  private clientOptions(): IClientOptions {
    return this.deps.broker.clientId === undefined ? this.baseOptions() : this.sessionOptions(this.deps.broker.clientId);
  }

  private baseOptions(): IClientOptions {
    const { broker } = this.deps;
    const base = brokerClientOptions(broker, 'minwang-console');
    // Bounds what the broker pushes ahead of our acknowledgements (MQTT 3.1.1: the broker's own inflight limit).
    return broker.protocolVersion === 4 ? base : { ...base, properties: { receiveMaximum: RECEIVE_MAXIMUM } };
  }

  /** A fixed id: a persistent session, so what the broker queued meanwhile comes after a restart. */
  private sessionOptions(clientId: string): IClientOptions {
    const options = this.baseOptions();
    if (this.deps.broker.protocolVersion === 4) return { ...options, clientId, clean: false };
    return { ...options, clientId, clean: false, properties: { ...options.properties, sessionExpiryInterval: SESSION_EXPIRY_S } };
  }

  /**
   * mqtt.js resubscribes by itself after a reconnect; the first subscription is awaited so a
   * refusal (credentials, ACL) is reported instead of retried for ever. A connection lost before the
   * broker answered (a busy broker sending a backlog) is no refusal: it is tried again on the next one.
   */
  private firstSubscription(client: MqttClient): Promise<void> {
    return new Promise((resolve, reject) => {
      const refuse = (err: Error & { code?: number | string }) => {
        if (typeof err.code !== 'number' || !REFUSALS.has(err.code)) return;
        cleanup();
        reject(new Error(`the broker refused the connection: ${err.message}`));
      };
      const subscribe = () => {
        client.subscribe(subscriptions(this.deps.broker.shareGroup), { qos: 1 }, (err, granted) => {
          const denied = granted?.filter((g) => g.qos >= 0x80) ?? [];
          if (this.abandonStart === undefined) return;
          if (err) {
            this.deps.logger.warn({ err: errorMessage(err) }, 'could not subscribe yet; trying again on the next connection');
            return;
          }
          cleanup();
          if (denied.length > 0) reject(new Error(`the broker refused the subscription to ${denied.map((g) => g.topic).join(', ')}`));
          else {
            this.deps.logger.info({ topics: granted?.map((g) => g.topic) }, 'subscribed');
            resolve();
          }
        });
      };
      const cleanup = () => {
        this.abandonStart = undefined;
        client.off('error', refuse);
        client.off('connect', subscribe);
      };
      this.abandonStart = () => {
        cleanup();
        resolve();
      };
      client.on('error', refuse);
      client.on('connect', subscribe);
    });
  }

  /** Validates and applies one message; returns what is to be stored. */
  private handle(topic: string, payload: Buffer, retained: boolean): Incoming | undefined {
    const delivery: Delivery = { receivedAt: this.deps.clock.now(), retained };
    const parsed = parseMessage(topic, payload);
    const received: Received = { topic, bytes: payload.length, delivery, parsed };
    if (parsed.ok) {
      received.result = this.deps.state.apply(parsed.message, delivery);
    } else {
      this.rejected += 1;
      this.deps.logger.warn({ topic, error: parsed.error }, 'ignored an invalid message');
    }
    for (const listener of this.listeners) listener(received);
    return parsed.ok ? { message: parsed.message, delivery } : undefined;
  }
}

/** How a station part connects: a fresh random client id (clean session), reconnecting every 2 s. */
export function brokerClientOptions(broker: BrokerOptions, idPrefix: string): IClientOptions {
  return {
    clientId: `${idPrefix}-${randomBytes(6).toString('hex')}`,
    protocolVersion: broker.protocolVersion ?? 5,
    clean: true,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    ...definedProps({ username: broker.username, password: broker.password, ca: broker.ca }),
  };
}

/** CONNACK codes that retrying will not fix: MQTT 5 (128+) and 3.1.1 (1-5). */
const REFUSALS = new Set([1, 2, 3, 4, 5, 128, 129, 130, 131, 132, 133, 134, 135, 138, 140]);

/** The broker URL without a password, for logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
