/**
 * mlgate server: one record of runs, sign-offs, waivers, tags and baselines for a team and its
 * CI jobs, over PostgreSQL (or one SQLite file for a one-machine team).
 *
 *   mlgate server --database postgres://…|FILE.db [--listen 127.0.0.1:8420]
 *                 [--mlflow-webhook-secret-env NAME]   (default $MLGATE_MLFLOW_WEBHOOK_SECRET)
 *                 [--signing-key FILE]   (default $MLGATE_SERVER_SIGNING_KEY: server-side sign-offs are signed)
 *   mlgate server key --signing-key FILE   (prints the public key to list under a role's signers)
 *   mlgate server token create --name ci --role runner --database …   (prints the token once)
 *   mlgate server token revoke --name ci --database …
 *   mlgate server audit verify --database …   (exit 0: the chain holds; 1: names the first broken link)
 */
import { resolve } from 'node:path';
import { UsageError } from '../../engine/errors.js';
import { buildServer } from '../../server/app.js';
import { createToken } from '../../server/auth.js';
import { appendAudit, verifyAuditChain } from '../../store/audit.js';
import {
  loadServerSigner,
  readableByOthers,
  type ServerSigner,
  SigningKeyError,
} from '../../server/signing.js';
import { openStoreFile, type Store } from '../../store/db.js';
import { isPostgresUrl, openPostgresStore } from '../../store/postgres.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { printStoreNotices } from '../store.js';
import { colourWanted, makeStyle } from '../style.js';

export interface DatabaseOptions {
  database?: string;
}

/** --database, else $MLGATE_DATABASE: a postgres:// URL or an SQLite file (created when missing). */
export async function openServerDatabase(options: DatabaseOptions, io: CliIO): Promise<Store> {
  const target = options.database ?? io.env.MLGATE_DATABASE;
  if (!target)
    throw new UsageError(
      'say which database: --database postgres://USER@HOST/DB or --database FILE.db',
      'or set MLGATE_DATABASE',
    );
  if (isPostgresUrl(target)) return openPostgresStore(target);
  return (await openStoreFile(resolve(io.cwd, target), { create: true }))!;
}

export interface ServeOptions extends DatabaseOptions {
  listen: string;
  oidcIssuer?: string;
  oidcAudience?: string;
  oidcRolesClaim?: string;
  /** Requests per second per caller (burst: twice that). */
  rateLimit?: number;
  /** The environment variable holding MLflow's webhook secret (never the secret itself: shell history, ps). */
  mlflowWebhookSecretEnv?: string;
  /** The server's private signing key (default $MLGATE_SERVER_SIGNING_KEY). */
  signingKey?: string;
}

export const SIGNING_KEY_ENV = 'MLGATE_SERVER_SIGNING_KEY';

/** --signing-key, else $MLGATE_SERVER_SIGNING_KEY, read and checked; undefined when neither is given. */
export function serverSigner(
  options: { signingKey?: string },
  io: CliIO,
): { signer: ServerSigner; path: string } | undefined {
  const given = options.signingKey ?? (io.env[SIGNING_KEY_ENV] || undefined);
  if (given === undefined) return undefined;
  const path = resolve(io.cwd, given);
  try {
    return { signer: loadServerSigner(path), path };
  } catch (error) {
    if (!(error instanceof SigningKeyError)) throw error;
    const from = options.signingKey !== undefined ? '--signing-key' : `$${SIGNING_KEY_ENV}`;
    throw new UsageError(`${from}: ${error.message}`, error.hint);
  }
}

export const DEFAULT_MLFLOW_SECRET_ENV = 'MLGATE_MLFLOW_WEBHOOK_SECRET';

/** The webhook secret, or undefined (the route is off); a variable named on the command line must be set. */
export function mlflowWebhookSecret(options: ServeOptions, env: NodeJS.ProcessEnv): string | undefined {
  const name = options.mlflowWebhookSecretEnv ?? DEFAULT_MLFLOW_SECRET_ENV;
  const secret = env[name];
  if (options.mlflowWebhookSecretEnv !== undefined && !secret)
    throw new UsageError(
      `--mlflow-webhook-secret-env ${name}: $${name} is not set or empty`,
      `export ${name}=<the secret given to MLflow's webhook>, or leave the option out to keep /api/v1/hooks/mlflow off`,
    );
  return secret || undefined;
}

export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535)
    throw new UsageError(`--listen ${text} is not HOST:PORT`, 'e.g. 127.0.0.1:8420 or 0.0.0.0:8420');
  return { host: match[1] ?? match[2]!, port };
}

export async function serverCommand(options: ServeOptions, io: CliIO, signal: AbortSignal): Promise<number> {
  const style = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  let store: Store | undefined;
  try {
    const { host, port } = parseListen(options.listen);
    if ((options.oidcIssuer === undefined) !== (options.oidcAudience === undefined))
      throw new UsageError('OIDC needs both --oidc-issuer and --oidc-audience');
    const webhookSecret = mlflowWebhookSecret(options, io.env);
    // Read before the database opens: a bad key stops the server before it serves anything.
    const signing = serverSigner(options, io);
    store = await openServerDatabase(options, io);
    printStoreNotices(store, io);
    const app = await buildServer({
      store,
      logger: false,
      ...(webhookSecret ? { mlflowWebhookSecret: webhookSecret } : {}),
      ...(signing ? { signer: signing.signer } : {}),
      ...(options.oidcIssuer
        ? {
            oidc: {
              issuer: options.oidcIssuer,
              audience: options.oidcAudience!,
              rolesClaim: options.oidcRolesClaim,
            },
          }
        : {}),
      ...(options.rateLimit
        ? { rateLimit: { perSecond: options.rateLimit, burst: options.rateLimit * 2 } }
        : {}),
    });
    let address: string;
    try {
      address = await app.listen({ host, port });
    } catch (error) {
      await app.close();
      throw new UsageError(
        `cannot listen on ${host}:${port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        "another process has that port, or the address is not this machine's: choose another --listen",
      );
    }
    io.stdout.write(
      `mlgate server on ${address} (${store.dialect}: ${store.path}); API at ${address}/api/v1, web page at ${address}/\n`,
    );
    io.stdout.write(
      webhookSecret
        ? `MLflow webhook on at ${address}/api/v1/hooks/mlflow (secret from $${options.mlflowWebhookSecretEnv ?? DEFAULT_MLFLOW_SECRET_ENV})\n`
        : `MLflow webhook off (set $${DEFAULT_MLFLOW_SECRET_ENV} to turn it on)\n`,
    );
    io.stdout.write(
      signing
        ? `server-side sign-offs are signed with key ${signing.signer.keyid} (${signing.path}); it counts for a role only where a spec's signers list its public key (mlgate server key --signing-key FILE)\n`
        : `server-side sign-offs are unsigned: roles with signers need \`mlgate approve --key\` (or start the server with --signing-key)\n`,
    );
    if (signing && readableByOthers(signing.path))
      io.stderr.write(
        `${style.yellow('note')}: ${signing.path} is readable by other users: whoever reads it signs as this server (chmod 600 it)\n`,
      );
    if (webhookSecret && webhookSecret.length < 16)
      io.stderr.write(
        `${style.yellow('note')}: the MLflow webhook secret is ${webhookSecret.length} characters: a guessable secret lets anyone record model versions; use 32 random bytes\n`,
      );
    if (!(await store.db.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst()))
      io.stderr.write(
        `${style.yellow('note')}: no API tokens yet: mlgate server token create --name admin --role admin --database …\n`,
      );
    await new Promise<void>((done) =>
      signal.aborted ? done() : signal.addEventListener('abort', () => done(), { once: true }),
    );
    await app.close();
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, style);
  } finally {
    await store?.close();
  }
}

/** Prints the server's public key (stdout, PEM) for a team to commit and list under a role's signers. */
export async function serverKeyCommand(options: { signingKey?: string }, io: CliIO): Promise<number> {
  const style = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    const signing = serverSigner(options, io);
    if (!signing)
      throw new UsageError(
        `say which key: --signing-key FILE (or set $${SIGNING_KEY_ENV})`,
        'make one with `mlgate keys generate --out PATH`; the server signs with PATH',
      );
    io.stdout.write(signing.signer.publicPem);
    io.stderr.write(
      `key ${signing.signer.keyid}: commit this as e.g. keys/mlgate-server.pub and list it under each role the server may sign for (signers: {technical-lead: [keys/mlgate-server.pub]})\n`,
    );
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, style);
  }
}

export interface TokenOptions extends DatabaseOptions {
  name: string;
  role: string[];
  by?: string;
}

/** Prints the new token once, on stdout alone (for `$(…)`); the store keeps its sha256. */
export async function tokenCreateCommand(options: TokenOptions, io: CliIO): Promise<number> {
  const style = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  let store: Store | undefined;
  try {
    if (options.role.length === 0)
      throw new UsageError('give the token a role: --role viewer|runner|admin|approver:ROLE');
    store = await openServerDatabase(options, io);
    const by = options.by ?? io.env.MLGATE_USER ?? 'mlgate server token create';
    const now = new Date();
    const db = store.db;
    const dialect = store.dialect;
    const { token } = await db.transaction().execute(async (trx) => {
      const created = await createToken(
        { ...store!, db: trx },
        { name: options.name, roles: options.role, createdBy: by, now },
      ).catch((error: Error) => {
        throw new UsageError(error.message);
      });
      await appendAudit(trx, dialect, {
        at: now.toISOString(),
        actor: by,
        action: 'token.create',
        project: null,
        target: `token:${options.name}`,
        detail: { tokenId: created.id, roles: options.role },
      });
      return created;
    });
    io.stdout.write(`${token}\n`);
    io.stderr.write(
      `token "${options.name}" (${options.role.join(', ')}): shown once, stored as its sha256\n`,
    );
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, style);
  } finally {
    await store?.close();
  }
}

export async function tokenRevokeCommand(
  options: DatabaseOptions & { name: string; by?: string },
  io: CliIO,
): Promise<number> {
  const style = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  let store: Store | undefined;
  try {
    store = await openServerDatabase(options, io);
    const by = options.by ?? io.env.MLGATE_USER ?? 'mlgate server token revoke';
    const now = new Date().toISOString();
    const dialect = store.dialect;
    const revoked = await store.db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('name', '=', options.name)
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      if (rows.length > 0)
        await appendAudit(trx, dialect, {
          at: now,
          actor: by,
          action: 'token.revoke',
          project: null,
          target: `token:${options.name}`,
          detail: { tokenIds: rows.map((r) => r.id) },
        });
      return rows.length;
    });
    if (revoked === 0) throw new UsageError(`no live token named "${options.name}"`);
    io.stdout.write(`revoked ${revoked} token${revoked === 1 ? '' : 's'} named "${options.name}"\n`);
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, style);
  } finally {
    await store?.close();
  }
}

export async function auditVerifyCommand(options: DatabaseOptions, io: CliIO): Promise<number> {
  const style = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  let store: Store | undefined;
  try {
    store = await openServerDatabase(options, io);
    const chain = await verifyAuditChain(store.db);
    if (chain.broken) {
      io.stdout.write(
        `${style.red('broken')}: audit event #${chain.broken.seq}: ${chain.broken.problem}\n${chain.events} event${chain.events === 1 ? '' : 's'} before it hold (last good hash ${chain.head})\n`,
      );
      return ExitCode.Blocked;
    }
    io.stdout.write(
      `${style.green('intact')}: ${chain.events} audit event${chain.events === 1 ? '' : 's'}, head ${chain.head}\n`,
    );
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, style);
  } finally {
    await store?.close();
  }
}
