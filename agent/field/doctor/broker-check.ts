import { randomBytes } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import { topic } from '../../link/contract/v1.js';
import { errorMessage } from '../../core/errors.js';
import { connectOptions, readTlsMaterial } from '../../link/mqtt/client-options.js';
import { probeBroker } from '../../link/mqtt/probe.js';
import type { FileSystem } from '../../ports/fs.js';
import type { MqttClient, MqttConnector } from '../../ports/mqtt.js';
import { fail, pass, type Check, type CheckOutcome } from './types.js';

/** How long a probe message may take to come back over the subscription. */
const ECHO_WAIT_MS = 3000;
/** A host id no real host has (ids are [a-z0-9-], so "." cannot clash). */
const OTHER_HOST = 'check.other-host';
const ACL_HINT = 'install the shipped ACL (config/mosquitto/minwang.acl, see config/mosquitto/README.md) so each host may publish only under minwang/<its id>/, and log in with the host id as user name';

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
  const skipped = (): CheckOutcome => fail('not checked: the broker refused the connection', 'fix the broker connection first (the line above)');
  return [
    { id: 'broker', title: 'broker login', timeoutMs, run: async () => (await findings()).connect },
    { id: 'broker:own-topics', title: 'broker: publish own topics', timeoutMs, run: async () => (await findings()).own ?? skipped() },
    { id: 'broker:other-topics', title: 'broker: refuse other hosts\' topics', timeoutMs, run: async () => (await findings()).foreign ?? skipped() },
  ];
}

async function investigate(config: Config, deps: BrokerDeps): Promise<BrokerFindings> {
  const probe = await probeBroker(config.mqtt, config.host.id, deps);
  if (!probe.ok) {
    const hint = probe.kind === 'auth'
      ? 'check mqtt.username and the password; on the broker, `mosquitto_passwd /etc/mosquitto/minwang.passwd <host id>` sets it'
      : probe.kind === 'tls' ? 'check mqtt.tls.ca (the station CA), mqtt.tls.servername and the broker certificate\'s dates'
        : 'check mqtt.url (host and port), that the broker runs, and that the uplink and firewall let this host through';
    return { connect: fail(probe.message, hint, { kind: probe.kind }) };
  }
  const connect = pass(probe.message, { protocolVersion: probe.protocolVersion });
  let client: MqttClient | undefined;
  try {
    client = await open(config, probe.protocolVersion, deps);
    const own = await ownTopics(client, config.host.id);
    const foreign = await otherTopics(client, probe.protocolVersion);
    return { connect, own, foreign };
  } catch (err) {
    const failed = fail(`the probe session failed: ${errorMessage(err)}`, 'run the check again; if it repeats, look at the broker\'s log');
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
  if (result.kind === 'refused') return fail(`the broker refused a publish on ${result.topic} (${result.detail})`, `the broker must let user "${hostId}" publish under minwang/${hostId}/: ${ACL_HINT}`);
  if (result.kind === 'lost') return fail(`a message published on ${result.topic} never came back`, `the host must be able to read minwang/${hostId}/cmd/# or it will never see commands: ${ACL_HINT}`);
  return pass(`published and read back on ${result.topic}`);
}

async function otherTopics(client: MqttClient, protocolVersion: 4 | 5): Promise<CheckOutcome> {
  const result = await echo(client, `minwang/${OTHER_HOST}/check-probe`);
  if (result.kind === 'refused') return pass(`a publish for another host was refused (${result.detail})`);
  if (result.kind === 'delivered') {
    return fail('not restricted: this host may publish (and read) other hosts\' topics, so one stolen login could fake alerts for the whole station', ACL_HINT);
  }
  const how = protocolVersion === 4 ? ' (MQTT 3.1.1 brokers drop refused messages silently)' : '';
  return pass(`a publish for another host was accepted but never delivered${how}`);
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

