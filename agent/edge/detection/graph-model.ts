import { readFile } from 'node:fs/promises';
import type { GraphModel, io } from '@tensorflow/tfjs';
import { AgentError } from '../../core/errors.js';
import type { InstalledModel } from '../../models/store.js';
import type { Tf } from './backend.js';

interface GraphModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology?: object;
  weightsManifest?: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
}

/**
 * Loads a verified graph model from local files. TensorFlow.js's own file loader needs the native
 * binding, so the artifacts are read here and handed over in memory.
 */
export async function loadGraphModel(tf: Tf, model: InstalledModel): Promise<GraphModel> {
  const graphPath = model.path(model.manifest.graph);
  const json = JSON.parse(await readFile(graphPath, 'utf8')) as GraphModelJson;
  if (json.modelTopology === undefined || json.weightsManifest === undefined) {
    throw new AgentError('model.invalid', `${graphPath} is not a TensorFlow.js graph model (no modelTopology or weightsManifest)`);
  }
  const known = new Set(model.manifest.files.map((f) => f.name));
  const weightSpecs: io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const name of group.paths) {
      // Only files the manifest lists (and the store verified) are ever read.
      if (!known.has(name)) throw new AgentError('model.invalid', `${graphPath} refers to weights file "${name}", which the manifest does not list`);
      buffers.push(await readFile(model.path(name)));
    }
  }
  const weights = Buffer.concat(buffers);
  const artifacts: io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    format: json.format ?? 'graph-model',
  };
  return tf.loadGraphModel(tf.io.fromMemory(artifacts));
}
