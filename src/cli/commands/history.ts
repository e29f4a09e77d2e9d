/** mlgate history: the project's runs, newest first. */
import { remoteHistory, type ServerFlags, serverWanted } from '../../gate/remote-commands.js';
import { cleanDeep, inlineText } from '../../redact/clean.js';
import { historyWarnings, listRuns, type RunSummary } from '../../store/runs.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { type StoreOptions, withExistingStore } from '../store.js';
import { colourWanted, makeStyle, type Style } from '../style.js';

export interface HistoryOptions extends StoreOptions, ServerFlags {
  limit?: number;
  format: 'text' | 'json';
}

export async function historyCommand(
  dir: string | undefined,
  options: HistoryOptions,
  io: CliIO,
): Promise<number> {
  // A team server (MLGATE_SERVER or --server): its runs, never the local store's.
  if (serverWanted(options, io.env)) return remoteHistory(dir, options, io);
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  return withExistingStore(dir, options, io, async (store) => {
    const runs = await listRuns(store, options.limit ?? 20);
    // Tampering the store can see (rows that disagree with their report, guards restored).
    const warn = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
    for (const text of await historyWarnings(store, runs))
      io.stderr.write(`${warn.yellow('warning')}: ${text}\n`);
    if (options.format === 'json') {
      io.stdout.write(`${JSON.stringify(cleanDeep(runs), null, 2)}\n`);
      return ExitCode.Pass;
    }
    if (runs.length === 0) {
      io.stdout.write('no runs recorded yet\n');
      return ExitCode.Pass;
    }
    const rows = runs.map((run) => runRow(run, style));
    const header = ['run', 'started (UTC)', 'profile', 'verdict', 'passed', 'notes', 'artifacts', 'tags'];
    io.stdout.write(table(header, rows));
    return ExitCode.Pass;
  });
}

/** A run as one row of history: number, start, profile, verdict, passed, notes, artifacts, then `extra` (local or server). */
export function runRow(
  run: Pick<
    RunSummary,
    | 'id'
    | 'startedAt'
    | 'profile'
    | 'verdict'
    | 'counts'
    | 'complete'
    | 'partial'
    | 'problems'
    | 'artifacts'
    | 'tags'
  >,
  style: Style,
  extra: string[] = [],
): string[] {
  return [
    `#${run.id}`,
    run.startedAt.slice(0, 19).replace('T', ' '),
    inlineText(run.profile ?? '—'),
    run.verdict === 'PASS' ? style.green('PASS') : style.red('BLOCKED'),
    `${run.counts.pass ?? 0}/${run.counts.total ?? 0}`,
    [
      !run.complete ? 'interrupted' : '',
      run.partial ? 'partial (--only)' : '',
      run.counts.waived ? `${run.counts.waived} waived` : '',
      run.problems.length ? 'DOES NOT MATCH ITS REPORT' : '',
    ]
      .filter(Boolean)
      .join(', '),
    Object.entries(run.artifacts)
      .slice(0, 2)
      .map(([name, sha]) => `${inlineText(name)} ${sha ? sha.slice(0, 8) : '—'}`)
      .join(' '),
    ...extra,
    // Tags are people's input (mlgate tag): one line, no escape sequences.
    inlineText(run.tags.join(', ')),
  ];
}

/** Columns padded to their widest cell (colour codes not counted). */
export function table(header: string[], rows: string[][]): string {
  const visible = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = header.map((title, column) =>
    Math.max(visible(title), ...rows.map((row) => visible(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - visible(cell)),
      )
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
