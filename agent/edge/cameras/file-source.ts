import { extname, join } from 'node:path';
import sharp from 'sharp';
import { cameraFault } from '../../core/camera-fault.js';
import { AgentError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { Processes } from '../../ports/process.js';
import type { Frame, FrameSource } from '../types.js';
import { FfmpegSource } from './ffmpeg-source.js';
import { videoFileArgs } from './rtsp-args.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface FileSourceOptions {
  camera: string;
  path: string;
  loop: boolean;
  intervalMs: number;
  fs: FileSystem;
  clock: Clock;
  processes: Processes;
  logger: Logger;
}

/**
 * Replays footage as a camera: a video file (through ffmpeg, at its own speed), one image (the
 * same picture every time — camera health will call it frozen, as it should), or a directory of
 * images taken in name order. For the demo and tests.
 */
export class FileSource implements FrameSource {
  readonly camera: string;
  private inner: FrameSource | undefined;

  constructor(private readonly options: FileSourceOptions) {
    this.camera = options.camera;
  }

  async start(): Promise<void> {
    const { fs, path } = this.options;
    let isDirectory: boolean;
    try {
      isDirectory = (await fs.stat(path)).isDirectory();
    } catch (err) {
      throw new AgentError('camera.fault', `camera ${this.camera}: footage ${path} cannot be read: ${errorMessage(err)}`, { cause: err, details: { reason: 'unreachable' } });
    }
    if (isDirectory) {
      const names = (await fs.readdir(path)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
      if (names.length === 0) throw new AgentError('camera.fault', `camera ${this.camera}: ${path} holds no images (.jpg, .png, .webp)`, { details: { reason: 'unreachable' } });
      this.inner = new ImageListSource(this.camera, names.map((n) => join(path, n)), this.options);
    } else if (IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) {
      this.inner = new ImageListSource(this.camera, [path], this.options);
    } else {
      this.inner = new FfmpegSource({
        camera: this.camera,
        args: videoFileArgs(path, this.options.intervalMs, this.options.loop),
        processes: this.options.processes,
        clock: this.options.clock,
        logger: this.options.logger,
        stallMs: Math.max(5000, this.options.intervalMs * 5),
        restartOnExit: this.options.loop,
      });
    }
    await this.inner.start();
  }

  async stop(): Promise<void> {
    await this.inner?.stop();
  }

  grab(signal: AbortSignal): Promise<Frame> {
    if (this.inner === undefined) return Promise.reject(cameraFault('unreachable', 'the file source is not started'));
    return this.inner.grab(signal);
  }

  restarts(): number {
    return this.inner?.restarts?.() ?? 0;
  }

  /** The ffmpeg child replaying a video, if any. */
  pid(): number | undefined {
    return this.inner instanceof FfmpegSource ? this.inner.pid() : undefined;
  }
}

class ImageListSource implements FrameSource {
  private next = 0;

  constructor(readonly camera: string, private readonly files: readonly string[], private readonly options: FileSourceOptions) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  async grab(): Promise<Frame> {
    if (this.next >= this.files.length) {
      if (!this.options.loop) throw cameraFault('unreachable', 'the footage has ended');
      this.next = 0;
    }
    const file = this.files[this.next++] ?? '';
    const { clock } = this.options;
    const capturedAt = clock.now();
    const mono = clock.monotonicMs();
    let data: Buffer;
    try {
      data = await this.options.fs.readFile(file);
    } catch (err) {
      throw cameraFault('unreachable', `${file}: ${errorMessage(err)}`, err);
    }
    const jpeg = data[0] === 0xff && data[1] === 0xd8 ? data : await toJpeg(data, file);
    return { camera: this.camera, capturedAt, mono, jpeg };
  }
}

async function toJpeg(data: Buffer, file: string): Promise<Buffer> {
  try {
    return await sharp(data).jpeg({ quality: 90 }).toBuffer();
  } catch (err) {
    throw cameraFault('bad_image', `${file} is not an image: ${errorMessage(err)}`, err);
  }
}
