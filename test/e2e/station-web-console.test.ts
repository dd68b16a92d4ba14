/**
 * The web console end to end: a real mosquitto, two simulated hosts speaking contract v1, the
 * console as a real process, and Debian's headless Chromium driven by playwright-core.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, waitFor } from '../helpers/cli.js';
import { freePort, startMosquitto, type Broker } from '../helpers/station/broker.js';
import { SimulatedHost, realThumbnails } from '../helpers/station/host.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Screenshots for the record (gitignored). */
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-output');
const BOUND_MS = 10_000;

type ConsoleProcess = ReturnType<typeof startCli>;

describe('web console in Chromium', () => {
  let broker: Broker;
  let browser: Browser;
  let page: Page;
  let web: ConsoleProcess | undefined;
  let url: string;
  let args: string[];
  let thumbnails: Buffer[];
  const offlineHost = new SimulatedHost('xidian-wangjia-01', '', 5);
  let liveHost: SimulatedHost;

  async function startConsole(): Promise<ConsoleProcess> {
    const started = startCli(args);
    await waitFor(() => started.output().stdout.includes('serving http://') || started.child.exitCode !== null, BOUND_MS, 'the web console to listen');
    await waitFor(() => started.output().stderr.includes('"msg":"subscribed"'), BOUND_MS, 'the console to subscribe');
    return started;
  }

  async function stopConsole(): Promise<void> {
    if (web === undefined) return;
    web.child.kill('SIGTERM');
    const result = await web.done;
    web = undefined;
    expect(result.code, result.stderr).toBe(0);
  }

  beforeAll(async () => {
    broker = await startMosquitto();
    thumbnails = await realThumbnails(3);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    const db = join(await tempDir(), 'console.db');
    args = ['console', '--web', '--listen', `127.0.0.1:${port}`, '--db', db, '--url', broker.url];

    const crashing = new SimulatedHost(offlineHost.id, broker.url, 5);
    await crashing.connect();
    await crashing.camera('gate', 'online', null);
    crashing.crash();
    liveHost = new SimulatedHost('dongcun-02', broker.url, 2);
    await liveHost.connect();
    await liveHost.camera('road', 'online', null);
    await liveHost.camera('bridge', 'degraded', 'covered');

    web = await startConsole();
    // Events are not retained: this one reaches the console because it is already subscribed.
    await liveHost.personEvent('evt-a', 'road', thumbnails[0]!);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  });

  afterAll(async () => {
    await browser?.close();
    await liveHost?.stop();
    if (web !== undefined) {
      web.child.kill('SIGTERM');
      await web.done;
    }
    await broker?.stop();
  });

  const badge = (host: string) => page.locator(`article.host[data-host="${host}"] header .badge`);
  const row = (key: string) => page.locator(`#feed li[data-key="${key}"]`);

  it('shows both hosts with the right states: the crashed one offline by its will, the live one online', async () => {
    await page.goto(url);
    await expect.poll(() => badge('xidian-wangjia-01').textContent(), { timeout: BOUND_MS }).toBe('offline');
    await expect.poll(() => badge('dongcun-02').textContent(), { timeout: BOUND_MS }).toBe('online');
    expect(await page.locator('figure.cam[data-camera="dongcun-02/bridge"] .badge').textContent()).toBe('degraded · covered');
  });

  it('renders the thumbnails', async () => {
    await expect.poll(() => page.evaluate<number[]>("[...document.querySelectorAll('#feed img.thumb, figure.cam img')].map((i) => i.naturalWidth)"), { timeout: BOUND_MS })
      .toEqual([120, 120]);
  });

  it('shows a new event without a reload', async () => {
    // In-page code runs in Chromium; it is given as text because the test's TypeScript has no DOM types.
    await page.evaluate('window.sameDocument = true');
    await liveHost.personEvent('evt-b', 'road', thumbnails[1]!);
    await expect.poll(() => row('dongcun-02/evt-b').count(), { timeout: BOUND_MS }).toBe(1);
    await expect.poll(() => page.evaluate<number>(`document.querySelector('#feed li[data-key="dongcun-02/evt-b"] img.thumb')?.naturalWidth ?? 0`), { timeout: BOUND_MS }).toBeGreaterThan(0);
    expect(await page.evaluate<boolean>('window.sameDocument === true')).toBe(true);
    // Newest first.
    expect(await page.evaluate<string[]>("[...document.querySelectorAll('#feed li')].map((r) => r.dataset.key)")).toEqual(['dongcun-02/evt-b', 'dongcun-02/evt-a']);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'station-console-1366x768.png') });
  });

  it('keeps an acknowledgement across a console restart', async () => {
    await row('dongcun-02/evt-a').locator('form.ack button').click();
    await expect.poll(() => row('dongcun-02/evt-a').locator('.acked-by').count(), { timeout: BOUND_MS }).toBe(1);

    await stopConsole();
    web = await startConsole();
    await page.reload();
    await expect.poll(() => row('dongcun-02/evt-a').locator('.acked-by').textContent(), { timeout: BOUND_MS }).toMatch(/local operator/);
    expect(await row('dongcun-02/evt-b').locator('form.ack').count()).toBe(1);
  });

  it('searches the history, opens an event with its picture, under the same content security policy', async () => {
    const history = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const blocked: string[] = [];
    history.on('console', (m) => { if (m.type() === 'error') blocked.push(m.text()); });
    await history.goto(`${url}history`);
    await history.selectOption('select[name="kind"]', 'alert');
    await history.fill('input[name="camera"]', 'road');
    await history.click('form.search button');
    expect(new URL(history.url()).searchParams.get('camera')).toBe('road');
    expect(await history.evaluate<string[]>("[...document.querySelectorAll('table.events tbody tr')].map((r) => r.dataset.key)")).toEqual(['dongcun-02/evt-b', 'dongcun-02/evt-a']);
    await history.click('tr[data-key="dongcun-02/evt-a"] td:nth-child(2) a');
    await expect.poll(() => history.evaluate<number>("document.querySelector('img.picture')?.naturalWidth ?? 0"), { timeout: BOUND_MS }).toBe(120);
    expect(await history.locator('dl').textContent()).toMatch(/local operator/);
    await history.screenshot({ path: join(SCREENSHOTS, 'station-console-event.png') });
    expect(blocked).toEqual([]);
    await history.close();
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 });
    await phone.goto(url);
    await expect.poll(() => phone.locator('#feed li').count(), { timeout: BOUND_MS }).toBe(2);
    const overflow = await phone.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SCREENSHOTS, 'station-console-phone.png'), fullPage: true });
    await phone.close();
  });
});
