import { randomBytes } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import { topic } from '../../link/contract/v1.js';
import { errorMessage } from '../../core/errors.js';
import { connectOptions, readTlsMaterial } from '../../link/mqtt/client-options.js';
import { probeBroker } from '../../link/mqtt/probe.js';
import type { FileSystem } from '../../ports/fs.js';
import type { MqttClient, MqttConnector } from '../../ports/mqtt.js';
import { say, type Text } from './i18n/index.js';
import { fail, pass, type Check, type CheckOutcome } from './types.js';

const ACL_HINT: Text = say('broker.aclHint');
/** How long a probe message may take to come back over the subscription. */
const ECHO_WAIT_MS = 3000;
/** A host id no real host has (ids are [a-z0-9-], so "." cannot clash). */
const OTHER_HOST = 'check.other-host';

export interface BrokerDeps {
  connector: MqttConnector;
  fs: FileSystem;
}

interface BrokerFindings {
  connect: CheckOutcome;
  own?: CheckOutcome;
  foreign?: CheckOutcome;
}

/**
 * Three lines from one session: the broker takes this host's login (credentials, TLS); it
 * delivers what the host publishes on its own topics (read back on `cmd/`, the one subtree a
 * host may read); and it refuses what the host publishes for another host. Mosquitto refuses
 * that with PUBACK "not authorized" under MQTT 5, but silently drops it under 3.1.1, so the
 * probe also subscribes: a message that comes back proves the broker is not restricted.
 */
export function brokerChecks(config: Config, deps: BrokerDeps): Check[] {
  let session: Promise<BrokerFindings> | undefined;
  const findings = (): Promise<BrokerFindings> => (session ??= investigate(config, deps));
  const timeoutMs = 2 * config.mqtt.connectTimeout + 2 * ECHO_WAIT_MS + 5000;
  const skipped = (): CheckOutcome => fail(say('broker.skipped'), say('broker.skippedHint'));
  return [
    { id: 'broker', title: say('broker.title'), timeoutMs, run: async () => (await findings()).connect },
    { id: 'broker:own-topics', title: say('broker.ownTitle'), timeoutMs, run: async () => (await findings()).own ?? skipped() },
    { id: 'broker:other-topics', title: say('broker.otherTitle'), timeoutMs, run: async () => (await findings()).foreign ?? skipped() },
  ];
}

async function investigate(config: Config, deps: BrokerDeps): Promise<BrokerFindings> {
  const probe = await probeBroker(config.mqtt, config.host.id, deps);
  if (!probe.ok) {
    const hint = probe.kind === 'auth' ? say('broker.authHint') : probe.kind === 'tls' ? say('broker.tlsHint') : say('broker.networkHint');
    return { connect: fail(say('broker.failed', { what: say(`brokerFault.${probe.kind}`), detail: probe.message }), hint, { kind: probe.kind }) };
  }
  const connect = pass(say('broker.connected', { url: config.mqtt.url, version: probe.protocolVersion === 5 ? '5' : '3.1.1' }), { protocolVersion: probe.protocolVersion });
  let client: MqttClient | undefined;
  try {
    client = await open(config, probe.protocolVersion, deps);
    const own = await ownTopics(client, config.host.id);
    const foreign = await otherTopics(client, probe.protocolVersion);
    return { connect, own, foreign };
  } catch (err) {
    const failed = fail(say('broker.sessionFailed', { error: errorMessage(err) }), say('broker.sessionFailedHint'));
    return { connect, own: failed, foreign: failed };
  } finally {
    client?.end(true);
  }
}

async function open(config: Config, protocolVersion: 4 | 5, deps: BrokerDeps): Promise<MqttClient> {
  const tls = await readTlsMaterial(deps.fs, config.mqtt.tls);
  const clientId = `${config.mqtt.clientId ?? config.host.id}-check-${randomBytes(3).toString('hex')}`;
  const client = deps.connector(config.mqtt.url, connectOptions({ mqtt: config.mqtt, clientId, protocolVersion, tls, ephemeral: true }));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('the broker closed the probe connection')));
  });
  client.removeAllListeners('error');
  client.on('error', () => undefined);
  return client;
}

async function ownTopics(client: MqttClient, hostId: string): Promise<CheckOutcome> {
  // cmd/ is the only subtree the shipped ACL lets a host read; a payload without "id" is ignored by a running agent.
  const result = await echo(client, topic.command(hostId, 'check-probe'));
  if (result.kind === 'refused') return fail(say('broker.ownRefused', { topic: result.topic, detail: result.detail }), say('broker.ownRefusedHint', { host: hostId, acl: ACL_HINT }));
  if (result.kind === 'lost') return fail(say('broker.ownLost', { topic: result.topic }), say('broker.ownLostHint', { host: hostId, acl: ACL_HINT }));
  return pass(say('broker.ownOk', { topic: result.topic }));
}

async function otherTopics(client: MqttClient, protocolVersion: 4 | 5): Promise<CheckOutcome> {
  const result = await echo(client, `minwang/${OTHER_HOST}/check-probe`);
  if (result.kind === 'refused') return pass(say('broker.otherRefused', { detail: result.detail }));
  if (result.kind === 'delivered') return fail(say('broker.otherDelivered'), ACL_HINT);
  return pass(protocolVersion === 4 ? say('broker.otherDroppedSilently') : say('broker.otherDropped'));
}

type EchoResult =
  | { kind: 'delivered'; topic: string }
  | { kind: 'refused'; topic: string; detail: string }
  | { kind: 'lost'; topic: string };

/** Subscribes to `topicName`, publishes a nonce there with QoS 1 and waits for it to come back. */
async function echo(client: MqttClient, topicName: string): Promise<EchoResult> {
  const nonce = randomBytes(8).toString('hex');
  let onMessage: ((t: string, payload: Buffer) => void) | undefined;
  const arrived = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ECHO_WAIT_MS);
    onMessage = (t, payload) => {
      if (t !== topicName || !payload.toString().includes(nonce)) return;
      clearTimeout(timer);
      resolve(true);
    };
    client.on('message', onMessage);
  });
  try {
    await client.subscribeAsync(topicName, { qos: 1 });
    try {
      await client.publishAsync(topicName, JSON.stringify({ probe: nonce, from: 'minwang check' }), { qos: 1 });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return { kind: 'refused', topic: topicName, detail: `${errorMessage(err)}${typeof code === 'number' ? `, reason ${code}` : ''}` };
    }
    return (await arrived) ? { kind: 'delivered', topic: topicName } : { kind: 'lost', topic: topicName };
  } finally {
    if (onMessage !== undefined) client.removeListener('message', onMessage);
    await client.unsubscribeAsync(topicName).catch(() => undefined);
  }
}

