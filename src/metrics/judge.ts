/**
 * Judging measured metrics: thresholds (optionally on a bootstrap bound), per-class
 * minimums, and agreement with a metrics file a training run reported. Shared by the
 * `predictions` and `onnx-model` check kinds, so both speak the same params (judge-params.ts)
 * and evidence.
 */
import type { CheckOutcome } from '../engine/types.js';
import type { Evidence } from '../domain/run-report.js';
import { formatNumber, meets, parseThreshold, type Threshold } from '../util/threshold.js';
import { bootstrapConfusion, bootstrapRows, type Interval } from './bootstrap.js';
import { METRICS_BY_NAME } from './catalog.js';
import type { JudgeOptions } from './judge-params.js';
import { confusionMetrics, POSITIVE_CLASS_METRICS } from './classification.js';
import type { MetricsResult } from './predictions.js';
import { RegressionAccumulator } from './regression.js';

export interface JudgeInput {
  result: MetricsResult;
  /** Rows for a regression bootstrap, when kept. */
  regressionRows?: { y: Float64Array; predicted: Float64Array };
  /** Reads a reported value (the caller knows where files are). */
  readReported?: (file: string, key: string) => Promise<{ value: number; shown: string; line?: number }>;
}

export interface Judgement {
  failures: string[];
  /** Values that could not be judged (missing metric, unreadable reported file): an error. */
  errors: string[];
  passes: string[];
  measured: Record<string, number | string>;
  threshold: Record<string, string>;
  evidence: Evidence[];
  intervals: Record<string, Interval>;
}

export async function judge(options: JudgeOptions, input: JudgeInput): Promise<Judgement> {
  const { result } = input;
  const judgement: Judgement = {
    failures: [],
    errors: [],
    passes: [],
    measured: {},
    threshold: {},
    evidence: [],
    intervals: {},
  };
  const thresholds = Object.entries(options.thresholds ?? {});
  for (const [name, value] of Object.entries(result.metrics))
    if (Number.isFinite(value)) judgement.measured[name] = value;
  judgement.measured.rows = result.n;

  // Intervals: for thresholded metrics when confidence is asked, or whenever bootstrap is set.
  const wanted = new Set<string>();
  if (options.confidence !== undefined || options.bootstrap) {
    for (const [name] of thresholds) if (METRICS_BY_NAME.get(name)?.interval) wanted.add(name);
    if (options.bootstrap) {
      for (const name of result.task === 'classification'
        ? ['accuracy', 'f1_macro', 'balanced_accuracy']
        : ['mae', 'rmse', 'r2'])
        wanted.add(name);
    }
  }
  const confidence = options.confidence ?? 0.95;
  const settings = {
    samples: options.bootstrap?.samples ?? 1000,
    seed: options.bootstrap?.seed ?? 0,
    confidence,
  };
  if (wanted.size > 0) {
    if (result.task === 'classification') {
      // Resamples judge the same positive class as the measurement, by name.
      const positive = result.positive === undefined ? undefined : result.classes.indexOf(result.positive);
      judgement.intervals = bootstrapConfusion(
        result.confusion,
        (c) => confusionMetrics(c, result.classes, positive).metrics,
        [...wanted],
        settings,
      );
    } else if (input.regressionRows) {
      const { y, predicted } = input.regressionRows;
      judgement.intervals = bootstrapRows(
        y.length,
        (indices) => {
          const accumulator = new RegressionAccumulator();
          for (const i of indices) accumulator.add(y[i]!, predicted[i]!);
          return accumulator.finish().metrics;
        },
        [...wanted],
        settings,
      );
    } else if (options.confidence !== undefined) {
      judgement.errors.push('no rows were kept for the regression bootstrap');
    }
  }

  const rows: Array<Array<string | number | null>> = [];
  for (const [name, text] of thresholds) {
    const value = result.metrics[name];
    judgement.threshold[name] =
      options.confidence !== undefined ? `${text} at ${formatPercent(confidence)} confidence` : text;
    if (value === undefined || Number.isNaN(value)) {
      judgement.errors.push(`${name} was not computed: ${whyMissing(name, result)}`);
      rows.push([name, null, text, null, 'not computed']);
      continue;
    }
    const threshold = parseThreshold(text);
    const interval = judgement.intervals[name];
    let ok: boolean;
    let shown = `${name} = ${formatNumber(value)}`;
    if (options.confidence !== undefined && interval) {
      const bound = boundFor(threshold, interval);
      ok = bound.every((b) => meets(b, threshold));
      shown += ` (${formatPercent(confidence)} interval ${formatNumber(interval.low)}–${formatNumber(interval.high)})`;
    } else ok = meets(value, threshold);
    (ok ? judgement.passes : judgement.failures).push(`${shown} ${ok ? 'meets' : 'fails'} ${text}`);
    rows.push([
      name,
      value,
      text,
      interval ? `${formatNumber(interval.low)} – ${formatNumber(interval.high)}` : null,
      ok ? 'pass' : 'fail',
    ]);
  }

  if (options.min_per_class && result.task === 'classification') {
    for (const [metric, minimum] of Object.entries(options.min_per_class)) {
      judgement.threshold[`per class ${metric}`] = `>= ${minimum}`;
      const below = result.perClass.filter(
        (row) => row.support > 0 && (row[metric as keyof typeof row] as number) < minimum,
      );
      const worst = [...result.perClass]
        .filter((row) => row.support > 0)
        .sort((a, b) => (a[metric as 'f1'] as number) - (b[metric as 'f1'] as number))[0];
      if (worst) judgement.measured[`min per class ${metric}`] = worst[metric as 'f1'];
      if (below.length > 0) {
        judgement.failures.push(
          `${metric} below ${minimum} for class${below.length > 1 ? 'es' : ''} ${below.map((row) => `${row.class} (${formatNumber(row[metric as 'f1'] as number)})`).join(', ')}`,
        );
      } else if (worst) {
        judgement.passes.push(
          `every class has ${metric} >= ${minimum} (lowest: class ${worst.class}, ${formatNumber(worst[metric as 'f1'] as number)})`,
        );
      }
    }
  }

  if (options.reported && input.readReported) {
    const { file, values, tolerance, scale } = options.reported;
    const reportedRows: Array<Array<string | number | null>> = [];
    for (const [name, key] of Object.entries(values)) {
      const measured = result.metrics[name];
      let reported: { value: number; shown: string; line?: number };
      try {
        reported = await input.readReported(file, key);
      } catch (error) {
        judgement.errors.push((error as Error).message);
        continue;
      }
      const info = METRICS_BY_NAME.get(name)!;
      let claimed = reported.value;
      if (scale === 'percent') claimed /= 100;
      else if (info.fraction && Math.abs(claimed) > 1) {
        judgement.errors.push(
          `${reported.shown} reports ${name} as ${formatNumber(claimed)}, a percentage? Set reported.scale: percent (mlgate measures ${name} as a fraction)`,
        );
        continue;
      }
      if (measured === undefined || Number.isNaN(measured)) {
        judgement.errors.push(`${name} was not computed: ${whyMissing(name, result)}`);
        continue;
      }
      const difference = Math.abs(measured - claimed);
      const ok = difference <= tolerance + 1e-12;
      const where = `${reported.shown}${reported.line ? `:${reported.line}` : ''}`;
      const sentence = info.fraction
        ? `${where} claims ${name} ${formatPercent(claimed, 2)}, measured ${formatPercent(measured, 2)}: ${ok ? 'within' : 'off by more than'} ${formatPoints(tolerance)} (${formatPoints(difference)} apart)`
        : `${where} claims ${name} ${formatNumber(claimed)}, measured ${formatNumber(measured)}: ${ok ? 'within' : 'off by more than'} ${formatNumber(tolerance)}`;
      (ok ? judgement.passes : judgement.failures).push(sentence);
      judgement.threshold[`reported ${name}`] =
        `|measured − reported| <= ${info.fraction ? formatPoints(tolerance) : formatNumber(tolerance)}`;
      reportedRows.push([name, claimed, measured, difference, ok ? 'agrees' : 'DISAGREES']);
      judgement.evidence.push({
        type: 'location',
        path: reported.shown,
        ...(reported.line ? { line: reported.line } : {}),
        note: sentence,
      });
    }
    if (reportedRows.length > 0) {
      judgement.evidence.push({
        type: 'table',
        title: `measured vs reported (${file})`,
        columns: ['metric', 'reported', 'measured', '|difference|', 'verdict'],
        rows: reportedRows,
      });
    }
  }

  if (rows.length > 0) {
    judgement.evidence.unshift({
      type: 'table',
      title: 'thresholds',
      columns: ['metric', 'measured', 'threshold', `${formatPercent(confidence)} interval`, 'verdict'],
      rows,
    });
  }
  judgement.evidence.push(...resultEvidence(result, judgement.intervals));
  return judgement;
}

/** Outcome status and summary from a judgement, in the kinds' shared wording. */
export function outcomeOf(judgement: Judgement, lead: string, extra: Evidence[] = []): CheckOutcome {
  const status = judgement.errors.length > 0 ? 'error' : judgement.failures.length > 0 ? 'fail' : 'pass';
  const parts =
    status === 'error' ? judgement.errors : status === 'fail' ? judgement.failures : judgement.passes;
  return {
    status,
    summary: `${lead}: ${parts.length > 0 ? parts.join('; ') : 'no thresholds set (metrics recorded)'}`,
    source: 'measured',
    measured: judgement.measured,
    threshold: judgement.threshold,
    evidence: [...extra, ...judgement.evidence],
  };
}

/** Classes above which per-class evidence is summarised rather than listed in full. */
const MAX_EVIDENCE_CLASSES = 50;

/** The metrics table, per-class table, confusion matrix and reliability data. */
export function resultEvidence(result: MetricsResult, intervals: Record<string, Interval> = {}): Evidence[] {
  const evidence: Evidence[] = [
    {
      type: 'table',
      title: `metrics (${result.n} rows${result.task === 'classification' && result.positive !== undefined ? `; positive class ${result.positive}` : ''})`,
      columns: ['metric', 'value', 'interval'],
      rows: Object.entries(result.metrics).map(([name, value]) => [
        name,
        Number.isFinite(value) ? value : null,
        intervals[name]
          ? `${formatNumber(intervals[name]!.low)} – ${formatNumber(intervals[name]!.high)} (${formatPercent(intervals[name]!.confidence)}, ${intervals[name]!.samples} resamples, seed ${intervals[name]!.seed})`
          : null,
      ]),
    },
  ];
  if (result.task === 'classification') {
    const many = result.classes.length > MAX_EVIDENCE_CLASSES;
    // With many classes (ImageNet's 1000) full tables are a million cells nobody reads: show
    // the weakest classes and the most frequent confusions instead.
    const perClass = many
      ? [...result.perClass]
          .filter((row) => row.support > 0)
          .sort((a, b) => a.f1 - b.f1)
          .slice(0, MAX_EVIDENCE_CLASSES)
      : result.perClass;
    evidence.push({
      type: 'table',
      title: many
        ? `per class: the ${perClass.length} lowest F1 of ${result.classes.length} classes`
        : 'per class',
      columns: ['class', 'precision', 'recall', 'f1', 'support'],
      rows: perClass.map((row) => [row.class, row.precision, row.recall, row.f1, row.support]),
    });
    if (many) {
      const pairs: Array<[string, string, number]> = [];
      result.confusion.forEach((row, t) =>
        row.forEach((count, p) => {
          if (t !== p && count > 0) pairs.push([result.classes[t]!, result.classes[p]!, count]);
        }),
      );
      pairs.sort((a, b) => b[2] - a[2]);
      evidence.push({
        type: 'table',
        title: `most frequent confusions (of ${pairs.length} true → predicted pairs)`,
        columns: ['true class', 'predicted', 'rows'],
        rows: pairs.slice(0, 30),
      });
    } else {
      evidence.push({
        type: 'table',
        title: 'confusion matrix (rows: true class, columns: predicted)',
        columns: ['true \\ predicted', ...result.classes],
        rows: result.confusion.map((row, t) => [result.classes[t]!, ...row]),
      });
      evidence.push({
        type: 'data',
        title: 'confusion matrix',
        name: 'confusion-matrix',
        data: { classes: result.classes, counts: result.confusion },
      });
    }
    if (result.reliability) {
      evidence.push({
        type: 'data',
        title: 'reliability diagram (15 bins)',
        name: 'reliability',
        data: result.reliability,
      });
    }
  }
  for (const note of result.notes) evidence.push({ type: 'text', title: 'note', text: note });
  return evidence;
}

function boundFor(threshold: Threshold, interval: Interval): number[] {
  if (threshold.kind === 'compare')
    return threshold.op === '>' || threshold.op === '>=' ? [interval.low] : [interval.high];
  return [interval.low, interval.high];
}

function whyMissing(name: string, result: MetricsResult): string {
  const info = METRICS_BY_NAME.get(name);
  if (!info) return 'unknown metric';
  if (info.task !== result.task)
    return `${name} is a ${info.task} metric and these are ${result.task} predictions`;
  if (result.task === 'classification' && result.unavailable?.[name]) return result.unavailable[name]!;
  if (info.needsProbabilities && result.task === 'classification' && !result.reliability)
    return `${name} needs probability columns (probs:), and there are none`;
  if (
    (info.binaryOnly || POSITIVE_CLASS_METRICS.includes(name)) &&
    result.task === 'classification' &&
    result.classes.length === 2 &&
    result.positive === undefined
  )
    return `${name} is a metric of the positive class, and ${result.notes.find((note) => note.startsWith('which class is positive')) ?? 'which class is positive is not known: set positive:'}`;
  if (info.binaryOnly && result.task === 'classification' && result.classes.length !== 2)
    return `${name} needs two classes, there are ${result.classes.length}`;
  if (info.needsProbabilities) return `${name} needs probability columns (probs:), and there are none`;
  return 'undefined for these rows (see the notes)';
}

export function formatPercent(value: number, digits = 0): string {
  const percent = value * 100;
  return `${digits === 0 && Number.isInteger(percent) ? percent : percent.toFixed(digits || 2)}%`;
}

function formatPoints(value: number): string {
  return `${formatNumber(Number((value * 100).toPrecision(6)))} pp`;
}
