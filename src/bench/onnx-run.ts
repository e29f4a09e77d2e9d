/**
 * One ONNX evaluation in its own process, for counting instructions under callgrind
 * (src/bench/onnx.ts): `onnx-run MODE MODEL FEATURES LABELS BATCH`, MODE `bare` (onnxruntime
 * alone, reading each batch from the .npy) or `mlgate` (the onnx-model check's whole pipeline).
 * One intra-op thread: a thread pool's spinning would count instructions that are not work.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { openNpy } from '../data/npy.js';
import { executeCheck } from '../engine/execute.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { loadOrt } from '../onnx/session.js';

const [mode, model, features, labels, batchText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const batchSize = Number(batchText);

if (mode === 'bare') {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const info = openNpy(features);
  const fd = openSync(features, 'r');
  const inner = [3, 224, 224];
  const buffer = new Float32Array(batchSize * info.rowSize);
  for (let start = 0; start < info.rows; start += batchSize) {
    const rows = Math.min(batchSize, info.rows - start);
    const values = buffer.subarray(0, rows * info.rowSize);
    readSync(
      fd,
      new Uint8Array(values.buffer, 0, values.byteLength),
      0,
      values.byteLength,
      info.dataOffset + start * info.rowSize * 4,
    );
    await session.run({ input: new ort.Tensor('float32', values, [rows, ...inner]) });
  }
  closeSync(fd);
  await session.release();
} else {
  const definition = (await loadBuiltinChecks()).get('onnx-model')!;
  const params = definition.params.parse({
    model,
    threads: 1,
    data: { features, labels, batch_size: batchSize },
    thresholds: { accuracy: '>= 0' },
  });
  const outcome = await executeCheck(
    definition,
    params,
    { root: dirname(model), itemId: 'bench', profile: null, artifacts: new Map() },
    600_000,
  );
  if (outcome.status !== 'pass') throw new Error(`onnx-model: ${outcome.summary}`);
}
