import { z } from 'zod';
import { tableFormatOf } from '../../data/table.js';
import { defineCheck } from '../../engine/types.js';
import { checkJudgeParams, JudgeParams } from '../../metrics/judge-params.js';
import { thresholdError } from '../../util/threshold.js';
import { SIZE_PATTERN } from '../../util/units.js';
import { runIn } from '../_shared/run-module.js';

export const TIME_UNITS = { ms: 1, s: 1000, us: 0.001, µs: 0.001 };
export const SIZE_UNITS = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const LATENCY_KEY = /^(p50|p90|p95|p99|max|mean|throughput)(@\d+)?$/;

export const IoParam = z.strictObject({
  name: z.string().min(1),
  dtype: z.string().optional().describe('float32, float64, int64, ...'),
  shape: z
    .array(z.union([z.number().int().nonnegative(), z.string(), z.null()]))
    .optional()
    .describe('Numbers for fixed dimensions; a name (e.g. "batch") or null for a dynamic one.'),
});

const Params = z
  .strictObject({
    model: z.string().min(1).describe('The .onnx file, relative to the spec.'),
    threads: z
      .number()
      .int()
      .min(1)
      .max(256)
      .optional()
      .describe("Intra-op threads (default: onnxruntime's)."),
    signature: z
      .strictObject({
        inputs: z.array(IoParam).optional(),
        outputs: z.array(IoParam).optional(),
        opset: z
          .union([z.number().int(), z.string()])
          .optional()
          .describe('Default-domain opset: 17, or a threshold ">= 13".'),
        max_size: z
          .union([z.number(), z.string().regex(SIZE_PATTERN)])
          .optional()
          .describe('Largest file size, e.g. "500 MB".'),
      })
      .optional()
      .describe('What the exported model must look like: names, types, shapes, opset, size.'),
    data: z
      .strictObject({
        features: z.string().min(1).describe('Test features: .npy (N×…), or a table (CSV, JSONL, Parquet).'),
        labels: z.string().min(1).optional().describe('.npy of labels/targets, when features is .npy.'),
        label: z.string().default('label').describe('Label column, when features is a table.'),
        feature_columns: z
          .union([z.string(), z.array(z.string())])
          .optional()
          .describe('Feature columns of a table (default: all but the label).'),
        batch_size: z.number().int().min(1).max(65_536).default(64),
      })
      .optional()
      .describe('A test set to run through the model; its metrics are judged like `predictions`.'),
    input: z.string().optional().describe('Input name (default: the only input).'),
    output: z.string().optional().describe('Output name (default: the first output).'),
    task: z
      .enum(['classification', 'regression'])
      .default('classification')
      .describe('What the predictions are.'),
    activation: z
      .enum(['auto', 'softmax', 'sigmoid', 'none'])
      .default('auto')
      .describe('From outputs to probabilities; auto: softmax unless the outputs already are probabilities.'),
    ...JudgeParams,
    parity: z
      .strictObject({
        reference: z
          .string()
          .min(1)
          .describe(".npy of the training framework's outputs on the same features."),
        atol: z.number().nonnegative().default(1e-4),
        rtol: z.number().nonnegative().default(1e-4),
        min_argmax_agreement: z
          .number()
          .min(0)
          .max(1)
          .default(1)
          .describe('Share of rows whose top class must agree.'),
        accuracy_tolerance: z
          .number()
          .nonnegative()
          .default(0.005)
          .describe('Largest |accuracy(model) − accuracy(reference outputs)|: 0.005 = 0.5 points.'),
      })
      .optional()
      .describe("The exported model must reproduce the framework's outputs (needs `data`)."),
    latency: z
      .strictObject({
        batch_sizes: z.array(z.number().int().min(1).max(65_536)).min(1).default([1]),
        warmup: z.number().int().min(0).default(10),
        runs: z.number().int().min(10).max(100_000).default(100),
        max_seconds: z.number().positive().default(30).describe('Stop timing a batch size after this long.'),
        thresholds: z
          .record(z.string(), z.string())
          .default({})
          .describe(
            'p50|p90|p95|p99|max|mean in ms ("< 10ms"), throughput in samples/s; "@N" for one batch size (p95@32).',
          ),
      })
      .optional()
      .describe('Latency and throughput on this machine (the item runs alone while timing).'),
    memory: z
      .strictObject({
        rss_added: z.string().describe('Threshold on the process memory the model adds: "< 300 MB".'),
      })
      .optional()
      .describe('Process memory (RSS) the loaded and running model adds (the item runs alone).'),
  })
  .superRefine((params, ctx) => {
    checkJudgeParams(params, ctx, params.task);
    const judged = params.thresholds || params.min_per_class || params.reported;
    if ((judged || params.parity) && !params.data) {
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: 'metrics and parity need a test set: add data: {features, labels}',
      });
    }
    if (typeof params.signature?.opset === 'string') {
      const problem = thresholdError(params.signature.opset);
      if (problem) ctx.addIssue({ code: 'custom', path: ['signature', 'opset'], message: problem });
    }
    for (const [key, text] of Object.entries(params.latency?.thresholds ?? {})) {
      if (!LATENCY_KEY.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['latency', 'thresholds', key],
          message: `unknown latency measure "${key}": use p50, p90, p95, p99, max, mean, throughput, optionally @BATCH`,
        });
      }
      const batch = key.split('@')[1];
      if (batch && !(params.latency?.batch_sizes ?? [1]).includes(Number(batch))) {
        ctx.addIssue({
          code: 'custom',
          path: ['latency', 'thresholds', key],
          message: `batch size ${batch} is not in batch_sizes`,
        });
      }
      const problem = thresholdError(text, key.startsWith('throughput') ? {} : TIME_UNITS);
      if (problem) ctx.addIssue({ code: 'custom', path: ['latency', 'thresholds', key], message: problem });
    }
    if (params.memory) {
      const problem = thresholdError(params.memory.rss_added, SIZE_UNITS);
      if (problem) ctx.addIssue({ code: 'custom', path: ['memory', 'rss_added'], message: problem });
    }
    if (
      params.data &&
      !params.data.features.toLowerCase().endsWith('.npy') &&
      !tableFormatOf(params.data.features)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'features'],
        message: 'features must be .npy, .csv, .tsv, .jsonl or .parquet',
      });
    }
    if (
      params.data?.features.toLowerCase().endsWith('.npy') &&
      !params.data.labels &&
      (judged || params.parity)
    ) {
      ctx.addIssue({ code: 'custom', path: ['data', 'labels'], message: '.npy features need a labels .npy' });
    }
    if (!params.signature && !judged && !params.parity && !params.latency && !params.memory) {
      ctx.addIssue({
        code: 'custom',
        message: 'nothing to check: give signature, thresholds, parity, latency or memory',
      });
    }
  });

export type OnnxParams = z.output<typeof Params>;

export default defineCheck({
  kind: 'onnx-model',
  title:
    'The exported ONNX model loads, has the right signature, performs, matches the framework and is fast enough',
  description: [
    'Loads the model with onnxruntime (CPU) and checks what was asked: its `signature` (input and',
    'output names, types and shapes — a dynamic batch dimension stays dynamic — the opset, the file',
    'size); runs a test set through it in batches and judges the metrics exactly as `predictions`',
    'does (thresholds, per-class floors, bootstrap confidence, metrics a training run reported);',
    "`parity` compares its outputs with the training framework's (numpy.allclose semantics, the",
    'share of rows whose predicted class agrees, and accuracy within 0.5 points by default) and',
    'shows which rows and outputs differ most; `latency` times warm runs per batch size (p50 to',
    'p99, max, samples/s) while no other item runs; `memory` bounds the process memory the model',
    'adds. A missing, truncated or non-ONNX file is an `error` with the reason.',
  ].join(' '),
  defaultTimeout: '10m',
  exclusive: (params) => Boolean(params.latency || params.memory),
  params: Params,
  examples: [
    {
      title: 'Signature and size of the exported model',
      params: {
        model: 'model/model.onnx',
        signature: {
          inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 64] }],
          outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 10] }],
          opset: '>= 13',
          max_size: '500 MB',
        },
      },
    },
    {
      title: 'Test accuracy of the exported model, and parity with PyTorch within 0.5 points',
      params: {
        model: 'model/model.onnx',
        data: { features: 'data/X_test.npy', labels: 'data/y_test.npy' },
        thresholds: { accuracy: '>= 0.97' },
        parity: { reference: 'data/torch_logits_test.npy', atol: 1e-4 },
      },
    },
    {
      title: 'p95 latency under 100 ms at batch 1, throughput at batch 32',
      params: {
        model: 'model/model.onnx',
        threads: 2,
        latency: { batch_sizes: [1, 32], thresholds: { p95: '< 100ms', 'throughput@32': '> 500' } },
      },
    },
  ],
  run: runIn(() => import('./run.js')),
});
