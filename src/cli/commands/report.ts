/**
 * mlgate report RUN_OR_JSON: any format from a stored run (a number, latest, last-pass, a
 * tag) or from a JSON report file written by `check --out` (for CI steps after the gate).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../engine/errors.js';
import {
  formatFromPath,
  REPORT_FORMATS,
  type ReportFormat,
  renderReport,
  writeFileAtomic,
} from '../../report/render.js';
import { RunReport } from '../../domain/run-report.js';
import { loadRun, resolveRun } from '../../store/runs.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { existingStore, type StoreOptions } from '../store.js';
import { colourWanted, makeStyle } from '../style.js';

export interface ReportOptions extends StoreOptions {
  format?: ReportFormat;
  out?: string;
  verbose?: boolean;
}

export async function reportCommand(
  source: string,
  dir: string | undefined,
  options: ReportOptions,
  io: CliIO,
): Promise<number> {
  const stderrStyle = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    const format = options.format ?? (options.out ? formatFromPath(options.out) : 'md');
    if (!format)
      throw new UsageError(
        `cannot tell the format of ${options.out} from its extension`,
        `give --format (${REPORT_FORMATS.join(', ')})`,
      );
    const report = await loadReport(source, dir, options, io);
    const toFile = Boolean(options.out);
    const style = makeStyle(!toFile && colourWanted(io.stdout as NodeJS.WriteStream, io.env));
    const text = renderReport(report, format, { cwd: io.cwd, style, verbose: options.verbose });
    if (options.out) {
      writeFileAtomic(resolve(io.cwd, options.out), text);
      io.stderr.write(`${format} report of ${describe(report)} written to ${options.out}\n`);
    } else {
      io.stdout.write(text);
    }
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, stderrStyle);
  }
}

function describe(report: RunReport): string {
  return `${report.runId !== undefined ? `run #${report.runId}` : report.project.name} (${report.verdict.status})`;
}

async function loadReport(
  source: string,
  dir: string | undefined,
  options: StoreOptions,
  io: CliIO,
): Promise<RunReport> {
  const file = resolve(io.cwd, source);
  if (existsSync(file) && statSync(file).isFile()) return readReportFile(file, source);
  if (/\.json$/i.test(source))
    throw new UsageError(`${source}: no such file`, 'give a JSON report written by mlgate check --out');
  const store = await existingStore(dir, options, io);
  try {
    return await loadRun(store, await resolveRun(store, source));
  } finally {
    await store.close();
  }
}

export function readReportFile(file: string, shown: string): RunReport {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `${shown} is not JSON: ${(error as Error).message}`,
      'give a JSON report written by mlgate check --out (or a run: a number, latest, last-pass, a tag)',
    );
  }
  const parsed = RunReport.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
    throw new UsageError(
      `${shown} is not an mlgate report this version reads${where}: ${issue.message}`,
      typeof version === 'number' && version > 1
        ? `it was written by a newer mlgate (report schema ${version}); use that version`
        : 'give a JSON report written by mlgate check --out',
    );
  }
  return parsed.data;
}
