/**
 * ffmpeg command lines for the sources it serves. Frames leave as JPEG on stdout at the sampling
 * rate, so the agent never decodes video itself.
 */
const OUTPUT = (intervalMs: number) => [
  '-an', '-sn', '-dn',
  '-vf', `fps=${fpsOf(intervalMs)}`,
  '-c:v', 'mjpeg', '-q:v', '4', '-f', 'image2pipe', 'pipe:1',
];

const QUIET = ['-nostdin', '-hide_banner', '-loglevel', 'error'];

export interface RtspArgsOptions {
  url: string;
  username?: string;
  password?: string;
  intervalMs: number;
  /** Socket I/O timeout. */
  timeoutMs: number;
}

/**
 * ffmpeg reads RTSP credentials only from the URL. They are visible to local users through the
 * process list; the agent host runs nothing else.
 */
export function rtspArgs(options: RtspArgsOptions): string[] {
  return [...rtspInput(options), ...OUTPUT(options.intervalMs)];
}

function rtspInput(options: Omit<RtspArgsOptions, 'intervalMs'>): string[] {
  const url = new URL(options.url);
  if (options.username !== undefined) {
    url.username = encodeURIComponent(options.username);
    url.password = encodeURIComponent(options.password ?? '');
  }
  return [
    ...QUIET,
    '-rtsp_transport', 'tcp',
    '-timeout', String(options.timeoutMs * 1000),
    // Probing a camera's stream for the default 5 s would delay every (re)connect.
    '-analyzeduration', '1000000', '-probesize', '500000',
    '-i', url.toString(),
  ];
}

/**
 * The camera's video stream copied (no decode, no encode) into `<dir>/<epoch seconds>.ts`, one
 * MPEG-TS segment about every `segmentMs` (at the next key frame): the ring event clips are cut from.
 * MPEG-TS because a segment cut short by a kill or a power cut still plays up to where it stops.
 */
export function rtspRecordArgs(options: Omit<RtspArgsOptions, 'intervalMs'> & { dir: string; segmentMs: number }): string[] {
  return [
    ...rtspInput(options),
    '-map', '0:v:0', '-c:v', 'copy', '-an', '-sn', '-dn',
    '-f', 'segment', '-segment_time', (options.segmentMs / 1000).toFixed(3), '-segment_format', 'mpegts',
    '-reset_timestamps', '1', '-strftime', '1', `${options.dir}/%s.ts`,
  ];
}

/** A video file played at its own speed (`-re`), sampled at the camera's rate; looped when asked. */
export function videoFileArgs(path: string, intervalMs: number, loop: boolean): string[] {
  return [...QUIET, '-re', ...(loop ? ['-stream_loop', '-1'] : []), '-i', path, ...OUTPUT(intervalMs)];
}

function fpsOf(intervalMs: number): string {
  // A rational keeps 1/3 fps exact: fps=1000/3000.
  return `1000/${Math.round(intervalMs)}`;
}
