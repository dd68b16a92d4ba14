import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventQueryParamsSchema, type EventPayload } from '../../../../agent/link/contract/v1.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { EventLog } from '../../../../agent/link/outbox/event-log.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { redactSecrets } from '../../../../agent/link/commands/redact.js';
import { tempDir } from '../../../helpers/tmp.js';

const DAY = 86_400_000;

function event(seq: number, ts: string, camera = 'gate', label: 'person' | 'ebike' = 'person'): EventPayload {
  return { ts, id: `e${seq}`, type: 'new', camera, label, score: 0.9, box: [0, 0, 1, 1], zones: [], startedAt: ts, thumbnail: false, seq };
}

async function openLog(clock: FakeClock, dir: string) {
  const log = new EventLog({ fs: realFileSystem, dir, clock, logger: silentLogger(), retentionMs: 2 * DAY });
  await log.open();
  return log;
}

const query = (params: Record<string, unknown>) => eventQueryParamsSchema.parse(params);

describe('event log', () => {
  it('answers queries by time, camera and label, oldest first, with a limit', async () => {
    const clock = new FakeClock(new Date('2026-03-03T12:00:00Z'));
    const dir = await tempDir();
    const log = await openLog(clock, dir);
    await log.append(event(1, '2026-03-02T23:59:00Z'));
    await log.append(event(2, '2026-03-03T01:00:00Z', 'lane', 'ebike'));
    await log.append(event(3, '2026-03-03T02:00:00Z'));
    await log.append(event(4, '2026-03-03T03:00:00Z'));
    expect((await log.query(query({}))).events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await log.query(query({ from: '2026-03-03T00:00:00Z', camera: 'gate' }))).events.map((e) => e.seq)).toEqual([3, 4]);
    expect((await log.query(query({ label: 'ebike' }))).events.map((e) => e.seq)).toEqual([2]);
    expect(await log.query(query({ limit: 2 }))).toMatchObject({ truncated: true, events: [{ seq: 1 }, { seq: 2 }] });
    expect(await readdir(dir)).toEqual(['2026-03-02.jsonl', '2026-03-03.jsonl']);
    await log.close();
  });

  it('skips torn lines and drops days older than the retention', async () => {
    const clock = new FakeClock(new Date('2026-03-03T12:00:00Z'));
    const dir = await tempDir();
    let log = await openLog(clock, dir);
    await log.append(event(1, '2026-03-03T01:00:00Z'));
    await appendFile(join(dir, '2026-03-03.jsonl'), '{"ts":"2026-03-03T01:0');
    await log.append(event(2, '2026-03-03T02:00:00Z'));
    expect((await log.query(query({}))).events.map((e) => e.seq)).toEqual([1]);
    await log.close();
    clock.jumpWall(3 * DAY);
    log = await openLog(clock, dir);
    expect(await readdir(dir)).toEqual([]);
    await log.close();
  });
});

describe('redaction', () => {
  it('hides passwords, also inside URLs, and keeps everything else', () => {
    const config = { mqtt: { url: 'mqtt://b', username: 'u', password: 'p', passwordFile: '/etc/pw' }, cameras: [{ rtsp: { url: 'rtsp://admin:12345@10.0.0.2/s' } }] };
    expect(redactSecrets(config)).toEqual({
      mqtt: { url: 'mqtt://b', username: 'u', password: '[redacted]', passwordFile: '/etc/pw' },
      cameras: [{ rtsp: { url: 'rtsp://admin:%5Bredacted%5D@10.0.0.2/s' } }],
    });
  });
});
