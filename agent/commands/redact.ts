const REDACTED = '[redacted]';

/**
 * A copy of the config fit to leave the host: every `password` value and any password inside
 * a URL (rtsp://user:pass@...) is replaced. File paths and variable names stay: they are not secrets.
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, key === 'password' ? REDACTED : redactSecrets(child)]));
  }
  if (typeof value === 'string') return redactUrlPassword(value);
  return value;
}

function redactUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = REDACTED;
    return url.toString();
  } catch {
    return text;
  }
}

/** `redactSecrets` of an object is an object with the same keys. */
export function redactObject(value: object): Record<string, unknown> {
  return redactSecrets(value) as Record<string, unknown>;
}
