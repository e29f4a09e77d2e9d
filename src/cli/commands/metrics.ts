import { relative, resolve } from 'node:path';
import { TABLE_FORMATS, type TableFormat, tableFormatOf } from '../../data/table.js';
import { UsageError } from '../../engine/errors.js';
import { METRICS_BY_NAME } from '../../metrics/catalog.js';
import {
  evaluatePredictions,
  type PredictionsEvaluation,
  PredictionsError,
} from '../../metrics/predictions.js';
import { evaluateSqlSource } from '../../metrics/sql-predictions.js';
import type { SqlSourceSpec } from '../../data/sql/source.js';
import { formatNumber } from '../../util/threshold.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { colourWanted, makeStyle } from '../style.js';

export interface MetricsOptions {
  task?: 'classification' | 'regression';
  label?: string;
  pred?: string;
  probs?: string;
  /** Two classes: the positive class (default: the greater label, or true/yes/pos/positive). */
  positive?: string;
  fileFormat?: TableFormat;
  format: 'text' | 'json';
  /** Compute in a SQL engine: the rows are `query`, `table`, or (duckdb) the file argument. */
  engine?: 'duckdb' | 'postgres';
  query?: string;
  table?: string;
  /** The environment variable holding the connection (never printed). */
  connectionEnv?: string;
}

/** `mlgate metrics FILE`: every metric of a predictions table, as a table or JSON. */
export async function metricsCommand(
  file: string | undefined,
  options: MetricsOptions,
  io: CliIO,
): Promise<number> {
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  const errStyle = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    let evaluation: PredictionsEvaluation;
    let shownFile = file ?? '';
    const sql = options.engine !== undefined || options.query !== undefined || options.table !== undefined;
    if (sql) {
      const source: SqlSourceSpec = {
        engine: options.engine,
        query: options.query,
        table: options.table,
        file: options.query === undefined && options.table === undefined ? file : undefined,
        connection_env: options.connectionEnv,
      };
      if (file !== undefined && source.file === undefined)
        throw new UsageError(`give a file or --query/--table, not both`);
      try {
        const sqlEvaluation = await evaluateSqlSource(
          source,
          {
            env: io.env,
            resolve: (p) => resolve(io.cwd, p),
            display: (p) => relative(io.cwd, p),
            root: io.cwd,
          },
          {
            task: options.task,
            label: options.label,
            pred: options.pred,
            probs: options.probs,
            positive: options.positive,
          },
        );
        evaluation = sqlEvaluation;
        shownFile = sqlEvaluation.shown;
      } catch (error) {
        if (error instanceof PredictionsError) {
          const rows = error.badRows.map((row) => `${row.where}: ${row.problem}`).join('\n  ');
          throw new UsageError(error.message, rows || undefined);
        }
        throw error;
      }
    } else {
      if (file === undefined)
        throw new UsageError('give a predictions file, or --engine with --query or --table');
      const path = resolve(io.cwd, file);
      const format = options.fileFormat ?? tableFormatOf(path);
      if (!format) {
        throw new UsageError(
          `cannot tell the format of ${file}`,
          `pass --file-format (${TABLE_FORMATS.join(', ')}); for .npy arrays use the predictions check`,
        );
      }
      try {
        evaluation = await evaluatePredictions(path, format, {
          task: options.task,
          label: options.label,
          pred: options.pred,
          probs: options.probs,
          positive: options.positive,
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${file} not found`);
        if (error instanceof PredictionsError) {
          const rows = error.badRows.map((row) => `${row.where}: ${row.problem}`).join('\n  ');
          throw new UsageError(`${file}: ${error.message}`, rows || undefined);
        }
        throw error;
      }
    }
    const { result, columns } = evaluation;
    if (options.format === 'json') {
      io.stdout.write(`${JSON.stringify({ file: shownFile, columns, ...result }, null, 2)}\n`);
      return ExitCode.Pass;
    }
    const out: string[] = [];
    const columnsText = [
      `label ${columns.label}`,
      columns.pred ? `pred ${columns.pred}` : 'pred: argmax of probabilities',
      columns.probs.length
        ? `probs ${columns.probs.length > 3 ? `${columns.probs[0]} … ${columns.probs[columns.probs.length - 1]}` : columns.probs.join(', ')}`
        : '',
      result.task === 'classification' && result.positive !== undefined
        ? `positive class ${result.positive}`
        : '',
    ].filter(Boolean);
    out.push(
      style.bold(`${shownFile}: ${result.n} rows, ${result.task}`) +
        style.dim(` (${columnsText.join('; ')})`),
    );
    out.push('');
    const width = Math.max(...Object.keys(result.metrics).map((name) => name.length));
    for (const [name, value] of Object.entries(result.metrics)) {
      const info = METRICS_BY_NAME.get(name);
      const shown = Number.isFinite(value)
        ? info?.fraction
          ? `${value.toFixed(4)}  (${(value * 100).toFixed(2)}%)`
          : formatNumber(value)
        : 'n/a';
      out.push(`  ${name.padEnd(width)}  ${shown.padEnd(22)} ${style.dim(info?.description ?? '')}`);
    }
    if (result.task === 'classification') {
      out.push('', style.bold('Per class'));
      out.push(
        `  ${'class'.padEnd(10)} ${'precision'.padStart(10)} ${'recall'.padStart(10)} ${'f1'.padStart(10)} ${'support'.padStart(8)}`,
      );
      for (const row of result.perClass) {
        out.push(
          `  ${row.class.padEnd(10)} ${row.precision.toFixed(4).padStart(10)} ${row.recall.toFixed(4).padStart(10)} ${row.f1.toFixed(4).padStart(10)} ${String(row.support).padStart(8)}`,
        );
      }
      const cell = Math.max(
        5,
        ...result.classes.map((c) => c.length + 1),
        ...result.confusion.flat().map((n) => String(n).length + 1),
      );
      out.push('', style.bold('Confusion matrix') + style.dim(' (rows: true class, columns: predicted)'));
      out.push(`  ${''.padEnd(cell)}${result.classes.map((c) => c.padStart(cell)).join('')}`);
      result.confusion.forEach((row, t) => {
        out.push(
          `  ${result.classes[t]!.padEnd(cell)}${row.map((n, p) => (t === p ? style.green(String(n).padStart(cell)) : n > 0 ? style.red(String(n).padStart(cell)) : style.dim(String(n).padStart(cell)))).join('')}`,
        );
      });
    }
    for (const note of result.notes) out.push(style.yellow(`note: ${note}`));
    io.stdout.write(`${out.join('\n')}\n`);
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, errStyle);
  }
}
