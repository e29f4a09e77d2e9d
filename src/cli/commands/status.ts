/** mlgate status: which sign-offs are still needed and who must act; which waivers are in force. */
import { digestArtifacts } from '../../engine/artifacts.js';
import { makePlan } from '../../engine/plan.js';
import { remoteStatus, type ServerFlags, serverWanted } from '../../gate/remote-commands.js';
import { cleanDeep, inlineText } from '../../redact/clean.js';
import { openStore } from '../../store/db.js';
import { bindingFor, SignoffBook, type SignoffEvent, staleReason } from '../../store/signoffs.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { loadProject } from '../project.js';
import { printStoreNotices, type StoreOptions, storeDir } from '../store.js';
import { colourWanted, makeStyle } from '../style.js';
import { table } from './history.js';

export interface StatusOptions extends StoreOptions, ServerFlags {
  profile?: string;
  format: 'text' | 'json';
  now?: () => Date;
}

export async function statusCommand(
  dir: string | undefined,
  options: StatusOptions,
  io: CliIO,
): Promise<number> {
  // A team server (MLGATE_SERVER or --server): its pending sign-offs and waivers.
  if (serverWanted(options, io.env)) return remoteStatus(dir, options, io);
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  const now = (options.now ?? (() => new Date()))();
  try {
    const { loaded } = await loadProject(dir, options, io);
    const plan = makePlan(loaded, { profile: options.profile });
    const artifacts = await digestArtifacts(loaded);
    const store = await openStore(storeDir(dir, options, io), { create: false });
    printStoreNotices(store, io);
    // The same decision as `mlgate check`: the store and, for signed roles, the attestations.
    let book: SignoffBook;
    try {
      book = await SignoffBook.forSpec(store, loaded, artifacts, () => now);
    } finally {
      await store?.close();
    }
    const waivers = loaded.items
      .map((item) => ({ item, waiver: book.waiverOf(item) }))
      .filter(
        (entry): entry is { item: (typeof entry)['item']; waiver: SignoffEvent } =>
          entry.waiver !== undefined,
      )
      .map(({ item, waiver }) => {
        const expired = waiver.expiresAt !== null && Date.parse(waiver.expiresAt) <= now.getTime();
        const stale = staleReason(waiver, bindingFor(item, loaded.sha256, artifacts), 'waived it');
        return {
          item: item.id,
          by: waiver.actor,
          reason: waiver.comment ?? '',
          expires: waiver.expiresAt,
          state: expired ? 'expired' : stale ? 'stale' : 'in force',
          ...(stale && !expired ? { stateReason: stale } : {}),
        };
      });
    const signoffs = plan.items
      .filter((planned) => planned.item.manual && planned.applicable)
      .map((planned) => {
        const outcome = book.manual(planned.item);
        // A sign-off not given but waived counts as waived, as `check` counts it.
        const waiver =
          outcome.status === 'pass'
            ? undefined
            : waivers.find((w) => w.item === planned.item.id && w.state === 'in force');
        return {
          item: planned.item.id,
          title: planned.item.title,
          severity: planned.severity,
          status: waiver ? ('waived' as const) : outcome.status,
          summary: waiver
            ? `waived until ${waiver.expires?.slice(0, 10) ?? '(no end)'} by ${waiver.by}: ${waiver.reason} (${outcome.summary})`
            : outcome.summary,
          ...(waiver ? { waivedUntil: waiver.expires } : {}),
          approvals: outcome.approvals ?? [],
          roles: planned.item.manual?.roles ?? [],
        };
      });
    if (options.format === 'json') {
      // Names and reasons are people's input: no escape sequences, even from old records.
      io.stdout.write(
        `${JSON.stringify(cleanDeep({ profile: plan.profile, signoffs, waivers }), null, 2)}\n`,
      );
      return ExitCode.Pass;
    }
    const pending = signoffs.filter((s) => s.status !== 'pass' && s.status !== 'waived');
    const waived = signoffs.filter((s) => s.status === 'waived');
    const given = signoffs.length - pending.length - waived.length;
    const out: string[] = [];
    out.push(
      `${loaded.spec.project.name}${plan.profile ? ` · profile ${plan.profile}` : ''}: ${given} of ${signoffs.length} sign-offs given${waived.length ? `, ${waived.length} waived` : ''}\n`,
    );
    if (signoffs.length) {
      out.push(
        table(
          ['item', 'severity', 'state', 'who must act / why'],
          signoffs.map((s) => [
            s.item,
            s.severity,
            s.status === 'pass'
              ? style.green('approved')
              : s.status === 'waived'
                ? style.yellow(`waived until ${s.waivedUntil?.slice(0, 10) ?? '(no end)'}`)
                : style.yellow('pending'),
            inlineText(s.summary),
          ]),
        ),
      );
    }
    if (waivers.length) {
      out.push(`\nwaivers\n`);
      out.push(
        table(
          ['item', 'state', 'until', 'by', 'reason'],
          waivers.map((w) => [
            w.item,
            w.state === 'in force'
              ? w.state
              : style.yellow(`${w.state}${w.stateReason ? `: ${inlineText(w.stateReason)}` : ''}`),
            w.expires?.slice(0, 10) ?? '',
            inlineText(w.by),
            inlineText(w.reason),
          ]),
        ),
      );
    }
    if (pending.length) {
      // The exact commands, as `check` prints them under its verdict.
      const at = dir && dir !== '.' ? ` ${dir}` : '';
      out.push(`\nto sign off:\n`);
      for (const s of pending) {
        const given = new Set(s.approvals.filter((a) => a.state === 'current').map((a) => a.role));
        const roles = s.roles.filter((role) => !given.has(role));
        for (const role of roles.length ? roles : ['ROLE'])
          out.push(`  mlgate approve ${s.item}${at} --role ${role}\n`);
      }
    }
    io.stdout.write(out.join(''));
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env)));
  }
}
