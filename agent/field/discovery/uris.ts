/** Query parameters some cameras use to carry the password inside a snapshot URL. */
const PASSWORD_PARAMS = /^(pass|password|passwd|pwd|psw|pw)$/i;
export const REDACTED = 'REDACTED';

export interface CleanUri {
  uri: string;
  notes: string[];
}

/**
 * Checks a URI a device returned and removes any credentials from it, so that nothing printed
 * carries a password. Returns undefined (with a note) when the URI is unusable.
 */
export function cleanUri(raw: unknown, protocols: readonly string[], what: string): CleanUri | { uri?: undefined; notes: string[] } {
  if (typeof raw !== 'string' || raw.trim() === '') return { notes: [`the device gave no ${what} URI`] };
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { notes: [`the device gave an invalid ${what} URI`] };
  }
  if (!protocols.includes(url.protocol)) {
    return { notes: [`the device gave a ${url.protocol.replace(/:$/, '')} ${what} URI; expected ${protocols.map((p) => p.replace(/:$/, '')).join(' or ')}`] };
  }
  const notes: string[] = [];
  if (url.username !== '' || url.password !== '') {
    url.username = '';
    url.password = '';
    notes.push(`removed a login from the ${what} URI; give username and passwordEnv/passwordFile in the config instead`);
  }
  for (const key of [...url.searchParams.keys()]) {
    if (PASSWORD_PARAMS.test(key)) {
      url.searchParams.set(key, REDACTED);
      notes.push(`the ${what} URI carries a password in "${key}=": replace ${REDACTED} with it`);
    }
  }
  return { uri: url.href, notes };
}
