/**
 * The event view's evidence, behind the web console's login: the event page with its whole picture
 * and clip, the frame's JPEG, the clip (its fetch, progress and file, with Range), and "look now".
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Lang } from '../../core/i18n/lang.js';
import type { Logger } from '../../core/logger.js';
import type { ClipInfo } from '../../link/contract/v1.js';
import { CAMERA_ID, HOST_ID, ITEM_ID } from '../schemas.js';
import type { StationState } from '../state.js';
import type { StationStore } from '../store/store.js';
import type { ClipShelf } from './clips.js';
import { renderEvent } from './history.js';
import { readForm, redirect, sameOrigin, send, sendHtml, sendText } from './http.js';
import { webText } from './i18n/index.js';
import type { LiveLook } from './look.js';
import { sendFile } from './media.js';
import { LOCAL_OPERATOR, type Viewer } from './render.js';
import { sameToken } from './sessions.js';

export interface EvidenceDeps {
  state: StationState;
  store: StationStore;
  logger: Logger;
  scheme: 'http' | 'https';
  clips?: ClipShelf;
  look?: LiveLook;
}

export class EvidenceRoutes {
  constructor(private readonly deps: EvidenceDeps) {}

  async event(res: ServerResponse, viewer: Viewer, host: string, id: string): Promise<void> {
    const missing = () => sendText(res, 404, webText(viewer.lang)('http.noSuchEvent'));
    if (!HOST_ID.test(host) || !ITEM_ID.test(id)) return missing();
    const entry = this.deps.state.alert(`${host}/${id}`) ?? await this.deps.store.alert(`${host}/${id}`);
    if (entry === undefined) return missing();
    const hasThumbnail = this.deps.state.hasImage('thumbnail', host, id) || await this.deps.store.thumbnail(host, id) !== undefined;
    const clip = entry.clip ?? await this.deps.store.clip(host, id);
    const clips = this.deps.clips;
    const progress = clip === undefined || clips === undefined ? null : await clips.progress(host, id, clip);
    const stored = await this.deps.store.frame(host, id);
    const frame = stored === undefined ? null : { box: stored.box, width: stored.width, height: stored.height };
    sendHtml(res, 200, renderEvent({ ...entry, ...(clip === undefined ? {} : { clip }) }, { hasThumbnail, clip: progress, frame }, viewer), { 'content-language': viewer.lang });
  }

  async frame(res: ServerResponse, lang: Lang, host: string, id: string): Promise<void> {
    const stored = HOST_ID.test(host) && ITEM_ID.test(id) ? await this.deps.store.frame(host, id) : undefined;
    if (stored === undefined) return sendText(res, 404, webText(lang)('http.noSuchImage'));
    send(res, 200, 'image/jpeg', stored.jpeg, { 'cache-control': 'private, max-age=3600' });
  }

  /**
   * A fresh picture of a camera the station knows. It makes the host work, so, like a post, it needs
   * the page's CSRF token (a header: another site's <img> cannot send one).
   */
  async lookNow(req: IncomingMessage, res: ServerResponse, viewer: Viewer, host: string, camera: string): Promise<void> {
    const t = webText(viewer.lang);
    const header = req.headers['x-csrf-token'];
    if (!sameToken(typeof header === 'string' ? header : undefined, viewer.csrf)) return sendText(res, 403, t('http.badCsrf'));
    const known = HOST_ID.test(host) && CAMERA_ID.test(camera) && this.deps.state.hosts().some((h) => h.id === host && h.cameras.some((c) => c.id === camera));
    if (!known || this.deps.look === undefined) return sendText(res, 404, t('http.noSuchCamera'));
    const result = await this.deps.look.snapshot(host, camera);
    if (!result.ok) return sendText(res, result.status, t('http.snapshotFailed', { error: result.error }));
    send(res, 200, 'image/jpeg', result.jpeg, { 'x-captured-at': result.capturedAt });
  }

  /** The clip an event announced, when this console fetches clips and the ids are valid. */
  private async clipOf(host: string, id: string): Promise<{ clips: ClipShelf; clip: ClipInfo } | undefined> {
    const clips = this.deps.clips;
    if (clips === undefined || !HOST_ID.test(host) || !ITEM_ID.test(id)) return undefined;
    const clip = this.deps.state.alert(`${host}/${id}`)?.clip ?? await this.deps.store.clip(host, id);
    return clip === undefined ? undefined : { clips, clip };
  }

  async clipFile(req: IncomingMessage, res: ServerResponse, lang: Lang, host: string, id: string): Promise<void> {
    const found = await this.clipOf(host, id);
    const path = found === undefined ? undefined : await found.clips.file(host, id, found.clip);
    if (found === undefined || path === undefined) return sendText(res, 404, webText(lang)('http.noSuchClip'));
    await sendFile(req, res, { path, bytes: found.clip.bytes, type: 'video/mp4' });
  }

  async clipProgress(res: ServerResponse, lang: Lang, host: string, id: string): Promise<void> {
    const found = await this.clipOf(host, id);
    if (found === undefined) return sendText(res, 404, webText(lang)('http.noSuchClip'));
    send(res, 200, 'application/json', JSON.stringify(await found.clips.progress(host, id, found.clip)));
  }

  /** Asks the host for the clip (CSRF-checked like an acknowledgement); the page then polls its progress. */
  async fetchClip(req: IncomingMessage, res: ServerResponse, viewer: Viewer, host: string, id: string): Promise<void> {
    const t = webText(viewer.lang);
    if (!sameOrigin(req, this.deps.scheme)) return sendText(res, 403, t('http.crossSite'));
    const form = await readForm(req);
    const header = req.headers['x-csrf-token'];
    if (!sameToken(typeof header === 'string' ? header : form?.get('csrf') ?? undefined, viewer.csrf)) return sendText(res, 403, t('http.badCsrf'));
    const found = await this.clipOf(host, id);
    if (found === undefined) return sendText(res, 404, t('http.noSuchClip'));
    if (found.clips.request(host, id, found.clip) === 'busy') return sendText(res, 503, t('http.clipsBusy'), { 'retry-after': '30' });
    this.deps.logger.info({ host, event: id, by: viewer.user ?? LOCAL_OPERATOR }, 'clip requested');
    if ((req.headers.accept ?? '').includes('application/json')) send(res, 202, 'application/json', JSON.stringify(await found.clips.progress(host, id, found.clip)));
    else redirect(res, `/event/${host}/${id}`);
  }
}
