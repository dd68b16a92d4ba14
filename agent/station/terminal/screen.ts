/**
 * The terminal console's screen: hosts, cameras with faults, active health alerts and the
 * newest events, rendered from the station state as plain lines (the caller paints them).
 */
import type { AlertEntry } from '../alerts.js';
import type { HealthEntry } from '../health.js';
import type { HostView, StationState } from '../state.js';
import { clip, clockTime, formatAge, table } from './format.js';

export interface ScreenInfo {
  url: string;
  connected: boolean;
  rejected: number;
  width: number;
  height: number;
}

export function renderScreen(state: StationState, info: ScreenInfo): string[] {
  const hosts = state.hosts();
  const header = `minwang console  ${info.url}  ${info.connected ? 'connected' : 'DISCONNECTED'}  hosts ${hosts.length}` +
    (info.rejected > 0 ? `  invalid messages ${info.rejected}` : '');
  const fixed = [header, '', ...hostLines(hosts), '', ...faultLines(hosts), '', ...healthLines(state.activeHealth()), '', 'EVENTS (newest first)'];
  const room = Math.max(3, info.height - fixed.length - 1);
  const lines = [...fixed, ...eventLines(state.alerts().slice(0, room))];
  return lines.map((l) => clip(l, info.width));
}

function hostLines(hosts: HostView[]): string[] {
  if (hosts.length === 0) return ['HOSTS  none yet (waiting for retained status on minwang/+/status)'];
  const rows = hosts.map((h) => [
    h.id,
    h.liveness.toUpperCase(),
    formatAge(h.ageMs),
    `${h.cameras.filter((c) => c.state === 'online').length}/${h.cameras.length}`,
    modelText(h),
    h.seq.missing > 0 ? `${h.seq.missing} missing` : '',
  ]);
  return table([['HOST', 'STATE', 'SEEN', 'CAMS', 'MODEL', 'SEQ'], ...rows]);
}

function modelText(host: HostView): string {
  const model = host.model;
  if (model === null) return '-';
  const installed = model.installed === null ? 'none' : `${model.installed.id} v${model.installed.version}`;
  const update = model.update;
  if (update === undefined || update.state === 'active') return installed;
  const progress = update.progress === undefined ? '' : ` ${Math.round(update.progress * 100)}%`;
  return `${installed} (${update.state}${update.version === undefined ? '' : ` v${update.version}`}${progress})`;
}

function faultLines(hosts: HostView[]): string[] {
  const faults = hosts.flatMap((h) => h.cameras.filter((c) => c.state !== 'online').map((c) => [
    `${h.id}/${c.id}`, c.state.toUpperCase(), c.reason ?? '', `since ${clockTime(c.since)}`, c.detail ?? '',
  ]));
  if (faults.length === 0) return ['CAMERA FAULTS  none'];
  return ['CAMERA FAULTS', ...table(faults)];
}

function healthLines(active: HealthEntry[]): string[] {
  if (active.length === 0) return ['HEALTH  no alerts raised'];
  return ['HEALTH', ...table(active.map((h) => [h.severity.toUpperCase(), h.host, h.kind, h.subject, h.message]))];
}

function eventLines(alerts: readonly AlertEntry[]): string[] {
  if (alerts.length === 0) return ['  none yet'];
  return table(alerts.map((a) => [
    clockTime(a.startedAt), a.host, a.camera, a.label, a.maxScore.toFixed(2), a.type, a.alert ? 'ALERT' : `quiet:${a.quiet ?? '?'}`,
    a.delayed ? 'DELAYED' : '', a.thumbnail ? 'thumb' : '',
  ]));
}
