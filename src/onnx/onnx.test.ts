/**
 * The ONNX path against the reference pack: onnxruntime-node's logits against Python
 * onnxruntime's, and every scikit-learn metric reproduced by running model.onnx.
 */
import { describe, expect, test } from 'vitest';
import { openNpy, readNpyRows } from '../data/npy.js';
import { executeCheck } from '../engine/execute.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { referenceJson, referencePath } from '../testing/reference.js';
import { readModelInfo } from './model-info.js';
import { makeTensor, openSession, tensorValues } from './session.js';

describe('digits model.onnx run by onnxruntime-node', () => {
  test('logits within 1e-5 of Python onnxruntime on X_test', async () => {
    const features = openNpy(referencePath('digits', 'X_test.npy'));
    const expected = readNpyRows(openNpy(referencePath('digits', 'ort_logits_test.npy')), 0, 360);
    const { session, inputs, outputs } = await openSession(referencePath('digits', 'model.onnx'));
    expect(inputs).toEqual([{ name: 'input', dtype: 'float32', shape: ['batch', 64] }]);
    expect(outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch', 10] }]);
    const result = await session.run({
      input: await makeTensor('float32', readNpyRows(features, 0, 360), [360, 64]),
    });
    const logits = tensorValues(result.logits!);
    let max = 0;
    for (let i = 0; i < logits.length; i++) max = Math.max(max, Math.abs(logits[i]! - expected[i]!));
    expect(max).toBeLessThanOrEqual(1e-5);
    await session.release();
  });

  test('every metric in reference.json, from the model run through the onnx-model check', async () => {
    const reference = referenceJson<{ test_metrics_onnx: Record<string, unknown> }>(
      'digits',
      'reference.json',
    ).test_metrics_onnx;
    const definition = (await loadBuiltinChecks()).get('onnx-model')!;
    const params = definition.params.parse({
      model: referencePath('digits', 'model.onnx'),
      data: {
        features: referencePath('digits', 'X_test.npy'),
        labels: referencePath('digits', 'y_test.npy'),
      },
      thresholds: { accuracy: '>= 0.97' },
    });
    const outcome = await executeCheck(
      definition,
      params,
      { root: '/', itemId: 't', profile: null, artifacts: new Map() },
      60_000,
    );
    expect(outcome.status).toBe('pass');
    const names: Record<string, string> = { ece_15_bins: 'ece', roc_auc_ovr_macro: 'roc_auc' };
    const compared: string[] = [];
    for (const [key, value] of Object.entries(reference)) {
      if (typeof value !== 'number' || key === 'n' || key === 'ece_15_bins_torchmetrics') continue;
      const ours = outcome.measured![names[key] ?? key] as number;
      // Logits are identical to Python onnxruntime's, and a float64 softmax reproduces its probabilities.
      expect(Math.abs(ours - value), key).toBeLessThanOrEqual(1e-9);
      compared.push(key);
    }
    expect(compared).toHaveLength(15);
  });

  test('opset, IR version and producer read from the file', () => {
    expect(readModelInfo(referencePath('digits', 'model.onnx'))).toEqual({
      irVersion: 8,
      producerName: 'pytorch',
      producerVersion: '2.11.0',
      opsets: [{ domain: '', version: 17 }],
      size: 70225,
    });
  });
});
