import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../agent/config/load.js';
import { BIN, runCli, waitFor } from '../../helpers/cli.js';
import { Namespaces, stopChild } from '../../helpers/netns.js';
import type { SimCamera } from '../../sim/onvif/index.js';

// `minwang discover` (the built bin) against simulated cameras on a LAN made of two network
// namespaces joined by a veth pair: the probe really goes out by multicast, and neither leaks to
// nor depends on this machine's network. Needs root (CI runs as root); fails, not skips, without it.

const SIM_MAIN = fileURLToPath(new URL('../../sim/onvif/main.ts', import.meta.url));
const PASSWORD = 'pa55-Word!';
const HOST_IF = 'mwlan0';

const profiles = [
  { token: 'main', name: 'mainStream', width: 1920, height: 1080, encoding: 'H264' as const },
  { token: 'sub', name: 'subStream', width: 640, height: 360, encoding: 'H264' as const, snapshot: false },
];
const camera = (last: number, name: string, extra: Partial<SimCamera> = {}): SimCamera => ({
  name, hardware: 'IPC-100', address: `10.77.0.${last}`, port: 80, username: 'admin', password: PASSWORD, profiles, ...extra,
});
const CAMERAS: SimCamera[] = [
  camera(11, 'Gate Cam'),
  camera(12, 'Gate Cam', { port: 8080, profiles: [{ token: '1', name: 'only', width: 1280, height: 720, encoding: 'H265', snapshot: false }] }),
  camera(13, 'Lobby', { password: 'another-password' }),
  camera(14, 'Hung', { behaviour: 'silent' }),
  // No profiles: the onvif library trips over this answer (a TypeError inside its callbacks).
  camera(15, 'Empty', { profiles: [] }),
];
const CONFIG_HEAD = 'host: {id: test-host}\nmqtt: {url: "mqtt://127.0.0.1:1883"}\n';

interface JsonDevice {
  address: string;
  name?: string;
  status: 'ok' | 'failed';
  failure?: { kind: string; message: string; hint: string };
  profiles: { token: string; rtsp?: string; snapshot?: string }[];
  id: string;
  camera: Record<string, unknown> | null;
}

const ns = new Namespaces();
let host = '';
let empty = '';
let sim: ChildProcess | undefined;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minwang-discover-'));
  host = await ns.add('h');
  const cams = await ns.add('c');
  empty = await ns.add('e');
  await ns.link(host, cams, HOST_IF, '10.77.0.1', CAMERAS.map((c) => c.address));
  // A LAN with nobody on it: multicast is routed (over loopback) but no camera listens.
  await ns.link(empty, await ns.add('x'), 'mwlan1', '10.78.0.1', []);
  const camerasFile = join(dir, 'cameras.json');
  await writeFile(camerasFile, JSON.stringify(CAMERAS));
  sim = ns.spawn(cams, process.execPath, ['--import', 'tsx', SIM_MAIN, camerasFile]);
  let out = '';
  let err = '';
  sim.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  sim.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString(); });
  await waitFor(() => out.includes('"ready":true') || sim?.exitCode !== null, 20_000, 'the camera simulator to start');
  if (!out.includes('"ready":true')) throw new Error(`the camera simulator did not start: ${err}`);
}, 30_000);

afterAll(async () => {
  try {
    if (sim !== undefined) await stopChild(sim);
  } finally {
    await ns.remove();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  }
});

function discover(args: string[], env: NodeJS.ProcessEnv = {}, where = host) {
  return ns.run(where, process.execPath, [BIN, 'discover', '--timeout', '1s', '--device-timeout', '2s', ...args], env);
}

function wrapped(snippet: string) {
  return parseConfigText(CONFIG_HEAD + snippet, 'snippet.yaml');
}

describe('minwang discover on a LAN of simulated ONVIF cameras', () => {
  it('finds every camera, reads its URIs with the login, and lists the refused and the hung ones with reasons', async () => {
    const result = await discover(['--json', '--username', 'admin', '--password-env', 'CAM_PASSWORD'], { CAM_PASSWORD: PASSWORD });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { devices: JsonDevice[]; snippet: string };
    expect(report.devices.map((d) => [d.address, d.id, d.status, d.failure?.kind])).toEqual([
      ['10.77.0.11', 'gate-cam-11', 'ok', undefined],
      ['10.77.0.12', 'gate-cam-12', 'ok', undefined],
      ['10.77.0.13', 'lobby', 'failed', 'auth'],
      ['10.77.0.14', 'hung', 'failed', 'timeout'],
      ['10.77.0.15', 'empty', 'failed', 'protocol'],
    ]);
    expect(report.devices[4]?.failure?.hint).toMatch(/ONVIF answers could not be used/);
    const [gate, gate2, lobby] = report.devices;
    expect(gate?.profiles).toEqual([
      expect.objectContaining({ token: 'main', rtsp: 'rtsp://10.77.0.11:554/Streaming/main', snapshot: 'http://10.77.0.11/snapshot/main.jpg' }),
      expect.objectContaining({ token: 'sub', rtsp: 'rtsp://10.77.0.11:554/Streaming/sub' }),
    ]);
    expect(gate?.camera).toEqual({ id: 'gate-cam-11', name: 'Gate Cam', snapshot: { url: 'http://10.77.0.11/snapshot/main.jpg', username: 'admin', passwordEnv: 'CAM_PASSWORD' } });
    // No snapshot on this one: the RTSP stream instead, on the port its XAddr named.
    expect(gate2?.camera).toEqual({ id: 'gate-cam-12', name: 'Gate Cam', rtsp: { url: 'rtsp://10.77.0.12:554/Streaming/1', username: 'admin', passwordEnv: 'CAM_PASSWORD' } });
    expect(lobby?.failure?.message).toBe('ONVIF SOAP Fault: Sender not authorized');
    const config = wrapped(report.snippet);
    expect(config.cameras.map((c) => c.id)).toEqual(['gate-cam-11', 'gate-cam-12']);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('prints a paste-ready snippet naming the password file, and says what went wrong on stderr', async () => {
    const passwordFile = join(dir, 'camera-password');
    await writeFile(passwordFile, `${PASSWORD}\n`);
    await chmod(passwordFile, 0o600);
    const result = await discover(['--interface', HOST_IF, '--username', 'admin', '--password-file', passwordFile]);
    expect(result.code, result.stderr).toBe(0);
    const config = wrapped(result.stdout);
    expect(config.cameras[0]?.snapshot).toMatchObject({ url: 'http://10.77.0.11/snapshot/main.jpg', passwordFile });
    expect(result.stdout).toContain('# 10.77.0.13 Lobby (IPC-100): not added (login refused');
    expect(result.stderr).toContain('Found 5 ONVIF devices: 2 ready to paste into the cameras: section, 3 not.');
    expect(result.stderr).toMatch(/10\.77\.0\.13 Lobby: login refused.*\n {4}hint: the camera refused the login/);
    expect(result.stderr).toMatch(/10\.77\.0\.14 Hung: timeout: no complete answer within 2000 ms/);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('without a login still lists every camera, saying a login is needed', async () => {
    const result = await discover(['--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { devices: JsonDevice[] };
    expect(report.devices).toHaveLength(5);
    expect(report.devices.filter((d) => d.failure?.kind === 'auth').map((d) => d.failure?.hint)).toEqual(
      Array.from({ length: 4 }, () => expect.stringMatching(/needs a login .*--username USER/) as unknown),
    );
  });

  it('exits 1 with hints when no camera answers', async () => {
    const result = await discover([], {}, empty);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('No ONVIF camera answered. Check:');
    expect(result.stderr).toContain('same subnet');
    expect(result.stderr).toContain('ONVIF must be enabled on the camera');
  });

  it('exits 2 on usage errors, before probing', async () => {
    const help = await runCli(['discover', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: minwang discover [--timeout 5s]');
    const withPassword = await discover(['--username', 'admin', '--password', PASSWORD]);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain('a password on the command line is visible to every user');
    const noInterface = await discover(['--interface', 'eth9']);
    expect(noInterface.code).toBe(2);
    expect(noInterface.stderr).toMatch(/no network interface "eth9" \(it has: .*mwlan0/);
    const noSecret = await discover(['--username', 'admin', '--password-env', 'UNSET_VARIABLE']);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('environment variable UNSET_VARIABLE is not set');
  });
});
