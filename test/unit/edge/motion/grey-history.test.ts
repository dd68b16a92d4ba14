import { describe, expect, it } from 'vitest';
import { GreyHistory } from '../../../../agent/edge/motion/grey-history.js';
import type { GreyImage } from '../../../../agent/edge/imaging/grey.js';

/** A 40x30 grey picture at level 100 with a dark 8x8 square at (x, y). */
function picture(x: number, y: number): GreyImage {
  const width = 40;
  const height = 30;
  const data = new Uint8Array(width * height).fill(100);
  for (let j = y; j < y + 8; j++) for (let i = x; i < x + 8; i++) data[j * width + i] = 20;
  return { width, height, data, sourceWidth: 400, sourceHeight: 300 };
}

describe('grey history', () => {
  it('says a box is unchanged only against a frame it still holds, and changed when the object moved', () => {
    const history = new GreyHistory(3);
    history.add(1000, picture(10, 10));
    history.add(2000, picture(10, 10));
    const around: [number, number, number, number] = [0.2, 0.25, 0.5, 0.65];
    expect(history.unchangedSince(1000, around)).toBe(true);
    history.add(3000, picture(14, 10)); // moved 4 px
    expect(history.unchangedSince(1000, around)).toBe(false);
    expect(history.unchangedSince(1000, [0.8, 0.8, 1, 1])).toBe(true); // elsewhere nothing changed
    history.add(4000, picture(14, 10));
    expect(history.unchangedSince(3000, around)).toBe(true);
    expect(history.unchangedSince(1000, [0.8, 0.8, 1, 1])).toBe(false); // 1000 is no longer held
    expect(history.unchangedSince(3000, [0.5, 0.5, 0.5, 0.6])).toBe(false); // an empty box: look again
  });
});
