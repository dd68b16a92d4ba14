import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { watchedDisks } from '../../../../agent/host/health/monitor.js';

const config = (extra: string) => parseConfigText(`host: {id: h}\nmqtt: {url: "mqtt://127.0.0.1:1"}\nstorage: {dataDir: /var/lib/minwang}\n${extra}`, 'c.yaml');

describe('the disks the health monitor watches', () => {
  it('always the data dir, and clips.dir when clips have a disk of their own', () => {
    expect(watchedDisks(config('')).map((d) => d.path)).toEqual(['/var/lib/minwang']);
    expect(watchedDisks(config('clips: {dir: /mnt/usb/clips}')).map((d) => d.path)).toEqual(['/var/lib/minwang', '/mnt/usb/clips']);
    expect(watchedDisks(config('clips: {enabled: false, dir: /mnt/usb/clips}')).map((d) => d.path)).toEqual(['/var/lib/minwang']);
  });

  it('keeps the thresholds given for the clips dir in health.disks', () => {
    const disks = watchedDisks(config('clips: {dir: /mnt/usb/clips}\nhealth: {disks: [{path: /mnt/usb/clips, minFreePercent: 3}]}'));
    expect(disks.filter((d) => d.path === '/mnt/usb/clips')).toEqual([expect.objectContaining({ minFreePercent: 3 })]);
  });
});
