import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { IClientOptions, MqttClient } from 'mqtt';
import { Backoff } from '../../../../agent/core/backoff.js';
import { classifyBrokerError } from '../../../../agent/link/mqtt/broker-errors.js';
import { BrokerConnection, type ConnectionUp } from '../../../../agent/link/mqtt/connection.js';
import { SessionCounter } from '../../../../agent/link/mqtt/session-counter.js';
import { parseConfigText } from '../../../../agent/config/load.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import type { MqttConnector } from '../../../../agent/ports/mqtt.js';
import { capturedLogger } from '../../../helpers/log-capture.js';
import { tempDir } from '../../../helpers/tmp.js';

/** Just enough of an mqtt.js client for the connection manager: it emits, records and ends. */
class FakeClient extends EventEmitter {
  ended = false;
  constructor(readonly options: IClientOptions) {
    super();
  }
  end(_force?: boolean, _opts?: object, cb?: () => void): this {
    this.ended = true;
    cb?.();
    return this;
  }
  publishAsync(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  fail(err: Error): void {
    this.emit('error', err);
    this.emit('close');
  }
}

function setup() {
  const clock = new FakeClock();
  const clients: FakeClient[] = [];
  const connector: MqttConnector = (_url, options) => {
    const client = new FakeClient(options);
    clients.push(client);
    return client as unknown as MqttClient;
  };
  const { logger, lines } = capturedLogger();
  const config = parseConfigText('host: {id: h1}\nmqtt: {url: "mqtt://broker:1883", reconnect: {min: 1s, max: 8s}}\n', 'c.yaml');
  const events: string[] = [];
  let session = 0;
  const connection = new BrokerConnection({
    mqtt: config.mqtt,
    clientId: 'h1',
    connector,
    clock,
    logger,
    sessions: { next: () => Promise.resolve(++session) },
    tls: {},
    will: (session) => ({ topic: 'minwang/h1/status', payload: Buffer.from(JSON.stringify({ state: 'offline', session })) }),
    handlers: { up: (up: ConnectionUp) => events.push(`up ${up.session}`), down: () => events.push('down'), message: () => undefined },
    random: () => 1,
  });
  return { clock, clients, connection, lines, events };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

describe('broker connection', () => {
  it('backs off exponentially up to the cap, with a new session number and will on every attempt', async () => {
    const { clock, clients, connection, lines } = setup();
    connection.start();
    await clock.advance(0);
    for (let i = 0; i < 6; i++) {
      clients.at(-1)?.fail(refused());
      await clock.advance(0);
      const delay = lines.at(-1)?.['retryInMs'] as number;
      await clock.advance(delay - 1);
      expect(clients).toHaveLength(i + 1);
      await clock.advance(1);
    }
    expect(lines.filter((l) => l.msg.startsWith('cannot connect')).map((l) => l['retryInMs'])).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    const wills = clients.map((c) => JSON.parse(String(c.options.will?.payload)) as { session: number });
    expect(wills.map((w) => w.session)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(clients.every((c, i) => i === clients.length - 1 || c.ended)).toBe(true);
    await connection.stop();
  });

  it('reports up and down, and keeps no retry timer after stop', async () => {
    const { clock, clients, connection, events } = setup();
    connection.start();
    await clock.advance(0);
    clients[0]?.emit('connect', { sessionPresent: false });
    expect(connection.current?.session).toBe(1);
    clients[0]?.fail(Object.assign(new Error('Keepalive timeout'), {}));
    await clock.advance(1000);
    clients[1]?.emit('connect', { sessionPresent: true });
    expect(events).toEqual(['up 1', 'down', 'up 2']);
    await connection.stop({ topic: 'minwang/h1/status', payload: Buffer.from('stopped') });
    expect(events.at(-1)).toBe('down');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('falls back to MQTT 3.1.1 when the broker refuses 5', async () => {
    const { clock, clients, connection } = setup();
    connection.start();
    await clock.advance(0);
    expect(clients[0]?.options.protocolVersion).toBe(5);
    clients[0]?.fail(Object.assign(new Error('Connection refused: Unsupported Protocol Version'), { code: 132 }));
    await clock.advance(0);
    expect(clients[1]?.options.protocolVersion).toBe(4);
    expect(clients[1]?.options.properties).toBeUndefined();
    await connection.stop();
  });
});

describe('backoff', () => {
  it('stays between half and all of the doubling ceiling, and resets', () => {
    const randoms = [0, 1, 0.5, 0];
    const backoff = new Backoff({ minMs: 100, maxMs: 500 }, () => randoms.shift() ?? 0);
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([50, 200, 300, 250]);
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });
});

describe('broker error classification', () => {
  it.each([
    [Object.assign(new Error('Connection refused: Not authorized'), { code: 135 }), 5, 'auth'],
    [Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 }), 4, 'auth'],
    [Object.assign(new Error('Connection refused: Banned'), { code: 138 }), 5, 'refused'],
    [Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 5, 'tls'],
    [Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 5, 'tls'],
    [Object.assign(new Error('getaddrinfo ENOTFOUND broker'), { code: 'ENOTFOUND' }), 5, 'unreachable'],
    [new Error('connack timeout'), 5, 'timeout'],
    [new Error('Keepalive timeout'), 5, 'timeout'],
    [undefined, 5, 'closed'],
  ] as const)('%s → %s', (err, version, kind) => {
    expect(classifyBrokerError(err, version).kind).toBe(kind);
  });
});

describe('session counter', () => {
  it('grows by one per call and survives a restart', async () => {
    const dir = await tempDir();
    const first = new SessionCounter(realFileSystem, dir);
    expect([await first.next(), await first.next()]).toEqual([1, 2]);
    expect(await new SessionCounter(realFileSystem, dir).next()).toBe(3);
  });
});
