/**
 * mlgate diff A B: what changed between two runs — the spec first (a threshold 0.9 → 0.97
 * changes what a PASS means), then verdict, artifacts, statuses and the measured values that a
 * threshold judges. Values no threshold judges (RSS, file counts, durations) vary run to run;
 * they are left out of the text unless --all.
 */
import { remoteDiff, type ServerFlags, serverWanted } from '../../gate/remote-commands.js';
import type { RunReport } from '../../domain/run-report.js';
import { loadRun, resolveRun } from '../../store/runs.js';
import { formatNumber } from '../../util/threshold.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { type StoreOptions, withExistingStore } from '../store.js';
import { colourWanted, makeStyle } from '../style.js';
import { table } from './history.js';

export interface DiffOptions extends StoreOptions, ServerFlags {
  format: 'text' | 'json';
  /** --all: measured values no threshold judges too. */
  all?: boolean;
}

export interface RunDiff {
  from: { run: number; startedAt: string; verdict: string };
  to: { run: number; startedAt: string; verdict: string };
  artifacts: Array<{ name: string; from: string | null; to: string | null }>;
  statuses: Array<{ item: string; from: string | null; to: string | null }>;
  /** What the spec asked for in each run: its digest, and thresholds that changed. */
  spec: {
    from: string;
    to: string;
    thresholds: Array<{ item: string; key: string; from: string | null; to: string | null }>;
    /** Items whose definition changed otherwise (params, severity, title). */
    definitions: string[];
  };
  measured: Array<{
    item: string;
    key: string;
    from: number;
    to: number;
    change: number;
    relative: number | null;
    /** A threshold of the item judges this value (in either run). */
    judged: boolean;
  }>;
}

export function diffRuns(a: RunReport, b: RunReport): RunDiff {
  const digestsA = new Map(a.artifacts.map((x) => [x.name, x.sha256]));
  const digestsB = new Map(b.artifacts.map((x) => [x.name, x.sha256]));
  const artifacts = [...new Set([...digestsA.keys(), ...digestsB.keys()])]
    .filter((name) => digestsA.get(name) !== digestsB.get(name))
    .map((name) => ({ name, from: digestsA.get(name) ?? null, to: digestsB.get(name) ?? null }));
  const itemsA = new Map(a.items.map((item) => [item.id, item]));
  const itemsB = new Map(b.items.map((item) => [item.id, item]));
  const ids = [...new Set([...itemsA.keys(), ...itemsB.keys()])];
  const statuses = ids
    .filter((id) => itemsA.get(id)?.status !== itemsB.get(id)?.status)
    .map((id) => ({ item: id, from: itemsA.get(id)?.status ?? null, to: itemsB.get(id)?.status ?? null }));
  const thresholds: RunDiff['spec']['thresholds'] = [];
  const definitions: string[] = [];
  for (const id of ids) {
    const itemA = itemsA.get(id);
    const itemB = itemsB.get(id);
    if (!itemA || !itemB) continue;
    const keys = new Set([...Object.keys(itemA.threshold), ...Object.keys(itemB.threshold)]);
    let changed = false;
    for (const key of keys) {
      const from = itemA.threshold[key] ?? null;
      const to = itemB.threshold[key] ?? null;
      if (from === to) continue;
      changed = true;
      thresholds.push({ item: id, key, from, to });
    }
    if (!changed && itemA.definitionDigest !== itemB.definitionDigest) definitions.push(id);
  }
  const measured: RunDiff['measured'] = [];
  for (const id of ids) {
    const before = itemsA.get(id)?.measured ?? {};
    const after = itemsB.get(id)?.measured ?? {};
    const judgedKeys = new Set([
      ...Object.keys(itemsA.get(id)?.threshold ?? {}),
      ...Object.keys(itemsB.get(id)?.threshold ?? {}),
    ]);
    for (const [key, value] of Object.entries(after)) {
      const old = before[key];
      if (typeof value !== 'number' || typeof old !== 'number' || value === old) continue;
      measured.push({
        item: id,
        key,
        from: old,
        to: value,
        change: value - old,
        relative: old === 0 ? null : (value - old) / Math.abs(old),
        judged: judgedKeys.has(key),
      });
    }
  }
  const head = (report: RunReport) => ({
    run: report.runId ?? 0,
    startedAt: report.startedAt,
    verdict: report.verdict.status,
  });
  return {
    from: head(a),
    to: head(b),
    artifacts,
    statuses,
    spec: { from: a.spec.sha256, to: b.spec.sha256, thresholds, definitions },
    measured,
  };
}

export async function diffCommand(
  refA: string,
  refB: string,
  dir: string | undefined,
  options: DiffOptions,
  io: CliIO,
): Promise<number> {
  // A team server (MLGATE_SERVER or --server): both runs from it, the same comparison.
  if (serverWanted(options, io.env)) return remoteDiff(refA, refB, dir, options, io);
  return withExistingStore(dir, options, io, async (store) => {
    const diff = diffRuns(
      await loadRun(store, await resolveRun(store, refA)),
      await loadRun(store, await resolveRun(store, refB)),
    );
    return printDiff(diff, options, io);
  });
}

/** The diff as text (spec first) or JSON, on stdout. */
export function printDiff(diff: RunDiff, options: DiffOptions, io: CliIO): number {
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  if (options.format === 'json') {
    io.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
    return ExitCode.Pass;
  }
  const out: string[] = [];
  const verdict = (v: string) => (v === 'PASS' ? style.green(v) : style.red(v));
  out.push(
    `run #${diff.from.run} (${diff.from.startedAt.slice(0, 16).replace('T', ' ')}, ${verdict(diff.from.verdict)}) → run #${diff.to.run} (${diff.to.startedAt.slice(0, 16).replace('T', ' ')}, ${verdict(diff.to.verdict)})\n`,
  );
  const specChanged = diff.spec.from !== diff.spec.to;
  if (specChanged) {
    // First: a changed threshold changes what the verdict means.
    out.push(
      `\n${style.bold('the spec changed')} (sha256 ${diff.spec.from.slice(0, 12)} → ${diff.spec.to.slice(0, 12)})\n`,
    );
    if (diff.spec.thresholds.length)
      out.push(
        table(
          ['item', 'threshold', 'from', 'to'],
          diff.spec.thresholds.map((x) => [x.item, x.key, x.from ?? '(none)', x.to ?? '(none)']),
        ),
      );
    if (diff.spec.definitions.length)
      out.push(`items defined differently (not their thresholds): ${diff.spec.definitions.join(', ')}\n`);
  }
  if (diff.artifacts.length) {
    out.push('\nartifacts that changed\n');
    out.push(
      table(
        ['artifact', 'from', 'to'],
        diff.artifacts.map((x) => [
          x.name,
          x.from?.slice(0, 12) ?? '(missing)',
          x.to?.slice(0, 12) ?? '(missing)',
        ]),
      ),
    );
  }
  if (diff.statuses.length) {
    out.push('\nitems whose status changed\n');
    out.push(
      table(
        ['item', 'from', 'to'],
        diff.statuses.map((x) => [x.item, x.from ?? '(absent)', x.to ?? '(absent)']),
      ),
    );
  }
  const shown = options.all ? diff.measured : diff.measured.filter((x) => x.judged);
  const hidden = diff.measured.length - shown.length;
  if (shown.length) {
    out.push(`\n${options.all ? 'measured values that changed' : 'judged values that changed'}\n`);
    out.push(
      table(
        ['item', 'value', 'from', 'to', 'change'],
        shown.map((x) => [
          x.item,
          x.key,
          formatNumber(x.from),
          formatNumber(x.to),
          `${x.change > 0 ? '+' : ''}${formatNumber(x.change)}${x.relative === null ? '' : ` (${x.relative > 0 ? '+' : ''}${(x.relative * 100).toFixed(1)}%)`}`,
        ]),
      ),
    );
  }
  if (hidden > 0)
    out.push(
      style.dim(
        `\n${hidden} more value${hidden === 1 ? '' : 's'} changed that no threshold judges (memory, file counts, durations): --all shows them\n`,
      ),
    );
  if (!specChanged && !diff.artifacts.length && !diff.statuses.length && !diff.measured.length)
    out.push('no differences in the spec, artifacts, statuses or measured values\n');
  io.stdout.write(out.join(''));
  return ExitCode.Pass;
}
