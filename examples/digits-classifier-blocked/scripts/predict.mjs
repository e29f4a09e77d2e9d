#!/usr/bin/env node
// The evaluation step of this project: runs the exported model on a split and writes
// label,pred,prob_0..prob_9 — what `mlgate check` recomputes the metrics from.
// Usage: node scripts/predict.mjs MODEL X.npy Y.npy OUT.csv
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

function readNpy(path) {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const data = bytes.subarray(10 + headerLength);
  const copy = new Uint8Array(data).buffer;
  if (descr === '<f4') return { shape, values: new Float32Array(copy) };
  if (descr === '<i8') return { shape, values: Array.from(new BigInt64Array(copy), Number) };
  throw new Error(`${path}: unsupported dtype ${descr}`);
}

const [model, xPath, yPath, out] = process.argv.slice(2);
const x = readNpy(xPath);
const y = readNpy(yPath);
const session = await ort.InferenceSession.create(model);
const [rows, width] = x.shape;
const { logits } = await session.run({ input: new ort.Tensor('float32', x.values, [rows, width]) });
const classes = logits.dims[1];
const lines = [['label', 'pred', ...Array.from({ length: classes }, (_, c) => `prob_${c}`)].join(',')];
for (let r = 0; r < rows; r++) {
  const row = Array.from(logits.data.subarray(r * classes, (r + 1) * classes));
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const probs = exps.map((e) => e / sum);
  const pred = probs.indexOf(Math.max(...probs));
  lines.push([y.values[r], pred, ...probs.map(String)].join(','));
}
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`${out}: ${rows} rows`);
