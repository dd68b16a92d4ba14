import { request } from 'node:http';
import { startCli, waitFor } from '../cli.js';

/** `minwang console --web` as a real child process, with what it serves. */
export interface ConsoleProcess {
  run: ReturnType<typeof startCli>;
  base: string;
}

export async function startWebConsole(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ConsoleProcess> {
  const run = startCli(['console', '--web', '--listen', '127.0.0.1:0', ...args], env);
  await waitFor(() => /serving http:\/\/\S+\//.test(run.output().stdout) || run.child.exitCode !== null, 20_000, 'the web console to listen');
  if (run.child.exitCode !== null) throw new Error(`console exited: ${run.output().stderr}`);
  await waitFor(() => run.output().stderr.includes('"msg":"subscribed"'), 20_000, 'the console to subscribe');
  const base = /serving (http:\/\/\S+)\//.exec(run.output().stdout)![1]!;
  return { run, base };
}

export async function stopWebConsole(console: ConsoleProcess | undefined): Promise<void> {
  if (console === undefined || console.run.child.exitCode !== null || console.run.child.signalCode !== null) return;
  console.run.child.kill('SIGTERM');
  await console.run.done;
}

export async function getText(url: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** Acknowledges as the loopback console's local operator (with the page's CSRF token). */
export async function acknowledge(base: string, key: string): Promise<{ status: number; body: string }> {
  const page = await getText(`${base}/`);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.body)![1]!;
  const res = await fetch(`${base}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf, accept: 'application/json' },
    body: new URLSearchParams({ key }).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** An open page's event stream (/events): everything the console pushed to it, as text. */
export class EventStream {
  text = '';
  private readonly req;

  constructor(base: string) {
    this.req = request(`${base}/events`, (res) => res.on('data', (chunk: Buffer) => { this.text += chunk.toString(); }));
    this.req.on('error', () => undefined);
    this.req.end();
  }

  close(): void {
    this.req.destroy();
  }
}
