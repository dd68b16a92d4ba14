/**
 * The web console in the operator's language, end to end: a real mosquitto, a simulated host
 * speaking contract v1, the console as a real process, and Debian's headless Chromium set up
 * as a Chinese browser (its Accept-Language) and as an English one, side by side.
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
/** What a browser set up for Simplified Chinese sends (headless Chromium takes it from --accept-lang, not --lang). */
const CHINESE_BROWSER = ['--lang=zh-CN', '--accept-lang=zh-CN,zh'];
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-output');
const BOUND_MS = 10_000;

type ConsoleProcess = ReturnType<typeof startCli>;

describe('web console in Chinese and English, in Chromium', () => {
  let broker: Broker;
  let english: Browser;
  let chinese: Browser;
  let host: SimulatedHost;
  let thumbnails: Buffer[];
  const consoles: ConsoleProcess[] = [];

  async function startConsole(extra: string[] = []): Promise<string> {
    const port = await freePort();
    const db = join(await tempDir(), 'console.db');
    const started = startCli(['console', '--web', '--listen', `127.0.0.1:${port}`, '--db', db, '--url', broker.url, ...extra]);
    consoles.push(started);
    await waitFor(() => started.output().stdout.includes('serving http://') || started.child.exitCode !== null, BOUND_MS, 'the web console to listen');
    await waitFor(() => started.output().stderr.includes('"msg":"subscribed"'), BOUND_MS, 'the console to subscribe');
    return `http://127.0.0.1:${port}/`;
  }

  let url: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    thumbnails = await realThumbnails(3);
    host = new SimulatedHost('dongcun-02', broker.url, 2);
    await host.connect();
    await host.camera('road', 'online', null);
    await host.camera('bridge', 'degraded', 'covered');
    url = await startConsole();
    await host.personEvent('evt-a', 'road', thumbnails[0]!);
    english = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    chinese = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...CHINESE_BROWSER] });
  });

  afterAll(async () => {
    await english?.close();
    await chinese?.close();
    await host?.stop();
    for (const started of consoles) {
      started.child.kill('SIGTERM');
      const result = await started.done;
      expect(result.code, result.stderr).toBe(0);
    }
    await broker?.stop();
  });

  const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();
  const hostBadge = (page: Page) => page.locator('article.host[data-host="dongcun-02"] header .badge');
  const row = (page: Page, key: string) => page.locator(`#feed li[data-key="${key}"]`);

  let zhPage: Page;
  let enPage: Page;

  it('shows a Chinese browser the console in Chinese, the script\'s own words too', async () => {
    zhPage = await chinese.newPage({ viewport: { width: 1366, height: 768 } });
    await zhPage.goto(url);
    expect(await zhPage.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await zhPage.title()).toBe('民网 · 派出所监控台');
    expect(await texts(zhPage, 'main h2')).toEqual(['各村', '设备告警', '告警']);
    await expect.poll(() => hostBadge(zhPage).textContent(), { timeout: BOUND_MS }).toBe('在线');
    expect(await zhPage.locator('figure.cam[data-camera="dongcun-02/bridge"] .badge').textContent()).toBe('画面异常 · 镜头被遮挡');
    await expect.poll(() => zhPage.locator('#link').textContent(), { timeout: BOUND_MS }).toBe('实时');
    await expect.poll(() => zhPage.locator('article.host[data-host="dongcun-02"] .age').textContent(), { timeout: BOUND_MS }).toMatch(/^\d+ 秒前上报$/);
    expect(await row(zhPage, 'dongcun-02/evt-a').locator('.what strong').textContent()).toBe('人员');
    expect(await row(zhPage, 'dongcun-02/evt-a').locator('form.ack button').textContent()).toBe('确认');
    expect(await texts(zhPage, '#f-label option')).toEqual(['全部', '人员']);
    expect(await zhPage.locator('#summary').textContent()).toBe('共 1 个村 · 0 个不在线 · 1 个摄像头故障 · 1 条告警未确认');
  });

  it('shows an English browser the same console in English at the same time', async () => {
    enPage = await english.newPage({ viewport: { width: 1366, height: 768 } });
    await enPage.goto(url);
    expect(await enPage.getAttribute('html', 'lang')).toBe('en');
    expect(await texts(enPage, 'main h2')).toEqual(['Villages', 'Health alerts', 'Alerts']);
    await expect.poll(() => hostBadge(enPage).textContent(), { timeout: BOUND_MS }).toBe('online');
    await expect.poll(() => enPage.locator('#link').textContent(), { timeout: BOUND_MS }).toBe('live');
    expect(await row(enPage, 'dongcun-02/evt-a').locator('form.ack button').textContent()).toBe('Acknowledge');
    expect(await texts(enPage, '#f-label option')).toEqual(['all', 'person']);
  });

  it('pushes a new alert to each page in that page\'s language, without a reload', async () => {
    await zhPage.evaluate('window.sameDocument = true');
    await host.personEvent('evt-b', 'road', thumbnails[1]!, { label: 'ebike' });
    for (const [page, label, button] of [[zhPage, '电动车', '确认'], [enPage, 'e-bike', 'Acknowledge']] as const) {
      await expect.poll(() => row(page, 'dongcun-02/evt-b').count(), { timeout: BOUND_MS }).toBe(1);
      expect(await row(page, 'dongcun-02/evt-b').locator('.what strong').textContent()).toBe(label);
      expect(await row(page, 'dongcun-02/evt-b').locator('form.ack button').textContent()).toBe(button);
    }
    expect(await zhPage.evaluate<boolean>('window.sameDocument === true')).toBe(true);
    await expect.poll(() => zhPage.locator('#summary').textContent(), { timeout: BOUND_MS }).toMatch(/2 条告警未确认$/);
    await expect.poll(() => texts(zhPage, '#f-label option'), { timeout: BOUND_MS }).toEqual(['全部', '电动车', '人员']);
    await row(zhPage, 'dongcun-02/evt-a').locator('form.ack button').click();
    await expect.poll(() => row(zhPage, 'dongcun-02/evt-a').locator('.acked-by').textContent(), { timeout: BOUND_MS }).toMatch(/^✓ 本机值班员 /);
    await expect.poll(() => row(enPage, 'dongcun-02/evt-a').locator('.acked-by').textContent(), { timeout: BOUND_MS }).toMatch(/^✓ local operator /);
    await mkdir(SCREENSHOTS, { recursive: true });
    await zhPage.screenshot({ path: join(SCREENSHOTS, 'station-console-zh-CN-1366x768.png') });
  });

  it('fits a phone screen in Chinese', async () => {
    const phone = await chinese.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 });
    await phone.goto(url);
    await expect.poll(() => phone.locator('#feed li').count(), { timeout: BOUND_MS }).toBe(2);
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SCREENSHOTS, 'station-console-zh-CN-phone.png'), fullPage: true });
    await phone.close();
  });

  it('lets the operator switch language on the page, and keeps the choice', async () => {
    await enPage.getByRole('link', { name: '简体中文' }).click();
    await expect.poll(() => enPage.getAttribute('html', 'lang'), { timeout: BOUND_MS }).toBe('zh-CN');
    expect(new URL(enPage.url()).search).toBe('');
    await enPage.reload();
    expect(await texts(enPage, 'main h2')).toEqual(['各村', '设备告警', '告警']);
    await expect.poll(() => enPage.locator('#link').textContent(), { timeout: BOUND_MS }).toBe('实时');
    await enPage.goto(`${url}?lang=en`);
    expect(await enPage.getAttribute('html', 'lang')).toBe('en');
  });

  it('writes every page in the language of the console\'s --lang, whatever the browser says', async () => {
    const fixed = await startConsole(['--lang', 'zh-CN']);
    const page = await english.newPage();
    await page.goto(fixed);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await texts(page, 'main h2')).toEqual(['各村', '设备告警', '告警']);
    await expect.poll(() => hostBadge(page).textContent(), { timeout: BOUND_MS }).toBe('在线');
    await page.close();
  });
});
