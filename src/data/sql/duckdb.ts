/**
 * DuckDB, embedded (@duckdb/node-api): the engine for big local files (Parquet and CSV read
 * out of core, spilling to disk) and for DuckDB database files. Relative paths in a query
 * resolve against the project folder (file_search_path).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DUCKDB } from './dialect.js';
import { type SqlEngine, SqlEngineError, type SqlValue, valueBytes } from './engine.js';

export interface DuckDbOptions {
  /** A database file (opened read-only); default an in-memory database. */
  database?: string;
  /** Folder relative paths in queries resolve against. */
  searchPath?: string;
}

export async function openDuckDb(options: DuckDbOptions = {}): Promise<SqlEngine> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(
      options.database ?? ':memory:',
      options.database ? { access_mode: 'READ_ONLY' } : {},
    );
  } catch (error) {
    throw new SqlEngineError(`DuckDB: ${(error as Error).message}`);
  }
  const connection = await instance.connect();
  // Spill to the system's temporary folder, never into the project (DuckDB's default is ./.tmp).
  await connection.run(`SET temp_directory = ${DUCKDB.string(join(tmpdir(), 'mlgate-duckdb'))}`);
  if (options.searchPath) await connection.run(`SET file_search_path = ${DUCKDB.string(options.searchPath)}`);
  return new DuckDbEngine(instance, connection);
}

class DuckDbEngine implements SqlEngine {
  readonly dialect = DUCKDB;
  bytesPulled = 0;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  async columns(relation: string): Promise<string[]> {
    const reader = await this.run(() => this.connection.runAndReadAll(`SELECT * FROM ${relation} LIMIT 0`));
    return reader.columnNames();
  }

  async query(sql: string): Promise<SqlValue[][]> {
    const reader = await this.run(() => this.connection.runAndReadAll(sql));
    const rows = reader.getRows() as SqlValue[][];
    this.count(rows);
    return rows;
  }

  async stream(sql: string, onColumns: (columns: SqlValue[][], rows: number) => void): Promise<void> {
    const result = await this.run(() => this.connection.stream(sql));
    for (;;) {
      const chunk = await this.run(() => result.fetchChunk());
      if (!chunk || chunk.rowCount === 0) break;
      // Columns, not rows: a third less work for the driver on millions of values.
      const columns = chunk.getColumns() as SqlValue[][];
      this.count(columns);
      onColumns(columns, chunk.rowCount);
    }
  }

  private count(values: SqlValue[][]): void {
    for (const list of values) for (const value of list) this.bytesPulled += valueBytes(value);
  }

  private async run<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw new SqlEngineError(`DuckDB: ${(error as Error).message}`);
    }
  }

  interrupt(): void {
    this.connection.interrupt();
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
