import { stringify } from 'yaml';
import { cameraSchema } from '../../config/sections/cameras.js';
import { formatPath } from '../../config/load.js';
import { assignCameraIds } from './camera-ids.js';
import type { DeviceReport, MediaProfile, PasswordReference } from './types.js';
import { printable } from './onvif/responses.js';
import { definedProps } from '../../core/defined-props.js';

/** How the snippet tells the agent to log in; the password itself is never in it. */
export interface SnippetLogin {
  username: string;
  password: PasswordReference;
}

/** A `cameras:` entry as it would be written in the config file. */
export interface CameraEntry {
  id: string;
  name?: string;
  snapshot?: SourceEntry;
  rtsp?: SourceEntry;
}

interface SourceEntry {
  url: string;
  username?: string;
  passwordEnv?: string;
  passwordFile?: string;
}

export interface SnippetCamera {
  report: DeviceReport;
  id: string;
  /** The config entry, when the device gave a usable URI and the entry passes the schema. */
  entry?: CameraEntry;
  /** Why there is no entry, in plain words. */
  skipped?: string;
}

export interface Snippet {
  cameras: SnippetCamera[];
  /** YAML starting with `cameras:`, ready to paste; comments say what was left out and why. */
  text: string;
}

/** Builds the config snippet for the reports (sorted by address) and checks it against the schema. */
export function buildSnippet(reports: readonly DeviceReport[], login?: SnippetLogin): Snippet {
  const sorted = [...reports].sort((a, b) => compareAddresses(a.device.address, b.device.address));
  const ids = assignCameraIds(sorted.map((r) => r.device));
  const cameras = sorted.map((report, i) => snippetCamera(report, ids[i] ?? `cam-${i + 1}`, login));
  return { cameras, text: renderText(cameras) };
}

function snippetCamera(report: DeviceReport, id: string, login: SnippetLogin | undefined): SnippetCamera {
  if (report.failure !== undefined) return { report, id, skipped: `${report.failure.kind === 'auth' ? 'login refused' : report.failure.kind}: ${report.failure.message}` };
  const source = chooseSource(report.profiles);
  if (source === undefined) return { report, id, skipped: report.profiles.length === 0 ? 'the device has no media profiles' : 'no profile gave a usable snapshot or RTSP URI' };
  const entry: CameraEntry = {
    id,
    ...definedProps({ name: report.device.name }),
    [source.kind]: { url: source.url, ...(login === undefined ? {} : { username: login.username, ...login.password }) },
  };
  const checked = cameraSchema.safeParse(entry);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return { report, id, skipped: `the entry would not pass the config schema: ${formatPath(issue?.path.filter((p): p is string | number => typeof p !== 'symbol') ?? [])}: ${issue?.message ?? 'invalid'}` };
  }
  return { report, id, entry };
}

/**
 * A JPEG snapshot is cheapest for the agent to sample, so the first profile's snapshot wins;
 * otherwise the smallest RTSP stream (the sub-stream), which costs the least to decode on a Pi.
 */
export function chooseSource(profiles: readonly MediaProfile[]): { kind: 'snapshot' | 'rtsp'; url: string; profile: MediaProfile } | undefined {
  const withSnapshot = profiles.find((p) => p.snapshot !== undefined);
  if (withSnapshot?.snapshot !== undefined) return { kind: 'snapshot', url: withSnapshot.snapshot, profile: withSnapshot };
  const streams = profiles.filter((p) => p.rtsp !== undefined).sort((a, b) => pixels(a) - pixels(b));
  const smallest = streams[0];
  return smallest?.rtsp === undefined ? undefined : { kind: 'rtsp', url: smallest.rtsp, profile: smallest };
}

function pixels(p: MediaProfile): number {
  return p.width !== undefined && p.height !== undefined ? p.width * p.height : Number.MAX_SAFE_INTEGER;
}

function renderText(cameras: readonly SnippetCamera[]): string {
  const entries = cameras.filter((c) => c.entry !== undefined);
  const lines = [entries.length === 0 ? 'cameras: []' : 'cameras:'];
  for (const camera of cameras) {
    // Every comment line holds device-supplied text (names, tokens, URIs, errors): one line each, always.
    lines.push(...describe(camera).map((line) => `  # ${/^ */.exec(line)?.[0] ?? ''}${printable(line, 400)}`));
    if (camera.entry !== undefined) {
      const yaml = stringify([camera.entry], { lineWidth: 0 }).trimEnd();
      lines.push(...yaml.split('\n').map((line) => `  ${line}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

function describe(camera: SnippetCamera): string[] {
  const { device, profiles } = camera.report;
  const label = [device.name, device.hardware === undefined ? undefined : `(${device.hardware})`].filter((s) => s !== undefined).join(' ');
  const head = `${device.address}${label === '' ? '' : ` ${label}`}`;
  if (camera.skipped !== undefined) return [`${head}: not added (${camera.skipped})`];
  const lines = [head];
  for (const p of profiles) {
    const uris = [p.rtsp, p.snapshot === undefined ? undefined : `snapshot ${p.snapshot}`].filter((u) => u !== undefined);
    lines.push(`  ${profileLabel(p)}: ${uris.length === 0 ? 'no usable URI' : uris.join('  ')}`);
    for (const note of p.notes.filter((n) => !n.startsWith('the device gave no'))) lines.push(`    ${note}`);
  }
  return lines;
}

export function profileLabel(p: MediaProfile): string {
  const size = p.width !== undefined && p.height !== undefined ? ` ${p.width}x${p.height}` : '';
  return `${p.name ?? p.token}${size}${p.encoding === undefined ? '' : ` ${p.encoding}`}`;
}

/** Numeric order for IPv4 addresses, so output is stable; other text sorts after. */
export function compareAddresses(a: string, b: string): number {
  const key = (s: string) => s.split('.').map((n) => n.padStart(3, '0')).join('.');
  return key(a).localeCompare(key(b));
}
