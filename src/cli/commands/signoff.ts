/** approve, revoke, waive, unwaive: sign-off records, bound to the artifacts and the item as they are now. */
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { digestArtifacts } from '../../engine/artifacts.js';
import { UsageError } from '../../engine/errors.js';
import { hasControlCharacters, showControls } from '../../redact/clean.js';
import type { LoadedItem, LoadedSpec } from '../../spec/load.js';
import { openStore } from '../../store/db.js';
import {
  appendEvent,
  bindingFor,
  judgeManual,
  loadEvents,
  standingApprovals,
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

export interface SignoffOptions extends StoreOptions {
  by?: string;
  role?: string;
  comment?: string;
  evidence?: string;
  reason?: string;
  expires?: string;
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
        const standing = standingApprovals(events).filter(
          (a) => options.role === undefined || a.role === options.role,
        );
        if (standing.length === 0) {
          throw new UsageError(
            `"${item.id}" has no approval${options.role ? ` as ${options.role}` : ''} to revoke`,
          );
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
        if (!options.reason || options.reason.trim().length < 3) {
          throw new UsageError('a waiver needs a reason people can read later: --reason TEXT');
        }
        if (!options.expires)
          throw new UsageError('a waiver needs an end: --expires DATE (2026-12-31) or a duration (30d)');
        const expiresAt = parseExpiry(options.expires, now);
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
        if (!standingWaiver(events)) throw new UsageError(`"${item.id}" has no waiver to withdraw`);
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
      if (item.manual) {
        const outcome = judgeManual(item, after, binding, now);
        io.stdout.write(
          `  ${item.id} is now ${outcome.status === 'pass' ? style.green('approved') : style.yellow('pending')}: ${outcome.summary}\n`,
        );
      }
      const waiver = standingWaiver(after);
      if (waiver && (action === 'waive' || action === 'unwaive')) {
        io.stdout.write(
          `  waived until ${waiver.expiresAt}; it counts only while ${item.id} fails and nothing it is bound to changes\n`,
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
function refuseControlCharacters(value: string, what: string, newlinesAllowed: boolean): void {
  if (!hasControlCharacters(value, newlinesAllowed)) return;
  throw new UsageError(
    `${what} contains ${newlinesAllowed ? 'terminal escape sequences or control characters' : 'a line break, a terminal escape sequence or a control character'}: "${showControls(value)}"`,
    newlinesAllowed ? 'write it as plain text' : 'write it as plain text on one line',
  );
}

function findItem(loaded: LoadedSpec, id: string): LoadedItem {
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

async function evidenceRef(
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
