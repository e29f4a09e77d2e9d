/**
 * What the drift check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { stat } from 'node:fs/promises';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { sha256OfFile } from '../../util/digest.js';
import { didYouMean } from '../../util/suggest.js';
import { formatNumber, meets, parseThreshold } from '../../util/threshold.js';
import {
  analyzeFeature,
  byDrift,
  type FeatureDrift,
  formatPercent,
  judgeFeature,
} from '../../drift/analyze.js';
import { DriftInputError, type FeatureType, readBoth, type TableInput } from '../../drift/collect.js';
import { type DriftParams, formatOf } from './check.js';

/** Features whose distributions are drawn (the most drifted). */
const CHARTED = 6;

export async function run(ctx: CheckContext, params: DriftParams): Promise<CheckOutcome> {
  const input = (path: string): TableInput => {
    const absolute = ctx.resolve(path);
    return {
      path: absolute,
      shown: ctx.display(absolute),
      format: params.format ?? formatOf(path)!,
      names: params.names,
    };
  };
  const reference = input(params.reference);
  const current = input(params.current);
  let files: [Evidence, Evidence];
  try {
    files = [await fileEvidence(reference, ctx.signal), await fileEvidence(current, ctx.signal)];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const which = (error as { shown?: string }).shown ?? '';
    if (code === 'ENOENT') return { status: 'error', summary: `${which} not found` };
    if (code) return { status: 'error', summary: `cannot read ${which}: ${(error as Error).message}` };
    throw error;
  }
  if (files[0].type === 'file' && files[1].type === 'file' && files[0].sha256 === files[1].sha256)
    return {
      status: 'error',
      summary: `${current.shown} has the same content as ${reference.shown} (sha256 ${files[0].sha256!.slice(0, 12)}…): a table compared with itself shows no drift, whatever the data`,
      evidence: files,
    };
  const asList = (value: string | string[] | undefined) =>
    value === undefined ? undefined : Array.isArray(value) ? value : [value];
  let read: Awaited<ReturnType<typeof readBoth>>;
  try {
    read = await readBoth(
      reference,
      current,
      {
        columns: asList(params.columns),
        exclude: asList(params.exclude),
        types: (params.types ?? {}) as Record<string, FeatureType>,
        maxCategories: params.max_categories,
      },
      ctx.signal,
    );
  } catch (error) {
    if (error instanceof DriftInputError) return { status: 'error', summary: error.message, evidence: files };
    throw error;
  }
  for (const [table, shown] of [
    [read.reference, reference.shown],
    [read.current, current.shown],
  ] as const) {
    if (table.rows < params.min_rows)
      return {
        status: 'error',
        summary: `${shown} has ${table.rows} row${table.rows === 1 ? '' : 's'}, fewer than min_rows (${params.min_rows}): too few to tell drift from chance`,
        evidence: files,
      };
  }
  const unknown = Object.keys(params.features ?? {}).filter((name) => !read.features.includes(name));
  if (unknown.length > 0) {
    return {
      status: 'error',
      summary: `features: names ${unknown.map((n) => `"${n}"`).join(', ')}, not a compared feature of ${reference.shown}.${didYouMean(unknown[0]!, read.features)}`,
    };
  }
  if (read.features.length === 0)
    return {
      status: 'error',
      summary: `no feature to compare: columns/exclude leave none of ${reference.shown}`,
    };

  const results: FeatureDrift[] = [];
  for (let k = 0; k < read.features.length; k++) {
    const feature = analyzeFeature(
      read.reference.features[k]!,
      read.current.features[k]!,
      read.reference.rows,
      read.current.rows,
      reference.shown,
      current.shown,
      {
        bins: params.bins,
        epsilon: params.psi_epsilon,
        maxCategories: params.max_categories,
        minValues: params.min_rows,
      },
    );
    judgeFeature(feature, { ...params.thresholds, ...params.features?.[feature.name] });
    results.push(feature);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // Sorting a million values takes a while: let timers and Ctrl-C through between features.
    if (k % 4 === 3) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return outcome(params, results, read.reference.rows, read.current.rows, files);
}

async function fileEvidence(input: TableInput, signal: AbortSignal): Promise<Evidence> {
  try {
    const info = await stat(input.path);
    if (info.isDirectory()) throw Object.assign(new Error('a folder, not a table'), { code: 'EISDIR' });
    return {
      type: 'file',
      path: input.shown,
      size: info.size,
      sha256: await sha256OfFile(input.path, signal),
    };
  } catch (error) {
    throw Object.assign(error as Error, { shown: input.shown });
  }
}

async function outcome(
  params: DriftParams,
  results: FeatureDrift[],
  referenceRows: number,
  currentRows: number,
  files: Evidence[],
): Promise<CheckOutcome> {
  results.sort(byDrift);
  const problems = results.filter((f) => f.problem);
  const unjudged = results.filter((f) => !f.problem && !f.broken && f.checks.length === 0);
  const judged = results.filter((f) => !f.problem && (f.broken || f.checks.length > 0));
  const drifted = judged.filter((f) => f.drifted);
  const share = judged.length > 0 ? drifted.length / judged.length : Number.NaN;
  const numericCount = results.filter((f) => f.type === 'numeric').length;

  const evidence: Evidence[] = [...files, table(results, params.show)];
  const charted = results.filter((f) => f.histogram && !f.problem).slice(0, CHARTED);
  if (charted.length > 0) {
    evidence.push({
      type: 'data',
      title: `distributions of the ${charted.length === 1 ? 'most drifted feature' : `${charted.length} most drifted features`}`,
      name: 'drift-distributions',
      data: charted.map((f) => ({
        feature: f.name,
        type: f.type,
        drifted: f.drifted,
        psi: f.values.psi ?? null,
        labels: f.histogram!.labels,
        reference: f.histogram!.reference,
        current: f.histogram!.current,
      })),
    });
  }
  const categoryNotes = results
    .filter((f) => f.newCategories?.length || f.missingCategories?.length)
    .slice(0, params.show)
    .map((f) => [
      f.name,
      f.newCategories?.length ? clip(f.newCategories) : null,
      f.values.new_category_share ?? null,
      f.missingCategories?.length ? clip(f.missingCategories) : null,
    ]);
  if (categoryNotes.length > 0) {
    evidence.push({
      type: 'table',
      title: 'categories new in the current table, and missing from it',
      columns: ['feature', 'new categories', 'share of current rows', 'missing categories'],
      rows: categoryNotes,
    });
  }

  const measured: CheckOutcome['measured'] = {
    features: results.length,
    numeric: numericCount,
    categorical: results.length - numericCount,
    judged: judged.length,
    drifted: drifted.length,
    drifted_share: Number.isNaN(share) ? null : share,
    reference_rows: referenceRows,
    current_rows: currentRows,
    max_psi: Math.max(...results.map((f) => f.values.psi ?? Number.NEGATIVE_INFINITY)),
  };
  if (!Number.isFinite(measured.max_psi as number)) measured.max_psi = null;
  const threshold: Record<string, string> = { ...params.thresholds };
  if (params.drifted_share) threshold.drifted_share = params.drifted_share;
  const counted = `${results.length} feature${results.length === 1 ? '' : 's'} (${numericCount} numeric, ${results.length - numericCount} categorical), ${referenceRows} reference rows vs ${currentRows} current`;

  if (problems.length > 0 || unjudged.length > 0) {
    const lines = [
      ...problems.map((f) => `${f.name} ${f.problem}`),
      ...(unjudged.length
        ? [
            `${unjudged.length} feature${unjudged.length === 1 ? ' is' : 's are'} judged by no threshold: ${clip(unjudged.map((f) => `${f.name} (${f.type})`))} — add a statistic of ${unjudged.some((f) => f.type === 'categorical') ? 'categorical features (psi, chi2_pvalue, js_distance)' : 'numeric features (psi, ks_pvalue, wasserstein_norm)'} to thresholds, or exclude them`,
          ]
        : []),
    ];
    return {
      status: 'error',
      summary: `${problems.length + unjudged.length} of ${results.length} features cannot be judged: ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? `; … (${lines.length - 3} more)` : ''}`,
      measured,
      threshold,
      evidence,
    };
  }

  const worst = drifted
    .slice(0, 3)
    .map(
      (f) =>
        `${f.name} (${
          f.broken
            ? 'all null'
            : f.checks
                .filter((c) => !c.ok)
                .map((c) => `${c.metric} ${formatNumber(c.value)}`)
                .join(', ')
        })`,
    )
    .join(', ');
  const driftText = `${drifted.length} of ${judged.length} features drifted (${formatPercent(share)})${drifted.length ? `: ${worst}${drifted.length > 3 ? ', …' : ''}` : ''}`;
  let status: 'pass' | 'fail';
  let rule: string;
  if (params.drifted_share) {
    const ok = meets(share, parseThreshold(params.drifted_share));
    status = ok ? 'pass' : 'fail';
    rule = `drifted share ${formatPercent(share)} ${ok ? 'meets' : 'fails'} ${params.drifted_share}`;
  } else {
    status = drifted.length === 0 ? 'pass' : 'fail';
    rule = 'no feature may drift (no drifted_share rule)';
  }
  return {
    status,
    summary: `${driftText} — ${rule}; ${counted}, measured`,
    source: 'measured',
    measured,
    threshold,
    evidence,
  };
}

function clip(names: string[], max = 8): string {
  return names.length > max ? `${names.slice(0, max).join(', ')}, … (${names.length})` : names.join(', ');
}

function table(results: FeatureDrift[], show: number): Evidence {
  const rows = results.slice(0, show).map((f) => {
    const nullRates = `${formatPercent(f.reference.nulls / f.reference.rows)} → ${formatPercent(f.current.nulls / f.current.rows)}`;
    const verdict = f.problem
      ? `error: ${f.problem}`
      : f.broken
        ? `drifted: ${f.broken}`
        : f.checks.length === 0
          ? 'not judged: no threshold applies'
          : f.drifted
            ? `drifted: ${f.checks
                .filter((c) => !c.ok)
                .map((c) => `${c.metric} ${formatNumber(c.value)} fails ${c.threshold}`)
                .join(', ')}`
            : 'ok';
    const statistic =
      f.statistic === undefined
        ? null
        : `${f.type === 'numeric' ? 'KS D' : 'χ²'} ${formatNumber(f.statistic)}`;
    const distance =
      f.type === 'numeric'
        ? f.values.wasserstein_norm === undefined
          ? null
          : `W ${formatNumber(f.values.wasserstein!)} (${formatNumber(f.values.wasserstein_norm)} σ)`
        : f.values.js_distance === undefined
          ? null
          : `JS ${formatNumber(f.values.js_distance)}`;
    return [f.name, f.type, statistic, f.pvalue ?? null, f.values.psi ?? null, distance, nullRates, verdict];
  });
  const drifted = results.filter((f) => f.drifted).length;
  return {
    type: 'table',
    title: `features by drift (${results.length > show ? `the worst ${show} of ${results.length} shown` : `all ${results.length}`}; ${drifted} drifted)`,
    columns: ['feature', 'type', 'statistic', 'p-value', 'PSI', 'distance', 'nulls ref → cur', 'verdict'],
    rows,
  };
}
