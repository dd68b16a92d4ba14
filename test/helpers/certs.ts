import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCerts {
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
}

/** A CA, a broker certificate for 127.0.0.1/localhost signed by it, and an unrelated CA. Made with openssl at test time. */
export async function makeCerts(dir: string): Promise<TestCerts> {
  const p = (name: string) => join(dir, name);
  const days = ['-days', '2'];
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), ...days, '-subj', '/CN=minwang test CA']);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('other.key'), '-out', p('other.crt'), ...days, '-subj', '/CN=some other CA']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost']);
  await writeFile(p('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.crt'), ...days, '-extfile', p('san.ext')]);
  await chmod(p('server.key'), 0o600);
  return { ca: p('ca.crt'), otherCa: p('other.crt'), serverCert: p('server.crt'), serverKey: p('server.key') };
}

/** A mosquitto password file with these users (mosquitto_passwd -b). */
export async function makePasswordFile(file: string, users: Record<string, string>): Promise<void> {
  await writeFile(file, '');
  for (const [user, password] of Object.entries(users)) await run('mosquitto_passwd', ['-b', file, user, password]);
  await chmod(file, 0o600);
}
