import type { IClientPublishOptions } from 'mqtt';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { MqttClient } from '../../ports/mqtt.js';
import type { Outbox } from '../outbox/outbox.js';
import type { QueuedMessage } from '../outbox/messages.js';

/** MQTT 5 PUBACK reasons that will never turn into a success by sending again. */
const PERMANENT_REFUSALS = new Set([0x87, 0x90, 0x95, 0x99]);
const RETRY_AFTER_REFUSAL_MS = 1000;
/**
 * A message published this many times without a PUBACK is dropped (counted): one the broker
 * chokes on (it closes the connection instead of refusing it) would otherwise block the queue forever.
 */
export const MAX_SEND_ATTEMPTS = 10;

export interface SenderDeps {
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  /** A message delivered this long after it was queued is marked `historical: true`. */
  historicalAfterMs: number;
  /** Messages published and not yet acknowledged, at most. */
  window: number;
  /** Each message the broker acknowledged: milliseconds from its publish, and its bytes (topic and payload). */
  acked?: (ms: number, bytes: number) => void;
}

/**
 * Drains the outbox to the connected broker in queue order, a window of messages at a time.
 * A message leaves the outbox only on PUBACK. When the connection drops, whatever was in
 * flight stays queued and is sent again, from the head, on the next connection.
 */
export class OutboxSender {
  private client: MqttClient | undefined;
  private protocolVersion: 4 | 5 = 5;
  private generation = 0;
  private readonly inFlight = new Set<number>();
  private readonly attempts = new Map<number, number>();
  private pumping = false;
  private retryTimer: TimerHandle | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: SenderDeps) {
    this.unsubscribe = deps.outbox.onQueued(() => void this.pump());
  }

  attach(client: MqttClient, protocolVersion: 4 | 5): void {
    this.detach();
    this.client = client;
    this.protocolVersion = protocolVersion;
    const depth = this.deps.outbox.summary().depth;
    if (depth > 0) this.deps.logger.info({ depth }, 'sending the messages queued while the broker was unreachable');
    void this.pump();
  }

  detach(): void {
    this.generation++;
    this.client = undefined;
    this.inFlight.clear();
    if (this.retryTimer !== undefined) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  close(): void {
    this.detach();
    this.unsubscribe();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const client = this.client;
        if (client === undefined || this.inFlight.size >= this.deps.window || this.retryTimer !== undefined) return;
        const message = this.nextToSend();
        if (message === undefined) return;
        await this.send(client, message);
      }
    } finally {
      this.pumping = false;
    }
  }

  private nextToSend(): QueuedMessage | undefined {
    for (const message of this.deps.outbox.messages()) if (!this.inFlight.has(message.n)) return message;
    return undefined;
  }

  private async send(client: MqttClient, message: QueuedMessage): Promise<void> {
    const generation = this.generation;
    const attempts = (this.attempts.get(message.n) ?? 0) + 1;
    if (attempts > MAX_SEND_ATTEMPTS) {
      this.deps.logger.error({ n: message.n, topic: message.topic, attempts: MAX_SEND_ATTEMPTS }, 'a queued message was never acknowledged; dropping it');
      this.drop(message.n);
      return;
    }
    if (this.attempts.size > 10_000) this.attempts.clear(); // entries of messages evicted meanwhile
    this.attempts.set(message.n, attempts);
    this.inFlight.add(message.n);
    const historical = this.deps.clock.now().getTime() - message.queuedAt > this.deps.historicalAfterMs;
    let payload: Buffer;
    try {
      payload = await this.deps.outbox.payload(message, historical ? { historical: true } : {});
    } catch (err) {
      this.deps.logger.error({ err, n: message.n, topic: message.topic }, 'a queued payload cannot be read back; dropping it');
      this.inFlight.delete(message.n);
      this.drop(message.n);
      return;
    }
    if (generation !== this.generation) return;
    const options: IClientPublishOptions = { qos: 1, retain: false };
    if (this.protocolVersion === 5) {
      options.properties = { userProperties: { n: String(message.n), ...(historical ? { historical: 'true' } : {}) } };
    }
    const sentAt = this.deps.clock.monotonicMs();
    client.publish(message.topic, payload, options, (err) => this.onAck(generation, message, err, sentAt, message.topic.length + payload.length));
  }

  private onAck(generation: number, message: QueuedMessage, err: Error | null | undefined, sentAt: number, bytes: number): void {
    if (generation !== this.generation) return;
    this.inFlight.delete(message.n);
    // mqtt.js passes null or undefined on success, depending on the path.
    if (err === undefined || err === null) {
      this.deps.acked?.(this.deps.clock.monotonicMs() - sentAt, bytes);
      this.attempts.delete(message.n);
      this.deps.outbox.ack(message.n);
    } else {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && PERMANENT_REFUSALS.has(code)) {
        this.deps.logger.error({ n: message.n, topic: message.topic, reasonCode: code }, `the broker refused a queued message for good (${errorMessage(err)}); dropping it`);
        this.drop(message.n);
      } else {
        this.deps.logger.warn({ err, n: message.n }, 'publish failed; will try again');
        this.retryTimer = this.deps.clock.setTimeout(() => {
          this.retryTimer = undefined;
          void this.pump();
        }, RETRY_AFTER_REFUSAL_MS);
        return;
      }
    }
    void this.pump();
  }

  private drop(n: number): void {
    this.attempts.delete(n);
    this.deps.outbox.discard(n);
  }
}
