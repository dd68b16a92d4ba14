/** Contact-sheet cost: one patrol sheet for 16 cameras (privacy-masked real photos, 320 px tiles). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contactSheet } from '../../agent/host/patrol/contact-sheet.js';
import { footageDir } from '../../test/helpers/footage.js';

export async function run(): Promise<Record<string, unknown>> {
  const photo = await readFile(join(footageDir(), 'labelme/tutorial/apc2016_obj3.jpg'));
  const tiles = Array.from({ length: 16 }, (_, i) => ({
    id: `cam-${i}`, name: `Camera ${i}`, state: i % 5 === 0 ? 'offline' : 'online', jpeg: i % 5 === 0 ? undefined : photo,
    privacyMasks: [[[0, 0], [0.3, 0], [0.3, 0.3]]] as [number, number][][],
  }));
  await contactSheet(tiles, 320); // warm up sharp
  const n = 3;
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes = (await contactSheet(tiles, 320)).length;
  return { cameras: 16, msPerSheet: Math.round((performance.now() - started) / n), sheetBytes: bytes };
}
