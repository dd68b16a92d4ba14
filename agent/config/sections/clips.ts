import { z } from 'zod';
import { byteSize } from '../size.js';
import { duration } from '../duration.js';

export const DEFAULT_CLIPS = {
  enabled: true,
  preRoll: 5000,
  postRoll: 5000,
  maxDuration: 120_000,
  maxBytes: 2 * 1024 ** 3,
  maxAge: 14 * 86_400_000,
  segment: 2000,
  push: false,
  uplinkShare: 0.1,
  chunkTime: 5,
  frames: { count: 900, bytes: 32 * 1024 ** 2 },
};

/** A short MP4 per event (docs/clips.md). */
export const clipsSchema = z.strictObject({
  enabled: z.boolean().default(DEFAULT_CLIPS.enabled)
    .describe('make a short MP4 for every event: RTSP cameras record a rolling ring of stream-copied segments, snapshot and file cameras keep their sampled frames'),
  preRoll: duration({ min: 0, max: 60_000 }).default(DEFAULT_CLIPS.preRoll).describe('how long before the object was first seen a clip starts'),
  postRoll: duration({ min: 0, max: 60_000 }).default(DEFAULT_CLIPS.postRoll).describe('how long after the object was last seen a clip ends'),
  maxDuration: duration({ min: 5000, max: 600_000 }).default(DEFAULT_CLIPS.maxDuration)
    .describe('longest clip; an event that lasts longer gets its first maxDuration (from preRoll before it started)'),
  dir: z.string().min(1).optional()
    .describe('where clips and the RTSP recording ring live; default storage.dataDir/clips. Put it on a USB disk, not the SD card: recording writes all the time (docs/clips.md)')
    .meta({ example: '/mnt/usb/minwang-clips' }),
  maxBytes: byteSize({ min: 1024, max: 2 ** 50 }).default(DEFAULT_CLIPS.maxBytes)
    .describe('bytes the finished clips may use together; the oldest are deleted first. The RTSP recording ring comes on top (docs/clips.md)'),
  maxAge: duration({ min: 3_600_000, max: 3650 * 86_400_000 }).default(DEFAULT_CLIPS.maxAge).describe('clips older than this are deleted'),
  push: z.boolean().default(DEFAULT_CLIPS.push)
    .describe('send the clip of every alerting event to the station unasked, on events/<id>/clip in chunks, when nothing else waits to be sent; a station can always fetch any clip with cmd/events/clip'),
  uplinkShare: z.number().gt(0, 'clips.uplinkShare must be above 0 (1 turns pacing off)').max(1, 'clips.uplinkShare is a share of the uplink: at most 1').default(DEFAULT_CLIPS.uplinkShare)
    .describe('the most of the uplink\'s time clip chunks may take (answers and pushes together); after a chunk that held the uplink w (its time to the broker\'s PUBACK less the round trip, or less the fixed delay every chunk has, e.g. a broker without set_tcp_nodelay) the next waits w × (1/share − 1), so an alert finds the uplink free. 1: no pacing (docs/clips.md)'),
  chunkTime: duration({ min: 1, max: 10_000 }).default(DEFAULT_CLIPS.chunkTime)
    .describe('the longest one clip chunk may hold the uplink: an alert that meets a chunk waits at most this long. Chunks are sized to the uplink\'s measured speed (at least 1 KiB, at most what the station asks for); with uplinkShare 1 they are as large as asked (docs/clips.md)'),
  segment: duration({ min: 1000, max: 10_000 }).default(DEFAULT_CLIPS.segment)
    .describe('length of one recorded RTSP segment; a clip is cut from the segments covering it'),
  frames: z.strictObject({
    count: z.int().min(10).max(100_000).default(DEFAULT_CLIPS.frames.count).describe('sampled frames kept per snapshot or file camera'),
    bytes: byteSize({ min: 1024 ** 2, max: 4 * 1024 ** 3 }).default(DEFAULT_CLIPS.frames.bytes)
      .describe('bytes of sampled JPEGs kept in memory per snapshot or file camera (RAM: this times such cameras, at most)'),
  }).default(DEFAULT_CLIPS.frames).describe('the in-memory ring of sampled frames a snapshot or file camera makes its clips from'),
}).default(DEFAULT_CLIPS).describe('a short MP4 for every event, kept on the host and fetched by the station with cmd/events/clip (docs/clips.md)');

export type ClipsConfig = z.output<typeof clipsSchema>;

/** Where clips live: `clips.dir`, or `clips` inside the data dir. */
export function clipsDir(config: { clips: ClipsConfig; storage: { dataDir: string } }): string {
  return config.clips.dir ?? `${config.storage.dataDir.replace(/\/+$/, '')}/clips`;
}
