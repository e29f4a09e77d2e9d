import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { runIn } from '../_shared/run-module.js';

/**
 * A change, always counted in the better direction: +0.01 is "0.01 better", −0.005 is "at most
 * 0.005 worse". "%" and "pp" (percentage points) divide by 100: "-0.5pp" is −0.005.
 */
const Change = z
  .union([
    z.number(),
    z.string().regex(/^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*(%|pp)?\s*$/, {
      error: 'expected a number, "-0.5pp" or "-10%"',
    }),
  ])
  .transform((value) => {
    if (typeof value === 'number') return { value, text: String(value), percent: false };
    const text = value.trim();
    const percent = /(%|pp)$/.test(text);
    return { value: Number(text.replace(/(%|pp)$/, '')) / (percent ? 100 : 1), text, percent };
  });

export const MetricRule = z
  .strictObject({
    better: z
      .enum(['higher', 'lower'])
      .describe('Which direction is an improvement. Required: mlgate does not guess.'),
    min_change: Change.optional().describe(
      'Change in the better direction, in the metric\'s units: -0.005 (or "-0.5pp") allows a drop of at most 0.005; 0.01 requires an improvement of 0.01.',
    ),
    min_relative_change: Change.optional().describe(
      'Change in the better direction relative to the baseline: "-10%" allows at most 10% worse; "5%" requires 5% better.',
    ),
  })
  .superRefine((rule, ctx) => {
    if (rule.min_change === undefined && rule.min_relative_change === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give min_change and/or min_relative_change' });
    }
  });

const Against = z
  .union(
    [
      z.literal('last-pass'),
      z.strictObject({ tag: z.string().min(1) }),
      z.strictObject({ run: z.number().int().positive() }),
    ],
    {
      error: 'expected last-pass, {tag: NAME} or {run: NUMBER}',
    },
  )
  .default('last-pass')
  .describe(
    'The baseline: the last complete PASS run of this profile, a tagged run (mlgate tag), or a run number.',
  );

const params = z.strictObject({
  item: z.string().min(1).describe('The item whose measured values are compared.'),
  against: Against,
  metrics: z
    .record(z.string(), MetricRule)
    .refine((metrics) => Object.keys(metrics).length > 0, { error: 'name at least one metric' })
    .describe('Measured value name → rule.'),
  on_missing_baseline: z
    .enum(['pass', 'fail'], { error: 'say what the first run does: on_missing_baseline: pass or fail' })
    .describe('When there is no baseline run yet.'),
});

export type BaselineParams = z.output<typeof params>;

export default defineCheck({
  kind: 'baseline',
  title: "An item's measured values did not regress against a baseline run",
  description: [
    'Compares the values another item measured in this run (its `measured`, e.g. the',
    "`predictions` item's accuracy or the `load` item's p95_ms) with the same item in a baseline",
    'run from the store: the last PASS, a tagged run, or a run number. Each metric says which',
    'direction is better and how much change it accepts, always counted in the better',
    'direction: `min_change: -0.005` lets accuracy drop at most 0.005; `min_relative_change:',
    '"-10%"` lets latency rise at most 10%; a positive number requires an improvement. A metric',
    'missing on either side fails; a relative rule against a baseline of 0 is an error. With no',
    'baseline run yet, `on_missing_baseline` (required) decides: never a silent pass. Runs after',
    'the compared item, whatever its outcome.',
  ].join(' '),
  params,
  examples: [
    {
      title: 'Accuracy may drop at most 0.5 points from the last passing run; F1 must not drop',
      params: {
        item: 'test-accuracy',
        metrics: {
          accuracy: { better: 'higher', min_change: '-0.5pp' },
          f1_macro: { better: 'higher', min_change: 0 },
        },
        on_missing_baseline: 'pass',
      },
    },
    {
      title: 'p95 latency may rise at most 10% over the production release',
      params: {
        item: 'service-latency',
        against: { tag: 'production' },
        metrics: { p95_ms: { better: 'lower', min_relative_change: '-10%' } },
        on_missing_baseline: 'fail',
      },
    },
  ],
  after: (params) => [params.item],
  run: runIn(() => import('./run.js')),
});
