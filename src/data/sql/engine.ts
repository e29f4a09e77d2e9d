/**
 * A SQL engine mlgate can push metrics down to: it runs a query and hands back its rows, and
 * counts the bytes it pulled back (the summaries are O(distinct scores), never O(rows)).
 * Engine errors are SqlEngineError with the engine's own message, the connection string and
 * its password taken out.
 */
import type { SqlDialect } from './dialect.js';

/** A value as a driver returns it: DuckDB gives bigint for BIGINT/HUGEINT, pg gives text for int8/numeric. */
export type SqlValue = number | bigint | string | boolean | null;

export interface SqlEngine {
  readonly dialect: SqlDialect;
  /** The column names of a relation (a subquery, a table, a file reader). */
  columns(relation: string): Promise<string[]>;
  /** Every row of a query (summaries only: small). */
  query(sql: string): Promise<SqlValue[][]>;
  /** The result of a query in batches of columns, for results that grow with distinct scores. */
  stream(sql: string, onColumns: (columns: SqlValue[][], rows: number) => void): Promise<void>;
  /** Bytes of values pulled back so far (8 per number, the length of text). */
  readonly bytesPulled: number;
  /** Stops the running query (a timeout, Ctrl-C): it then fails with the engine's message. */
  interrupt(): void;
  close(): Promise<void>;
}

export class SqlEngineError extends Error {}

/** Text with a connection string, its password and its user:password@ part taken out. */
export function redactConnection(text: string, connection: string | undefined): string {
  if (!connection) return text;
  let out = text.split(connection).join('[connection]');
  const secrets: string[] = [];
  try {
    const url = new URL(connection);
    if (url.password) secrets.push(decodeURIComponent(url.password), url.password);
  } catch {
    // key=value form: password=... (libpq)
    const match = /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(connection);
    if (match) secrets.push(match[1]!.replace(/^'|'$/g, ''));
  }
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('[redacted]');
  return out.replace(/(\w+:\/\/[^:/\s@]+:)[^@\s]+@/g, '$1[redacted]@');
}

/** Bytes a value takes on the wire, roughly: for the "bytes pulled back" figure. */
export function valueBytes(value: SqlValue): number {
  if (value === null) return 1;
  if (typeof value === 'string') return value.length;
  return 8;
}

/** A count or integer sum as a number, refusing what a float64 cannot hold exactly. */
export function toCount(value: SqlValue, what: string): number {
  const number =
    typeof value === 'bigint'
      ? Number(value)
      : typeof value === 'string'
        ? Number(value)
        : Number(value ?? 0);
  if (
    (typeof value === 'bigint' && (value > BigInt(Number.MAX_SAFE_INTEGER) || value < 0n)) ||
    !Number.isSafeInteger(number)
  )
    throw new SqlEngineError(`${what} = ${String(value)} is not a count mlgate can hold exactly (over 2^53)`);
  return number;
}

/** A float sum or value as a number (pg returns numeric as text). */
export function toDouble(value: SqlValue): number {
  if (value === null) return 0;
  if (typeof value === 'number') return value;
  return Number(value);
}
