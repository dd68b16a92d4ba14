/**
 * Page-update latency as an operator sees it: Debian's headless Chromium opens the web console and
 * a MutationObserver notes the wall-clock time each alert row (`#feed li[data-key]`) first appears.
 * The bench compares those times with when the fleet sent each event (same machine, same clock).
 */
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Runs in the page (as text: this project compiles without the DOM library). */
const WATCH_FEED = `(() => {
  const seen = {};
  window.minwangSeen = seen;
  const note = (node) => {
    if (!(node instanceof HTMLElement)) return;
    const rows = node.matches('li[data-key]') ? [node] : [...node.querySelectorAll('li[data-key]')];
    for (const row of rows) {
      const key = row.getAttribute('data-key');
      if (key !== null && seen[key] === undefined) seen[key] = Date.now();
    }
  };
  const work = { longTasks: 0, longTaskMs: 0 };
  window.minwangWork = work;
  try {
    new PerformanceObserver((list) => list.getEntries().forEach((e) => { work.longTasks++; work.longTaskMs += e.duration; })).observe({ type: 'longtask', buffered: false });
  } catch (e) { /* no long-task timing in this browser */ }
  const feed = document.getElementById('feed') || document.body;
  new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(note))).observe(feed, { childList: true, subtree: true });
})()`;

export class PageProbe {
  private constructor(private readonly browser: Browser, private readonly pages: Page[]) {}

  /** Opens one page per console URL and starts watching each page's feed. */
  static async open(urls: string[]): Promise<PageProbe> {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const pages: Page[] = [];
    for (const url of urls) {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
      await page.evaluate(WATCH_FEED);
      pages.push(page);
    }
    return new PageProbe(browser, pages);
  }

  /** When each alert key first appeared on each page (wall-clock ms), page by page. */
  async seen(): Promise<Record<string, number>[]> {
    return Promise.all(this.pages.map((p) => p.evaluate<Record<string, number>>('window.minwangSeen || {}')));
  }

  /** Main-thread tasks over 50 ms on each page (how busy Chromium was) and its DOM size. */
  async work(): Promise<{ longTasks: number; longTaskMs: number; nodes: number }[]> {
    return Promise.all(this.pages.map((p) => p.evaluate<{ longTasks: number; longTaskMs: number; nodes: number }>(
      '({ ...(window.minwangWork || { longTasks: 0, longTaskMs: 0 }), nodes: document.getElementsByTagName("*").length })')));
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
