import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { SnapshotSource } from '../../../../agent/edge/cameras/snapshot-source.js';
import { CameraPoller, type PollFailure } from '../../../../agent/edge/sampling/camera-poller.js';
import { systemClock } from '../../../../agent/ports/clock.js';
import { realHttp } from '../../../../agent/ports/http.js';
import { waitFor } from '../../../helpers/cli.js';

/**
 * A camera that sends its headers and half a JPEG, then nothing: the grab must still end at its
 * deadline, and stop() must still end, even when a full garbage collection ran while the body
 * stalled. Node's fetch (undici 6, Node 20/22) follows the caller's AbortSignal through a
 * WeakRef to its internal Request; once the headers are in, nothing else holds that Request, a
 * GC frees it, and from then on aborting the caller's signal no longer reaches the body
 * (nodejs/node#55428, nodejs/undici#4068). Under CI load that GC lands in the window now and then.
 */
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

let server: Server;
let url = '';
const sockets = new Set<Socket>();
let headersSent = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(4000, 7), Buffer.from([0xff, 0xd9])]);
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
    res.write(jpeg.subarray(0, jpeg.length / 2), () => headersSent++);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/snapshot.jpg`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Lets the response's headers reach the client, then collects everything unreachable. */
async function collectWhileTheBodyStalls(before: number): Promise<void> {
  await waitFor(() => headersSent > before, 5000, 'the camera to send its headers and half the body');
  await new Promise((resolve) => setTimeout(resolve, 20));
  fullGc();
  await new Promise((resolve) => setImmediate(resolve));
  fullGc();
}

describe('a snapshot camera whose body never ends', () => {
  it('fails the grab as a timeout when its deadline passes, GC or not, and lets go of the socket', async () => {
    const source = new SnapshotSource({ camera: 'gate', url, http: realHttp, clock: systemClock });
    for (let i = 0; i < 5; i++) {
      const deadline = new AbortController();
      const grab = source.grab(deadline.signal);
      grab.catch(() => undefined);
      await collectWhileTheBodyStalls(headersSent);
      deadline.abort(new Error('deadline of 500 ms'));
      await expect(grab).rejects.toMatchObject({ code: 'camera.fault', details: { reason: 'timeout' } });
    }
    await waitFor(() => sockets.size === 0, 5000, 'every stalled connection closed by the client');
  });

  it('stops a poller whose grab is stalled in the body', async () => {
    const source = new SnapshotSource({ camera: 'gate', url, http: realHttp, clock: systemClock });
    const failures: PollFailure[] = [];
    const poller = new CameraPoller({
      source, intervalMs: 100, timeoutMs: 60_000, clock: systemClock, logger: silentLogger(),
      onFrame: () => Promise.resolve(), onFailure: (f) => failures.push(f),
    });
    const before = headersSent;
    await poller.start();
    await collectWhileTheBodyStalls(before);
    await poller.stop();
    expect(failures).toEqual([]); // a stop is not a camera failure
    expect(poller.snapshot().attempts).toBe(1);
    await waitFor(() => sockets.size === 0, 5000, 'the stalled connection closed by the source, not left behind');
  });
});
