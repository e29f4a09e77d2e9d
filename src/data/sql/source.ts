/**
 * `source:` of the predictions kind and `mlgate metrics`: where the rows live when they are
 * not a file mlgate streams itself — a query or a table in DuckDB or PostgreSQL, or files
 * (a glob of Parquet/CSV) read by embedded DuckDB. The connection comes from an environment
 * variable the spec names; it is never shown (`shown` says which engine and what was read).
 */
import { extname } from 'node:path';
import { z } from 'zod';
import { type SqlEngine, SqlEngineError } from './engine.js';

export const SQL_ENGINES = ['duckdb', 'postgres'] as const;
export type SqlEngineName = (typeof SQL_ENGINES)[number];

export interface SqlSourceSpec {
  engine?: SqlEngineName;
  /** A SELECT whose rows are the predictions. */
  query?: string;
  /** A table (or view), optionally schema-qualified. */
  table?: string;
  /** Files DuckDB reads: a path or glob of .parquet, .csv, .tsv or .jsonl. */
  file?: string;
  /** The environment variable holding the connection (PostgreSQL URL; DuckDB database file). */
  connection_env?: string;
}

/** The spec's `source:` (the predictions kind). */
export const SqlSourceParams = z
  .strictObject({
    engine: z.enum(SQL_ENGINES).optional().describe('duckdb (embedded; the default) or postgres.'),
    query: z.string().min(1).optional().describe('A SELECT whose rows are the predictions.'),
    table: z.string().min(1).optional().describe('A table or view (schema.table).'),
    file: z
      .string()
      .min(1)
      .optional()
      .describe('Files DuckDB reads out of core: a path or glob of .parquet, .csv, .tsv or .jsonl.'),
    connection_env: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The NAME of the environment variable holding the connection (postgres: a URL; duckdb: a database file). Never printed.',
      ),
  })
  .superRefine((spec, ctx) => {
    const problem = sourceProblem(spec);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export interface OpenedSource {
  engine: SqlEngine;
  /** The rows as a relation to select from. */
  relation: string;
  /** What was read, for reports: engine and query/table/file, never the connection. */
  shown: string;
  /** The connection string (to redact from messages); never shown. */
  connection?: string;
}

export interface SourceContext {
  env: Readonly<Record<string, string | undefined>>;
  /** Absolute path for a path in the spec (may refuse one outside the project). */
  resolve(path: string): string;
  display(absolute: string): string;
  /** The project folder: relative paths in DuckDB queries resolve against it. */
  root: string;
}

/** Which of query, table and file is given: exactly one. */
export function sourceProblem(spec: SqlSourceSpec): string | undefined {
  const given = (['query', 'table', 'file'] as const).filter((key) => spec[key] !== undefined);
  if (given.length !== 1) return 'source: give exactly one of query, table or file';
  if (spec.file !== undefined && (spec.engine ?? 'duckdb') !== 'duckdb')
    return 'source.file is read by DuckDB: leave out engine, or set engine: duckdb';
  if ((spec.engine ?? 'duckdb') === 'postgres' && !spec.connection_env)
    return 'source.engine postgres needs connection_env: the name of an environment variable holding the connection URL';
  if (spec.connection_env !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.connection_env))
    return `source.connection_env must be the NAME of an environment variable (letters, digits, _), not its value`;
  return undefined;
}

export async function openSource(spec: SqlSourceSpec, context: SourceContext): Promise<OpenedSource> {
  const problem = sourceProblem(spec);
  if (problem) throw new SqlEngineError(problem);
  const engineName = spec.engine ?? 'duckdb';
  let connection: string | undefined;
  if (spec.connection_env) {
    connection = context.env[spec.connection_env];
    if (connection === undefined || connection.trim() === '')
      throw new SqlEngineError(
        `source.connection_env: the environment variable ${spec.connection_env} is not set (it holds the ${engineName === 'postgres' ? 'PostgreSQL connection URL' : 'DuckDB database file'})`,
      );
  }
  // Drivers load when a source is opened, not when the spec is read (DuckDB is a native module).
  const engine =
    engineName === 'postgres'
      ? await (await import('./postgres.js')).openPostgres(connection!)
      : await (
          await import('./duckdb.js')
        ).openDuckDb({
          database: connection ? context.resolve(connection) : undefined,
          searchPath: context.root,
        });
  try {
    if (spec.query !== undefined) {
      const query = spec.query.trim().replace(/;\s*$/, '');
      return { engine, relation: `(${query}) AS mlgate_source`, shown: `${engineName} query`, connection };
    }
    if (spec.table !== undefined)
      return {
        engine,
        relation: engine.dialect.qualified(spec.table),
        shown: `${engineName} table ${spec.table}`,
        connection,
      };
    const path = context.resolve(spec.file!);
    const reader = fileReader(path);
    return {
      engine,
      relation: `${reader}(${engine.dialect.string(path)}) AS mlgate_source`,
      shown: `duckdb ${context.display(path)}`,
      connection,
    };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

function fileReader(path: string): string {
  const extension = extname(path.replace(/\*+$/, '')).toLowerCase();
  switch (extension) {
    case '.parquet':
    case '.pq':
      return 'read_parquet';
    case '.csv':
    case '.tsv':
      return 'read_csv';
    case '.jsonl':
    case '.ndjson':
      return 'read_json';
    default:
      throw new SqlEngineError(
        `source.file "${path}": cannot tell the format from "${extension || 'no extension'}" (use .parquet, .csv, .tsv or .jsonl, or a query with DuckDB's readers)`,
      );
  }
}
