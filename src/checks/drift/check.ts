import { extname } from 'node:path';
import { z } from 'zod';
import { TABLE_FORMATS, tableFormatOf } from '../../data/table.js';
import { defineCheck } from '../../engine/types.js';
import { didYouMean } from '../../util/suggest.js';
import { parseThreshold, thresholdError } from '../../util/threshold.js';
import { thresholdSanityProblem } from '../../util/threshold-sanity.js';
import {
  DRIFT_METRIC_NAMES,
  DRIFT_METRICS,
  DRIFTED_SHARE_SCALE,
  type DriftMetric,
  thresholdDirectionProblem,
} from '../../drift/metrics.js';
import type { DriftFormat } from '../../drift/collect.js';
import { runIn } from '../_shared/run-module.js';

const FORMATS = [...TABLE_FORMATS, 'npy'] as const;

const MetricThresholds = z.record(z.string(), z.string()).superRefine((thresholds, ctx) => {
  for (const [name, text] of Object.entries(thresholds)) {
    if (!(DRIFT_METRIC_NAMES as string[]).includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `unknown statistic "${name}".${didYouMean(name, DRIFT_METRIC_NAMES)} Known: ${DRIFT_METRIC_NAMES.join(', ')}`,
      });
      continue;
    }
    const syntax = thresholdError(text);
    const problem = syntax ? `${name}: ${syntax}` : thresholdDirectionProblem(name as DriftMetric, text);
    if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

const statisticList = DRIFT_METRIC_NAMES.map(
  (name) => `\`${name}\` (${DRIFT_METRICS[name].types.join(' and ')}): ${DRIFT_METRICS[name].text}`,
).join('; ');

const Params = z
  .strictObject({
    reference: z
      .string()
      .min(1)
      .describe(
        'The reference table: training or validation features (CSV, TSV, JSONL, Parquet or .npy N×K).',
      ),
    current: z
      .string()
      .min(1)
      .describe('The current table: a serving sample, the test set. It must have every compared feature.'),
    format: z
      .enum(FORMATS)
      .optional()
      .describe('csv, tsv, jsonl, parquet or npy, for both files, when their extensions do not tell.'),
    names: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Column names of .npy files, in order (default: the column index, "0", "1", …).'),
    columns: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe(
        'The features to compare, names or globs ("pixel_*"); default every column of the reference.',
      ),
    exclude: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe('Columns not compared (ids, labels, timestamps), names or globs.'),
    types: z
      .record(z.string(), z.enum(['numeric', 'categorical']))
      .optional()
      .describe(
        'The type of a feature, where inference would be wrong. Inferred: numeric when every non-null value in both tables is a number, else categorical (numbers in a mixed column count as categories by value, texts as written, trimmed). A low-cardinality numeric code (zip, class id) is numeric unless set here.',
      ),
    thresholds: MetricThresholds.optional().describe(
      `What must hold for every feature, each statistic applied to the features of its type: ${statisticList}. Distances are bounded from above ("psi: < 0.2"), p-values from below ("ks_pvalue: > 0.01"); the other way round is refused (it would pass only drifted features).`,
    ),
    features: z
      .record(z.string(), MetricThresholds)
      .optional()
      .describe(
        'Thresholds for single features, over those of `thresholds` (same statistic: this one counts).',
      ),
    drifted_share: z
      .string()
      .optional()
      .describe(
        'The dataset rule, as Evidently\'s dataset drift: the share of compared features that drifted, e.g. "<= 0.2" (at most 20%). Without it, any drifted feature fails the item; with it, the item fails only when the rule does, and drifted features are reported.',
      ),
    bins: z
      .number()
      .int()
      .min(2)
      .max(100)
      .default(10)
      .describe(
        "PSI bins of a numeric feature: the reference's quantiles at i/bins (numpy.quantile, 'linear'), duplicates removed (tied values make fewer bins), closed on the right: (−∞, q1], (q1, q2], …, (q_last, +∞). The same bins are drawn in the report.",
      ),
    psi_epsilon: z
      .number()
      .positive()
      .max(0.01)
      .default(0.0001)
      .describe(
        "PSI = Σ (ref_share − cur_share) · ln(ref_share / cur_share), natural log; an empty bin's share is replaced by this ε (not renormalised), as Evidently does.",
      ),
    max_categories: z
      .number()
      .int()
      .min(2)
      .default(1000)
      .describe(
        'A categorical feature with more distinct values is an error (an id column, a free-text field): exclude it.',
      ),
    min_rows: z
      .number()
      .int()
      .min(1)
      .default(50)
      .describe(
        'Fewest rows a table, and fewest non-null values a feature, may have on either side: a smaller sample cannot show drift (every test passes it), so it is an error, not a pass.',
      ),
    show: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(20)
      .describe(
        'Rows of the evidence table (the most drifted first); every feature is counted in the summary.',
      ),
  })
  .superRefine((params, ctx) => {
    for (const key of ['reference', 'current'] as const) {
      if (!params.format && !formatOf(params[key])) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `cannot tell the format of "${params[key]}": set format (${FORMATS.join(', ')})`,
        });
      }
    }
    const formats = [params.reference, params.current].map((path) => params.format ?? formatOf(path));
    if (params.names && !formats.includes('npy'))
      ctx.addIssue({
        code: 'custom',
        path: ['names'],
        message: 'names: is for .npy files (tables name their columns)',
      });
    const hasThresholds =
      Object.keys(params.thresholds ?? {}).length > 0 ||
      Object.values(params.features ?? {}).some((entry) => Object.keys(entry).length > 0);
    if (!hasThresholds) {
      ctx.addIssue({
        code: 'custom',
        message: `nothing to judge: give thresholds (e.g. {psi: "< 0.2", ks_pvalue: "> 0.01"}) or features: {NAME: {...}}`,
      });
    }
    if (params.drifted_share !== undefined) {
      const syntax = thresholdError(params.drifted_share);
      if (syntax) ctx.addIssue({ code: 'custom', path: ['drifted_share'], message: syntax });
      else {
        const threshold = parseThreshold(params.drifted_share);
        const sanity = thresholdSanityProblem('drifted_share', threshold, DRIFTED_SHARE_SCALE);
        if (threshold.kind !== 'compare' && sanity)
          ctx.addIssue({ code: 'custom', path: ['drifted_share'], message: sanity });
        else if (threshold.kind === 'compare' && !['<', '<='].includes(threshold.op))
          ctx.addIssue({
            code: 'custom',
            path: ['drifted_share'],
            message: `drifted_share: "${params.drifted_share}" must bound the share from above (e.g. "<= 0.2"): more drifted features is worse`,
          });
        else if (
          threshold.kind === 'compare' &&
          (threshold.op === '<=' ? threshold.value >= 1 : threshold.value > 1) &&
          (threshold.percent || threshold.value <= 1)
        )
          ctx.addIssue({
            code: 'custom',
            path: ['drifted_share'],
            message: `drifted_share: "${params.drifted_share}" holds however many features drift: it judges nothing (e.g. "<= 0.2")`,
          });
        else if (threshold.kind === 'compare' && threshold.value > 1 && !threshold.percent)
          ctx.addIssue({
            code: 'custom',
            path: ['drifted_share'],
            message: `drifted_share: "${params.drifted_share}" is a share in [0, 1]: write "<= 0.2" or "<= 20%"`,
          });
        else if (sanity) ctx.addIssue({ code: 'custom', path: ['drifted_share'], message: sanity });
      }
    }
  });

export type DriftParams = z.output<typeof Params>;

export function formatOf(path: string): DriftFormat | undefined {
  return extname(path).toLowerCase() === '.npy' ? 'npy' : tableFormatOf(path);
}

export default defineCheck({
  kind: 'drift',
  title: 'Current data is distributed like the reference data, feature by feature',
  description: [
    'Compares a reference table (training or validation features) with a current one (a serving',
    'sample, the test set), read as streams from CSV, TSV, JSONL, Parquet or NumPy .npy, feature by',
    "feature, with statistics that equal SciPy's. Numeric features: the two-sample",
    "Kolmogorov–Smirnov statistic and p-value (scipy.stats.ks_2samp, two-sided, method 'auto': exact",
    'when neither sample has more than 10 000 values, else asymptotic), the Population Stability',
    "Index over the reference's quantile bins (`bins`, default 10; ε = `psi_epsilon` for empty",
    'bins; natural log), the Wasserstein-1 distance (scipy.stats.wasserstein_distance) and it',
    "divided by the reference's standard deviation. Categorical features: the chi-square p-value",
    'of scipy.stats.chisquare(current counts, reference counts × n_current / n_reference) over the',
    'categories of both tables (a category the reference never had makes it 0), PSI over the',
    'categories, and the Jensen–Shannon distance (scipy.spatial.distance.jensenshannon, base 2, in',
    '[0, 1]). New and missing categories and the change of the null rate are reported apart (and',
    'judged by `new_category_share` and `null_rate_delta`). Nulls are empty cells, NaN and the',
    'texts pandas reads as NaN; they are left out of the distributions. A feature drifts when one',
    'of its thresholds fails, or when the current table has no value of it at all; the item',
    'fails when `drifted_share` fails or, without it, when any feature drifts. An `error`: a file',
    'missing or unreadable, the same content on both sides, fewer than `min_rows` rows or non-null',
    'values, a compared feature missing from the current table, infinite values, text in a',
    'feature set numeric, too many categories, a feature no threshold applies to. With hundreds of',
    'thousands of rows a p-value flags differences too small to matter: bound `psi` or',
    '`wasserstein_norm` there. Evidence: both files with their sha256, the features sorted by drift',
    '(the worst `show`, all counted), new and missing categories, and the distributions of the most',
    'drifted, reference beside current on the same bins.',
  ].join(' '),
  defaultTimeout: '10m',
  params: Params,
  examples: [
    {
      title: 'Serving sample against the training features, at most 20% of features drifted',
      params: {
        reference: 'data/train_features.parquet',
        current: 'data/serving_sample.csv',
        exclude: ['id', 'label'],
        thresholds: { psi: '< 0.2', ks_pvalue: '> 0.01', chi2_pvalue: '> 0.01', null_rate_delta: '< 0.05' },
        drifted_share: '<= 0.2',
      },
    },
    {
      title: 'Validation against test features (.npy), a tighter bound on one feature',
      params: {
        reference: 'data/X_val.npy',
        current: 'data/X_test.npy',
        thresholds: { psi: '< 0.25' },
        features: { '36': { psi: '< 0.1' } },
        drifted_share: '<= 10%',
      },
    },
  ],
  run: runIn(() => import('./run.js')),
});
