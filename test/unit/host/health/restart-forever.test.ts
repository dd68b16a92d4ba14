import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { AlertBoard } from '../../../../agent/host/health/alerts.js';
import { RestartAlert, STABLE_AFTER_MS } from '../../../../agent/host/health/restart-alert.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { RestartRecord, UNCLEAN_STOP, restartDelayMs } from '../../../../agent/host/state/restart-record.js';
import { waitBeforeRestart } from '../../../../agent/host/watchdog/restart-backoff.js';
import { tempDir } from '../../../helpers/tmp.js';

describe('restart forever with backoff', () => {
  it('the systemd unit never gives up and restarts always', async () => {
    const unit = await readFile(join(import.meta.dirname, '../../../../scripts/systemd/minwang.service.in'), 'utf8');
    expect(unit).toMatch(/^StartLimitIntervalSec=0$/m);
    expect(unit).not.toMatch(/^StartLimitBurst=/m);
    expect(unit).toMatch(/^Restart=always$/m);
  });

  it('counts failed runs in a row (a crash too), backs off up to 5 minutes and resets on a clean stop', async () => {
    const dir = join(await tempDir(), 'data');
    const clock = new FakeClock();
    const record = () => new RestartRecord({ fs: realFileSystem, dir, clock });
    expect((await record().begin()).failures).toBe(0);
    // That run was killed (no fail(), no clear()): the next start knows.
    const afterCrash = await record().begin();
    expect(afterCrash).toMatchObject({ failures: 1, reason: UNCLEAN_STOP });
    await record().begin();
    const third = record();
    expect((await third.begin()).failures).toBe(3);
    await third.fail('cannot open /dev/video0');
    expect(await record().begin()).toMatchObject({ failures: 4, reason: 'cannot open /dev/video0' });
    expect([1, 2, 3, 4, 10].map(restartDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000, 300_000]);
    const clean = record();
    await clean.begin();
    await clean.clear();
    expect((await record().begin()).failures).toBe(0);
  });

  it('waits before restarting and tells systemd why', async () => {
    const clock = new FakeClock();
    const said: string[] = [];
    let done = false;
    const waiting = waitBeforeRestart({
      history: { failures: 2, reason: 'broker refused', at: '' }, clock, logger: silentLogger(),
      notifier: { notify: (s) => { said.push(s); return Promise.resolve(); } },
    }).then(() => { done = true; });
    await clock.advance(9_999);
    expect(done).toBe(false);
    await clock.advance(1);
    await waiting;
    expect(said[0]).toBe('STATUS=restarting after 2 failed run(s) in a row (last: broker refused); waiting 10 s');
    expect(said[1]).toBe(`EXTEND_TIMEOUT_USEC=${130_000_000}`);
  });

  it('raises agent_restarting on the health stream with the last reason, and clears it once stable', async () => {
    const clock = new FakeClock();
    const link = new MemoryStationLink();
    let stable = 0;
    const alert = new RestartAlert({
      history: { failures: 3, reason: 'out of memory', at: '2026-01-01T00:00:00.000Z' },
      alerts: new AlertBoard({ link, clock, logger: silentLogger() }), clock, onStable: () => { stable++; return Promise.resolve(); },
    });
    await alert.start();
    await new Promise((r) => setImmediate(r));
    expect(link.health[0]).toMatchObject({ kind: 'agent_restarting', state: 'raised', severity: 'critical', details: { failures: 3, lastReason: 'out of memory' } });
    await clock.advance(STABLE_AFTER_MS);
    expect(stable).toBe(1);
    expect(link.health[1]).toMatchObject({ kind: 'agent_restarting', state: 'cleared' });
    await alert.stop();
  });
});
