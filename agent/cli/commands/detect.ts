import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { loadConfig, DEFAULT_CONFIG_PATH } from '../../config/load.js';
import { detectorSchema, type DetectorConfig } from '../../config/sections/detector.js';
import type { CameraConfig } from '../../config/schema.js';
import { AgentError, EXIT, errorMessage, type ExitCode } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { annotateImage } from '../../edge/detection/annotate.js';
import { cameraFilter, filterDetections } from '../../edge/detection/filters.js';
import { createDetectorPool } from '../../edge/detection/from-config.js';
import type { DetectionResult, Detector } from '../../edge/types.js';
import { CONFIG_OPTION, type CliIO, type Command } from '../command.js';

interface DetectSettings {
  detector: DetectorConfig;
  camera: CameraConfig | undefined;
}

interface ImageOutcome {
  file: string;
  image?: Buffer;
  result?: DetectionResult;
  error?: string;
}

export const detectCommand: Command = {
  name: 'detect',
  summary: 'run the configured detector on image files',
  usage: 'detect IMAGE... [--json] [--annotate DIR] [--config FILE] [--camera ID]',
  help: [
    '    --json          one JSON object per image: file, width, height, ms, detections',
    '    --annotate DIR  write JPEGs with labelled boxes into DIR (privacy masks burned in)',
    '-c, --config FILE   config file (optional: without one, and with no $MINWANG_CONFIG or',
    '                    /etc/minwang/config.yaml, the defaults apply)',
    '    --camera ID     apply that camera\'s zones, masks, thresholds and privacy masks',
    '',
    'Lists only detections that would raise an alert. Boxes are [x1, y1, x2, y2], 0..1 of the image.',
    'Exits 0 when every image was read, 1 when one could not be (the others are still reported), 2 on usage.',
  ],
  options: { ...CONFIG_OPTION, json: { type: 'boolean' }, annotate: { type: 'string' }, camera: { type: 'string' } },
  allowPositionals: true,
  async run({ io, values, positionals, logLevel, logFormat }): Promise<ExitCode> {
    if (positionals.length === 0) throw new AgentError('usage', 'give at least one image file\nusage: minwang detect IMAGE... [--json] [--annotate DIR] [--config FILE]');
    const settings = await detectSettings(io, values['config'], values['camera']);
    const filter = cameraFilter(settings.detector, settings.camera?.detect);
    const annotateDir = typeof values['annotate'] === 'string' ? values['annotate'] : undefined;
    if (annotateDir !== undefined) await mkdir(annotateDir, { recursive: true });
    const logger = createLogger({ level: logLevel === 'info' ? 'warn' : logLevel, format: logFormat, stream: io.stderr });
    const pool = createDetectorPool({ detector: settings.detector, cameras: settings.camera === undefined ? [] : [settings.camera.detect], logger, maxWorkers: positionals.length });
    await pool.start();
    let failures = 0;
    try {
      for await (const outcome of detectAll(pool, positionals, pool.stats().workers)) {
        if (outcome.result === undefined || outcome.image === undefined) {
          failures += 1;
          io.stderr.write(`minwang detect: ${outcome.file}: ${outcome.error ?? 'failed'}\n`);
          continue;
        }
        const result = { ...outcome.result, detections: filterDetections(outcome.result.detections, filter) };
        io.stdout.write(values['json'] === true ? jsonLine(outcome.file, result) : textLines(outcome.file, result));
        if (annotateDir !== undefined) {
          const target = annotatedPath(annotateDir, outcome.file);
          await writeFile(target, await annotateImage(outcome.image, result.detections, settings.camera?.privacyMasks ?? []));
        }
      }
    } finally {
      await pool.stop();
      logger.flush();
    }
    return failures === 0 ? EXIT.OK : EXIT.FAILURE;
  },
};

async function detectSettings(io: CliIO, configFlag: unknown, cameraFlag: unknown): Promise<DetectSettings> {
  const fromEnv = io.env['MINWANG_CONFIG'] === '' ? undefined : io.env['MINWANG_CONFIG'];
  const file = typeof configFlag === 'string' ? configFlag : fromEnv ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  if (file === undefined) {
    if (typeof cameraFlag === 'string') throw new AgentError('usage', '--camera needs a config file (--config FILE)');
    return { detector: detectorSchema.parse(undefined), camera: undefined };
  }
  const config = await loadConfig(file, { env: io.env });
  if (typeof cameraFlag !== 'string') return { detector: config.detector, camera: undefined };
  const camera = config.cameras.find((c) => c.id === cameraFlag);
  if (camera === undefined) {
    throw new AgentError('usage', `--camera ${cameraFlag}: no such camera in ${file} (cameras: ${config.cameras.map((c) => c.id).join(', ') || 'none'})`);
  }
  return { detector: config.detector, camera };
}

/** Runs the images through the detector, at most `parallel` at a time, yielding in command-line order. */
async function* detectAll(detector: Detector, files: readonly string[], parallel: number): AsyncGenerator<ImageOutcome> {
  const pending: Promise<ImageOutcome>[] = [];
  let next = 0;
  const launch = () => {
    const file = files[next++];
    if (file !== undefined) pending.push(detectFile(detector, file));
  };
  for (let i = 0; i < parallel; i++) launch();
  while (pending.length > 0) {
    const outcome = await (pending.shift() as Promise<ImageOutcome>);
    launch();
    yield outcome;
  }
}

async function detectFile(detector: Detector, file: string): Promise<ImageOutcome> {
  let image: Buffer;
  try {
    image = await readFile(file);
  } catch (err) {
    return { file, error: `cannot read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}` };
  }
  try {
    return { file, image, result: await detector.detect(image) };
  } catch (err) {
    return { file, error: errorMessage(err) };
  }
}

export function jsonLine(file: string, result: DetectionResult): string {
  const detections = result.detections.map((d) => ({
    label: d.label,
    class: d.class,
    score: round(d.score, 3),
    box: d.box.map((v) => round(v, 4)),
  }));
  return `${JSON.stringify({ file, width: result.width, height: result.height, ms: result.ms, detections })}\n`;
}

function textLines(file: string, result: DetectionResult): string {
  const head = `${file}: ${result.width}x${result.height}, ${result.ms} ms, ${result.detections.length === 0 ? 'nothing to alert' : `${result.detections.length} found`}`;
  const lines = result.detections.map((d) => `  ${d.label.padEnd(6)} ${d.class.padEnd(10)} ${round(d.score, 2).toFixed(2)}  [${d.box.map((v) => round(v, 3).toFixed(3)).join(', ')}]`);
  return `${[head, ...lines].join('\n')}\n`;
}

function annotatedPath(dir: string, file: string): string {
  return join(dir, `${basename(file, extname(file))}.jpg`);
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
