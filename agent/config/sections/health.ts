import { z } from 'zod';
import { byteSize } from '../size.js';
import { duration } from '../duration.js';

const diskSchema = z.strictObject({
  path: z.string().min(1).describe('a directory on the disk to watch'),
  minFreePercent: z.number().min(0).max(99).default(10).describe('disk_low below this share of free space'),
  minFreeBytes: byteSize({ min: 0, max: 2 ** 53 }).optional().describe('disk_low below this many free bytes, e.g. 500MB, 2GB, 1GiB').meta({ example: '1GiB' }),
  minFreeInodesPercent: z.number().min(0).max(99).default(5).describe('disk_low below this share of free inodes'),
  writeProbe: z.boolean().default(true)
    .describe('write, sync, read back and delete a small file each round; catches read-only remounts (EROFS), I/O errors (EIO) and a full disk (ENOSPC)'),
});
export type DiskConfig = z.output<typeof diskSchema>;

const recorderSchema = z.strictObject({
  path: z.string().min(1).describe("the recorder's storage directory"),
  stalledAfter: duration({ min: 60_000, max: 7 * 86_400_000 }).default(600_000)
    .describe('recording_stalled when nothing in it grew for this long'),
});

export const DEFAULT_HEALTH = {
  probeInterval: 60_000,
  disks: [] as DiskConfig[],
  hysteresisPercent: 2,
  overheatC: 80,
};

export const healthSchema = z.strictObject({
  probeInterval: duration({ min: 5000, max: 3_600_000 }).default(DEFAULT_HEALTH.probeInterval)
    .describe('how often disks, the recorder and the host are checked'),
  disks: z.array(diskSchema).max(16).default([])
    .describe('disks to watch; the data dir is always watched (10% space, 5% inodes, write probe): list it here to change its thresholds')
    .meta({ example: [{ path: '/var/lib/minwang', minFreeBytes: '500MB' }] }),
  hysteresisPercent: z.number().min(0).max(20).default(DEFAULT_HEALTH.hysteresisPercent)
    .describe('a disk_low clears only when free space is this many points above its threshold'),
  recorder: recorderSchema.optional().describe("the recorder's storage; recording_stalled when it stops growing").meta({ example: { path: '/srv/recorder' } }),
  overheatC: z.number().min(40).max(110).default(DEFAULT_HEALTH.overheatC).describe('overheat above this CPU temperature; clears 5 °C below'),
}).default(DEFAULT_HEALTH).describe('host health (docs/health.md): disks, the recorder, CPU temperature');
