/**
 * What went wrong with a broker connection, in terms an installer can act on. Shared by the
 * link (logs, retry policy) and `minwang check` (the doctor's broker line).
 */
export type BrokerErrorKind =
  | 'auth' // bad user name or password, or the user may not connect
  | 'tls' // certificate not trusted, wrong name, expired, handshake failed
  | 'unreachable' // refused, no route, unknown host
  | 'timeout' // no CONNACK, or the link went silent (keepalive)
  | 'protocol' // the broker does not speak this MQTT version
  | 'refused' // the broker refused for another reason (banned, busy, client id rejected)
  | 'closed' // the connection closed with no error given
  | 'unknown';

export interface BrokerErrorInfo {
  kind: BrokerErrorKind;
  /** One line: what happened and what to check. */
  message: string;
  /** Connection refusals that will not go away by themselves; still retried, but logged as errors. */
  needsOperator: boolean;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_TLS_HANDSHAKE_TIMEOUT',
]);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

/** MQTT 3.1.1 CONNACK return codes and MQTT 5 reason codes that refuse a connection. */
function fromReasonCode(code: number, protocolVersion: 4 | 5): BrokerErrorInfo | undefined {
  const v4 = protocolVersion === 4;
  // Mosquitto answers a wrong password with "not authorized" (135), so both mean: fix the login.
  if ((v4 && (code === 4 || code === 5)) || code === 134 || code === 135) {
    return { kind: 'auth', needsOperator: true, message: 'the broker refused the login: check mqtt.username and mqtt.password (or passwordFile / passwordEnv), and that the broker knows this user' };
  }
  if (code === 138) {
    return { kind: 'refused', needsOperator: true, message: 'the broker has banned this client' };
  }
  if ((v4 && code === 1) || code === 132) {
    return { kind: 'protocol', needsOperator: false, message: 'the broker does not support this MQTT version' };
  }
  if ((v4 && code === 2) || code === 133) {
    return { kind: 'refused', needsOperator: true, message: 'the broker rejected the client id: check mqtt.clientId (default: host.id)' };
  }
  if ((v4 && code === 3) || code === 136 || code === 137 || code === 159) {
    return { kind: 'refused', needsOperator: false, message: 'the broker is unavailable or busy' };
  }
  return undefined;
}

export function classifyBrokerError(err: unknown, protocolVersion: 4 | 5 = 5): BrokerErrorInfo {
  if (!(err instanceof Error)) return { kind: 'closed', needsOperator: false, message: 'the connection closed' };
  const code = (err as { code?: unknown }).code;
  const detail = err.message;
  if (typeof code === 'number') {
    const known = fromReasonCode(code, protocolVersion);
    if (known !== undefined) return { ...known, message: `${known.message} (${detail})` };
    return { kind: 'refused', needsOperator: false, message: `the broker refused the connection (${detail})` };
  }
  if (typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return { kind: 'tls', needsOperator: true, message: `TLS failed (${code}: ${detail}): check mqtt.tls.ca, mqtt.tls.servername and the broker certificate` };
  }
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return { kind: 'unreachable', needsOperator: false, message: `cannot reach the broker (${code}): check mqtt.url and the uplink` };
  }
  if (/connack timeout/i.test(detail)) {
    return { kind: 'timeout', needsOperator: false, message: 'the broker accepted the connection but never answered CONNACK (overloaded, frozen, or not an MQTT port?)' };
  }
  if (/keepalive timeout/i.test(detail)) {
    return { kind: 'timeout', needsOperator: false, message: 'the broker stopped answering (keepalive timeout)' };
  }
  return { kind: 'unknown', needsOperator: false, message: detail };
}
