/**
 * The event view's clip end to end: a real agent (`minwang run`) holding a clip that the agent's own
 * ClipMaker made from real footage (vtest.avi), a real mosquitto, the console as a real process, and
 * Chromium: the operator opens the event from the live feed, asks for the clip, watches the
 * progress, and the clip plays in the page (fetched over MQTT, sha256-checked, served with Range).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIPS } from '../../agent/config/sections/clips.js';
import { silentLogger } from '../../agent/core/logger.js';
import { ClipMaker } from '../../agent/edge/clips/clip-maker.js';
import { decodeVideoFrames } from '../../agent/field/sim/footage-frames.js';
import { topic, type ClipInfo, type EventFrame, type EventPayload } from '../../agent/link/contract/v1.js';
import { realHostPorts } from '../../agent/ports/index.js';
import { MemoryStationLink } from '../fakes/memory-link.js';
import { startCli, waitFor } from '../helpers/cli.js';
import { footage } from '../helpers/footage.js';
import { freePort, startMosquitto, type Broker } from '../helpers/station/broker.js';
import { realThumbnails } from '../helpers/station/host.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BOUND_MS = 20_000;
/** Screenshots for the record (gitignored). */
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-output');
const HOST = 'clip-village';
const EVENT = 'gate-ev-web';
const FRAME_MS = 200;

type Running = ReturnType<typeof startCli>;
const ports = realHostPorts();

/** A clip of `frames` as the agent makes one for a snapshot camera, in `<clipsDir>/clips/`, where the agent serves it from. */
async function agentClip(clipsDir: string, frames: Buffer[], startedAt: Date): Promise<ClipInfo> {
  const maker = new ClipMaker({
    settings: { ...DEFAULT_CLIPS, preRoll: 0, postRoll: 0, dir: clipsDir, disk: clipsDir, endAfter: 0 },
    cameras: [{ id: 'gate', privacyMasks: [] }],
    link: new MemoryStationLink(), alerts: { raise: () => undefined, clear: () => undefined },
    fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
  });
  await maker.start();
  for (const [i, jpeg] of frames.entries()) maker.frame({ camera: 'gate', capturedAt: new Date(startedAt.getTime() + i * FRAME_MS), mono: 0, jpeg });
  const info = await maker.clip({ camera: 'gate', event: EVENT, startedAt, lastSeenAt: new Date(startedAt.getTime() + frames.length * FRAME_MS) });
  await maker.stop();
  if (info === undefined) throw new Error('the agent made no clip');
  return info;
}

describe('the event view and "look now" in Chromium', () => {
  let broker: Broker;
  let agent: Running | undefined;
  let web: Running | undefined;
  let browser: Browser | undefined;
  let url: string;
  let clip: ClipInfo;
  let clipsDir: string;
  let event: EventPayload;

  beforeAll(async () => {
    const dir = await tempDir();
    const dataDir = join(dir, 'agent');
    const frames = await decodeVideoFrames(footage('opencv/vtest.avi'), { fps: 1000 / FRAME_MS, maxFrames: 60 });
    const startedAt = new Date(Date.now() - 60_000);
    clip = await agentClip(join(dataDir, 'clips'), frames, startedAt);
    // A stock mosquitto (no set_tcp_nodelay), as a station integrator may run: the clip must still come quickly
    // (docs/clips.md, "A delay every chunk has"; the clip-fetcher integration test runs both brokers).
    broker = await startMosquitto({ nodelay: false });

    // The camera "look now" shows: a real photograph, replayed by a file camera.
    const picture = join(dir, 'gate.jpg');
    await sharp(footage('skimage/astronaut.png')).jpeg({ quality: 85 }).toFile(picture);
    const config = join(dir, 'minwang.yaml');
    await writeFile(config, `host: {id: ${HOST}}\nmqtt: {url: "${broker.url}", reconnect: {min: 200ms, max: 1s}}\nstorage: {dataDir: "${dataDir}"}\n`
      + `cameras:\n  - {id: gate, file: {path: "${picture}"}, interval: 1s, detect: {enabled: false}}\n`);
    agent = startCli(['run', '--config', config, '--log-format', 'json']);
    await waitFor(() => agent!.output().stderr.includes('connected to the broker'), BOUND_MS, 'the agent to connect');

    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    clipsDir = join(dir, 'console', 'clips');
    web = startCli(['console', '--web', '--listen', `127.0.0.1:${port}`, '--db', join(dir, 'console', 'console.db'), '--url', broker.url]);
    await waitFor(() => web!.output().stderr.includes('"msg":"subscribed"'), BOUND_MS, 'the console to subscribe');

    // The event as the host announced it: its thumbnail, then its end carrying the clip.
    const ended = new Date(startedAt.getTime() + frames.length * FRAME_MS).toISOString();
    event = {
      ts: ended, id: EVENT, type: 'end', camera: 'gate', label: 'person', score: 0.86, box: [0.4, 0.3, 0.5, 0.8], zones: [],
      startedAt: startedAt.toISOString(), endedAt: ended, thumbnail: true, alert: true, reason: 'gone', clip, seq: 1_000_000,
    };
    const station = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await station.publishAsync(topic.eventThumbnail(HOST, EVENT), (await realThumbnails(1))[0]!, { qos: 1 });
    await station.publishAsync(topic.events(HOST), JSON.stringify(event), { qos: 1 });
    // Its whole picture, as the agent sends one for an alerting event: the frame with the box on it.
    const whole = await sharp(footage('skimage/astronaut.png')).resize(1024, 1024).jpeg({ quality: 75 }).toBuffer();
    const frame: EventFrame = {
      ts: ended, event: EVENT, camera: 'gate', capturedAt: event.startedAt, box: event.box, width: 1024, height: 1024, contentType: 'image/jpeg', jpegBase64: whole.toString('base64'),
    };
    await station.publishAsync(topic.eventFrame(HOST, EVENT), JSON.stringify(frame), { qos: 1 });
    await station.endAsync();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const running of [web, agent]) {
      running?.child.kill('SIGTERM');
      await running?.done;
    }
    await broker?.stop();
  });

  async function openEventFromFeed(): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(url);
    const link = page.locator(`#feed li[data-key="${HOST}/${EVENT}"] a.details`);
    await expect.poll(() => link.count(), { timeout: BOUND_MS }).toBe(1);
    await link.click();
    await page.waitForURL(`${url}event/${HOST}/${EVENT}`);
    return page;
  }

  it('fetches the clip on request and plays it: readyState >= 2, duration within 25% of the event\'s', async () => {
    const page = await openEventFromFeed();
    const blocked: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') blocked.push(m.text()); });
    expect(await page.evaluate<number>("document.querySelector('img.picture')?.naturalWidth ?? 0")).toBeGreaterThan(0);
    expect(await page.locator('#clip-video').count()).toBe(0);
    // The whole picture, with the event's box drawn over it where the object is.
    await expect.poll(() => page.evaluate<number>("document.querySelector('img.frame')?.naturalWidth ?? 0"), { timeout: BOUND_MS }).toBe(1024);
    const [img, rect] = await page.evaluate<{ x: number; y: number; width: number; height: number }[]>(
      "['img.frame', 'svg.box rect'].map((s) => document.querySelector(s).getBoundingClientRect().toJSON())");
    expect((rect!.x - img!.x) / img!.width).toBeCloseTo(0.4, 1);
    expect((rect!.width) / img!.width).toBeCloseTo(0.1, 1);
    expect((rect!.y - img!.y) / img!.height).toBeCloseTo(0.3, 1);
    await page.click('form.clip-fetch button');
    // The page polls the progress, then swaps in the video.
    await expect.poll(() => page.locator('#clip-video').count(), { timeout: 90_000, interval: 250 }).toBe(1);
    await expect.poll(() => page.evaluate<number>("document.getElementById('clip-video').readyState"), { timeout: BOUND_MS }).toBeGreaterThanOrEqual(2);
    const duration = await page.evaluate<number>("document.getElementById('clip-video').duration");
    const eventS = (Date.parse(event.endedAt!) - Date.parse(event.startedAt)) / 1000;
    expect(Math.abs(duration - eventS) / eventS).toBeLessThanOrEqual(0.25);
    expect(Math.abs(duration - clip.durationS) / clip.durationS).toBeLessThanOrEqual(0.25);
    // Seeking works (the browser asks for ranges).
    await page.evaluate("document.getElementById('clip-video').currentTime = 8");
    await expect.poll(() => page.evaluate<number>("document.getElementById('clip-video').readyState"), { timeout: BOUND_MS }).toBeGreaterThanOrEqual(2);
    expect(blocked).toEqual([]);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'station-console-event-clip.png'), fullPage: true });
    await page.close();

    const progress = await (await fetch(`${url}clip/${HOST}/${EVENT}`)).json() as { state: string; bytes: number; total: number };
    expect(progress).toEqual({ state: 'ready', bytes: clip.bytes, total: clip.bytes, error: null });
    const saved = join(clipsDir, HOST, 'clips', `${EVENT}.mp4`);
    expect(createHash('sha256').update(readFileSync(saved)).digest('hex')).toBe(clip.sha256);
  }, 150_000);

  it('serves the clip as video/mp4 with byte ranges, and shows it at once when the page is opened again', async () => {
    const whole = await fetch(`${url}clip/${HOST}/${EVENT}.mp4`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect((await whole.arrayBuffer()).byteLength).toBe(clip.bytes);
    const part = await fetch(`${url}clip/${HOST}/${EVENT}.mp4`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${clip.bytes}`);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    expect((await fetch(`${url}clip/${HOST}/${EVENT}.mp4`, { headers: { range: `bytes=${clip.bytes}-` } })).status).toBe(416);

    const page = await browser!.newPage();
    await page.goto(`${url}event/${HOST}/${EVENT}`);
    await expect.poll(() => page.evaluate<number>("document.getElementById('clip-video')?.readyState ?? 0"), { timeout: BOUND_MS }).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('refuses a fetch request without the page\'s CSRF token', async () => {
    const forged = await fetch(`${url}clip/${HOST}/${EVENT}`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(forged.status).toBe(403);
    expect((await fetch(`${url}clip/${HOST}/no-such-event`)).status).toBe(404);
  });

  it('"look now" shows a fresh snapshot of a camera, refreshes it while open, and stops when closed', async () => {
    const page = await browser!.newPage({ viewport: { width: 1366, height: 900 } });
    const asked: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/look/')) asked.push(r.url()); });
    await page.goto(url);
    const button = page.locator(`figure.cam[data-camera="${HOST}/gate"] button.look`);
    await expect.poll(() => button.count(), { timeout: BOUND_MS }).toBe(1);
    await button.click();
    // The agent's own snapshot of its camera: the photograph, 512 px wide, through MQTT and the console.
    await expect.poll(() => page.evaluate<number>("document.getElementById('look-img').naturalWidth"), { timeout: BOUND_MS }).toBe(512);
    await expect.poll(() => asked.length, { timeout: BOUND_MS }).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#look-status').textContent()).toBe('');
    await page.screenshot({ path: join(SCREENSHOTS, 'station-console-look-now.png') });
    await page.click('#look-close');
    expect(await page.locator('#look').isHidden()).toBe(true);
    const after = asked.length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(asked.length).toBe(after);
    await page.close();
  });

  it('"look now" needs the page\'s token and a camera the station knows', async () => {
    expect((await fetch(`${url}look/${HOST}/gate.jpg`)).status).toBe(403);
    const page = await browser!.newPage();
    await page.goto(url);
    const csrf = await page.evaluate<string>("document.querySelector('meta[name=\"csrf-token\"]').content");
    await page.close();
    const ok = await fetch(`${url}look/${HOST}/gate.jpg`, { headers: { 'x-csrf-token': csrf } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    expect((await fetch(`${url}look/${HOST}/nowhere.jpg`, { headers: { 'x-csrf-token': csrf } })).status).toBe(404);
  });
});
