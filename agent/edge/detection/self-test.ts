import { readFile } from 'node:fs/promises';
import type { InstalledModel } from '../../models/store.js';
import type { Detector, Label } from '../types.js';

export interface SelfTestReport {
  ok: boolean;
  ms: number;
  /** Per expected label: how many were found at the expected score. */
  found: Partial<Record<Label, number>>;
  problems: string[];
}

/** Runs the model's own reference image (from its manifest) and checks that what must be found is found. */
export async function runSelfTest(detector: Detector, model: InstalledModel): Promise<SelfTestReport> {
  const { selfTest } = model.manifest;
  const result = await detector.detect(await readFile(model.path(selfTest.image)));
  const found: Partial<Record<Label, number>> = {};
  const problems: string[] = [];
  for (const expectation of selfTest.expect) {
    const count = result.detections.filter((d) => d.label === expectation.label && d.score >= expectation.minScore).length;
    found[expectation.label] = count;
    if (count < expectation.minCount) {
      problems.push(`${model.manifest.id} self-test: expected at least ${expectation.minCount} ${expectation.label} at score ≥ ${expectation.minScore} in ${selfTest.image}, found ${count}`);
    }
  }
  return { ok: problems.length === 0, ms: result.ms, found, problems };
}
