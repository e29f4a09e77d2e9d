import { z } from 'zod';
import { TABLE_FORMATS, tableFormatOf } from '../../data/table.js';
import { defineCheck } from '../../engine/types.js';
import { SqlSourceParams } from '../../data/sql/source.js';
import { checkJudgeParams, checkMetricNames, JudgeParams, Thresholds } from '../../metrics/judge-params.js';
import { checkGroupsParams, GroupsParams } from '../../metrics/fairness.js';
import { runIn } from '../_shared/run-module.js';

const Columns = {
  format: z
    .enum(TABLE_FORMATS)
    .optional()
    .describe('csv, tsv, jsonl or parquet, when the extension does not tell.'),
  label: z.string().optional().describe('True label / target column (default: label, y_true, target, ...).'),
  pred: z
    .string()
    .optional()
    .describe('Predicted label / value column (default: pred, prediction, y_pred, ...).'),
  probs: z
    .union([z.string(), z.array(z.string()).min(1)])
    .optional()
    .describe(
      'Probability columns (default "prob_*"). A glob maps by name: the part * matches is the class (prob_1 is class 1), in any column order. A list of names maps by position to the classes in sorted label order (scikit-learn\'s classes_ and predict_proba order), and is refused when its names say other classes in another order. One column is the probability of the class its glob names, else of the positive class (labels 0 and 1).',
    ),
};

const Params = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .optional()
      .describe('The predictions table (CSV, TSV, JSONL, Parquet), streamed.'),
    ...Columns,
    arrays: z
      .strictObject({
        labels: z.string().min(1).describe('.npy of true labels (or regression targets).'),
        preds: z.string().min(1).optional().describe('.npy of predicted labels (or values).'),
        probs: z.string().min(1).optional().describe('.npy of probabilities, N×K.'),
      })
      .optional()
      .describe('Instead of `file`: NumPy arrays.'),
    source: SqlSourceParams.optional().describe(
      'Instead of `file`: rows in a SQL engine, evaluated in place — `{engine: duckdb|postgres, query: "SELECT …" | table: NAME, connection_env: VAR}`, or `{file: "preds/*.parquet"}` read by embedded DuckDB. Every metric is computed as SQL returning summary counts (exact ROC AUC and average precision from per-score counts).',
    ),
    task: z
      .enum(['classification', 'regression'])
      .default('classification')
      .describe('What the predictions are.'),
    positive: z
      .union([z.string().min(1), z.number(), z.boolean()])
      .transform((value) => String(value))
      .optional()
      .describe(
        'Two classes: the positive class of precision, recall, f1, roc_auc, average_precision and brier (its probability is the column that names it). Default: the greater label (1 of 0/1), or the label true/yes/pos/positive (any case); with other text labels a positive-class metric is an error until this is set. Never the order of the columns.',
      ),
    prob_sum_tolerance: z
      .number()
      .positive()
      .default(0.001)
      .describe("Largest |sum of a row's probabilities − 1|."),
    ...JudgeParams,
    compare: z
      .strictObject({
        file: z
          .string()
          .min(1)
          .describe('Another prediction set, e.g. validation, read with the same columns.'),
        ...Columns,
        gaps: Thresholds.describe('Metric → threshold on |this − other|, e.g. {accuracy: "< 0.05"}.'),
      })
      .optional()
      .describe('The gap between this set and another (the val-test gap).'),
    slices: z
      .strictObject({
        columns: z
          .union([z.string(), z.array(z.string()).min(1)])
          .describe('Column(s) whose values define slices.'),
        min_size: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe('Smaller slices are reported as too small, not judged.'),
        thresholds: Thresholds,
      })
      .optional()
      .describe('Metrics per data slice, each held to thresholds.'),
    groups: GroupsParams.optional(),
  })
  .superRefine((params, ctx) => {
    if ([params.file, params.arrays, params.source].filter((given) => given !== undefined).length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          'give one of "file" (a predictions table), "arrays" (.npy files) or "source" (rows in DuckDB or PostgreSQL)',
      });
    }
    if (
      params.source &&
      params.task === 'regression' &&
      (params.confidence ?? params.bootstrap) !== undefined
    )
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message:
          'confidence and bootstrap for regression resample rows, and source: brings back only summaries: use file:',
      });
    if (params.source && params.groups)
      ctx.addIssue({
        code: 'custom',
        path: ['groups'],
        message: 'groups: needs a predictions table ("file"), not source:',
      });
    if (params.file && !params.format && !tableFormatOf(params.file)) {
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message: `cannot tell the format of "${params.file}": set format (${TABLE_FORMATS.join(', ')})`,
      });
    }
    if (params.positive !== undefined && params.task === 'regression') {
      ctx.addIssue({ code: 'custom', path: ['positive'], message: 'positive: is for classification' });
    }
    if (params.arrays && (params.slices || params.compare)) {
      ctx.addIssue({ code: 'custom', message: 'slices and compare need a predictions table ("file")' });
    }
    checkJudgeParams(params, ctx, params.task);
    checkMetricNames(params.compare?.gaps, ['compare', 'gaps'], ctx, params.task);
    checkMetricNames(params.slices?.thresholds, ['slices', 'thresholds'], ctx, params.task);
    checkGroupsParams(params.groups, ctx, { task: params.task, arrays: params.arrays !== undefined });
    if (
      !params.thresholds &&
      !params.min_per_class &&
      !params.reported &&
      !params.compare &&
      !params.slices &&
      !params.groups
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'nothing to judge: give thresholds, min_per_class, reported, compare, slices or groups',
      });
    }
  });

export type PredictionParams = z.output<typeof Params>;

export default defineCheck({
  kind: 'predictions',
  title: "Metrics recomputed from a model's predictions meet their thresholds",
  description: [
    'Recomputes metrics from the predictions themselves — a table (CSV, TSV, JSONL, Parquet; streamed,',
    "memory flat) or NumPy arrays — with scikit-learn's definitions: accuracy, balanced accuracy,",
    "precision/recall/F1 (macro, weighted, micro, per class), MCC, Cohen's kappa, log loss, ROC AUC,",
    'average precision, Brier, top-k accuracy, ECE; for regression MAE, MSE, RMSE, R², MAPE, median',
    'and max error, explained variance. With two classes, precision, recall, f1, roc_auc,',
    'average_precision and brier are for the positive class: `positive:`, by default the greater',
    'label (1 of 0/1) or true/yes/pos/positive, never the order of the probability columns;',
    'probability columns map to classes by name (a glob, `prob_*`) or, for a list, by position',
    'in sorted label order. Thresholds use the common language; `min_per_class` holds',
    'every class to a floor; `confidence` judges a threshold on the bootstrap bound (seeded), so a',
    'small test set cannot pass a high bar by luck; `reported` checks what a training run claimed',
    '("metrics.json claims 78.43%, measured 78.40%: within 0.5 pp"); `compare` bounds the gap to',
    'another prediction set; `slices` judges each data slice; `groups` judges fairness across the',
    "groups of a sensitive column or of two together, by Fairlearn's definitions: per group the",
    'selection rate, TPR, FPR, precision, accuracy and size; over the groups of at least',
    '`min_group_size` rows, demographic parity difference (max − min selection rate) and ratio',
    '(min / max; the four-fifths rule is ">= 0.8"), equal opportunity difference and ratio (TPR),',
    'equalized odds difference (the larger of the TPR and FPR differences) and ratio (the smaller).',
    'Fewer than two groups that large is an error; empty values form a group of their own; a rate',
    'with no rows under it is undefined (Fairlearn says 0) and a threshold on it an error. The',
    'outcome is the positive class of two, or `groups.positive` against the rest. Rows that cannot be judged (NaN or',
    'non-summing probabilities, unknown labels, wrong column counts) make the check an `error` that',
    'lists them by line. Evidence: the metrics, per-class table, confusion matrix, calibration bins.',
  ].join(' '),
  defaultTimeout: '10m',
  params: Params,
  examples: [
    {
      title: 'Test accuracy and per-class F1 from the predictions file',
      params: {
        file: 'eval/predictions_test.csv',
        thresholds: { accuracy: '>= 0.95', ece: '< 0.05' },
        min_per_class: { f1: 0.7 },
      },
    },
    {
      title: 'Accuracy must clear 90% at 95% confidence, and metrics.json must be honest',
      params: {
        file: 'eval/predictions_test.csv',
        thresholds: { accuracy: '>= 0.9' },
        confidence: 0.95,
        reported: { file: 'metrics.json', values: { accuracy: 'test.accuracy' }, tolerance: 0.005 },
      },
    },
    {
      title: 'Validation-test gap and quality on every slice',
      params: {
        file: 'eval/predictions_test.csv',
        compare: { file: 'eval/predictions_val.csv', gaps: { accuracy: '< 0.05' } },
        slices: { columns: 'region', min_size: 50, thresholds: { recall_macro: '>= 0.8' } },
      },
    },
    {
      title: 'Fairness across sex and age band: the four-fifths rule and equalized odds',
      params: {
        file: 'eval/predictions_test.csv',
        positive: 'approved',
        groups: {
          columns: ['sex', 'age_band'],
          min_group_size: 50,
          thresholds: { demographic_parity_ratio: '>= 0.8', equalized_odds_difference: '<= 0.1' },
        },
      },
    },
    {
      title: 'Regression from NumPy arrays',
      params: {
        arrays: { labels: 'y_test.npy', preds: 'y_pred.npy' },
        task: 'regression',
        thresholds: { rmse: '< 60' },
      },
    },
  ],
  run: runIn(() => import('./run.js')),
});
