/**
 * Fairness across groups: the rates of one outcome per group of a sensitive column (or the
 * intersection of two), and how far apart the groups are, as Fairlearn defines it
 * (fairlearn.metrics, method="between_groups", agg="worst_case", no sample weights):
 *
 *   for a group g and the outcome class c ("positive"), over the rows of g:
 *     selection rate SR_g = #(ŷ = c) / n_g
 *     TPR_g = #(ŷ = c, y = c) / #(y = c)          undefined without rows of class c
 *     FPR_g = #(ŷ = c, y ≠ c) / #(y ≠ c)          undefined without rows of other classes
 *     precision_g = #(ŷ = c, y = c) / #(ŷ = c)    (reported, not used below)
 *     accuracy_g = #(ŷ = y) / n_g                 (all classes)
 *
 *   over the judged groups G (at least min_group_size rows each):
 *     demographic_parity_difference = max_G SR − min_G SR
 *     demographic_parity_ratio      = min_G SR / max_G SR
 *     equal_opportunity_difference  = max_G TPR − min_G TPR
 *     equal_opportunity_ratio       = min_G TPR / max_G TPR
 *     equalized_odds_difference     = max(max_G TPR − min_G TPR, max_G FPR − min_G FPR)
 *     equalized_odds_ratio          = min(min_G TPR / max_G TPR, min_G FPR / max_G FPR)
 *
 * Where the two differ: Fairlearn counts the TPR of a group without positives (and the FPR of
 * one without negatives) as 0 — scikit-learn's normalised confusion matrix turns 0/0 into 0;
 * here it is undefined, and a threshold on a metric made of it is an error naming the group:
 * 0 would be a made-up number. A ratio 0/0 (no judged group ever selected) is undefined too,
 * as in Fairlearn (NaN).
 *
 * Groups: the trimmed text of the group column(s); rows where one is empty (or null in JSONL
 * and Parquet) form a group of their own, "(missing)", judged like any other — blanking the
 * column must not take rows out of the comparison. Groups smaller than min_group_size are
 * shown, not judged; fewer than two judged groups is an error. More than MAX_GROUPS distinct
 * values is an error too: that is an id column, and the counts would grow without bound.
 *
 * With more than two classes the outcome is one class against the rest (`positive` names
 * it): y = c and ŷ = c against everything else, as Fairlearn's metrics read a binarised
 * task. Per group the accumulator keeps, for every class, how many rows have it as label, as
 * prediction, and both — enough for any one-vs-rest view, in memory bounded by groups × classes.
 */
import { thresholdSanityProblem } from '../util/threshold-sanity.js';
import { z } from 'zod';
import type { Evidence } from '../domain/run-report.js';
import { didYouMean } from '../util/suggest.js';
import { formatNumber, meets, parseThreshold, type Threshold, thresholdError } from '../util/threshold.js';
import { positiveClass } from './classes.js';

/** The dataset-level fairness metrics, by the names Fairlearn gives them. */
export const FAIRNESS_METRICS = [
  'demographic_parity_difference',
  'demographic_parity_ratio',
  'equalized_odds_difference',
  'equalized_odds_ratio',
  'equal_opportunity_difference',
  'equal_opportunity_ratio',
] as const;
export type FairnessMetric = (typeof FAIRNESS_METRICS)[number];

/** Most distinct groups before the column is taken for an id column. */
export const MAX_GROUPS = 1000;
/** The group of rows with no value in a group column (empty, null). */
export const MISSING_VALUE = '(missing)';
const KEY_SEPARATOR = '\u001f';

/** A problem with the group columns or their values (the caller adds the file). */
export class GroupError extends Error {}

/** The `groups:` param of the predictions kind. */
export const GroupsParams = z
  .strictObject({
    column: z.string().min(1).optional().describe('The sensitive column whose values are the groups.'),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .max(2)
      .optional()
      .describe('Two columns: each combination of their values is a group (an intersection).'),
    positive: z
      .union([z.string().min(1), z.number(), z.boolean()])
      .transform((value) => String(value))
      .optional()
      .describe(
        'The class whose prediction is the outcome compared across groups: the favourable one (e.g. "approved"), which the four-fifths rule is about — ratios change when it is the other class. Default: the positive class of two (`positive:`); with more classes, required: that class against the rest.',
      ),
    min_group_size: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe('Groups with fewer rows are shown but not judged; fewer than two judged groups is an error.'),
    max_unjudged_share: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe(
        'Largest share of rows that may sit in groups too small to judge; more is an error — a comparison that leaves them out could leave out the group treated worst (a group split into many small spellings, say).',
      ),
    thresholds: z
      .record(
        z.string(),
        z.string().superRefine((text, ctx) => {
          const problem = thresholdError(text);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      )
      .describe(
        'Fairness metric → threshold, e.g. {demographic_parity_ratio: ">= 0.8", equalized_odds_difference: "<= 0.1"}.',
      ),
  })
  .describe(
    "Fairness across groups (binary outcome), Fairlearn's definitions: selection rate, TPR, FPR, precision and accuracy per group; demographic parity, equalized odds and equal opportunity difference/ratio between the largest and smallest group value.",
  );
export type GroupsOptions = z.output<typeof GroupsParams>;

/** The group columns a `groups:` param names. */
export function groupColumns(groups: Pick<GroupsOptions, 'column' | 'columns'>): string[] {
  return groups.columns ?? (groups.column === undefined ? [] : [groups.column]);
}

/** Validation of `groups:` that zod's shape cannot say: one of column/columns, known metrics. */
export function checkGroupsParams(
  groups: GroupsOptions | undefined,
  ctx: z.RefinementCtx,
  context: { task: string; arrays: boolean },
): void {
  if (!groups) return;
  const path = ['groups'];
  if ((groups.column === undefined) === (groups.columns === undefined))
    ctx.addIssue({
      code: 'custom',
      path,
      message:
        'groups: give either "column" (one sensitive column) or "columns" (two, for their intersection)',
    });
  if (groups.columns && new Set(groups.columns).size !== groups.columns.length)
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'columns'],
      message: 'groups.columns names a column twice',
    });
  if (context.task === 'regression')
    ctx.addIssue({
      code: 'custom',
      path,
      message: 'groups: fairness metrics compare a predicted class across groups, and this is regression',
    });
  if (context.arrays)
    ctx.addIssue({
      code: 'custom',
      path,
      message: 'groups needs a predictions table ("file") with the group column',
    });
  const names = Object.keys(groups.thresholds);
  if (names.length === 0)
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'thresholds'],
      message: `groups.thresholds is empty: nothing would be judged. Metrics: ${FAIRNESS_METRICS.join(', ')}`,
    });
  for (const name of names) {
    if (!(FAIRNESS_METRICS as readonly string[]).includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'thresholds', name],
        message: `unknown fairness metric "${name}".${didYouMean(name, FAIRNESS_METRICS)} Metrics: ${FAIRNESS_METRICS.join(', ')}`,
      });
      continue;
    }
    // Every fairness metric is a share in [0, 1]: ">= 80" never holds and "<= 10" always does.
    const written = groups.thresholds[name]!;
    const big = written.includes('%')
      ? undefined
      : (written.match(/-?\d+(\.\d+)?/g) ?? []).map(Number).find((n) => n > 1);
    if (big !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'thresholds', name],
        message: `${name} is in [0, 1], and "${written}" compares it with ${big}: did you mean ${big / 100} or ${big}%?`,
      });
      continue;
    }
    const problem = thresholdProblem(name as FairnessMetric, written);
    if (problem) ctx.addIssue({ code: 'custom', path: [...path, 'thresholds', name], message: problem });
  }
}

/**
 * A threshold that cannot tell a fair model from an unfair one: one every value in [0, 1]
 * meets ("<= 1" on a difference), or one pointing the wrong way — a ratio is parity at 1 and
 * a difference at 0, so "demographic_parity_ratio <= 0.8" would pass exactly the models the
 * four-fifths rule blocks.
 */
function thresholdProblem(name: FairnessMetric, written: string): string | undefined {
  let threshold: Threshold;
  try {
    threshold = parseThreshold(written);
  } catch {
    return undefined; // reported by the threshold's own check
  }
  const ratio = name.endsWith('_ratio');
  if (threshold.kind === 'compare') {
    const wrongWay = ratio ? ['<', '<='] : ['>', '>='];
    if (wrongWay.includes(threshold.op))
      return `${name} is ${ratio ? '1' : '0'} when every group is treated alike and ${ratio ? 'smaller' : 'larger'} the less they are, so "${written}" would pass unfair models: did you mean "${ratio ? '>=' : '<='} ${threshold.value}"?`;
  }
  const samples = Array.from({ length: 1001 }, (_, i) => i / 1000);
  if (samples.every((value) => meets(value, threshold)))
    return `"${written}" holds for every value of ${name} (0 to 1): it judges nothing. Write the bound the model must keep, e.g. ${ratio ? '">= 0.8"' : '"<= 0.1"'}`;
  // Every form (between, within, ==, !=) too: passes the most unfair value, or fails parity.
  const sanity = thresholdSanityProblem(
    name,
    threshold,
    ratio
      ? { better: 'higher', best: 1, bad: 0, share: true }
      : { better: 'lower', best: 0, bad: 1, share: true },
  );
  if (sanity) return sanity;
  return undefined;
}

/** Something with a row's text fields (a TableRow). */
interface TextRow {
  text(column: number): string;
}

/**
 * The function that reads a row's group key: the trimmed values of the group columns, an
 * empty one standing for the missing value. A column not in the header is an error that
 * names the columns there are.
 */
export function groupKeyReader(header: string[], columns: string[]): (row: TextRow) => string {
  const indices = columns.map((name) => {
    const index = header.indexOf(name);
    if (index === -1)
      throw new GroupError(
        `no column "${name}" (groups).${didYouMean(name, header)} Columns: ${header.join(', ')}`,
      );
    if (header.indexOf(name, index + 1) !== -1)
      throw new GroupError(`the header has "${name}" more than once: which one is the group column?`);
    return index;
  });
  if (indices.length === 1) {
    const only = indices[0]!;
    return (row) => row.text(only).trim();
  }
  if (indices.length === 2) {
    const [first, second] = indices as [number, number];
    return (row) => row.text(first).trim() + KEY_SEPARATOR + row.text(second).trim();
  }
  return (row) => indices.map((index) => row.text(index).trim()).join(KEY_SEPARATOR);
}

/** Per class: rows with it as the label, as the prediction, and as both. */
interface ClassCounts {
  actual: number;
  predicted: number;
  correct: number;
}

export interface GroupCount {
  /** The group as shown: "F", "F / 18-30", "(missing)". */
  name: string;
  /** One value per group column; MISSING_VALUE where empty. */
  values: string[];
  /** Whether a group column is empty in these rows. */
  missing: boolean;
  n: number;
  /** By class name. */
  classes: Record<string, ClassCounts>;
}

export interface GroupCounts {
  columns: string[];
  groups: GroupCount[];
}

/**
 * Counts per group, filled in the same pass that reads the predictions. Classes are the
 * reader's class indices; their names come at the end (the set of classes grows as it reads).
 */
export class GroupAccumulator {
  // Per group: [actual, predicted, correct] for class index c at 3c, 3c+1, 3c+2.
  private readonly counts = new Map<string, { n: number; cells: number[] }>();

  constructor(
    readonly columns: string[],
    readonly maxGroups = MAX_GROUPS,
  ) {}

  get size(): number {
    return this.counts.size;
  }

  add(key: string, label: number, predicted: number): void {
    let group = this.counts.get(key);
    if (!group) {
      if (this.counts.size >= this.maxGroups)
        throw new GroupError(
          `more than ${this.maxGroups} distinct values in ${this.columns.join(' × ')} (groups): is it an id column? Fairness compares a few groups; bin the values first (e.g. age into age bands)`,
        );
      group = { n: 0, cells: [] };
      this.counts.set(key, group);
    }
    group.n++;
    const cells = group.cells;
    const need = 3 * (Math.max(label, predicted) + 1);
    while (cells.length < need) cells.push(0);
    cells[3 * label]!++;
    cells[3 * predicted + 1]!++;
    if (label === predicted) cells[3 * label + 2]!++;
  }

  /** The counts by class name; groups in sorted order of their names. */
  finish(classNames: string[]): GroupCounts {
    const groups: GroupCount[] = [];
    for (const [key, { n, cells }] of this.counts) {
      const values = key.split(KEY_SEPARATOR).map((value) => (value === '' ? MISSING_VALUE : value));
      const classes: Record<string, ClassCounts> = {};
      classNames.forEach((name, c) => {
        classes[name] = {
          actual: cells[3 * c] ?? 0,
          predicted: cells[3 * c + 1] ?? 0,
          correct: cells[3 * c + 2] ?? 0,
        };
      });
      groups.push({
        name: key
          .split(KEY_SEPARATOR)
          .map((value) => (value === '' ? MISSING_VALUE : shownValue(value)))
          .join(' / '),
        values,
        missing: key.split(KEY_SEPARATOR).some((value) => value === ''),
        n,
        classes,
      });
    }
    groups.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { columns: this.columns, groups };
  }
}

/** One group's rates for the outcome class. NaN where a rate's denominator is 0. */
export interface GroupRates {
  group: string;
  n: number;
  /** Rows whose label is the outcome class. */
  positives: number;
  negatives: number;
  /** Rows predicted as the outcome class. */
  selected: number;
  truePositives: number;
  falsePositives: number;
  selectionRate: number;
  tpr: number;
  fpr: number;
  precision: number;
  accuracy: number;
}

export function groupRates(group: GroupCount, positive: string): GroupRates {
  const outcome = group.classes[positive] ?? { actual: 0, predicted: 0, correct: 0 };
  let correct = 0;
  for (const counts of Object.values(group.classes)) correct += counts.correct;
  const truePositives = outcome.correct;
  const falsePositives = outcome.predicted - outcome.correct;
  const negatives = group.n - outcome.actual;
  return {
    group: group.name,
    n: group.n,
    positives: outcome.actual,
    negatives,
    selected: outcome.predicted,
    truePositives,
    falsePositives,
    selectionRate: ratio(outcome.predicted, group.n),
    tpr: ratio(truePositives, outcome.actual),
    fpr: ratio(falsePositives, negatives),
    precision: ratio(truePositives, outcome.predicted),
    accuracy: ratio(correct, group.n),
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

/** The spread of one rate over the groups: max − min and min / max, with the groups at each end. */
export interface Spread {
  difference: number;
  ratio: number;
  low: { group: string; value: number };
  high: { group: string; value: number };
  /** Groups where the rate is undefined (left out of low/high). */
  undefinedIn: string[];
}

export function spread(rates: GroupRates[], rate: 'selectionRate' | 'tpr' | 'fpr'): Spread {
  let low: Spread['low'] | undefined;
  let high: Spread['high'] | undefined;
  const undefinedIn: string[] = [];
  for (const row of rates) {
    const value = row[rate];
    if (Number.isNaN(value)) {
      undefinedIn.push(row.group);
      continue;
    }
    if (!low || value < low.value) low = { group: row.group, value };
    if (!high || value > high.value) high = { group: row.group, value };
  }
  if (!low || !high || undefinedIn.length > 0)
    return {
      difference: Number.NaN,
      ratio: Number.NaN,
      low: low ?? { group: '', value: Number.NaN },
      high: high ?? { group: '', value: Number.NaN },
      undefinedIn,
    };
  // 0/0 (no group ever selected) stays NaN, as in Fairlearn.
  return { difference: high.value - low.value, ratio: low.value / high.value, low, high, undefinedIn };
}

export interface FairnessValues {
  metrics: Record<FairnessMetric, number>;
  selection: Spread;
  tpr: Spread;
  fpr: Spread;
}

/** The dataset-level metrics over the groups given (the judged ones). */
export function fairnessMetrics(rates: GroupRates[]): FairnessValues {
  const selection = spread(rates, 'selectionRate');
  const tpr = spread(rates, 'tpr');
  const fpr = spread(rates, 'fpr');
  return {
    metrics: {
      demographic_parity_difference: selection.difference,
      demographic_parity_ratio: selection.ratio,
      // Math.max/min of a NaN is NaN: undefined when either part is.
      equalized_odds_difference: Math.max(tpr.difference, fpr.difference),
      equalized_odds_ratio: Math.min(tpr.ratio, fpr.ratio),
      equal_opportunity_difference: tpr.difference,
      equal_opportunity_ratio: tpr.ratio,
    },
    selection,
    tpr,
    fpr,
  };
}

/** The parts of a judgement the fairness verdict adds to (see metrics/judge.ts). */
export interface FairnessJudgement {
  failures: string[];
  errors: string[];
  passes: string[];
  measured: Record<string, number | string>;
  threshold: Record<string, string>;
}

/** Which rates each metric is made of, for the evidence and for why it is undefined. */
const PARTS: Record<FairnessMetric, Array<'selection' | 'tpr' | 'fpr'>> = {
  demographic_parity_difference: ['selection'],
  demographic_parity_ratio: ['selection'],
  equalized_odds_difference: ['tpr', 'fpr'],
  equalized_odds_ratio: ['tpr', 'fpr'],
  equal_opportunity_difference: ['tpr'],
  equal_opportunity_ratio: ['tpr'],
};
const RATE_NAMES = { selection: 'selection rate', tpr: 'TPR', fpr: 'FPR' } as const;

/**
 * Judges the fairness thresholds on the group counts of a classification result, adding to
 * `judgement`; returns the evidence (the per-group table, the metrics against their
 * thresholds, the groups left unjudged and why).
 */
export function judgeFairness(
  judgement: FairnessJudgement,
  counts: GroupCounts | undefined,
  result: { task: string; classes?: string[]; positive?: string },
  options: GroupsOptions,
): Evidence[] {
  if (result.task !== 'classification' || !result.classes) {
    judgement.errors.push(
      'groups: fairness metrics compare a predicted class, and these are regression predictions',
    );
    return [];
  }
  if (!counts) {
    judgement.errors.push('groups: the group counts were not computed');
    return [];
  }
  const by = counts.columns.join(' × ');
  const outcome = outcomeClass({ classes: result.classes, positive: result.positive }, options.positive);
  if (!outcome.found) {
    judgement.errors.push(`groups: ${outcome.problem}`);
    return [];
  }
  const positive = outcome.name;
  const rates = counts.groups.map((group) => groupRates(group, positive));
  const judged = rates.filter((row) => row.n >= options.min_group_size);
  const small = rates.filter((row) => row.n < options.min_group_size);

  const evidence: Evidence[] = [
    groupTable(rates, by, positive, options.min_group_size),
    ...groupNotes(counts, rates, by, options.min_group_size).map((text): Evidence => ({
      type: 'text',
      title: 'groups',
      text,
    })),
  ];
  judgement.measured.groups = rates.length;
  judgement.measured['groups judged'] = judged.length;

  if (judged.length < 2) {
    judgement.errors.push(
      `groups: ${judged.length === 0 ? 'no group has' : `only one group (${judged[0]!.group}) has`} at least ${options.min_group_size} rows of ${rates.length} group${rates.length === 1 ? '' : 's'} by ${by}: there is nothing to compare (lower min_group_size or gather more rows)`,
    );
    return evidence;
  }

  // One group written several ways ("F", "f ", "NaN", "null") splits into groups that each look
  // small or fair on their own: refuse rather than compare the pieces.
  const variants = spellingVariants(counts.groups);
  if (variants.length > 0) {
    judgement.errors.push(
      `groups: ${variants
        .slice(0, 5)
        .map((names) => names.join(', '))
        .join(
          '; ',
        )} differ only by case, spaces or the spelling of a missing value — normalise ${by} before judging`,
    );
    return evidence;
  }
  const totalRows = rates.reduce((sum, row) => sum + row.n, 0);
  const smallRows = small.reduce((sum, row) => sum + row.n, 0);
  if (totalRows > 0 && smallRows / totalRows > options.max_unjudged_share) {
    judgement.errors.push(
      `groups: ${smallRows} of ${totalRows} rows (${formatNumber((100 * smallRows) / totalRows)}%) are in ${small.length} group${small.length === 1 ? '' : 's'} smaller than ${options.min_group_size} rows, more than max_unjudged_share ${formatNumber(options.max_unjudged_share)}: leaving them out could leave out the group treated worst. Merge or normalise the groups, lower min_group_size, or raise max_unjudged_share`,
    );
    return evidence;
  }
  const values = fairnessMetrics(judged);
  const spreads = { selection: values.selection, tpr: values.tpr, fpr: values.fpr };
  for (const name of FAIRNESS_METRICS) {
    const value = values.metrics[name];
    if (Number.isFinite(value)) judgement.measured[name] = value;
  }
  const rows: Array<Array<string | number | null>> = [];
  let failed = 0;
  for (const name of FAIRNESS_METRICS) {
    const text = options.thresholds[name];
    const value = values.metrics[name];
    const between = PARTS[name].map((part) => spreadText(part, spreads[part])).join('; ');
    if (text === undefined) {
      rows.push([name, finite(value), null, between, 'no threshold']);
      continue;
    }
    judgement.threshold[name] = text;
    if (!Number.isFinite(value)) {
      judgement.errors.push(`${name} cannot be judged: ${whyUndefined(name, spreads, positive)}`);
      rows.push([name, null, text, between, 'undefined']);
      continue;
    }
    const ok = meets(value, parseThreshold(text));
    if (!ok) failed++;
    (ok ? judgement.passes : judgement.failures).push(
      `${name} = ${formatNumber(value)} across ${judged.length} groups by ${by} (${between}) ${ok ? 'meets' : 'fails'} ${text}`,
    );
    rows.push([name, value, text, between, ok ? 'pass' : 'fail']);
  }
  if (small.length > 0 && failed === 0)
    judgement.passes.push(
      `${small.length} small group${small.length === 1 ? '' : 's'} (${small.reduce((sum, row) => sum + row.n, 0)} rows) not judged`,
    );
  evidence.unshift({
    type: 'table',
    title: `fairness by ${by} (Fairlearn's between-groups definitions, ${judged.length} judged groups)`,
    columns: ['metric', 'measured', 'threshold', 'between groups', 'verdict'],
    rows,
  });
  return evidence;
}

/** The per-group table: sizes, counts, rates, and whether the group is judged. */
function groupTable(rates: GroupRates[], by: string, positive: string, minSize: number): Evidence {
  return {
    type: 'table',
    title: `groups by ${by} (outcome: class ${positive}; judged: at least ${minSize} rows)`,
    columns: [
      'group',
      'rows',
      `label ${positive}`,
      `predicted ${positive}`,
      'selection rate',
      'TPR',
      'FPR',
      'precision',
      'accuracy',
      'judged',
    ],
    rows: rates.map((row) => [
      row.group,
      row.n,
      row.positives,
      row.selected,
      finite(row.selectionRate),
      finite(row.tpr),
      finite(row.fpr),
      finite(row.precision),
      finite(row.accuracy),
      row.n >= minSize ? 'yes' : `no: ${row.n} rows < ${minSize}`,
    ]),
  };
}

/** What a reader must know beside the table: groups left unjudged, rows without a group. */
function groupNotes(counts: GroupCounts, rates: GroupRates[], by: string, minSize: number): string[] {
  const notes: string[] = [];
  const small = rates.filter((row) => row.n < minSize);
  if (small.length > 0) {
    const smallRows = small.reduce((sum, row) => sum + row.n, 0);
    const totalRows = rates.reduce((sum, row) => sum + row.n, 0);
    const listed = small.slice(0, 20).map((row) => `${row.group} (${row.n})`);
    notes.push(
      `${small.length} group${small.length === 1 ? '' : 's'} with fewer than ${minSize} rows (${smallRows} of ${totalRows} rows) shown but not judged: ${listed.join(', ')}${small.length > 20 ? ', …' : ''}`,
    );
  }
  const missing = counts.groups.filter((group) => group.missing);
  if (missing.length > 0)
    notes.push(
      `rows with no value in ${by} form their own group${missing.length === 1 ? '' : 's'} (${missing.map((group) => `${group.name}: ${group.n} rows`).join(', ')}), judged like any other when large enough`,
    );
  return notes;
}

/** "selection rate 0.25 in "F" to 0.475 in "M"": the two ends a difference or ratio is made of. */
function spreadText(part: keyof typeof RATE_NAMES, s: Spread): string {
  return s.undefinedIn.length > 0
    ? `${RATE_NAMES[part]} undefined in ${s.undefinedIn.map((group) => `"${group}"`).join(', ')}`
    : `${RATE_NAMES[part]} ${formatNumber(s.low.value)} in "${s.low.group}" to ${formatNumber(s.high.value)} in "${s.high.group}"`;
}

/** The outcome class: groups.positive, else the positive class of two. */
function outcomeClass(
  result: { classes: string[]; positive?: string },
  requested: string | undefined,
): { found: true; name: string } | { found: false; problem: string } {
  const classes = result.classes;
  if (requested !== undefined) {
    const found = positiveClass(classes, requested);
    return found.found
      ? { found: true, name: found.name }
      : {
          found: false,
          problem: `positive: "${requested}" is not one of the classes (${classes.slice(0, 20).join(', ')})`,
        };
  }
  if (classes.length === 2) {
    if (result.positive !== undefined) return { found: true, name: result.positive };
    const found = positiveClass(classes);
    return found.found
      ? { found: true, name: found.name }
      : { found: false, problem: `${found.problem} (or name the outcome class with groups.positive)` };
  }
  return {
    found: false,
    problem: `fairness compares one outcome across groups, and there ${classes.length === 1 ? 'is 1 class' : `are ${classes.length} classes`} (${classes.slice(0, 12).join(', ')}${classes.length > 12 ? ', …' : ''}): name the outcome class with groups.positive (that class against the rest)`,
  };
}

function whyUndefined(
  name: FairnessMetric,
  spreads: Record<'selection' | 'tpr' | 'fpr', Spread>,
  positive: string,
): string {
  for (const part of PARTS[name]) {
    const s = spreads[part];
    if (s.undefinedIn.length > 0) {
      const groups = s.undefinedIn.map((group) => `"${group}"`).join(', ');
      if (part === 'tpr')
        return `group${s.undefinedIn.length === 1 ? '' : 's'} ${groups} ${s.undefinedIn.length === 1 ? 'has' : 'have'} no rows labelled ${positive}, so the true positive rate is undefined there (Fairlearn would count it as 0)`;
      if (part === 'fpr')
        return `group${s.undefinedIn.length === 1 ? '' : 's'} ${groups} ${s.undefinedIn.length === 1 ? 'has' : 'have'} no rows labelled other than ${positive}, so the false positive rate is undefined there (Fairlearn would count it as 0)`;
    }
    if (s.high.value === 0 && name.endsWith('_ratio'))
      return `no judged group has a ${RATE_NAMES[part]} above 0, so min / max is 0/0`;
  }
  return 'undefined for these groups';
}

/** A value as shown in a group's name: quoted when it could be mistaken for another group. */
function shownValue(value: string): string {
  return value.includes(' / ') || value === MISSING_VALUE || value.startsWith('"')
    ? JSON.stringify(value)
    : value;
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Spellings of a missing value, folded together with the empty cell when looking for variants. */
const NULL_SPELLINGS = new Set(['', 'nan', 'na', 'n/a', 'null', 'none', 'nil', '<na>', 'nat', '(missing)']);

/** Sets of group names that are one group written several ways. */
function spellingVariants(groups: GroupCount[]): string[][] {
  const byNormal = new Map<string, string[]>();
  for (const group of groups) {
    const normal = group.values
      .map((value) => {
        const folded = value.trim().toLowerCase().replace(/\s+/g, ' ');
        return NULL_SPELLINGS.has(folded) ? '(missing)' : folded;
      })
      .join('\u0000');
    byNormal.set(normal, [...(byNormal.get(normal) ?? []), group.name]);
  }
  return [...byNormal.values()].filter((names) => names.length > 1);
}
