const REDACTED = '[redacted]';

/**
 * A copy of the config fit to leave the host: every `password` value, any password inside
 * a URL (rtsp://user:pass@...) and any password-like query parameter (`?loginpas=`) is replaced. File paths and variable names stay: they are not secrets.
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, key === 'password' ? REDACTED : redactSecrets(child)]));
  }
  if (typeof value === 'string') return redactUrlPassword(value);
  return value;
}

/** Query parameters cameras take passwords in (`?loginpas=`, `&pwd=`, `&password=`, `&token=`...). */
const SECRET_PARAM = /pas|pwd|secret|token|auth|key|sig/i;

function redactUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    const secretParams = [...url.searchParams.keys()].filter((name) => SECRET_PARAM.test(name));
    if (url.password === '' && secretParams.length === 0) return text;
    if (url.password !== '') url.password = REDACTED;
    for (const name of secretParams) url.searchParams.set(name, REDACTED);
    return url.toString();
  } catch {
    return text;
  }
}

/** `redactSecrets` of an object is an object with the same keys. */
export function redactObject(value: object): Record<string, unknown> {
  return redactSecrets(value) as Record<string, unknown>;
}
