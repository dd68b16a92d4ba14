import { readFileSync } from 'node:fs';
import { isHoldout, selectThreshold, scoreLabel, type ScoredImage } from './eval/scoring.js';
type D = { label: 'person' | 'ebike'; score: number; box: [number, number, number, number] };
type Row = { id: string; truth: any; present: any; dets?: D[]; error?: string };
const A = new Map((JSON.parse(readFileSync('/tmp/ens/nanodet.json', 'utf8')) as Row[]).map((r) => [r.id, r]));
const B = new Map((JSON.parse(readFileSync('/tmp/ens/mb3-centernet.json', 'utf8')) as Row[]).map((r) => [r.id, r]));
const iou = (a: number[], b: number[]) => { const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!)); const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!)); const i = w * h; const u = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - i; return u > 0 ? i / u : 0; };
function fuse(a: D[], b: D[], mode: string, wa: number, wb: number, thrIou = 0.45): D[] {
  const out: D[] = []; const usedB = new Set<number>();
  for (const d of [...a].sort((x, y) => y.score - x.score)) {
    let best = -1, bi = 0;
    b.forEach((e, j) => { if (!usedB.has(j) && e.label === d.label) { const v = iou(d.box, e.box); if (v > bi) { bi = v; best = j; } } });
    if (best >= 0 && bi >= thrIou) { usedB.add(best); const e = b[best]!; const s = mode === 'mean' ? (d.score + e.score) / 2 : mode === 'max' ? Math.max(d.score, e.score) : 1 - (1 - d.score) * (1 - e.score); out.push({ ...d, score: s }); }
    else out.push({ ...d, score: d.score * wa });
  }
  b.forEach((e, j) => { if (!usedB.has(j)) out.push({ ...e, score: e.score * wb }); });
  return out;
}
function scored(f: (a: D[], b: D[]) => D[]): ScoredImage[] {
  const res: ScoredImage[] = [];
  for (const [id, a] of A) { const b = B.get(id); if (!a.dets || !b?.dets) continue; const d = f(a.dets, b.dets);
    res.push({ id, truth: a.truth, present: a.present, scores: { person: d.filter((x) => x.label === 'person').map((x) => x.score), ebike: d.filter((x) => x.label === 'ebike').map((x) => x.score) } }); }
  return res;
}
const TH = Array.from({ length: 60 }, (_, i) => Math.round((0.15 + i * 0.0125) * 10000) / 10000);
function report(name: string, s: ScoredImage[]) {
  const tune = s.filter((x) => !isHoldout(x.id)); const hold = s.filter((x) => isHoldout(x.id));
  const p = selectThreshold(tune, hold, 'person', 0.95, TH); const e = selectThreshold(tune, hold, 'ebike', 0.9, TH);
  const f = (t: any) => `P${t.precision.toFixed(2)}/R${t.recall.toFixed(2)}`;
  console.log(name.padEnd(28), 'person', p.threshold, 'tune', f(p.tune), 'hold', f(p.holdout), '| ebike', e.threshold, 'tune', f(e.tune), 'hold', f(e.holdout));
}
report('nanodet', scored((a) => a));
report('mb3', scored((_a, b) => b));
for (const mode of ['mean', 'max', 'prob']) for (const [wa, wb] of [[1, 1], [0.8, 0.8], [0.7, 0.5], [0.6, 0.6], [0.5, 0.5], [0.9, 0.6]]) report(`${mode} ${wa}/${wb}`, scored((a, b) => fuse(a, b, mode, wa!, wb!)));
