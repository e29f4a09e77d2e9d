/** approve, revoke, waive, unwaive: sign-off records, bound to the artifacts and the item as they are now. */
import { execFileSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { keyId } from '../../attest/dsse.js';
import { loadPrivateKey } from '../../attest/keys.js';
import {
  allSignerKeys,
  letAttestationsBeCommitted,
  readSignedRecords,
  type SignedAction,
  type SignerKey,
  type WrittenSignoff,
  writeSignedSignoff,
} from '../../attest/signoffs.js';
import { digestArtifacts } from '../../engine/artifacts.js';
import { remoteSignoff, type ServerFlags, serverWanted } from '../../gate/remote-commands.js';
import { UsageError } from '../../engine/errors.js';
import { hasControlCharacters, showControls } from '../../redact/clean.js';
import type { LoadedItem, LoadedSpec } from '../../spec/load.js';
import { openStore } from '../../store/db.js';
import {
  appendEvent,
  bindingFor,
  judgeManual,
  loadEvents,
  type SignedView,
  standingApprovals,
  standingSignedApprovals,
  standingSignedWaiver,
  standingWaiver,
} from '../../store/signoffs.js';
import { sha256OfFile } from '../../util/digest.js';
import { OutsideProjectError, resolveInProject } from '../../util/project-path.js';
import { didYouMean } from '../../util/suggest.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { loadProject } from '../project.js';
import { actor, parseExpiry, printStoreNotices, type StoreOptions, storeDir } from '../store.js';
import { colourWanted, makeStyle } from '../style.js';

export interface SignoffOptions extends StoreOptions, ServerFlags {
  by?: string;
  role?: string;
  comment?: string;
  evidence?: string;
  reason?: string;
  expires?: string;
  /**
   * --key PATH: the private key (PEM, ECDSA P-256) that signs the record; it is also written
   * as a DSSE envelope under .mlgate/attestations/ (committed). Required for the roles the
   * spec lists `signers` for, and for waivers once it lists any.
   */
  key?: string;
  /** Tests pass a clock; people get the real one. */
  now?: () => Date;
}

type Action = 'approve' | 'revoke' | 'waive' | 'unwaive';

export async function signoffCommand(
  action: Action,
  itemId: string,
  dir: string | undefined,
  options: SignoffOptions,
  io: CliIO,
): Promise<number> {
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  const errStyle = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  // A team server (MLGATE_SERVER or --server) records it instead of the local store.
  if (serverWanted(options, io.env)) return remoteSignoff(action, itemId, dir, options, io);
  const now = (options.now ?? (() => new Date()))();
  try {
    const { loaded } = await loadProject(dir, options, io);
    const item = findItem(loaded, itemId);
    const who = actor(options.by, io);
    refuseControlCharacters(who, 'the name (--by, MLGATE_USER or git user.name)', false);
    if (options.role !== undefined) refuseControlCharacters(options.role, '--role', false);
    if (options.evidence !== undefined) refuseControlCharacters(options.evidence, '--evidence', false);
    if (options.comment !== undefined) refuseControlCharacters(options.comment, '--comment', true);
    if (options.reason !== undefined) refuseControlCharacters(options.reason, '--reason', true);
    const artifacts = await digestArtifacts(loaded);
    const binding = bindingFor(item, loaded.sha256, artifacts);
    const signer = options.key === undefined ? undefined : readSigningKey(options.key, io);
    const signedView = (): SignedView => ({
      signers: loaded.signers,
      records: readSignedRecords(
        loaded.root,
        loaded.signers,
        loaded.items.map((i) => i.id),
      ).filter((r) => r.itemId === item.id),
    });
    const signedBefore = signedView();
    let written: WrittenSignoff | undefined;
    const sign = (signed: SignedAction, role: string | undefined, extra: SignExtra = {}) => {
      written = writeSignedSignoff(
        loaded.root,
        {
          action: signed,
          itemId: item.id,
          definitionDigest: item.definitionDigest,
          role,
          by: who,
          at: now,
          ...extra,
          artifacts: binding.artifacts,
        },
        signer!.key,
      );
    };
    const store = (await openStore(storeDir(dir, options, io), { create: true }))!;
    printStoreNotices(store, io);
    try {
      const events = (await loadEvents(store, item.id)).get(item.id) ?? [];
      if (action === 'approve') {
        const manual = item.manual;
        if (!manual) {
          throw new UsageError(
            `"${item.id}" is automated: it passes when its check passes`,
            `to accept it not passing, waive it: mlgate waive ${item.id} --reason TEXT --expires DATE`,
          );
        }
        const role = options.role ?? (manual.roles.length === 1 ? manual.roles[0] : undefined);
        if (manual.roles.length > 0 && role === undefined) {
          throw new UsageError(
            `say which role you approve "${item.id}" as: --role ${manual.roles.join(' or --role ')}`,
          );
        }
        if (role !== undefined && manual.roles.length > 0 && !manual.roles.includes(role)) {
          throw new UsageError(
            `"${item.id}" is signed off by ${manual.roles.join(', ')}, not "${role}".${didYouMean(role, manual.roles)}`,
          );
        }
        if (manual.comment_required && !options.comment?.trim()) {
          throw new UsageError(`"${item.id}" needs a justification with each approval: --comment TEXT`);
        }
        if (manual.evidence_required && !options.evidence) {
          throw new UsageError(
            `"${item.id}" needs evidence with each approval: --evidence URL or --evidence FILE`,
          );
        }
        const evidence = options.evidence ? await evidenceRef(options.evidence, loaded, io) : undefined;
        const listed = role === undefined ? undefined : loaded.signers.get(role);
        if (listed)
          requireListedKey(signer, listed.keys, `sign-offs for ${role}`, `approve ${item.id} --role ${role}`);
        if (signer) {
          sign('approve', role, {
            comment: options.comment?.trim() || undefined,
            evidence: evidence && {
              ref: evidence.ref,
              ...(evidence.sha256 ? { sha256: evidence.sha256 } : {}),
            },
          });
        }
        await appendEvent(store, {
          action,
          itemId: item.id,
          actor: who,
          at: now,
          role,
          comment: options.comment?.trim(),
          evidence: evidence?.ref,
          evidenceSha256: evidence?.sha256,
          binding,
        });
      } else if (action === 'revoke') {
        const targeted = (r: string | null | undefined) => options.role === undefined || r === options.role;
        const signerRole = (r: string | null | undefined) => r != null && loaded.signers.has(r);
        const standing = standingApprovals(events).filter((a) => targeted(a.role) && !signerRole(a.role));
        const signedStanding = standingSignedApprovals(signedBefore.records).filter(
          (a) => targeted(a.role) && signerRole(a.role),
        );
        if (signer) {
          const keyid = keyId(signer.key);
          const mine = signedStanding.filter((a) => a.keyid === keyid);
          if (mine.length === 0 && standing.length === 0) {
            throw new UsageError(
              `"${item.id}" has no approval${options.role ? ` as ${options.role}` : ''} signed by your key (${keyid.slice(0, 8)}) to revoke`,
              signedStanding.length
                ? `signed by ${[...new Set(signedStanding.map((a) => a.keyPath ?? a.keyid?.slice(0, 8)))].join(', ')}: a signed approval is revoked with the key that signed it`
                : undefined,
            );
          }
          if (mine.length > 0) sign('revoke', options.role, { comment: options.reason?.trim() || undefined });
        } else {
          if (signedStanding.length > 0) {
            throw new UsageError(
              `"${item.id}" has signed approvals${options.role ? ` as ${options.role}` : ''}: revoke them with the key that signed them: --key PATH`,
              `or delete their files under .mlgate/attestations/ and commit: ${signedStanding.map((a) => a.file).join(', ')}`,
            );
          }
          if (standing.length === 0) {
            throw new UsageError(
              `"${item.id}" has no approval${options.role ? ` as ${options.role}` : ''} to revoke`,
            );
          }
        }
        await appendEvent(store, {
          action,
          itemId: item.id,
          actor: who,
          at: now,
          role: options.role,
          comment: options.reason?.trim(),
        });
      } else if (action === 'waive') {
        if (!options.reason?.trim())
          throw new UsageError(
            'a waiver needs a reason people can read later: --reason TEXT',
            `e.g. mlgate waive ${item.id} --reason "why it may ship anyway, and who decided" --expires 30d`,
          );
        if (options.reason.trim().length < MIN_WAIVER_REASON)
          throw new UsageError(
            `--reason "${options.reason.trim()}" is too short: a waiver's reason needs at least ${MIN_WAIVER_REASON} characters`,
            'say why it may ship anyway and who decided: people read it later, in every report',
          );
        if (!options.expires)
          throw new UsageError('a waiver needs an end: --expires DATE (2026-12-31) or a duration (30d)');
        const expiresAt = parseExpiry(options.expires, now);
        if (loaded.signers.size > 0)
          requireListedKey(
            signer,
            allSignerKeys(loaded.signers),
            'waivers',
            `waive ${item.id} --reason TEXT --expires DATE`,
          );
        if (signer) sign('waive', undefined, { comment: options.reason.trim(), expires: expiresAt });
        await appendEvent(store, {
          action,
          itemId: item.id,
          actor: who,
          at: now,
          comment: options.reason.trim(),
          expiresAt,
          binding,
        });
      } else {
        if (loaded.signers.size > 0) {
          requireListedKey(signer, allSignerKeys(loaded.signers), 'waivers', `unwaive ${item.id}`);
          if (!standingSignedWaiver(signedBefore.records))
            throw new UsageError(`"${item.id}" has no signed waiver to withdraw`);
          sign('unwaive', undefined, { comment: options.reason?.trim() || undefined });
        } else {
          if (!standingWaiver(events)) throw new UsageError(`"${item.id}" has no waiver to withdraw`);
          if (signer) sign('unwaive', undefined, { comment: options.reason?.trim() || undefined });
        }
        await appendEvent(store, {
          action,
          itemId: item.id,
          actor: who,
          at: now,
          comment: options.reason?.trim(),
        });
      }
      // Say what this changed, and what is still needed.
      const after = (await loadEvents(store, item.id)).get(item.id) ?? [];
      io.stdout.write(`${describe(action, item, who, options)}\n`);
      if (action === 'approve' || action === 'waive') {
        const bound = artifacts
          .map((a) => `${a.path} ${a.sha256 ? a.sha256.slice(0, 12) : '(missing)'}`)
          .join(', ');
        io.stdout.write(style.dim(`  bound to the item's definition and ${bound || 'no artifacts'}\n`));
      }
      const signedAfter = signedView();
      if (written) {
        const listedKey = allSignerKeys(loaded.signers).find((k) => k.keyid === written!.keyid);
        io.stdout.write(
          `  signed with key ${written.keyid.slice(0, 8)}${listedKey ? ` (${listedKey.path})` : ''}: ${relative(io.cwd, written.file) || written.file}\n`,
        );
        letAttestationsBeCommitted(loaded.root);
        io.stdout.write(
          style.dim(
            `  commit it with the project: it is what CI reads (git add ${relative(io.cwd, written.file)})\n`,
          ),
        );
        const ignored = gitIgnores(written.file);
        if (ignored)
          io.stderr.write(
            `${errStyle.yellow('warning')}: git ignores ${relative(io.cwd, written.file)} (${ignored}): CI will not see it. Let .mlgate/attestations/ be committed, e.g. in .gitignore: .mlgate/* and !.mlgate/attestations/\n`,
          );
        const role = options.role ?? item.manual?.roles[0];
        if (action === 'approve' && role !== undefined && !loaded.signers.has(role)) {
          io.stdout.write(
            style.dim(
              `  the spec lists no signers for ${role} yet: this record counts once it lists your key under signers: ${role}\n`,
            ),
          );
        }
      }
      const signedWaiver = standingSignedWaiver(signedAfter.records);
      const waiver =
        loaded.signers.size > 0
          ? signedWaiver && { expiresAt: signedWaiver.signoff!.expiresAt ?? null }
          : standingWaiver(after);
      const until = waiver && waiverEnd(waiver.expiresAt, now);
      if (item.manual) {
        const outcome = judgeManual(item, after, binding, now, signedAfter);
        if (until && outcome.status !== 'pass')
          io.stdout.write(
            `  ${item.id} is now ${style.yellow(`waived until ${until}`)} (${outcome.summary})\n`,
          );
        else
          io.stdout.write(
            `  ${item.id} is now ${outcome.status === 'pass' ? style.green('approved') : style.yellow('pending')}: ${outcome.summary}\n`,
          );
      }
      if (until && (action === 'waive' || action === 'unwaive')) {
        io.stdout.write(
          `  waived until ${until}; it counts only while ${item.id} fails and nothing it is bound to changes\n`,
        );
      }
      io.stdout.write(style.dim(`  recorded in ${relative(io.cwd, store.path) || store.path}\n`));
    } finally {
      await store.close();
    }
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, errStyle);
  }
}

/**
 * Names, roles and comments are printed in terminals and reports for years: a record with an
 * escape sequence or a newline in a name could recolour, hide or forge lines there (a fake
 * "Verdict: PASS"). Comments and reasons may span lines; nothing else may.
 */
export function refuseControlCharacters(value: string, what: string, newlinesAllowed: boolean): void {
  if (!hasControlCharacters(value, newlinesAllowed)) return;
  throw new UsageError(
    `${what} contains ${newlinesAllowed ? 'terminal escape sequences or control characters' : 'a line break, a terminal escape sequence or a control character'}: "${showControls(value)}"`,
    newlinesAllowed ? 'write it as plain text' : 'write it as plain text on one line',
  );
}

export function findItem(loaded: LoadedSpec, id: string): LoadedItem {
  const item = loaded.items.find((candidate) => candidate.id === id);
  if (!item) {
    throw new UsageError(
      `no item "${id}" in the spec.${didYouMean(
        id,
        loaded.items.map((i) => i.id),
      )}`,
      'mlgate validate --list shows every item',
    );
  }
  return item;
}

export async function evidenceRef(
  value: string,
  loaded: LoadedSpec,
  io: CliIO,
): Promise<{ ref: string; sha256?: string }> {
  if (/^https?:\/\/\S+$/.test(value)) return { ref: value };
  const path = resolve(io.cwd, value);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(`evidence "${value}" is neither a URL (https://...) nor a file that exists`);
  }
  try {
    resolveInProject(loaded.root, path, { hint: '' });
  } catch (error) {
    if (!(error instanceof OutsideProjectError)) throw error;
    throw new UsageError(
      `evidence ${value} resolves outside the project (${error.realPath})`,
      "evidence is a file inside the project (the spec's folder), or a URL",
    );
  }
  return { ref: relative(loaded.root, path).split('\\').join('/'), sha256: await sha256OfFile(path) };
}

function describe(action: Action, item: LoadedItem, who: string, options: SignoffOptions): string {
  switch (action) {
    case 'approve':
      return `approved ${item.id}${(options.role ?? item.manual?.roles[0]) ? ` as ${options.role ?? item.manual?.roles[0]}` : ''}: ${who}`;
    case 'revoke':
      return `revoked ${options.role ? `the ${options.role} approval` : 'every approval'} of ${item.id}: ${who}`;
    case 'waive':
      return `waived ${item.id}: ${who}, "${options.reason?.trim()}"`;
    case 'unwaive':
      return `withdrew the waiver on ${item.id}: ${who}`;
  }
}

type SignExtra = {
  comment?: string;
  evidence?: { ref: string; sha256?: string };
  expires?: Date;
};

/** --key PATH ("~/" is the home folder): the private key, or a usage error that says why not. */
export function readSigningKey(path: string, io: CliIO): { key: KeyObject; path: string } {
  const home = io.env.HOME || homedir();
  const expanded = path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
  const absolute = resolve(io.cwd, expanded);
  if (!existsSync(absolute))
    throw new UsageError(
      `no key at ${path}`,
      'make one: mlgate keys generate --out ~/.config/mlgate/NAME (and list NAME.pub under signers: in the spec)',
    );
  try {
    return { key: loadPrivateKey(absolute), path: absolute };
  } catch (error) {
    const message = (error as Error).message;
    throw new UsageError(
      `--key ${path} is not an ECDSA P-256 private key in PEM (${/P-256/.test(message) ? message : 'it does not parse as a private key'})`,
      '--key takes the private key `mlgate keys generate` wrote (not the .pub file)',
    );
  }
}

/** For a role the spec lists signers for (or a waiver, once it lists any): a listed key, or a usage error. */
function requireListedKey(
  signer: { key: KeyObject } | undefined,
  listed: SignerKey[],
  what: string,
  command: string,
): void {
  const paths = listed.map((k) => k.path).join(', ');
  if (!signer) {
    throw new UsageError(
      `${what} must be signed: the spec lists the keys that sign them (${paths})`,
      `sign it with your private key: mlgate ${command} --key ~/.config/mlgate/NAME`,
    );
  }
  const keyid = keyId(signer.key);
  if (!listed.some((k) => k.keyid === keyid)) {
    throw new UsageError(
      `your key (${keyid.slice(0, 8)}) is not one the spec lists for ${what} (${paths}); nothing was recorded`,
      'add your .pub file there (reviewed like code), or sign with a listed key',
    );
  }
}

/** The ignore rule that hides a file from git ("file:line:pattern"), or undefined (not ignored, or no git). */
function gitIgnores(file: string): string | undefined {
  try {
    const out = execFileSync('git', ['check-ignore', '-v', '--no-index', file], {
      cwd: dirname(file),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const rule = out.split('\t')[0]?.trim();
    return rule || undefined;
  } catch {
    return undefined;
  }
}

/** A waiver's reason is read later by people deciding whether to trust the release. */
const MIN_WAIVER_REASON = 3;

/** "2026-12-30 12:00 UTC (in 30 days)", or "no end date". */
function waiverEnd(expiresAt: string | null, now: Date): string {
  if (!expiresAt) return 'no end date';
  const at = new Date(expiresAt);
  if (Number.isNaN(at.getTime())) return expiresAt;
  const days = Math.round((at.getTime() - now.getTime()) / 86_400_000);
  const when =
    days === 0 ? 'today' : days > 0 ? `in ${days} day${days === 1 ? '' : 's'}` : `${-days} days ago`;
  return `${expiresAt.slice(0, 10)} ${expiresAt.slice(11, 16)} UTC (${when})`;
}
