/**
 * The params the `predictions` and `onnx-model` check kinds share for judging metrics
 * (thresholds, per-class minimums, bootstrap, reported values) and their validation: what
 * `mlgate validate` needs, without the code that computes and judges metrics (judge.ts).
 */
import { z } from 'zod';
import { didYouMean } from '../util/suggest.js';
import { thresholdError } from '../util/threshold.js';
import { METRICS, METRICS_BY_NAME, PER_CLASS_METRICS, type Task } from './catalog.js';

// Metric names are checked in checkMetricNames: zod reports a bad record key only as
// "Invalid key in record", and people need the name they mistyped and the closest one.
export const Thresholds = z
  .record(
    z.string(),
    z.string().superRefine((text, ctx) => {
      const problem = thresholdError(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  )
  .describe('Metric → threshold, e.g. {accuracy: ">= 0.97", ece: "< 0.05"}.');

export const JudgeParams = {
  thresholds: Thresholds.optional(),
  min_per_class: z
    .partialRecord(z.enum(PER_CLASS_METRICS), z.number())
    .optional()
    .describe('Every class must reach these, e.g. {f1: 0.7, recall: 0.5}.'),
  confidence: z
    .number()
    .gt(0)
    .lt(1)
    .optional()
    .describe(
      'Judge thresholds on the bootstrap bound: ">=" needs the lower bound to clear it, "<=" the upper.',
    ),
  bootstrap: z
    .strictObject({
      samples: z.number().int().min(100).max(100_000).default(1000).describe('Resamples.'),
      seed: z.number().int().min(0).default(0).describe('Seed, so intervals are reproducible.'),
    })
    .optional()
    .describe('Bootstrap settings for intervals (shown in the evidence; used by `confidence`).'),
  reported: z
    .strictObject({
      file: z.string().min(1).describe('The metrics file a training run wrote (JSON or YAML).'),
      values: z
        .record(z.string(), z.string())
        .describe('Metric → key in the file, e.g. {accuracy: test.accuracy}.'),
      tolerance: z
        .number()
        .nonnegative()
        .default(0.005)
        .describe('Largest |measured − reported| (0.005 = 0.5 points).'),
      scale: z
        .enum(['fraction', 'percent'])
        .default('fraction')
        .describe('"percent" when the file stores 78.43 for 78.43%.'),
    })
    .optional()
    .describe('Verify the numbers a training run reported against the measured ones.'),
};

const judgeObject = z.object(JudgeParams);
export type JudgeOptions = z.output<typeof judgeObject>;

/** Every key of a metric map names a known metric (with the closest name for a typo). */
export function checkMetricNames(
  record: Record<string, unknown> | undefined,
  path: Array<string | number>,
  ctx: z.RefinementCtx,
  task?: Task,
): void {
  for (const name of Object.keys(record ?? {})) {
    const info = METRICS_BY_NAME.get(name);
    if (!info) {
      const names = METRICS.filter((m) => !task || m.task === task).map((m) => m.name);
      ctx.addIssue({
        code: 'custom',
        path: [...path, name],
        message: `unknown metric "${name}".${didYouMean(name, names)} Metrics: ${names.join(', ')}`,
      });
    } else if (task && info.task !== task) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, name],
        message: `${name} is a ${info.task} metric; this is ${task}`,
      });
    } else if (info.fraction) {
      // ">= 97" on a share in [0, 1] can never hold, and "< 97" always does: a false PASS.
      const written = record?.[name];
      const numbers =
        typeof written === 'string' && !written.includes('%') ? (written.match(/-?\d+(\.\d+)?/g) ?? []) : [];
      const big = numbers.map(Number).find((n) => n > 1);
      if (big !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [...path, name],
          message: `${name} is a share in [0, 1], and "${written}" compares it with ${big}: did you mean ${big / 100} or ${big}%?`,
        });
    }
  }
}

/** Checks that belong to params validation: metrics exist for the task, intervals exist. */
export function checkJudgeParams(params: JudgeOptions, ctx: z.RefinementCtx, task?: Task): void {
  checkMetricNames(params.thresholds, ['thresholds'], ctx, task);
  checkMetricNames(params.reported?.values, ['reported', 'values'], ctx, task);
  for (const name of Object.keys(params.thresholds ?? {})) {
    const info = METRICS_BY_NAME.get(name);
    if (!info) continue;
    if (params.confidence !== undefined && !info.interval) {
      const withIntervals = METRICS.filter((m) => m.interval && (!task || m.task === task)).map(
        (m) => m.name,
      );
      ctx.addIssue({
        code: 'custom',
        path: ['thresholds', name],
        message: `${name} has no bootstrap interval, so "confidence" cannot apply to it: judge it in another item. Metrics with intervals: ${withIntervals.join(', ')}`,
      });
    }
    const threshold = params.thresholds?.[name];
    if (params.confidence !== undefined && threshold && /^\s*(==|!=|=)/.test(threshold)) {
      ctx.addIssue({
        code: 'custom',
        path: ['thresholds', name],
        message: 'with "confidence", use <, <=, >, >=, within or between',
      });
    }
  }
}
