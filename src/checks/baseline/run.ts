/**
 * What the baseline check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { z } from 'zod';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { formatNumber } from '../../util/threshold.js';
import { type BaselineParams, MetricRule } from './check.js';

export async function run(ctx: CheckContext, params: BaselineParams): Promise<CheckOutcome> {
  if (!ctx.history) {
    return {
      status: 'error',
      summary: 'a baseline comparison needs the store of earlier runs (it is off: --no-store)',
    };
  }
  const current = ctx.result?.(params.item);
  if (!current) return { status: 'error', summary: `item "${params.item}" did not run in this run` };
  const selector = params.against === 'last-pass' ? { lastPass: true as const } : params.against;
  const describeAgainst =
    params.against === 'last-pass'
      ? `the last PASS run${ctx.profile ? ` of profile ${ctx.profile}` : ''}`
      : 'tag' in params.against
        ? `the run tagged "${params.against.tag}"`
        : `run #${params.against.run}`;
  // A store that cannot answer (a server away) is an error with its reason, never "no baseline".
  let base: Awaited<ReturnType<typeof ctx.history.find>>;
  let then: Awaited<ReturnType<typeof ctx.history.item>>;
  try {
    base = await ctx.history.find(selector, ctx.profile);
    then = base && (await ctx.history.item(base.id, params.item));
  } catch (error) {
    return { status: 'error', summary: `cannot read the baseline: ${(error as Error).message}` };
  }
  if (!base) {
    const summary = `no baseline: ${describeAgainst} does not exist yet (on_missing_baseline: ${params.on_missing_baseline})`;
    return {
      status: params.on_missing_baseline,
      summary,
      evidence: [{ type: 'text', title: 'baseline', text: summary }],
    };
  }
  const label = `run #${base.id} (${base.startedAt.slice(0, 10)})`;
  const rows: Array<Array<string | number | null>> = [];
  const failures: string[] = [];
  const errors: string[] = [];
  const measured: Record<string, number | null> = {};
  const threshold: Record<string, string> = {};
  for (const [name, rule] of Object.entries(params.metrics)) {
    const now = current.measured[name];
    const before = then?.measured[name];
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      failures.push(
        `${name} is not measured in this run (${params.item} ${current.status}: ${current.summary.slice(0, 80)})`,
      );
      rows.push([
        name,
        rule.better,
        typeof before === 'number' ? before : null,
        null,
        null,
        null,
        ruleText(rule),
        'FAILED: not measured now',
      ]);
      continue;
    }
    if (typeof before !== 'number' || !Number.isFinite(before)) {
      failures.push(
        `${label} has no ${name} for ${params.item}${then ? ` (it was ${then.status})` : ' (the item was not in that run)'}`,
      );
      rows.push([name, rule.better, null, now, null, null, ruleText(rule), 'FAILED: no baseline value']);
      continue;
    }
    const sign = rule.better === 'higher' ? 1 : -1;
    const change = (now - before) * sign;
    const relative = before === 0 ? null : change / Math.abs(before);
    measured[name] = now;
    measured[`${name}_baseline`] = before;
    measured[`${name}_change`] = round(change);
    if (relative !== null) measured[`${name}_relative_change`] = round(relative);
    const problems: string[] = [];
    if (rule.min_change !== undefined) {
      threshold[`${name}_change`] = `>= ${rule.min_change.text}`;
      if (change < rule.min_change.value - 1e-12)
        problems.push(`changed ${signed(change)} (${rule.better} is better), below ${rule.min_change.text}`);
    }
    if (rule.min_relative_change !== undefined) {
      threshold[`${name}_relative_change`] = `>= ${rule.min_relative_change.text}`;
      if (relative === null) {
        errors.push(`${name}: a relative change from a baseline of 0 is undefined; use min_change`);
      } else if (relative < rule.min_relative_change.value - 1e-12) {
        problems.push(
          `changed ${signed(relative * 100)}% (${rule.better} is better), below ${rule.min_relative_change.text}`,
        );
      }
    }
    if (problems.length)
      failures.push(`${name} ${formatNumber(before)} → ${formatNumber(now)}: ${problems.join('; ')}`);
    rows.push([
      name,
      rule.better,
      before,
      now,
      signed(change),
      relative === null ? '—' : `${signed(relative * 100)}%`,
      ruleText(rule),
      problems.length ? 'FAILED' : relative === null && rule.min_relative_change ? 'ERROR' : 'ok',
    ]);
  }
  const evidence: Evidence[] = [
    {
      type: 'table',
      title: `${params.item}: this run against ${label}, changes counted in the better direction`,
      columns: ['metric', 'better', 'baseline', 'now', 'change', 'relative', 'accepts', 'result'],
      rows,
    },
  ];
  if (errors.length) return { status: 'error', summary: errors.join('; '), measured, threshold, evidence };
  if (failures.length) {
    return {
      status: 'fail',
      summary: `against ${label}: ${failures.join('; ')}`,
      measured,
      threshold,
      evidence,
    };
  }
  const names = Object.keys(params.metrics);
  return {
    status: 'pass',
    summary: `against ${label}: ${names
      .map(
        (name) => `${name} ${formatNumber(measured[`${name}_baseline`]!)} → ${formatNumber(measured[name]!)}`,
      )
      .join(', ')}, within the accepted change`,
    measured,
    threshold,
    evidence,
  };
}

const round = (value: number) => Number(value.toPrecision(10));
const signed = (value: number) => `${value > 0 ? '+' : ''}${formatNumber(round(value))}`;

function ruleText(rule: z.output<typeof MetricRule>): string {
  return [
    rule.min_change !== undefined ? `change >= ${rule.min_change.text}` : '',
    rule.min_relative_change !== undefined ? `relative >= ${rule.min_relative_change.text}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
