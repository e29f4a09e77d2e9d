/**
 * PostgreSQL (pg): the first remote engine. Summaries that grow with distinct scores are read
 * through a cursor in a read-only transaction, a batch at a time.
 */
import pg from 'pg';
import { POSTGRES } from './dialect.js';
import { redactConnection, type SqlEngine, SqlEngineError, type SqlValue, valueBytes } from './engine.js';

const BATCH = 50_000;

export async function openPostgres(connectionString: string): Promise<SqlEngine> {
  const client = new pg.Client({ connectionString, application_name: 'mlgate' });
  // An error event on an idle client would otherwise crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new SqlEngineError(`PostgreSQL: ${redactConnection((error as Error).message, connectionString)}`);
  }
  return new PostgresEngine(client, connectionString);
}

class PostgresEngine implements SqlEngine {
  readonly dialect = POSTGRES;
  bytesPulled = 0;
  private cursors = 0;

  constructor(
    private readonly client: pg.Client,
    private readonly connection: string,
  ) {}

  async columns(relation: string): Promise<string[]> {
    const result = await this.run(`SELECT * FROM ${relation} LIMIT 0`);
    return result.fields.map((field) => field.name);
  }

  async query(sql: string): Promise<SqlValue[][]> {
    const result = await this.run(sql);
    const rows = result.rows as SqlValue[][];
    this.count(rows);
    return rows;
  }

  async stream(sql: string, onColumns: (columns: SqlValue[][], rows: number) => void): Promise<void> {
    const cursor = `mlgate_cursor_${++this.cursors}`;
    await this.run('BEGIN READ ONLY');
    try {
      await this.run(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`);
      for (;;) {
        const result = await this.run(`FETCH ${BATCH} FROM ${cursor}`);
        const rows = result.rows as SqlValue[][];
        if (rows.length === 0) break;
        this.count(rows);
        const columns = result.fields.map((_, c) => rows.map((row) => row[c]!));
        onColumns(columns, rows.length);
      }
      await this.run('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }

  private count(rows: SqlValue[][]): void {
    for (const row of rows) for (const value of row) this.bytesPulled += valueBytes(value);
  }

  private async run(sql: string): Promise<pg.QueryResult> {
    try {
      return await this.client.query({ text: sql, rowMode: 'array' });
    } catch (error) {
      throw new SqlEngineError(`PostgreSQL: ${redactConnection((error as Error).message, this.connection)}`);
    }
  }

  interrupt(): void {
    // PostgreSQL cancels a statement on request from another connection (closing this one
    // would leave the server working until it next writes to the socket).
    const pid = (this.client as unknown as { processID?: number }).processID;
    const canceller = new pg.Client({ connectionString: this.connection, application_name: 'mlgate cancel' });
    canceller.on('error', () => {});
    void canceller
      .connect()
      .then(() => canceller.query('SELECT pg_cancel_backend($1)', [pid]))
      .catch(() => this.client.end().catch(() => {}))
      .finally(() => canceller.end().catch(() => {}));
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
