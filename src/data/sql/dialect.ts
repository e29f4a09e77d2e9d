/**
 * What differs between SQL engines for mlgate's summary queries: quoting, the names of the
 * double and text types, and how a file becomes a relation. Everything else mlgate sends is
 * SQL:2003 that DuckDB, PostgreSQL, Trino, BigQuery and Spark SQL all read: CTEs, CASE,
 * GREATEST/LEAST, ln, count(*) FILTER (WHERE …) (spelled COUNT_IF / SUM(CASE …) where an
 * engine lacks FILTER), GROUP BY, ORDER BY. See README.md in this folder.
 */

export interface SqlDialect {
  readonly name: string;
  /** A quoted identifier: "col", with embedded quotes doubled. */
  ident(name: string): string;
  /** A qualified name (schema.table) as identifiers. */
  qualified(name: string): string;
  /** A string literal. */
  string(value: string): string;
  /** A float64 literal that round-trips exactly (never a DECIMAL literal). */
  double(value: number): string;
  /** The float64 and text types. */
  readonly doubleType: string;
  readonly textType: string;
  /** count(*) of the rows where `condition` holds. */
  countIf(condition: string): string;
  /** The exact median (the mean of the two middle values for an even count), as numpy's. */
  median(expression: string): string;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteString = (value: string) => `'${value.replace(/'/g, "''")}'`;

function splitQualified(name: string): string {
  return name
    .split('.')
    .map((part) => quoteIdent(part))
    .join('.');
}

const common = {
  ident: quoteIdent,
  qualified: splitQualified,
  string: quoteString,
  countIf: (condition: string) => `count(*) FILTER (WHERE ${condition})`,
};

export const DUCKDB: SqlDialect = {
  name: 'duckdb',
  ...common,
  doubleType: 'DOUBLE',
  textType: 'VARCHAR',
  median: (expression) => `quantile_cont(${expression}, 0.5)`,
  double: (value) => `CAST(${quoteString(String(value))} AS DOUBLE)`,
};

export const POSTGRES: SqlDialect = {
  name: 'postgres',
  ...common,
  doubleType: 'DOUBLE PRECISION',
  textType: 'TEXT',
  median: (expression) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${expression})`,
  // PostgreSQL reads the shortest round-trip text of a float8 exactly (extra_float_digits ≥ 1).
  double: (value) => `CAST(${quoteString(String(value))} AS DOUBLE PRECISION)`,
};
