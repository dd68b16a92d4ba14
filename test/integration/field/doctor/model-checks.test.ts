import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { textIn } from '../../../../agent/field/doctor/i18n/index.js';
import { modelChecks } from '../../../../agent/field/doctor/model-check.js';
import { PACKAGED_MODELS_DIR } from '../../../../agent/models/store.js';
import { tempDir } from '../../../helpers/tmp.js';

const config = (detector = '') => parseConfigText(`host: { id: doc }\nmqtt: { url: "mqtt://127.0.0.1:1" }\nstorage: { dataDir: /tmp/minwang-doc }\n${detector}`, 'doc.yaml');

describe('the doctor\'s model checks', () => {
  it('checks the second model on its own line, and fails that line alone when it is missing', async () => {
    // A models dir holding only the detector's model, as after deleting models/yolov5s.
    const root = await tempDir('minwang-models-');
    await mkdir(join(root, 'nanodet'));
    await cp(join(PACKAGED_MODELS_DIR, 'nanodet'), join(root, 'nanodet'), { recursive: true });
    const checks = modelChecks(config(), root);
    expect(checks.map((c) => [c.id, textIn('en', c.title)])).toEqual([['model', 'model nanodet'], ['model-second', 'model yolov5s']]);
    const [first, second] = await Promise.all(checks.map((c) => c.run(new AbortController().signal)));
    expect(first?.status).toBe('pass');
    expect(second?.status).toBe('fail');
    expect(second === undefined ? '' : textIn('en', second.message)).toMatch(/yolov5s/);
    expect(second?.hint === undefined ? '' : textIn('en', second.hint)).toMatch(/provision-models/);
  }, 120_000);

  it('has no second line when the second model is turned off', () => {
    expect(modelChecks(config('detector: { secondModel: none }\n')).map((c) => c.id)).toEqual(['model']);
  });
});
