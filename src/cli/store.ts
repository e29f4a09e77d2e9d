/** Where a project's store is, who is acting, and how dates are read on the command line. */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { findSpecFile } from '../spec/load.js';
import { openStore, type Store } from '../store/db.js';
import { parseDuration } from '../util/units.js';
import type { CliIO } from './io.js';
import { reportKnownError } from './problems.js';
import { colourWanted, makeStyle } from './style.js';

export interface StoreOptions {
  config?: string;
  /** --store DIR */
  store?: string;
}

/** --store, else $MLGATE_STORE, else .mlgate/ beside the spec. */
export function storeDir(dir: string | undefined, options: StoreOptions, io: CliIO): string {
  if (options.store) return resolve(io.cwd, options.store);
  if (io.env.MLGATE_STORE) return resolve(io.cwd, io.env.MLGATE_STORE);
  const spec = options.config ? resolve(io.cwd, options.config) : findSpecFile(resolve(io.cwd, dir ?? '.'));
  return join(dirname(spec), '.mlgate');
}

/** The store for reading: an error that says so when the project has none yet. */
export async function existingStore(
  dir: string | undefined,
  options: StoreOptions,
  io: CliIO,
  access: { write?: boolean } = {},
): Promise<Store> {
  const where = storeDir(dir, options, io);
  const store = await openStore(where, { create: false, write: access.write ?? false });
  if (!store) {
    throw new UsageError(
      `no store at ${where}: nothing has been recorded for this project yet`,
      'run `mlgate check` first',
    );
  }
  return store;
}

/** --by, else $MLGATE_USER, else git's user.name <user.email>. */
export function actor(by: string | undefined, io: CliIO): string {
  const given = by?.trim() || io.env.MLGATE_USER?.trim();
  if (given) return given;
  try {
    const name = execFileSync('git', ['config', 'user.name'], {
      cwd: io.cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const email = execFileSync('git', ['config', 'user.email'], {
      cwd: io.cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (name) return email ? `${name} <${email}>` : name;
  } catch {
    // no git, or no identity configured
  }
  throw new UsageError('say who you are: --by NAME (or set MLGATE_USER, or git config user.name)');
}

/** "2026-12-31" (valid through that day, UTC), an ISO time, or "30d" from now. */
export function parseExpiry(text: string, now: Date): Date {
  const relative = parseDuration(text);
  let date: Date;
  if (relative !== undefined && /[a-z]$/i.test(text.trim())) date = new Date(now.getTime() + relative);
  else if (/^\d{4}-\d{2}-\d{2}$/.test(text.trim())) date = new Date(`${text.trim()}T23:59:59.999Z`);
  else date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `cannot read the expiry "${text}"`,
      'write a date (2026-12-31), a time (2026-12-31T18:00Z) or a duration from now (30d)',
    );
  }
  if (date.getTime() <= now.getTime())
    throw new UsageError(`the expiry ${date.toISOString()} is not in the future`);
  return date;
}

/**
 * Runs a command on the store: opens it (an error when there is none; checked whole first
 * when the command writes), prints what opening it noticed (missing guards), closes it
 * afterwards, and turns known errors (a damaged store too) into their message and exit code 2.
 */
export async function withExistingStore(
  dir: string | undefined,
  options: StoreOptions,
  io: CliIO,
  work: (store: Store) => Promise<number>,
  access: { write?: boolean } = {},
): Promise<number> {
  try {
    const store = await existingStore(dir, options, io, access);
    printStoreNotices(store, io);
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  } catch (error) {
    return reportKnownError(error, io, makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env)));
  }
}

/** As withExistingStore, for a command that writes (tag): a damaged store is refused before any write. */
export function withWritableStore(
  dir: string | undefined,
  options: StoreOptions,
  io: CliIO,
  work: (store: Store) => Promise<number>,
): Promise<number> {
  return withExistingStore(dir, options, io, work, { write: true });
}

/** What opening the store noticed about itself (guards missing, altered, restored), on stderr. */
export function printStoreNotices(store: Pick<Store, 'notices'> | undefined, io: CliIO): void {
  if (!store) return;
  const style = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  for (const notice of store.notices) io.stderr.write(`${style.yellow('warning')}: ${notice}\n`);
}
