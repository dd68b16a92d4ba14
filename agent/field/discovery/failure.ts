import type { ClientFailure } from './onvif/client.js';
import type { DeviceFailure, FailureKind } from './types.js';

const AUTH = /not ?authori[sz]ed|unauthori[sz]ed|authentication failed|\b401\b/i;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ENOTFOUND']);

const HINTS: Record<FailureKind, string> = {
  auth: 'the camera refused the login: check --username and the password (ONVIF users are often separate from the web login), and that the camera\'s clock is roughly right',
  timeout: 'the camera did not answer in time: it may be busy or overloaded; try --device-timeout 30s',
  unreachable: 'the camera answered the probe but its ONVIF service cannot be reached: check firewalls, routes, and the ONVIF port in its web page',
  protocol: 'the camera\'s ONVIF answers could not be used: check that ONVIF (Profile S) is enabled in its web page, or configure it by hand from its manual',
};

const NEEDS_LOGIN = 'the camera needs a login to tell its stream and snapshot URIs: add --username USER --password-env NAME (or --password-file FILE)';

/** Turns a library failure into a kind, a plain message and a hint for the installer. */
export function describeFailure(failure: ClientFailure, loggedIn: boolean): DeviceFailure {
  const kind = classify(failure);
  return { kind, message: failure.message, hint: kind === 'auth' && !loggedIn ? NEEDS_LOGIN : HINTS[kind] };
}

function classify(failure: ClientFailure): FailureKind {
  if (failure.code === 'timeout' || failure.message === 'Network timeout') return 'timeout';
  if (failure.code !== undefined && UNREACHABLE_CODES.has(failure.code)) return 'unreachable';
  if (AUTH.test(failure.message)) return 'auth';
  return 'protocol';
}
