/**
 * The investigator's history on both engines, through a real console process: the SQLite default
 * with no flags at all, and PostgreSQL named by MINWANG_CONSOLE_DB. Search by every filter, open
 * an event with its thumbnail, export CSV (formulas defused), and the view kept across a restart.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../../agent/link/contract/v1.js';
import { startMosquitto, type Broker } from '../../helpers/station/broker.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { acknowledge, getText, startWebConsole, stopWebConsole, type ConsoleProcess } from '../../helpers/station/console.js';
import { SimulatedHost, realThumbnails } from '../../helpers/station/host.js';
import { tempDir } from '../../helpers/tmp.js';

interface Page { events: { key: string; label: string; alert: boolean; hasThumbnail: boolean; ack: { by: string } | null }[]; next: string | null }

describe.each(['sqlite', 'postgres'] as const)('event history (%s)', (engine) => {
  let broker: Broker;
  let db: TestDatabase | undefined;
  let stateHome: string;
  let env: NodeJS.ProcessEnv;
  let web: ConsoleProcess | undefined;
  let host: SimulatedHost;

  const api = async (query: string) => JSON.parse((await getText(`${web!.base}/api/events?${query}`)).body) as Page;
  const keys = async (query: string) => (await api(query)).events.map((e) => e.key);

  beforeAll(async () => {
    broker = await startMosquitto();
    stateHome = await tempDir();
    db = engine === 'postgres' ? await createTestDatabase() : undefined;
    env = { XDG_STATE_HOME: stateHome, MINWANG_CONSOLE_DB: db?.url ?? '' };
    web = await startWebConsole(['--url', broker.url], env);
    host = new SimulatedHost('xicun-01', broker.url, 1);
    await host.connect();
    const [a, b] = await realThumbnails(2);
    await host.personEvent('e1', 'gate', a!);
    await host.personEvent('e2', 'road', b!, { label: 'ebike' as EventPayload['label'] });
    await host.personEvent('e3', 'road', b!, { alert: false, quiet: 'cooldown' });
    await host.personEvent('e4', 'gate', a!, { label: '=HYPERLINK("http://x")' as EventPayload['label'] });
    for (let i = 0; i < 500 && (await keys('')).length < 4; i++) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(async () => {
    await host?.stop();
    await stopWebConsole(web);
    await broker?.stop();
    await db?.drop();
  });

  it('keeps its state where the engine says', () => {
    if (engine === 'sqlite') expect(existsSync(join(stateHome, 'minwang', 'console.db'))).toBe(true);
    else expect(existsSync(join(stateHome, 'minwang', 'console.db'))).toBe(false);
  });

  it('searches by village, camera, label, alert/quiet and time, newest first, in pages', async () => {
    expect(await keys('')).toEqual(['xicun-01/e4', 'xicun-01/e3', 'xicun-01/e2', 'xicun-01/e1']);
    expect(await keys('camera=road')).toEqual(['xicun-01/e3', 'xicun-01/e2']);
    expect(await keys('label=ebike')).toEqual(['xicun-01/e2']);
    expect(await keys('kind=quiet')).toEqual(['xicun-01/e3']);
    expect(await keys('kind=alert&camera=gate')).toEqual(['xicun-01/e4', 'xicun-01/e1']);
    expect(await keys('host=dongcun-02')).toEqual([]);
    expect(await keys('to=2000-01-01')).toEqual([]);
    expect(await keys(`from=${new Date(Date.now() - 3600_000).toISOString()}`)).toHaveLength(4);
    const first = await api('limit=3');
    expect(first.events).toHaveLength(3);
    expect(first.events.every((e) => e.hasThumbnail)).toBe(true);
    expect((await api(`limit=3&after=${first.next}`)).events.map((e) => e.key)).toEqual(['xicun-01/e1']);
    const refused = await getText(`${web!.base}/api/events?kind=everything`);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('kind="everything": expected "alert" or "quiet"');
  });

  it('renders the history page and opens an event with its thumbnail', async () => {
    const page = await getText(`${web!.base}/history?camera=road`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('href="/event/xicun-01/e2"');
    expect(page.body).not.toContain('href="/event/xicun-01/e1"');
    expect(page.body).toContain(`engine: ${engine}`);
    const event = await getText(`${web!.base}/event/xicun-01/e2`);
    expect(event.body).toContain('src="/thumb/xicun-01/e2.jpg"');
    const picture = await fetch(`${web!.base}/thumb/xicun-01/e2.jpg`);
    expect(picture.headers.get('content-type')).toBe('image/jpeg');
    expect((await getText(`${web!.base}/event/xicun-01/nope`)).status).toBe(404);
  });

  it('exports the search as CSV with formulas defused', async () => {
    expect((await acknowledge(web!.base, 'xicun-01/e1')).status).toBe(200);
    const csv = await getText(`${web!.base}/history.csv?camera=gate`);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('host,camera,event,label,max_score,alert,quiet,started_at,ended_at,delayed,acknowledged_by,acknowledged_at');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^"xicun-01","gate","e4","'=HYPERLINK\(""http:\/\/x""\)","0\.870","true",/);
    expect(lines[2]).toMatch(/^"xicun-01","gate","e1","person",.*"local operator","\d{4}-/);
  });

  it('shows the same feed, acknowledgement and search after a restart', async () => {
    await stopWebConsole(web);
    web = await startWebConsole(['--url', broker.url], env);
    expect(await keys('')).toEqual(['xicun-01/e4', 'xicun-01/e3', 'xicun-01/e2', 'xicun-01/e1']);
    expect((await getText(`${web.base}/`)).body).toMatch(/data-key="xicun-01\/e1"[\s\S]*?acked-by[\s\S]*?local operator/);
  });
});
