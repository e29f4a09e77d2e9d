/**
 * True for SQLite's own word that a file is damaged or not a database (SQLITE_CORRUPT*,
 * SQLITE_NOTADB). A module without dependencies: the CLI's error printer uses it too.
 */
export function isDamageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB'))
    return true;
  return /database disk image is malformed|file is not a database/i.test((error as Error)?.message ?? '');
}
