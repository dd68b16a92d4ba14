// One file: the station's state applies every message kind to one set of hosts, feeds and boards, whose
// ordering and bounds (seq, sessions, per-host caps) must be judged together.
/**
 * The station's picture of every host, built from contract v1 messages. Both consoles (terminal
 * and web) read it; it never touches MQTT itself, so tests feed it messages and a FakeClock.
 */
import type { Clock } from '../ports/clock.js';
import { AlertFeed, alertKey, mergeAlert, newAlert, type Acknowledgement, type AlertEntry } from './alerts.js';
import { HealthBoard, type HealthEntry } from './health.js';
import { ImageStore, type ImageKind } from './images.js';
import { liveness, newHostRecord, notOlder, signOfLifeAt, statusSupersedes, type HostLiveness, type HostRecord } from './hosts.js';
import type { Delivery, StationMessage } from './messages.js';
import type { CameraStatusMessage, EventMessage, HealthMessage, HeartbeatMessage, ModelMessage, PatrolMessage, StatusMessage } from './schemas.js';
import { RecentKeys } from './seq-ranges.js';

/** A village has tens of cameras; a host claiming more is broken or hostile. */
export const MAX_CAMERAS_PER_HOST = 256;

export interface StationStateOptions {
  clock: Clock;
  /** A host that says online but shows no sign of life for this long is `stale` (default 90 s: 3 heartbeats). */
  staleAfterMs?: number;
  /** Alert feed length (default 1000). */
  maxAlerts?: number;
  /** Memory for thumbnails and contact sheets (default 64 MiB). */
  imageBudgetBytes?: number;
}

/** What an applied message did, for `--json` and logs. */
export type Outcome =
  | 'applied'
  /** Seen before (same host, id and seq): nothing changed. */
  | 'duplicate'
  /** From an older session than the one the station knows (a stale will): ignored. */
  | 'stale_session'
  /** Older than what the station already has for that topic: ignored. */
  | 'older'
  /** Over a per-host bound (cameras, health keys): one host cannot slow or fill the console. */
  | 'over_limit'
  | 'passed';

export type StationChange =
  | { kind: 'host'; host: string }
  | { kind: 'alert'; key: string }
  | { kind: 'health'; host: string; key: string };

export interface ApplyResult {
  outcome: Outcome;
  /** For events and health: the message came late (historical or out of seq order). */
  delayed?: boolean;
  changes: StationChange[];
}

export interface CameraView {
  id: string;
  state: CameraStatusMessage['state'];
  reason: string | null;
  since: string;
  detail: string | null;
  /** Key of the newest alert from this camera with a thumbnail, for its tile. */
  latestThumbnail: string | null;
}

export interface HostView {
  id: string;
  liveness: HostLiveness;
  status: StatusMessage | null;
  /** Milliseconds since the last sign of life; null when never seen alive. */
  ageMs: number | null;
  lastSeenAt: Date | null;
  heartbeat: HeartbeatMessage | null;
  cameras: CameraView[];
  model: ModelMessage | null;
  patrol: (PatrolMessage & { sheet: boolean }) | null;
  activeHealth: HealthEntry[];
  /** Highest events/health seq seen and how many below it never arrived. */
  seq: { max: number | null; missing: number };
}

type Listener = (change: StationChange) => void;

export class StationState {
  private readonly hostsById = new Map<string, HostRecord>();
  private readonly feed: AlertFeed;
  private readonly board = new HealthBoard(200);
  private readonly images: ImageStore;
  private readonly seen = new RecentKeys(50_000);
  private readonly seedSeqs = new Map<string, readonly number[]>();
  private readonly listeners = new Set<Listener>();
  private readonly staleAfterMs: number;

  constructor(private readonly options: StationStateOptions) {
    this.staleAfterMs = options.staleAfterMs ?? 90_000;
    this.feed = new AlertFeed(options.maxAlerts ?? 1000);
    this.images = new ImageStore(options.imageBudgetBytes ?? 64 * 1024 * 1024);
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  apply(message: StationMessage, delivery: Delivery): ApplyResult {
    const result = this.route(message, delivery);
    for (const change of result.changes) for (const listener of this.listeners) listener(change);
    return result;
  }

  /** The villages known, without building their views. */
  hostIds(): string[] {
    return [...this.hostsById.keys()];
  }

  hosts(): HostView[] {
    return [...this.hostsById.keys()].sort().map((id) => this.host(id)!);
  }

  /** A village's liveness now, without building its view (the push checks every village for staleness). */
  liveness(id: string): HostLiveness | undefined {
    const record = this.hostsById.get(id);
    return record === undefined ? undefined : liveness(record, this.options.clock.now(), this.staleAfterMs);
  }

  /** What the page's summary counts, without building every village's view. */
  counts(): { hosts: number; down: number; faulty: number; open: number } {
    const now = this.options.clock.now();
    let down = 0;
    let faulty = 0;
    for (const record of this.hostsById.values()) {
      if (liveness(record, now, this.staleAfterMs) !== 'online') down++;
      for (const camera of record.cameras.values()) if (camera.state !== 'online') faulty++;
    }
    let open = 0;
    for (const entry of this.feed.list()) if (entry.alert && entry.ack === null) open++;
    return { hosts: this.hostsById.size, down, faulty, open };
  }

  host(id: string): HostView | undefined {
    const record = this.hostsById.get(id);
    return record === undefined ? undefined : this.view(record);
  }

  alerts(): readonly AlertEntry[] {
    return this.feed.list();
  }

  alert(key: string): AlertEntry | undefined {
    return this.feed.get(key);
  }

  activeHealth(): HealthEntry[] {
    return this.board.active();
  }

  recentHealth(): readonly HealthEntry[] {
    return this.board.recent();
  }

  image(kind: ImageKind, host: string, id: string): Buffer | undefined {
    return this.images.get(kind, host, id);
  }

  hasImage(kind: ImageKind, host: string, id: string): boolean {
    return this.images.has(kind, host, id);
  }

  /** Marks an alert acknowledged (the web console persists it). */
  acknowledge(key: string, ack: Acknowledgement): AlertEntry | undefined {
    const entry = this.feed.get(key);
    if (entry === undefined) return undefined;
    const updated = { ...entry, ack };
    this.feed.put(updated);
    this.emit({ kind: 'alert', key });
    return updated;
  }

  /** Seeds what the store kept from an earlier run: events, their thumbnails, raised health. */
  restore(entries: readonly AlertEntry[], thumbnails: ReadonlyMap<string, Buffer>, health: readonly HealthEntry[] = [], seqs: ReadonlyMap<string, readonly number[]> = new Map()): void {
    // Applied when the host is first heard of, so a host known only from old events is not listed.
    for (const [host, list] of seqs) this.seedSeqs.set(host, list);
    for (const entry of entries) {
      this.feed.put(entry);
      this.seen.add(`event#${entry.key}#${entry.seq}`);
      const jpeg = thumbnails.get(entry.key);
      if (jpeg !== undefined) this.images.put('thumbnail', entry.host, entry.id, jpeg);
    }
    for (const entry of health) this.board.restore(entry);
  }

  /** An event as the store holds it (folded from every console's messages) replaces this console's copy. */
  putStored(entry: AlertEntry): void {
    this.seen.add(`event#${entry.key}#${entry.seq}`);
    if (this.feed.put(entry)) this.emit({ kind: 'alert', key: entry.key });
  }

  /** A message another console stored: its seq counts as received here (no false gaps when sharing). */
  noteSeq(hostId: string, seq: number): void {
    if (this.record(hostId).seqs.add(seq)) this.emit({ kind: 'host', host: hostId });
  }

  /** A stored health entry (another console received its message). */
  putHealth(entry: HealthEntry): void {
    this.board.restore(entry);
    this.emit({ kind: 'health', host: entry.host, key: entry.key });
    this.emit({ kind: 'host', host: entry.host });
  }

  /** A stored thumbnail (another console received it). */
  putThumbnail(host: string, id: string, jpeg: Buffer): void {
    for (const change of this.applyImage('thumbnail', host, id, jpeg).changes) this.emit(change);
  }

  private route(message: StationMessage, delivery: Delivery): ApplyResult {
    switch (message.kind) {
      case 'status': return this.applyStatus(message.host, message.payload, delivery);
      case 'heartbeat': return this.applyHeartbeat(message.host, message.payload, delivery);
      case 'cameraStatus': return this.applyCamera(message.host, message.payload);
      case 'event': return this.applyEvent(message.host, message.payload);
      case 'thumbnail': return this.applyImage('thumbnail', message.host, message.eventId, message.jpeg);
      case 'health': return this.applyHealth(message.host, message.payload);
      case 'model': return this.applyModel(message.host, message.payload);
      case 'patrol': return this.applyPatrol(message.host, message.payload);
      case 'patrolSheet': return this.applyImage('sheet', message.host, message.reportId, message.jpeg);
      case 'command':
      case 'frame': // kept by the store; the event page reads it from there
      case 'clipChunk': return { outcome: 'passed', changes: [] };
    }
  }

  private applyStatus(hostId: string, status: StatusMessage, delivery: Delivery): ApplyResult {
    const host = this.record(hostId);
    if (!statusSupersedes(status, host.status)) {
      return { outcome: status.session < (host.status?.session ?? 0) ? 'stale_session' : 'older', changes: [] };
    }
    host.status = status;
    if (status.state === 'online') host.lastSeenAt = latest(host.lastSeenAt, signOfLifeAt(status.ts, delivery.receivedAt, delivery.retained));
    return applied({ kind: 'host', host: hostId });
  }

  private applyHeartbeat(hostId: string, heartbeat: HeartbeatMessage, delivery: Delivery): ApplyResult {
    const host = this.record(hostId);
    if (!notOlder(heartbeat, host.heartbeat)) return { outcome: 'older', changes: [] };
    host.heartbeat = heartbeat;
    host.lastSeenAt = latest(host.lastSeenAt, signOfLifeAt(heartbeat.ts, delivery.receivedAt, delivery.retained));
    return applied({ kind: 'host', host: hostId });
  }

  private applyCamera(hostId: string, camera: CameraStatusMessage): ApplyResult {
    const host = this.record(hostId);
    if (!host.cameras.has(camera.camera) && host.cameras.size >= MAX_CAMERAS_PER_HOST) return { outcome: 'over_limit', changes: [] };
    if (!notOlder(camera, host.cameras.get(camera.camera))) return { outcome: 'older', changes: [] };
    host.cameras.set(camera.camera, camera);
    return applied({ kind: 'host', host: hostId });
  }

  private applyModel(hostId: string, model: ModelMessage): ApplyResult {
    const host = this.record(hostId);
    if (!notOlder(model, host.model)) return { outcome: 'older', changes: [] };
    host.model = model;
    return applied({ kind: 'host', host: hostId });
  }

  private applyPatrol(hostId: string, patrol: PatrolMessage): ApplyResult {
    const host = this.record(hostId);
    if (!notOlder(patrol, host.patrol)) return { outcome: 'older', changes: [] };
    host.patrol = patrol;
    return applied({ kind: 'host', host: hostId });
  }

  private applyEvent(hostId: string, event: EventMessage): ApplyResult {
    const key = alertKey(hostId, event.id);
    const sequence = this.sequence(hostId, `event#${key}`, event.seq, event.historical);
    if (sequence === 'duplicate') return { outcome: 'duplicate', changes: [] };
    const existing = this.feed.get(key);
    const now = this.options.clock.now();
    const entry = existing === undefined ? newAlert(hostId, event, sequence.delayed, now) : mergeAlert(existing, event, sequence.delayed, now);
    if (!this.feed.put(entry)) return { outcome: 'older', delayed: sequence.delayed, changes: [] };
    return { outcome: 'applied', delayed: sequence.delayed, changes: [{ kind: 'alert', key }] };
  }

  private applyHealth(hostId: string, health: HealthMessage): ApplyResult {
    const sequence = this.sequence(hostId, `health#${hostId}/${health.id}`, health.seq, health.historical);
    if (sequence === 'duplicate') return { outcome: 'duplicate', changes: [] };
    const entry = this.board.apply(hostId, health, sequence.delayed);
    if (entry === 'over_limit') return { outcome: 'over_limit', delayed: sequence.delayed, changes: [] };
    if (entry === undefined) return { outcome: 'older', delayed: sequence.delayed, changes: [] };
    return { outcome: 'applied', delayed: sequence.delayed, changes: [{ kind: 'health', host: hostId, key: entry.key }, { kind: 'host', host: hostId }] };
  }

  /**
   * Duplicates are recognised by what the message is (id) and its seq together, so a host whose
   * seq restarted (a wiped data dir) is never silenced. Late: flagged historical by the host, or
   * behind a higher seq the station already has from it.
   */
  private sequence(hostId: string, idKey: string, seq: number, historical: boolean | undefined): 'duplicate' | { delayed: boolean } {
    if (!this.seen.add(`${idKey}#${seq}`)) return 'duplicate';
    const seqs = this.record(hostId).seqs;
    const max = seqs.max();
    seqs.add(seq);
    return { delayed: historical === true || (max !== null && seq < max) };
  }

  private applyImage(kind: ImageKind, hostId: string, id: string, jpeg: Buffer): ApplyResult {
    this.record(hostId);
    this.images.put(kind, hostId, id, jpeg);
    if (kind === 'sheet') return applied({ kind: 'host', host: hostId });
    const key = alertKey(hostId, id);
    // A thumbnail may beat its event to the station; the event picks it up when it comes.
    const changes: StationChange[] = [{ kind: 'host', host: hostId }];
    if (this.feed.get(key) !== undefined) changes.unshift({ kind: 'alert', key });
    return { outcome: 'applied', changes };
  }

  private record(hostId: string): HostRecord {
    let host = this.hostsById.get(hostId);
    if (host === undefined) {
      host = newHostRecord(hostId);
      for (const seq of this.seedSeqs.get(hostId) ?? []) host.seqs.add(seq);
      this.seedSeqs.delete(hostId);
      this.hostsById.set(hostId, host);
    }
    return host;
  }

  private view(host: HostRecord): HostView {
    const now = this.options.clock.now();
    return {
      id: host.id,
      liveness: liveness(host, now, this.staleAfterMs),
      status: host.status,
      ageMs: host.lastSeenAt === null ? null : Math.max(0, now.getTime() - host.lastSeenAt.getTime()),
      lastSeenAt: host.lastSeenAt,
      heartbeat: host.heartbeat,
      cameras: this.cameraViews(host),
      model: host.model,
      patrol: host.patrol === null ? null : { ...host.patrol, sheet: this.images.has('sheet', host.id, host.patrol.id) },
      activeHealth: this.board.active(host.id),
      seq: { max: host.seqs.max(), missing: host.seqs.missing() },
    };
  }

  /** Each camera with the newest alert of it that has a thumbnail: one pass over the feed per village, not one per camera. */
  private cameraViews(host: HostRecord): CameraView[] {
    const latest = new Map<string, string>();
    for (const a of this.feed.list()) {
      if (a.host !== host.id || latest.has(a.camera) || !host.cameras.has(a.camera)) continue;
      if (this.images.has('thumbnail', host.id, a.id)) latest.set(a.camera, a.key);
      if (latest.size === host.cameras.size) break;
    }
    return [...host.cameras.values()].sort((a, b) => a.camera.localeCompare(b.camera)).map((camera) => (
      { id: camera.camera, state: camera.state, reason: camera.reason, since: camera.since, detail: camera.detail ?? null, latestThumbnail: latest.get(camera.camera) ?? null }));
  }

  private emit(change: StationChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function applied(change: StationChange): ApplyResult {
  return { outcome: 'applied', changes: [change] };
}

function latest(a: Date | null, b: Date): Date {
  return a === null || b > a ? b : a;
}
