import { spawn } from 'node:child_process';
import { JpegSplitter } from '../../edge/cameras/jpeg-splitter.js';

export interface DecodeOptions {
  /** Frames per second to take from the video. */
  fps: number;
  /** Output width in pixels (height keeps the aspect ratio); the video's own size when absent. */
  width?: number;
  /** Stop after this many frames. */
  maxFrames?: number;
  ffmpeg?: string;
}

/** Decodes a video file into JPEG frames in memory with one ffmpeg run (the simulator's footage). */
export function decodeVideoFrames(path: string, options: DecodeOptions): Promise<Buffer[]> {
  const filters = [`fps=${options.fps}`, ...(options.width === undefined ? [] : [`scale=${options.width}:-2`])];
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-i', path, '-an', '-vf', filters.join(','),
    ...(options.maxFrames === undefined ? [] : ['-frames:v', String(options.maxFrames)]),
    '-c:v', 'mjpeg', '-q:v', '4', '-f', 'image2pipe', 'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const frames: Buffer[] = [];
    const splitter = new JpegSplitter((jpeg) => frames.push(jpeg));
    const child = spawn(options.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && frames.length > 0) resolve(frames);
      else reject(new Error(`ffmpeg could not decode ${path} (exit ${code}): ${stderr.trim().slice(-500)}`));
    });
  });
}
