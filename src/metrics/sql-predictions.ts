/**
 * Classification metrics computed inside the engine that holds the predictions (DuckDB,
 * PostgreSQL): every metric becomes SQL that returns summary counts — the confusion counts,
 * log-loss and Brier sums, top-k hits, calibration bin sums, per-slice groups, and per distinct
 * score the rows of each class (exact ROC AUC and average precision) — and the same code that
 * finishes the streaming path (finishClassification, ColumnRanker) finishes them here. What
 * comes back is O(classes² + distinct scores), never O(rows).
 *
 * Columns and classes are resolved as for a file (predictions.ts): the same defaults, globs,
 * lists and positive class. Labels are matched by their text (CAST … AS TEXT) to the classes,
 * in mlgate, so 7, 7.0 and '7' are one class as they are in a CSV. Rows that cannot be judged
 * (an empty label, a NULL, NaN or out-of-range probability, probabilities that do not sum to 1)
 * make the evaluation fail with examples, as they do for a file.
 */
import type { SqlEngine, SqlValue } from '../data/sql/engine.js';
import { SqlEngineError, toCount, toDouble } from '../data/sql/engine.js';
import { openSource, type SourceContext, type SqlSourceSpec } from '../data/sql/source.js';
import { matchColumns } from '../data/table.js';
import { wantRankMetrics } from './catalog.js';
import { ClassIndex, ClassLabelError, positiveClass } from './classes.js';
import {
  type ClassificationSummary,
  ECE_BINS,
  ECE_EDGES,
  EPS,
  finishClassification,
  rankColumnsOf,
} from './classification.js';
import {
  type BadRow,
  classNamesFromColumns,
  DEFAULT_PROBS,
  isPositionalList,
  LABEL_NAMES,
  PRED_NAMES,
  type PredictionColumns,
  PredictionsError,
  type PredictionsEvaluation,
  probabilityColumns,
  resolveColumn,
  singleColumnClass,
} from './predictions.js';
import { EPS as REGRESSION_EPS, finishRegression, type RegressionSummary } from './regression.js';
import { ColumnRanker, type ColumnRanks } from './score-summary.js';

/** More distinct label values than this: the column is not a class label. */
const MAX_LABEL_VALUES = 10_000;
const MAX_LISTED = 20;

export interface SqlEvaluation extends PredictionsEvaluation {
  /** What was read (engine and query/table/file), never the connection. */
  shown: string;
  /** Bytes of values the summaries brought back from the engine. */
  bytesPulled: number;
  /** Summary queries run. */
  queries: number;
}

/** Opens the source, evaluates, closes; engine errors become PredictionsError (redacted). */
export async function evaluateSqlSource(
  spec: SqlSourceSpec,
  context: SourceContext,
  options: PredictionColumns,
  signal?: AbortSignal,
): Promise<SqlEvaluation> {
  let opened;
  try {
    opened = await openSource(spec, context);
  } catch (error) {
    if (error instanceof SqlEngineError) throw new PredictionsError(error.message);
    throw error;
  }
  const engine = opened.engine;
  const stop = () => engine.interrupt();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted)
      throw new PredictionsError(`stopped before the first query: ${String(signal.reason)}`);
    return { ...(await evaluateSql(engine, opened.relation, options)), shown: opened.shown };
  } catch (error) {
    if (error instanceof SqlEngineError) throw new PredictionsError(error.message);
    if (error instanceof ClassLabelError) throw new PredictionsError(error.message);
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    await engine.close();
  }
}

interface Plan {
  /** SQL of the rows with y, yhat, p0..p(k-1) (sorted class order), slice columns, bad. */
  rows: string;
  /**
   * Per summarised column c, per distinct score, the rows of each class y: (c·k + y, score,
   * rows), ordered by column then score (one number for column and class: fewer bytes back).
   */
  rankSql(columns: number[]): string;
  k: number;
  probabilities: boolean;
  slices: number;
}

export async function evaluateSql(
  engine: SqlEngine,
  relation: string,
  options: PredictionColumns,
): Promise<Omit<SqlEvaluation, 'shown'>> {
  const d = engine.dialect;
  let queries = 0;
  const query = async (sql: string) => {
    queries++;
    return engine.query(sql);
  };
  const columns = await engine.columns(relation);
  if (options.task === 'regression') return evaluateRegressionSql(engine, relation, columns, options);
  const labelName = columns[resolveColumn(columns, options.label, LABEL_NAMES, 'label', true)]!;
  const patterns =
    options.probs === undefined ? [] : Array.isArray(options.probs) ? options.probs : [options.probs];
  const probNames = probabilityColumns(columns, patterns);
  if (options.probs === undefined) probNames.push(...matchColumns(columns, DEFAULT_PROBS));
  const predIndex = resolveColumn(columns, options.pred, PRED_NAMES, 'pred', probNames.length === 0);
  const predName = predIndex >= 0 ? columns[predIndex] : undefined;
  const sliceNames = (options.slices ?? []).map((name) => {
    if (!columns.includes(name))
      throw new PredictionsError(`no column "${name}" (slice); columns: ${columns.join(', ')}`);
    return name;
  });
  const text = (name: string) => `CAST(${d.ident(name)} AS ${d.textType})`;

  // The distinct label (and prediction) values, as text, with their row counts.
  const distinct = async (name: string) => {
    const rows = await query(
      `SELECT ${text(name)} AS v, count(*) AS n FROM ${relation} GROUP BY 1 LIMIT ${MAX_LABEL_VALUES + 1}`,
    );
    if (rows.length > MAX_LABEL_VALUES)
      throw new PredictionsError(
        `column "${name}" has more than ${MAX_LABEL_VALUES} distinct values: is it a class label? (for a regression target set task: regression)`,
      );
    return rows.map(([value, n]) => ({
      value: value === null ? null : String(value),
      n: toCount(n ?? null, 'rows'),
    }));
  };
  const labelValues = await distinct(labelName);
  const predValues = predName ? await distinct(predName) : [];

  // Classes, as the streaming path finds them.
  let classNames: string[];
  let scoreClass = 1;
  const binaryScore = probNames.length === 1;
  if (binaryScore) {
    classNames = ['0', '1'];
    scoreClass = singleColumnClass(probNames[0]!, patterns, options.positive);
  } else if (probNames.length > 1 && isPositionalList(options.probs)) {
    classNames = classesOfList(probNames, [...labelValues, ...predValues]);
  } else if (probNames.length > 1) {
    classNames = classNamesFromColumns(probNames, patterns.length > 0 ? patterns : [DEFAULT_PROBS]);
  } else {
    const open = new ClassIndex();
    for (const { value } of [...labelValues, ...predValues]) {
      if (value === null || value.trim() === '') continue;
      if (Number.isFinite(Number(value)) && !Number.isInteger(Number(value))) continue; // refused below
      open.ofText(value);
    }
    const mixed = open.mixedTypes();
    if (mixed)
      throw new PredictionsError(
        `labels mix numbers and text (e.g. ${mixed.number} and "${mixed.text}"): is a column shifted? Classes seen: ${open.names.slice(0, 12).join(', ')}`,
      );
    classNames = open.names;
  }
  // Class index = position in sorted order from here on: p0..p(k-1) are in that order.
  const unsorted = new ClassIndex(classNames, false);
  const sortedNames = unsorted.sortedOrder().map((i) => unsorted.names[i]!);
  const classes = new ClassIndex(sortedNames, false);
  const k = classes.size;

  const bad: BadRow[] = [];
  let badCount = 0;
  const mapping = (values: Array<{ value: string | null; n: number }>, what: 'label' | 'prediction') => {
    const whens: string[] = [];
    for (const { value, n } of values) {
      const problem =
        value === null || value.trim() === ''
          ? `the ${what} is empty`
          : Number.isFinite(Number(value)) && !Number.isInteger(Number(value))
            ? `${what} "${value}" is a non-integer number, not a class: for a regression target set task: regression`
            : classes.find(value) < 0
              ? `${what} "${value}" is not one of the classes (${classes.names.join(', ')})`
              : undefined;
      if (problem) {
        badCount += n;
        if (bad.length < MAX_LISTED) bad.push({ where: `${n} row${n === 1 ? '' : 's'}`, problem });
        continue;
      }
      whens.push(`WHEN ${d.string(value!)} THEN ${classes.find(value!)}`);
    }
    return whens;
  };
  const labelWhens = mapping(labelValues, 'label');
  const predWhens = predName ? mapping(predValues, 'prediction') : [];
  if (badCount > 0) throw badRowsError(bad, badCount);

  // Probability columns in sorted class order.
  const probabilities = probNames.length > 0;
  const p = (c: number) => `p${c}`;
  const probExpressions: string[] = [];
  if (binaryScore) {
    const score = `CAST(${d.ident(probNames[0]!)} AS ${d.doubleType})`;
    for (let c = 0; c < 2; c++) probExpressions.push(c === scoreClass ? score : `1 - ${score}`);
  } else if (probabilities) {
    const byClass = new Map<number, string>();
    const names = isPositionalList(options.probs)
      ? probNames.map((_, i) => sortedNames[i]!)
      : classNamesFromColumns(probNames, patterns.length > 0 ? patterns : [DEFAULT_PROBS]);
    probNames.forEach((column, i) => byClass.set(classes.find(names[i]!), column));
    for (let c = 0; c < k; c++) probExpressions.push(`CAST(${d.ident(byClass.get(c)!)} AS ${d.doubleType})`);
  }
  const tolerance = options.probSumTolerance ?? 1e-3;
  const all = (f: (c: number) => string, joiner: string) =>
    Array.from({ length: k }, (_, c) => f(c)).join(joiner);
  const caseOf = (expression: string, whens: string[]) =>
    whens.length > 0 ? `CASE ${expression} ${whens.join(' ')} END` : 'NULL';
  const sliceSelect = sliceNames.map((name, i) => `, COALESCE(TRIM(${text(name)}), '') AS s${i}`).join('');
  const sliceColumns = sliceNames.map((_, i) => `s${i}`);

  const base = `SELECT ${caseOf(text(labelName), labelWhens)} AS y${predName ? `, ${caseOf(text(predName), predWhens)} AS yhat_given` : ''}${probExpressions.map((e, c) => `, ${e} AS ${p(c)}`).join('')}${sliceSelect} FROM ${relation}`;
  let rows: string;
  if (probabilities) {
    const topP = `GREATEST(${all(p, ', ')})`;
    const badProbs = binaryScore
      ? `${p(scoreClass)} IS NULL OR ${p(scoreClass)} < 0 OR ${p(scoreClass)} > 1`
      : `${all((c) => `${p(c)} IS NULL OR ${p(c)} < 0 OR ${p(c)} > ${d.double(1 + tolerance)}`, ' OR ')} OR abs(${all(p, ' + ')} - 1) > ${d.double(tolerance)}`;
    const top = `CASE ${all((c) => `WHEN ${p(c)} = top_p THEN ${c}`, ' ')} END`;
    const pt = `CASE y ${all((c) => `WHEN ${c} THEN ${p(c)}`, ' ')} END`;
    rows = `WITH base AS (${base}), topped AS (SELECT *, ${topP} AS top_p FROM base), judged AS (SELECT *, ${top} AS top, ${pt} AS pt, (y IS NULL${predName ? ' OR yhat_given IS NULL' : ''} OR ${badProbs}) AS bad FROM topped) SELECT *, ${predName ? 'yhat_given' : 'top'} AS yhat FROM judged`;
  } else {
    rows = `WITH base AS (${base}) SELECT *, yhat_given AS yhat, (y IS NULL OR yhat_given IS NULL) AS bad FROM base`;
  }
  const yOnly = caseOf(text(labelName), labelWhens);
  const plan: Plan = {
    rows,
    k,
    probabilities,
    slices: sliceNames.length,
    // Rank summaries need only the class and one score: straight from the source.
    // One scan of the source for every column (a CTE read k times: engines materialise it).
    rankSql: (columns) =>
      `WITH r AS (SELECT ${yOnly} AS y${columns.map((c) => `, ${probExpressions[c]} AS ${p(c)}`).join('')} FROM ${relation}) SELECT cy, score, CAST(count(*) AS ${d.doubleType}) FROM (${columns.map((c) => `SELECT ${c * k} + y AS cy, ${p(c)} AS score FROM r`).join(' UNION ALL ')}) AS u GROUP BY 1, 2 ORDER BY FLOOR(cy / ${k}), 2`,
  };

  // One scan for every count and sum: confusion cells (with log-loss, Brier, top-k) and
  // calibration bins as two grouping sets, and the rows that cannot be judged.
  const groupBy = (...names: string[]) => [...sliceColumns, ...names].join(', ');
  const bin = `CASE ${ECE_EDGES.slice(1, ECE_BINS)
    .map((edge, b) => `WHEN top_p <= ${d.double(edge)} THEN ${b}`)
    .join(' ')} ELSE ${ECE_BINS - 1} END`;
  const oneHot = (c: number) => `(${p(c)} - CASE WHEN y = ${c} THEN 1 ELSE 0 END)`;
  const aggregates = [
    'count(*)',
    d.countIf('bad'),
    ...(probabilities
      ? [
          `sum(-ln(LEAST(GREATEST(pt, ${d.double(EPS)}), ${d.double(1 - EPS)})))`,
          ...Array.from({ length: k }, (_, c) => `sum(${oneHot(c)} * ${oneHot(c)})`),
          ...[1, 2, 3, 4, 5].map((r) => d.countIf(`above < ${r}`)),
          d.countIf('top = y'),
          'sum(top_p)',
        ]
      : []),
  ];
  const summarySql = probabilities
    ? `SELECT ${groupBy('y', 'yhat', 'bin')}, GROUPING(bin), ${aggregates.join(', ')} FROM (SELECT *, ${all((c) => `CASE WHEN ${p(c)} > pt OR (${p(c)} = pt AND ${c} > y) THEN 1 ELSE 0 END`, ' + ')} AS above, ${bin} AS bin FROM (${plan.rows}) AS r) AS a GROUP BY GROUPING SETS ((${groupBy('y', 'yhat')}), (${groupBy('bin')}))`
    : `SELECT ${groupBy('y', 'yhat')}, ${aggregates.join(', ')} FROM (${plan.rows}) AS r GROUP BY ${groupBy('y', 'yhat')}`;
  const summaryRows = await query(summarySql);
  const at = plan.slices;
  const first = at + (probabilities ? 4 : 2); // the first aggregate
  const isConfusionRow = (row: SqlValue[]) => !probabilities || Number(row[at + 3]) === 1;

  // Rows that cannot be judged: counted, the first shown, as a file's bad lines are.
  let nBad = 0;
  for (const row of summaryRows)
    if (isConfusionRow(row)) nBad += toCount(row[first + 1]!, 'rows that cannot be judged');
  if (nBad > 0) {
    const examples = await query(
      `SELECT y${probabilities ? `, ${all(p, ', ')}` : ''} FROM (${plan.rows}) AS r WHERE bad LIMIT ${MAX_LISTED}`,
    );
    throw badRowsError(
      examples.map((row) => ({
        where: 'a row',
        problem: describeBadRow(row, k, probabilities, binaryScore ? scoreClass : undefined, tolerance),
      })),
      nBad,
    );
  }
  if (options.positive !== undefined) {
    if (k > 2)
      throw new PredictionsError(
        `positive: is for two classes, and there are ${k} (${sortedNames.slice(0, 12).join(', ')})`,
      );
    const found = positiveClass(sortedNames, options.positive);
    if (k === 2 && !found.found) throw new PredictionsError(found.problem);
  }

  // One summary per slice key (WHOLE for the whole set).
  const summaries = new Map<string, ClassificationSummary>();
  const summaryOf = (key: string) => {
    let summary = summaries.get(key);
    if (!summary) {
      summary = emptySummary(k, probabilities);
      summaries.set(key, summary);
    }
    return summary;
  };
  const WHOLE = '\u0000whole';
  const whole = summaryOf(WHOLE);
  const maxSlices = options.maxSlices ?? 1000;
  for (const row of summaryRows) {
    const key = row.slice(0, plan.slices).map(String).join(' / ');
    const targets = plan.slices > 0 ? [whole, summaryOf(key)] : [whole];
    if (summaries.size > maxSlices + 1)
      throw new PredictionsError(`more than ${maxSlices} distinct slice values: is the slice column an id?`);
    const count = toCount(row[first]!, 'rows');
    if (isConfusionRow(row)) {
      const y = Number(row[at]);
      const yhat = Number(row[at + 1]);
      for (const summary of targets) {
        summary.n += count;
        summary.confusion[y * k + yhat]! += count;
        if (!probabilities) continue;
        summary.logLossSum += toDouble(row[first + 2]!);
        for (let c = 0; c < k; c++) summary.brierByClass[c]! += toDouble(row[first + 3 + c]!);
        for (let r = 1; r <= 5; r++) summary.topHits[r]! += toCount(row[first + 3 + k + r - 1]!, 'rows');
      }
    } else {
      const b = Number(row[at + 2]);
      for (const summary of targets) {
        summary.eceCount[b]! += count;
        summary.eceCorrect[b]! += toCount(row[first + 3 + k + 5]!, 'rows');
        summary.eceConfidence[b]! += toDouble(row[first + 3 + k + 6]!);
      }
    }
  }
  if (whole.n === 0) throw new PredictionsError('the source has no rows');

  // Rank metrics of the whole set (slices have none, as in the streaming path).
  const rankMetrics = options.rankMetrics ?? wantRankMetrics(Math.max(2, k), []);
  if (probabilities && rankMetrics) {
    const rankColumns = rankColumnsOf(classes, options.positive);
    if (rankColumns.length > 0) {
      const support = new Float64Array(k);
      for (let t = 0; t < k; t++) for (let q = 0; q < k; q++) support[t]! += whole.confusion[t * k + q]!;
      queries++;
      const ranks = await rankOverEngine(engine, plan, rankColumns, support);
      whole.scores = { columns: rankColumns, ranks: (c) => ranks.get(c)! };
    }
  }

  const finishOptions = { classes, positive: options.positive, rankMetrics };
  const result = finishClassification(whole, finishOptions);
  const slices = [...summaries]
    .filter(([key]) => key !== WHOLE)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, summary]) => ({
      key,
      result: finishClassification(summary, { ...finishOptions, rankMetrics: false }),
    }));
  return {
    result,
    slices,
    columns: { label: labelName, pred: predName, probs: probNames, slices: sliceNames },
    bytesPulled: engine.bytesPulled,
    queries,
  };
}

/** Per distinct score of one column, the rows of each class, streamed in ascending order. */
async function rankOverEngine(
  engine: SqlEngine,
  plan: Plan,
  columns: number[],
  support: Float64Array,
): Promise<Map<number, ColumnRanks>> {
  const ranks = new Map<number, ColumnRanks>();
  let ranker: ColumnRanker | undefined;
  let column = -1;
  // The (class, rows) entries of the current score: one row per class, or more when an engine
  // keeps -0 and 0 apart (they are one score here).
  let classes = new Int32Array(plan.k);
  let counts = new Float64Array(plan.k);
  let entries = 0;
  let current: number | undefined;
  const finishGroup = () => {
    if (current !== undefined) ranker!.visit(classes, counts, 0, entries);
    entries = 0;
  };
  const k = plan.k;
  await engine.stream(plan.rankSql(columns), ([cys, scores, rowCounts], rows) => {
    for (let i = 0; i < rows; i++) {
      const cy = Number(cys![i]);
      const c = Math.floor(cy / k);
      if (c !== column) {
        finishGroup();
        if (ranker) ranks.set(column, ranker.result());
        column = c;
        ranker = new ColumnRanker(c, support);
        current = undefined;
      }
      const score = toDouble(scores![i]!) + 0; // -0 and 0 are one score
      if (current !== undefined && score !== current) finishGroup();
      current = score;
      if (entries === classes.length) {
        const grown = { classes: new Int32Array(entries * 2), counts: new Float64Array(entries * 2) };
        grown.classes.set(classes);
        grown.counts.set(counts);
        ({ classes, counts } = grown);
      }
      classes[entries] = cy - c * k;
      counts[entries++] = toCount(rowCounts![i]!, 'rows');
    }
  });
  finishGroup();
  if (ranker) ranks.set(column, ranker.result());
  // A column with no rows at all never came back: its class has no support either.
  for (const c of columns) if (!ranks.has(c)) ranks.set(c, new ColumnRanker(c, support).result());
  return ranks;
}

function emptySummary(k: number, probabilities: boolean): ClassificationSummary {
  return {
    k,
    n: 0,
    confusion: new Float64Array(k * k),
    probabilities,
    logLossSum: 0,
    brierByClass: new Float64Array(k),
    eceCount: new Float64Array(ECE_BINS),
    eceCorrect: new Float64Array(ECE_BINS),
    eceConfidence: new Float64Array(ECE_BINS),
    topHits: new Float64Array(6),
  };
}

/** The classes a positional list of probability columns stands for (see predictions.ts). */
function classesOfList(probNames: string[], values: Array<{ value: string | null }>): string[] {
  const seen = new ClassIndex();
  for (const { value } of values) {
    if (value === null || value.trim() === '') continue;
    if (Number.isFinite(Number(value)) && !Number.isInteger(Number(value))) continue;
    seen.ofText(value);
  }
  const k = probNames.length;
  let classes = seen.sortedOrder().map((index) => seen.names[index]!);
  if (classes.length < k && classes.every((name) => /^\d+$/.test(name) && Number(name) < k))
    classes = Array.from({ length: k }, (_, i) => String(i));
  else if (classes.length !== k)
    throw new PredictionsError(
      `probs lists ${k} columns (${probNames.join(', ')}), one per class in sorted label order, but the labels and predictions have ${classes.length} classes (${classes.slice(0, 12).join(', ')}): list one column per class, or name them with a glob such as "prob_*"`,
    );
  return classes;
}

function describeBadRow(
  row: SqlValue[],
  k: number,
  probabilities: boolean,
  scoreClass: number | undefined,
  tolerance: number,
): string {
  if (row[0] === null) return 'the label (or prediction) is empty or not a class';
  if (!probabilities) return 'the prediction is empty or not a class';
  const probs = row.slice(1, 1 + k).map((value) => (value === null ? null : toDouble(value)));
  const columns = scoreClass === undefined ? probs.map((_, c) => c) : [scoreClass];
  for (const c of columns) {
    const value = probs[c];
    if (value === null || value === undefined) return `probability of class ${c} is empty (NULL)`;
    if (Number.isNaN(value)) return `probability of class ${c} is not a number`;
    if (value < 0 || value > (scoreClass === undefined ? 1 + tolerance : 1))
      return `probability of class ${c} = ${value} is outside [0, 1]`;
  }
  const sum = (probs as number[]).reduce((a, b) => a + b, 0);
  return `probabilities sum to ${sum.toPrecision(8)}, not 1 (tolerance ${tolerance}); are these logits? apply softmax first`;
}

function badRowsError(bad: BadRow[], count: number): PredictionsError {
  return new PredictionsError(
    `${count} row${count === 1 ? '' : 's'} cannot be judged (first: ${bad[0]?.where ?? 'a row'}: ${bad[0]?.problem ?? 'see the engine'})`,
    bad,
    count,
  );
}

/**
 * Regression metrics from one aggregate query: sums of the residual, population variances of
 * the target and the residual, the exact median of |residual| — per slice too (grouping
 * sets) — finished by the streaming path's finishRegression.
 */
async function evaluateRegressionSql(
  engine: SqlEngine,
  relation: string,
  columns: string[],
  options: PredictionColumns,
): Promise<Omit<SqlEvaluation, 'shown'>> {
  const d = engine.dialect;
  const labelName = columns[resolveColumn(columns, options.label, LABEL_NAMES, 'label', true)]!;
  const predName = columns[resolveColumn(columns, options.pred, PRED_NAMES, 'pred', true)]!;
  const sliceNames = (options.slices ?? []).map((name) => {
    if (!columns.includes(name))
      throw new PredictionsError(`no column "${name}" (slice); columns: ${columns.join(', ')}`);
    return name;
  });
  const slices = sliceNames.map((_, i) => `s${i}`);
  const infinity = d.double(Number.POSITIVE_INFINITY);
  const rows = `SELECT CAST(${d.ident(labelName)} AS ${d.doubleType}) AS y, CAST(${d.ident(predName)} AS ${d.doubleType}) AS yhat${sliceNames.map((name, i) => `, COALESCE(TRIM(CAST(${d.ident(name)} AS ${d.textType})), '') AS s${i}`).join('')} FROM ${relation}`;
  const judged = `SELECT *, y - yhat AS res, (y IS NULL OR yhat IS NULL OR NOT (abs(y) < ${infinity} AND abs(yhat) < ${infinity})) AS bad FROM (${rows}) AS r`;
  const aggregates = [
    'count(*)',
    d.countIf('bad'),
    'sum(abs(res))',
    'sum(res * res)',
    `sum(abs(res) / GREATEST(abs(y), ${d.double(REGRESSION_EPS)}))`,
    'max(abs(res))',
    'var_pop(y)',
    'var_pop(res)',
    d.median('abs(res)'),
  ];
  const sql =
    slices.length === 0
      ? `SELECT 1, ${aggregates.join(', ')} FROM (${judged}) AS j`
      : `SELECT ${slices.join(', ')}, GROUPING(${slices[0]}), ${aggregates.join(', ')} FROM (${judged}) AS j GROUP BY GROUPING SETS ((), (${slices.join(', ')}))`;
  const result = await engine.query(sql);
  const at = slices.length; // the GROUPING() column: 1 for the whole set
  let whole: RegressionSummary | undefined;
  const bySlice: Array<{ key: string; summary: RegressionSummary }> = [];
  for (const row of result) {
    const n = toCount(row[at + 1]!, 'rows');
    const bad = toCount(row[at + 2]!, 'rows that cannot be judged');
    if (bad > 0)
      throw badRowsError(
        [
          {
            where: `${bad} row${bad === 1 ? '' : 's'}`,
            problem: 'the target or the prediction is empty or not a finite number',
          },
        ],
        bad,
      );
    const summary: RegressionSummary = {
      n,
      sumAbs: toDouble(row[at + 3]!),
      sumSquared: toDouble(row[at + 4]!),
      sumPercentage: toDouble(row[at + 5]!),
      maxError: toDouble(row[at + 6]!),
      m2Y: toDouble(row[at + 7]!) * n,
      m2Residual: toDouble(row[at + 8]!) * n,
      medianAbsoluteError: toDouble(row[at + 9]!),
    };
    if (Number(row[at]) === 1) whole = summary;
    else bySlice.push({ key: row.slice(0, at).map(String).join(' / '), summary });
  }
  if (!whole || whole.n === 0) throw new PredictionsError('the source has no rows');
  if (bySlice.length > (options.maxSlices ?? 1000))
    throw new PredictionsError(
      `more than ${options.maxSlices ?? 1000} distinct slice values: is the slice column an id?`,
    );
  return {
    result: finishRegression(whole),
    slices: bySlice
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ key, summary }) => ({ key, result: finishRegression(summary) })),
    columns: { label: labelName, pred: predName, probs: [], slices: sliceNames },
    bytesPulled: engine.bytesPulled,
    queries: 1,
  };
}
