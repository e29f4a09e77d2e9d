/** mlgate diff A B: what changed between two runs — verdict, artifacts, statuses, measured values. */
import type { RunReport } from '../../report/schema.js';
import { loadRun, resolveRun } from '../../store/runs.js';
import { formatNumber } from '../../util/threshold.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { type StoreOptions, withExistingStore } from '../store.js';
import { colourWanted, makeStyle } from '../style.js';
import { table } from './history.js';

export interface DiffOptions extends StoreOptions {
  format: 'text' | 'json';
}

export interface RunDiff {
  from: { run: number; startedAt: string; verdict: string };
  to: { run: number; startedAt: string; verdict: string };
  artifacts: Array<{ name: string; from: string | null; to: string | null }>;
  statuses: Array<{ item: string; from: string | null; to: string | null }>;
  measured: Array<{
    item: string;
    key: string;
    from: number;
    to: number;
    change: number;
    relative: number | null;
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
  const measured: RunDiff['measured'] = [];
  for (const id of ids) {
    const before = itemsA.get(id)?.measured ?? {};
    const after = itemsB.get(id)?.measured ?? {};
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
      });
    }
  }
  const head = (report: RunReport) => ({
    run: report.runId ?? 0,
    startedAt: report.startedAt,
    verdict: report.verdict.status,
  });
  return { from: head(a), to: head(b), artifacts, statuses, measured };
}

export async function diffCommand(
  refA: string,
  refB: string,
  dir: string | undefined,
  options: DiffOptions,
  io: CliIO,
): Promise<number> {
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  return withExistingStore(dir, options, io, async (store) => {
    const diff = diffRuns(
      await loadRun(store, await resolveRun(store, refA)),
      await loadRun(store, await resolveRun(store, refB)),
    );
    if (options.format === 'json') {
      io.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
      return ExitCode.Pass;
    }
    const out: string[] = [];
    const verdict = (v: string) => (v === 'PASS' ? style.green(v) : style.red(v));
    out.push(
      `run #${diff.from.run} (${diff.from.startedAt.slice(0, 16).replace('T', ' ')}, ${verdict(diff.from.verdict)}) → run #${diff.to.run} (${diff.to.startedAt.slice(0, 16).replace('T', ' ')}, ${verdict(diff.to.verdict)})\n`,
    );
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
    if (diff.measured.length) {
      out.push('\nmeasured values that changed\n');
      out.push(
        table(
          ['item', 'value', 'from', 'to', 'change'],
          diff.measured.map((x) => [
            x.item,
            x.key,
            formatNumber(x.from),
            formatNumber(x.to),
            `${x.change > 0 ? '+' : ''}${formatNumber(x.change)}${x.relative === null ? '' : ` (${x.relative > 0 ? '+' : ''}${(x.relative * 100).toFixed(1)}%)`}`,
          ]),
        ),
      );
    }
    if (!diff.artifacts.length && !diff.statuses.length && !diff.measured.length)
      out.push('no differences in artifacts, statuses or measured values\n');
    io.stdout.write(out.join(''));
    return ExitCode.Pass;
  });
}
