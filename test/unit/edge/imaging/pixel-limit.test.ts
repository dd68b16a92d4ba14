import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../../../agent/app/agent.js';
import { CameraHealth } from '../../../../agent/edge/camera-health/camera-health.js';
import { faultsSchema } from '../../../../agent/config/sections/camera-pipeline.js';
import { AlertBoard } from '../../../../agent/host/health/alerts.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { decodeImage } from '../../../../agent/edge/imaging/rgb.js';
import { decodeGrey } from '../../../../agent/edge/imaging/grey.js';
import { burnPrivacyMasks } from '../../../../agent/edge/imaging/privacy.js';
import type { Frame, FrameSource } from '../../../../agent/edge/types.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realHostPorts } from '../../../../agent/ports/index.js';
import { waitFor } from '../../../helpers/cli.js';
import { pixelBomb } from '../../../helpers/jpeg-bombs.js';
import { tempDir } from '../../../helpers/tmp.js';
import { scriptedCameraConfig } from '../../../helpers/config.js';

const REFUSED = /16383×16383 JPEG is refused: more than 16777216 pixels/;

describe('pixel bombs from a camera', () => {
  it('are refused from the JPEG header by the grey decode, the detector decode and the privacy mask', async () => {
    const bomb = await pixelBomb();
    expect(bomb.length).toBeLessThan(2000);
    await expect(decodeGrey(bomb, 160)).rejects.toThrow(REFUSED);
    await expect(decodeImage(bomb)).rejects.toThrow(REFUSED);
    await expect(burnPrivacyMasks(bomb, [])).rejects.toThrow(REFUSED);
  });

  it('are refused by sharp too when the picture is not a JPEG (limitInputPixels)', async () => {
    const png = await sharp({ create: { width: 5000, height: 4000, channels: 3, background: '#000' } }).png({ compressionLevel: 9 }).toBuffer();
    await expect(decodeImage(png)).rejects.toThrow(/pixel limit/);
  });

  it('make the camera degraded (bad_image), not offline and not a crash', async () => {
    const clock = new FakeClock();
    const link = new MemoryStationLink();
    const faults = faultsSchema.parse({ debounce: '2s', window: '2s' });
    const health = new CameraHealth({ cameras: [{ id: 'gate', intervalMs: 1000, faults }], link, alerts: new AlertBoard({ link, clock, logger: silentLogger() }), clock, logger: silentLogger() });
    await health.start();
    for (let i = 0; i < 6; i++) {
      health.badImage('gate', 'a 16383×16383 JPEG is refused');
      await clock.advance(1000);
    }
    expect(link.cameraStatus.get('gate')).toMatchObject({ state: 'degraded', reason: 'bad_image', detail: 'a 16383×16383 JPEG is refused' });
    expect(link.health.at(-1)).toMatchObject({ kind: 'camera_degraded', state: 'raised', details: { reason: 'bad_image' } });
    await health.stop();
  });

  it('through the whole agent: the camera that sends them is degraded (bad_image)', async () => {
    const bomb = await pixelBomb();
    const source: FrameSource = {
      camera: 'gate',
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      grab: (): Promise<Frame> => Promise.resolve({ camera: 'gate', capturedAt: new Date(), mono: performance.now(), jpeg: bomb }),
    };
    const dir = await tempDir();
    const config = scriptedCameraConfig({ host: 'bomb-host', dataDir: `${dir}/data`, faults: 'debounce: 100ms, window: 100ms' });
    const link = new MemoryStationLink();
    const agent = createAgent({ config, ports: realHostPorts(), logger: silentLogger(), link, sources: new Map([['gate', source]]) });
    await agent.start();
    try {
      await waitFor(() => link.cameraStatus.get('gate') !== undefined, 10_000, 'a camera status');
      expect(link.cameraStatus.get('gate')).toMatchObject({ state: 'degraded', reason: 'bad_image' });
      expect(link.cameraStatus.get('gate')?.detail).toMatch(REFUSED);
    } finally {
      await agent.stop();
    }
  });
});
