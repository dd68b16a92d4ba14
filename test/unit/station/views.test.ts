import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../fakes/clock.js';
import { StationState } from '../../../agent/station/state.js';
import { renderScreen } from '../../../agent/station/terminal/screen.js';
import { renderAlert, renderHosts, renderPage } from '../../../agent/station/web/render.js';
import { JPEG, T0, at, camera, event, health, msg, status, topic } from './fixtures.js';

function station(): { state: StationState; clock: FakeClock } {
  const clock = new FakeClock(new Date(T0 + 100_000));
  const state = new StationState({ clock });
  const live = { receivedAt: clock.now(), retained: false };
  state.apply(msg(topic.status('xidian-01'), status('online', 3)), live);
  state.apply(msg(topic.status('dongcun-02'), status('offline', 1)), live);
  state.apply(msg(topic.cameraStatus('xidian-01', 'gate'), camera('gate', 'degraded', 'covered')), live);
  state.apply(msg(topic.model('xidian-01'), { ts: clock.now().toISOString(), installed: { id: 'mb3-centernet', version: 3, sha256: 'ab' }, update: { state: 'downloading', version: 4, progress: 0.45 } }), live);
  state.apply(msg(topic.events('xidian-01'), event('e1', 5, { label: 'ebike', score: 0.91 })), live);
  state.apply(msg(topic.events('xidian-01'), event('e0', 2, { historical: true })), live);
  state.apply(msg(topic.events('xidian-01'), event('e2', 7, { alert: false, quiet: 'cooldown', startedAt: at(1) })), live);
  state.apply(msg(topic.health('xidian-01'), health('h1', 6, { severity: 'critical', kind: 'disk_readonly', subject: '/var/lib/minwang', message: 'disk turned read-only' })), live);
  state.apply(msg(topic.eventThumbnail('xidian-01', 'e1'), JPEG), live);
  return { state, clock };
}

describe('terminal screen', () => {
  it('shows hosts with state and age, camera faults, health, model progress and events', () => {
    const { state } = station();
    const screen = renderScreen(state, { url: 'mqtt://station:1883', connected: true, rejected: 2, width: 160, height: 40 }).join('\n');
    expect(screen).toMatch(/^dongcun-02\s+OFFLINE/m);
    expect(screen).toMatch(/^xidian-01\s+ONLINE\s+0s\s+0\/1\s+mb3-centernet v3 \(downloading v4 45%\)\s+2 missing/m);
    expect(screen).toMatch(/xidian-01\/gate\s+DEGRADED\s+covered/);
    expect(screen).toMatch(/CRITICAL\s+xidian-01\s+disk_readonly\s+\/var\/lib\/minwang\s+disk turned read-only/);
    expect(screen).toMatch(/xidian-01\s+gate\s+ebike\s+0\.91\s+new\s+ALERT\s+thumb/);
    expect(screen).toMatch(/person\s+0\.80\s+new\s+ALERT\s+DELAYED/);
    expect(screen).toMatch(/person\s+0\.80\s+new\s+quiet:cooldown/);
    expect(screen).toContain('invalid messages 2');
  });

  it('clips every line to the terminal width', () => {
    const { state } = station();
    for (const line of renderScreen(state, { url: 'mqtt://x', connected: false, rejected: 0, width: 30, height: 20 })) expect(line.length).toBeLessThanOrEqual(30);
  });
});

describe('web rendering', () => {
  it('renders hosts, camera state and update progress', () => {
    const { state } = station();
    const hosts = renderHosts(state, 'en').value;
    expect(hosts).toContain('<span class="badge offline">offline</span>');
    expect(hosts).toContain('degraded · covered');
    expect(hosts).toContain('<progress max="100" value="45">');
    expect(hosts).toContain('src="/thumb/xidian-01/e1.jpg"');
  });

  it('lists quiet events without highlight or acknowledgement, and counts only alerting ones as unacknowledged', () => {
    const { state } = station();
    const page = renderPage(state, { user: null, csrf: 'tok', lang: 'en' });
    expect(page).toContain('2 unacknowledged'); // e1 and e0 alert; e2 is quiet
    const quiet = renderAlert(state.alert('xidian-01/e2')!, false, { user: null, csrf: 'tok', lang: 'en' }).value;
    expect(quiet).toContain('class="alert quiet"');
    expect(quiet).toContain('quiet: cooldown');
    expect(quiet).not.toContain('Acknowledge');
    const ringing = renderAlert(state.alert('xidian-01/e1')!, true, { user: null, csrf: 'tok', lang: 'en' }).value;
    expect(ringing).toContain('class="alert open"');
    expect(ringing).toContain('Acknowledge');
  });

  it('escapes whatever a host sends', () => {
    const clock = new FakeClock();
    const state = new StationState({ clock });
    state.apply(msg(topic.events('h1'), { ...event('e1', 1), label: '<script>alert(1)</script>' }), { receivedAt: clock.now(), retained: false });
    const row = renderAlert(state.alert('h1/e1')!, false, { user: null, csrf: 't"k', lang: 'en' }).value;
    expect(row).not.toContain('<script>');
    expect(row).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(row).toContain('value="t&quot;k"');
  });

  it('puts the viewer\'s CSRF token in the page and in each acknowledgement form', () => {
    const { state } = station();
    const page = renderPage(state, { user: 'alice', csrf: 'TOKEN123', lang: 'en' });
    expect(page).toContain('<meta name="csrf-token" content="TOKEN123">');
    expect(page.match(/name="csrf" value="TOKEN123"/g)?.length).toBe(3); // two alerts and log out
    expect(page).toMatch(/class="alert open delayed"[^>]*data-key="xidian-01\/e0"/);
  });
});
