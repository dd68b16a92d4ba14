import { describe, expect, it } from 'vitest';
import { createAgent } from '../../../agent/app/agent.js';
import { CameraHealth } from '../../../agent/edge/camera-health/camera-health.js';
import { faultsSchema } from '../../../agent/config/sections/camera-pipeline.js';
import { AlertBoard } from '../../../agent/host/health/alerts.js';
import { StatusHistoryLink } from '../../fakes/status-history-link.js';
import { cameraFault } from '../../../agent/core/camera-fault.js';
import { silentLogger } from '../../../agent/core/logger.js';
import type { GreyImage } from '../../../agent/edge/imaging/grey.js';
import type { FrameSource } from '../../../agent/edge/types.js';
import { FakeClock } from '../../fakes/clock.js';
import { realHostPorts } from '../../../agent/ports/index.js';
import { waitFor } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { scriptedCameraConfig } from '../../helpers/config.js';

function picture(seed: number): GreyImage {
  const data = new Uint8Array(64 * 48).map((_, i) => ((i >> 3) % 2) * 120 + 60 + ((i + seed) % 5));
  return { width: 64, height: 48, data, sourceWidth: 64, sourceHeight: 48 };
}

describe('a camera is never online before its first picture', () => {
  it('publishes nothing until the first frame or the first failure verdict', async () => {
    const clock = new FakeClock();
    const link = new StatusHistoryLink();
    const faults = faultsSchema.parse({ debounce: '2s' });
    const health = new CameraHealth({
      cameras: [{ id: 'slow', intervalMs: 1000, faults }, { id: 'wrong-pw', intervalMs: 1000, faults }], link, alerts: new AlertBoard({ link, clock, logger: silentLogger() }), clock, logger: silentLogger(),
    });
    await health.start();
    await clock.advance(2500); // no frame yet from either: nothing to say
    expect(link.history).toEqual([]);
    for (let i = 0; i < 5; i++) {
      health.feed('slow', picture(i));
      health.failure('wrong-pw', 'auth', 'HTTP 401: the camera refused the user name or password');
      await clock.advance(1000);
    }
    expect(link.history.map((s) => [s.camera, s.state, s.reason])).toEqual([['slow', 'online', null], ['wrong-pw', 'offline', 'auth']]);
    await health.stop();
  });

  it('through the whole agent: a camera that refuses the password is never published online', async () => {
    const source: FrameSource = {
      camera: 'gate', start: () => Promise.resolve(), stop: () => Promise.resolve(),
      grab: () => Promise.reject(cameraFault('auth', 'HTTP 401: the camera refused the user name or password')),
    };
    const dir = await tempDir();
    const config = scriptedCameraConfig({ host: 'auth-host', dataDir: `${dir}/data` });
    const link = new StatusHistoryLink();
    const agent = createAgent({ config, ports: realHostPorts(), logger: silentLogger(), link, sources: new Map([['gate', source]]) });
    await agent.start();
    try {
      await waitFor(() => link.history.length > 0, 10_000, 'a camera status');
    } finally {
      await agent.stop();
    }
    expect(link.history[0]).toMatchObject({ camera: 'gate', state: 'offline', reason: 'auth' });
    expect(link.history.some((s) => s.state === 'online')).toBe(false);
  });

  it('raises the camera alert on the host alert board, so the heartbeat lists it with every other alert', async () => {
    const source: FrameSource = {
      camera: 'gate', start: () => Promise.resolve(), stop: () => Promise.resolve(),
      grab: () => Promise.reject(cameraFault('auth', 'HTTP 401')),
    };
    const dir = await tempDir();
    const config = scriptedCameraConfig({ host: 'board-host', dataDir: `${dir}/data`, extra: 'heartbeat: { interval: 5s }' });
    const link = new StatusHistoryLink();
    const alerts = () => (link.heartbeat?.['alerts'] ?? []) as { kind: string }[];
    const agent = createAgent({ config, ports: realHostPorts(), logger: silentLogger(), link, sources: new Map([['gate', source]]) });
    await agent.start();
    try {
      await waitFor(() => alerts().some((a) => a.kind === 'camera_offline'), 15_000, 'camera_offline in the heartbeat');
    } finally {
      await agent.stop();
    }
    expect(alerts()).toContainEqual(expect.objectContaining({ kind: 'camera_offline', subject: 'gate', severity: 'critical' }));
    expect(link.health.filter((h) => h.kind === 'camera_offline' && h.state === 'raised')).toHaveLength(1);
  });
});
