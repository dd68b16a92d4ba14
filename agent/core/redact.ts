const MASK = '***';
/** `scheme://user:password@` anywhere in a line (ffmpeg prints the URL it was given). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi;
/** Shorter secrets would mask ordinary words; the config refuses them anyway for cameras that matter. */
const MIN_SECRET_LENGTH = 3;

/**
 * A line fit for a log or a message to the station: passwords inside URLs are masked, and so is
 * every known secret wherever it appears (as written or URL-encoded). Used on every line kept
 * from a child process (ffmpeg's stderr) before it reaches a camera status, a health alert or a log.
 */
export function stripCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_CREDENTIALS, (_all, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), percentEncoded(secret)])) out = out.split(form).join(MASK);
  }
  return out;
}

/** Every character but the unreserved ones percent-encoded (as some clients write a URL's userinfo). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** The password written in a URL (decoded), if any: a secret to strip from what the URL's user prints. */
export function urlPassword(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password === '' ? [] : [decodeURIComponent(password)];
  } catch {
    return [];
  }
}
