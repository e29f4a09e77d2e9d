/**
 * The sign-off and history commands against a team's mlgate server (`MLGATE_SERVER` and
 * `MLGATE_TOKEN`, or `--server`): approve, revoke, waive (a request; `--approve ID` / `--deny ID`
 * decide another person's request), unwaive, status, history, show, diff and tag talk to the
 * server's API (server/api/contract.ts) instead of the project's `.mlgate/mlgate.db`.
 *
 * Never a silent fallback: every command says "server https://…" at the top of its output, and
 * a server that cannot be reached, refuses (401/403) or does not know the project or run (404)
 * is an error with exit 2 — nothing is read from or written to the local store instead.
 * Who acts is the token's identity on the server: `--by` is refused.
 */
import { join, relative } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { IN_TOTO_PAYLOAD_TYPE, keyId, signEnvelope, type Envelope } from '../attest/dsse.js';
import {
  ATTESTATIONS_DIR,
  letAttestationsBeCommitted,
  type SignedAction,
  signoffStatement,
  type SignoffToSign,
} from '../attest/signoffs.js';
import {
  evidenceRef,
  findItem,
  readSigningKey,
  refuseControlCharacters,
  type SignoffOptions,
} from '../cli/commands/signoff.js';
import { printDiff, diffRuns, type DiffOptions } from '../cli/commands/diff.js';
import { runRow, table } from '../cli/commands/history.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { CliIO } from '../cli/io.js';
import { reportKnownError } from '../cli/problems.js';
import { loadProject } from '../cli/project.js';
import { parseExpiry } from '../cli/store.js';
import { colourWanted, makeStyle, type Style } from '../cli/style.js';
import { digestArtifacts } from '../engine/artifacts.js';
import { UsageError } from '../engine/errors.js';
import { cleanDeep, inlineText } from '../redact/clean.js';
import type { RunReport } from '../domain/run-report.js';
import { renderText } from '../report/text.js';
import {
  Attestation,
  PendingList,
  RunDetail,
  RunList,
  SignoffEvent,
  Tag,
  Waiver,
  WaiverList,
  Whoami,
} from '../server/api/contract.js';
import type { LoadedSpec } from '../spec/load.js';
import { callServer, ServerError, type ServerTarget, serverTarget } from './remote.js';

/** The flags these commands add when a server is set. */
export interface ServerFlags {
  /** --server URL (else MLGATE_SERVER). */
  server?: string;
  /** --run RUN: the run an approval or waiver binds to (default: the project's latest). */
  run?: string;
  /** waive ITEM --approve ID / --deny ID: decide another person's waiver request. */
  approve?: string;
  deny?: string;
  store?: string;
  config?: string;
  by?: string;
}

/** Whether a command goes to a server, or uses flags only a server understands (then it says so). */
export function serverWanted(options: ServerFlags, env: NodeJS.ProcessEnv): boolean {
  return (
    options.server !== undefined ||
    Boolean(env.MLGATE_SERVER?.trim()) ||
    options.run !== undefined ||
    options.approve !== undefined ||
    options.deny !== undefined
  );
}

interface Session {
  target: ServerTarget;
  origin: string;
  loaded: LoadedSpec;
  /** The project's path segment. */
  project: string;
  io: CliIO;
  style: Style;
  warn: (text: string) => void;
}

/** One call; a 404 becomes undefined where the caller says what was not found. */
function api<T>(
  session: Session,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  schema: { parse(value: unknown): T },
  body?: unknown,
): Promise<T> {
  return callServer(session.target, method, `/projects/${session.project}${path}`, {
    schema,
    body,
  }) as Promise<T>;
}

function apiOrNone<T>(session: Session, path: string, schema: { parse(value: unknown): T }) {
  return callServer(session.target, 'GET', `/projects/${session.project}${path}`, {
    schema,
    notFound: 'undefined',
  });
}

/**
 * Opens the session: the flags that would mean the local store are refused, the server and
 * token are read (the same rules as `check`), the spec gives the project's name. Every
 * error ends here with its message and exit 2.
 */
async function withServer(
  dir: string | undefined,
  options: ServerFlags,
  io: CliIO,
  work: (session: Session) => Promise<number>,
): Promise<number> {
  const errStyle = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  let origin = '';
  try {
    const target = serverTarget(options.server, io.env);
    if (!target) {
      if (options.server !== undefined) throw new UsageError('--server is empty', 'give https://HOST[:PORT]');
      const flag =
        options.run !== undefined ? '--run' : options.approve !== undefined ? '--approve' : '--deny';
      throw new UsageError(
        `${flag} is for a team server: no server is set`,
        flag === '--run'
          ? 'set MLGATE_SERVER and MLGATE_TOKEN (or --server URL); the local store binds to your checkout as it is now'
          : 'set MLGATE_SERVER and MLGATE_TOKEN (or --server URL); a local waiver is recorded at once, with no request to decide',
      );
    }
    origin = new URL(target.url).origin;
    if (options.store !== undefined)
      throw new UsageError(
        `--store names a local store, but the server ${origin} is set: which one is meant?`,
        'drop --store to use the server, or unset MLGATE_SERVER (and --server) to use the local store',
      );
    if (options.by !== undefined)
      throw new UsageError(
        `--by cannot say who acts on the server ${origin}: it records the token's identity (MLGATE_TOKEN)`,
        'drop --by; approve with your own token (mlgate server token create --name YOU --role approver:ROLE)',
      );
    const { loaded } = await loadProject(dir, options, io);
    return await work({
      target,
      origin,
      loaded,
      project: encodeURIComponent(loaded.spec.project.name),
      io,
      style: makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env)),
      warn: (text) => io.stderr.write(`${errStyle.yellow('warning')}: ${text}\n`),
    });
  } catch (error) {
    if (error instanceof ServerError) {
      // The server's words: one line, no escape sequences (a server is not trusted with the terminal).
      io.stderr.write(`${errStyle.red('error')}: ${inlineText(error.message)}\n`);
      const hint = serverHint(error.message);
      io.stderr.write(`  ${hint ? `${hint}; ` : ''}nothing was read from or written to the local store\n`);
      return ExitCode.Usage;
    }
    return reportKnownError(error, io, errStyle);
  }
}

function serverHint(message: string): string | undefined {
  const status = /answered (\d{3})/.exec(message)?.[1];
  if (status === '401')
    return 'MLGATE_TOKEN is not a token this server accepts (revoked, or of another server?)';
  if (status === '403') return "your token's roles do not allow this (GET /api/v1/whoami lists them)";
  if (status === '404')
    return 'the server does not know this project or run: CI creates the project with its first upload (mlgate check with MLGATE_SERVER set)';
  if (status === '429') return 'too many requests: wait a moment and try again';
  if (!status && /cannot reach/.test(message)) return 'is the server up, and MLGATE_SERVER right?';
  return undefined;
}

/** "server https://…" first: on stdout for text, on stderr when stdout is JSON. */
function header(session: Session, format: 'text' | 'json', extra = ''): void {
  const line = `server ${session.origin}${extra}\n`;
  if (format === 'json') session.io.stderr.write(line);
  else session.io.stdout.write(session.style.dim(line));
}

async function whoami(session: Session): Promise<string> {
  const me = (await callServer(session.target, 'GET', '/whoami', { schema: Whoami }))!;
  return inlineText(me.name);
}

/** The run a sign-off or waiver binds to: --run, else the project's latest. */
async function boundRun(session: Session, ref: string | undefined) {
  const detail = await apiOrNone(session, `/runs/${encodeURIComponent(ref ?? 'latest')}`, RunDetail);
  if (!detail)
    throw new UsageError(
      ref === undefined
        ? `the server ${session.origin} has no run of project "${session.loaded.spec.project.name}" yet: there is nothing to bind to`
        : `the server ${session.origin} has no run "${ref}" of project "${session.loaded.spec.project.name}"`,
      ref === undefined
        ? 'run `mlgate check` with MLGATE_SERVER set (as CI does), then sign off the run it recorded'
        : '`mlgate history` lists its runs',
    );
  return detail;
}

function runLabel(report: RunReport, id: number): string {
  return `run #${id} (${report.profile ? `${inlineText(report.profile)}, ` : ''}${report.verdict.status}, ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC)`;
}

/** Where the checkout the approver runs in differs from the run they bind to: said, not refused. */
async function differences(session: Session, report: RunReport, itemId: string): Promise<string[]> {
  const out: string[] = [];
  if (session.loaded.sha256 !== report.spec.sha256)
    out.push(`the spec (here ${session.loaded.sha256.slice(0, 12)}, run ${report.spec.sha256.slice(0, 12)})`);
  const local = session.loaded.items.find((item) => item.id === itemId);
  const inRun = report.items.find((item) => item.id === itemId);
  if (local && inRun && local.definitionDigest !== inRun.definitionDigest) out.push(`the item ${itemId}`);
  const here = new Map((await digestArtifacts(session.loaded)).map((a) => [a.name, a.sha256]));
  for (const artifact of report.artifacts) {
    const mine = here.get(artifact.name);
    if (mine !== undefined && mine !== artifact.sha256)
      out.push(
        `${artifact.name} (here ${mine?.slice(0, 12) ?? 'missing'}, run ${artifact.sha256?.slice(0, 12) ?? 'missing'})`,
      );
  }
  return out;
}

function boundTo(report: RunReport, id: number): string {
  const artifacts = report.artifacts
    .map((a) => `${a.path} ${a.sha256 ? a.sha256.slice(0, 12) : '(missing)'}`)
    .join(', ');
  return `bound to run #${id}: its spec ${report.spec.sha256.slice(0, 12)} and ${artifacts || 'no artifacts'}`;
}

export interface RemoteSignoffOptions extends SignoffOptions, ServerFlags {}

/** approve / revoke / waive / unwaive against the server. */
export function remoteSignoff(
  action: SignedAction,
  itemId: string,
  dir: string | undefined,
  options: RemoteSignoffOptions,
  io: CliIO,
): Promise<number> {
  return withServer(dir, options, io, async (session) => {
    const { style, loaded } = session;
    const now = (options.now ?? (() => new Date()))();
    if (options.role !== undefined) refuseControlCharacters(options.role, '--role', false);
    if (options.evidence !== undefined) refuseControlCharacters(options.evidence, '--evidence', false);
    if (options.comment !== undefined) refuseControlCharacters(options.comment, '--comment', true);
    if (options.reason !== undefined) refuseControlCharacters(options.reason, '--reason', true);
    if (action === 'waive' && (options.approve !== undefined || options.deny !== undefined))
      return decideWaiver(session, itemId, options);
    if (options.approve !== undefined || options.deny !== undefined)
      throw new UsageError(
        '--approve ID and --deny ID decide a waiver request: mlgate waive ITEM --approve ID',
      );
    const item = findItem(loaded, itemId);
    const signer = options.key === undefined ? undefined : readSigningKey(options.key, io);
    const me = await whoami(session);
    header(session, 'text', ` as ${me}`);
    const out = (text: string) => io.stdout.write(`${text}\n`);

    // approve and waive bind to a run; revoke and unwaive withdraw what stands.
    const detail =
      action === 'approve' || action === 'waive' ? await boundRun(session, options.run) : undefined;
    const runId = detail?.summary.id;
    const report = detail?.report;
    if (detail && !report!.items.some((i) => i.id === item.id))
      throw new UsageError(
        `run #${runId} has no item "${item.id}": it was made with another spec`,
        'bind to a run made with this spec: --run N (mlgate history lists them)',
      );

    const role = (): string => {
      const roles = item.manual?.roles ?? [];
      const chosen = options.role ?? (roles.length === 1 ? roles[0] : undefined);
      if (chosen === undefined)
        throw new UsageError(
          roles.length
            ? `say which role you ${action} "${item.id}" as: --role ${roles.join(' or --role ')}`
            : `say which of your approver roles you ${action} "${item.id}" as: --role ROLE`,
        );
      return chosen;
    };

    /** --key: the signed record is written beside the project (commit it) and uploaded; returns what to say. */
    const uploadSigned = async (signedRole: string | undefined, extra: SignedExtra): Promise<string> => {
      const artifacts = Object.fromEntries(
        (report?.artifacts ?? (await digestArtifacts(loaded))).map((a) => [
          a.name,
          { path: a.path, sha256: a.sha256 },
        ]),
      );
      const definitionDigest =
        report?.items.find((i) => i.id === item.id)?.definitionDigest ?? item.definitionDigest;
      // Signed once; written beside the project only once the server took it (an error leaves nothing).
      const keyid = keyId(signer!.key);
      const record: SignoffToSign = {
        action,
        itemId: item.id,
        definitionDigest,
        role: signedRole,
        by: me,
        at: now,
        artifacts,
        ...extra,
      };
      const envelope = signEnvelope(
        IN_TOTO_PAYLOAD_TYPE,
        Buffer.from(JSON.stringify(signoffStatement(record, keyid)), 'utf8'),
        signer!.key,
      );
      const recorded = await api(session, 'POST', '/signoffs/attestations', Attestation, { envelope });
      const file = writeEnvelope(loaded.root, record, keyid, envelope);
      return `  signed with key ${keyid.slice(0, 8)}: uploaded as attestation #${recorded.id}; also written to ${relative(io.cwd, file) || file} (commit it with the project)`;
    };

    if (action === 'approve') {
      if (!item.manual)
        throw new UsageError(
          `"${item.id}" is automated: it passes when its check passes`,
          `to accept it not passing, request a waiver: mlgate waive ${item.id} --reason TEXT --expires DATE`,
        );
      const signedRole = role();
      const changed = await differences(session, report!, item.id);
      if (changed.length)
        session.warn(
          `your checkout differs from run #${runId} in ${changed.join(', ')}: the approval binds to run #${runId}, what CI measured`,
        );
      const evidence = options.evidence ? await evidenceRef(options.evidence, loaded, io) : undefined;
      const signed = signer
        ? await uploadSigned(signedRole, { comment: options.comment?.trim() || undefined, evidence })
        : undefined;
      if (!signer)
        await api(session, 'POST', '/signoffs/approve', SignoffEvent, {
          runId,
          itemId: item.id,
          role: signedRole,
          ...(options.comment?.trim() ? { comment: options.comment.trim() } : {}),
          ...(evidence ? { evidence } : {}),
        });
      out(`approved ${item.id} as ${signedRole} in ${runLabel(report!, runId!)}: ${me}`);
      if (signed) out(signed);
      out(style.dim(`  ${boundTo(report!, runId!)}`));
      await sayPending(session, item.id, runId!);
    } else if (action === 'revoke') {
      const signedRole = role();
      if (!options.reason?.trim()) throw new UsageError('say why, for the record: --reason TEXT');
      const signed = signer ? await uploadSigned(signedRole, { comment: options.reason.trim() }) : undefined;
      if (!signer)
        await api(session, 'POST', '/signoffs/revoke', SignoffEvent, {
          itemId: item.id,
          role: signedRole,
          reason: options.reason.trim(),
        });
      out(`revoked the ${signedRole} approval of ${item.id}: ${me}`);
      if (signed) out(signed);
      out(`  the next mlgate check judges ${item.id} without it`);
    } else if (action === 'waive') {
      const reason = waiverReason(item.id, options.reason);
      if (!options.expires)
        throw new UsageError('a waiver needs an end: --expires DATE (2026-12-31) or a duration (30d)');
      const expires = parseExpiry(options.expires, now);
      if (signer) {
        // A signed waiver is its own authority (a key the project lists for waivers).
        const signed = await uploadSigned(undefined, { comment: reason, expires });
        out(
          `waived ${item.id} in ${runLabel(report!, runId!)} until ${expires.toISOString().slice(0, 10)}: ${me}, "${reason}"`,
        );
        out(signed);
        out(style.dim(`  ${boundTo(report!, runId!)}`));
        return ExitCode.Pass;
      }
      const waiver = await api(session, 'POST', '/waivers', Waiver, {
        itemId: item.id,
        runId,
        reason,
        expires: expires.toISOString(),
      });
      out(
        `requested waiver #${waiver.id} of ${item.id} in ${runLabel(report!, runId!)}, until ${waiver.expires.slice(0, 10)}: ${me}, "${reason}"`,
      );
      out(style.dim(`  ${boundTo(report!, runId!)}`));
      out(
        `  it counts only once another person approves it (not ${me})${item.manual?.roles.length ? `, holding approver:${item.manual.roles.join(' or approver:')}` : ''}:`,
      );
      out(`    mlgate waive ${item.id} --approve ${waiver.id}`);
      out(style.dim(`  or denies it: mlgate waive ${item.id} --deny ${waiver.id}`));
    } else {
      if (!options.reason?.trim()) throw new UsageError('say why, for the record: --reason TEXT');
      if (signer) {
        const signed = await uploadSigned(undefined, { comment: options.reason.trim() });
        out(`withdrew the waiver on ${item.id}: ${me}`);
        out(signed);
        return ExitCode.Pass;
      }
      const { waivers } = await api(session, 'GET', '/waivers?state=approved', WaiverList);
      const standing = waivers.filter((w) => w.itemId === item.id);
      if (standing.length === 0)
        throw new UsageError(
          `"${item.id}" has no approved waiver on the server ${session.origin} to withdraw`,
          '`mlgate status` lists the waivers',
        );
      for (const waiver of standing) {
        await api(session, 'POST', `/waivers/${waiver.id}/revoke`, Waiver, { reason: options.reason.trim() });
        out(
          `revoked waiver #${waiver.id} of ${item.id} (requested by ${inlineText(waiver.requestedBy)}): ${me}`,
        );
      }
      out(`  the next mlgate check judges ${item.id} without it`);
    }
    return ExitCode.Pass;
  });
}

/** The envelope the server took, as `mlgate approve --key` names its files (never replacing one). */
function writeEnvelope(root: string, record: SignoffToSign, keyid: string, envelope: Envelope): string {
  const dir = join(root, ATTESTATIONS_DIR);
  mkdirSync(dir, { recursive: true });
  letAttestationsBeCommitted(root);
  const stamp = record.at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const base = `${record.itemId}.${record.action}.${stamp}.${keyid.slice(0, 8)}`;
  for (let n = 1; ; n++) {
    const file = join(dir, `${base}${n === 1 ? '' : `-${n}`}.json`);
    try {
      writeFileSync(file, `${JSON.stringify(envelope, null, 2)}\n`, { flag: 'wx' });
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw error;
    }
  }
}

type SignedExtra = Partial<Pick<SignoffToSign, 'comment' | 'evidence' | 'expires'>>;

const MIN_WAIVER_REASON = 3;

function waiverReason(itemId: string, given: string | undefined): string {
  const reason = given?.trim();
  if (!reason)
    throw new UsageError(
      'a waiver needs a reason people can read later: --reason TEXT',
      `e.g. mlgate waive ${itemId} --reason "why it may ship anyway" --expires 30d`,
    );
  if (reason.length < MIN_WAIVER_REASON)
    throw new UsageError(
      `--reason "${reason}" is too short: a waiver's reason needs at least ${MIN_WAIVER_REASON} characters`,
      'say why it may ship anyway: people read it later, in every report',
    );
  return reason;
}

/** After a sign-off: is the item still pending in that run, and who must still act. */
async function sayPending(session: Session, itemId: string, run: number | 'latest'): Promise<void> {
  const list = await api(session, 'GET', `/signoffs/pending?run=${run}`, PendingList);
  if (list.runId === null) return;
  const entry = list.pending.find((p) => p.itemId === itemId);
  const { style } = session;
  session.io.stdout.write(
    entry
      ? `  ${itemId} is ${style.yellow('pending')} in run #${list.runId}${entry.mustAct.length ? `: ${entry.mustAct.join(', ')} must act` : ''} (${inlineText(entry.summary)})\n`
      : `  ${itemId} is no longer pending in run #${list.runId}: the next mlgate check counts it\n`,
  );
}

/** waive ITEM --approve ID / --deny ID: the item is named too, so nobody decides a waiver they did not mean. */
async function decideWaiver(
  session: Session,
  itemId: string,
  options: RemoteSignoffOptions,
): Promise<number> {
  if (options.approve !== undefined && options.deny !== undefined)
    throw new UsageError('--approve and --deny together: decide one way');
  const decision = options.approve !== undefined ? 'approve' : 'deny';
  const idText = (options.approve ?? options.deny)!.replace(/^#/, '');
  if (!/^\d+$/.test(idText))
    throw new UsageError(
      `--${decision} takes a waiver's number, not "${idText}"`,
      '`mlgate status` lists them',
    );
  if (options.reason !== undefined || options.expires !== undefined || options.key !== undefined)
    throw new UsageError(
      `--${decision} decides the request as it was made: --reason, --expires and --key belong to the request`,
      'say why with --comment TEXT',
    );
  const me = await whoami(session);
  header(session, 'text', ` as ${me}`);
  const waiver = await apiOrNone(session, `/waivers/${idText}`, Waiver);
  if (!waiver)
    throw new UsageError(
      `no waiver #${idText} of project "${session.loaded.spec.project.name}" on the server`,
      '`mlgate status` lists them',
    );
  if (waiver.itemId !== itemId)
    throw new UsageError(
      `waiver #${waiver.id} is of ${waiver.itemId}, not ${itemId}: nothing was decided`,
      `mlgate waive ${waiver.itemId} --${decision} ${waiver.id}`,
    );
  const comment = options.comment?.trim();
  const decided = await api(
    session,
    'POST',
    `/waivers/${waiver.id}/${decision}`,
    Waiver,
    comment ? { comment } : {},
  );
  const out = (text: string) => session.io.stdout.write(`${text}\n`);
  out(
    `${decision === 'approve' ? 'approved' : 'denied'} waiver #${decided.id} of ${inlineText(decided.itemId)} (requested by ${inlineText(decided.requestedBy)} for run #${decided.runId}, until ${decided.expires.slice(0, 10)}: "${inlineText(decided.reason)}"): ${me}`,
  );
  if (decision === 'approve')
    out(
      `  ${decided.itemId} is waived while it fails and nothing run #${decided.runId} measured changes; mlgate unwaive ${decided.itemId} --reason TEXT withdraws it`,
    );
  return ExitCode.Pass;
}

export interface RemoteStatusOptions extends ServerFlags {
  profile?: string;
  format: 'text' | 'json';
}

/** status: the pending sign-offs of the latest run (of the profile, or --run) and who must act; the waivers. */
export function remoteStatus(
  dir: string | undefined,
  options: RemoteStatusOptions,
  io: CliIO,
): Promise<number> {
  return withServer(dir, options, io, async (session) => {
    const { style, loaded } = session;
    const query = new URLSearchParams({ run: options.run ?? 'latest' });
    if (options.profile !== undefined && options.run === undefined) query.set('profile', options.profile);
    const list = await api(session, 'GET', `/signoffs/pending?${query}`, PendingList);
    const { waivers } = await api(session, 'GET', '/waivers', WaiverList);
    header(session, options.format);
    if (options.format === 'json') {
      io.stdout.write(
        `${JSON.stringify(cleanDeep({ server: session.origin, project: list.project, runId: list.runId, pending: list.pending, waivers }), null, 2)}\n`,
      );
      return ExitCode.Pass;
    }
    const name = loaded.spec.project.name;
    const out: string[] = [];
    if (list.runId === null) {
      out.push(
        `${name}${options.profile ? ` · profile ${options.profile}` : ''}: no run on the server yet; mlgate check with MLGATE_SERVER set records one\n`,
      );
    } else {
      const run = await apiOrNone(session, `/runs/${list.runId}`, RunDetail);
      const label = run ? runLabel(run.report, list.runId) : `run #${list.runId}`;
      out.push(
        `${name} · ${label}: ${list.pending.length ? `${list.pending.length} sign-off${list.pending.length === 1 ? '' : 's'} pending` : 'no sign-off pending'}\n`,
      );
      if (list.pending.length)
        out.push(
          table(
            ['item', 'severity', 'who must act', 'why'],
            list.pending.map((p) => [
              inlineText(p.itemId),
              inlineText(p.severity),
              p.approvable
                ? inlineText(p.mustAct.join(', ')) || 'any approver'
                : style.yellow('cannot be approved here'),
              inlineText(p.summary),
            ]),
          ),
        );
    }
    const shown = waivers.filter((w) => w.state === 'requested' || w.state === 'approved');
    if (shown.length) {
      out.push(`\nwaivers\n`);
      out.push(
        table(
          ['#', 'item', 'state', 'until', 'requested by', 'decided by', 'reason'],
          shown.map((w) => [
            `#${w.id}`,
            inlineText(w.itemId),
            w.state === 'approved' ? 'in force' : style.yellow('requested'),
            w.expires.slice(0, 10),
            inlineText(w.requestedBy),
            inlineText(w.decidedBy ?? ''),
            inlineText(w.reason),
          ]),
        ),
      );
    }
    const at = dir && dir !== '.' ? ` ${dir}` : '';
    const approvable = list.pending.filter((p) => p.approvable);
    if (approvable.length) {
      out.push(`\nto sign off (bound to run #${list.runId}):\n`);
      for (const p of approvable)
        for (const role of p.mustAct.length ? p.mustAct : ['ROLE'])
          out.push(
            `  mlgate approve ${inlineText(p.itemId)}${at} --run ${list.runId} --role ${inlineText(role)}\n`,
          );
    }
    const requested = shown.filter((w) => w.state === 'requested');
    if (requested.length) {
      out.push(`\nwaiver requests to decide (not by who asked):\n`);
      for (const w of requested)
        out.push(`  mlgate waive ${inlineText(w.itemId)}${at} --approve ${w.id}   (or --deny ${w.id})\n`);
    }
    io.stdout.write(out.join(''));
    return ExitCode.Pass;
  });
}

export interface RemoteHistoryOptions extends ServerFlags {
  limit?: number;
  format: 'text' | 'json';
}

export function remoteHistory(
  dir: string | undefined,
  options: RemoteHistoryOptions,
  io: CliIO,
): Promise<number> {
  return withServer(dir, options, io, async (session) => {
    const { style } = session;
    const { runs } = await api(session, 'GET', `/runs?limit=${Math.min(options.limit ?? 20, 500)}`, RunList);
    header(session, options.format);
    for (const run of runs)
      if (run.problems.length)
        session.warn(
          `run #${run.id} on the server does not match its report: ${run.problems.map(inlineText).join('; ')}`,
        );
    if (options.format === 'json') {
      io.stdout.write(`${JSON.stringify(cleanDeep(runs), null, 2)}\n`);
      return ExitCode.Pass;
    }
    if (runs.length === 0) {
      io.stdout.write('no runs recorded on the server yet\n');
      return ExitCode.Pass;
    }
    const rows = runs.map((run) => runRow(run, style, [inlineText(run.uploadedBy ?? '')]));
    io.stdout.write(
      table(
        ['run', 'started (UTC)', 'profile', 'verdict', 'passed', 'notes', 'artifacts', 'uploaded by', 'tags'],
        rows,
      ),
    );
    return ExitCode.Pass;
  });
}

async function fetchRun(session: Session, ref: string) {
  const detail = await apiOrNone(session, `/runs/${encodeURIComponent(ref)}`, RunDetail);
  if (!detail)
    throw new UsageError(
      `the server ${session.origin} has no run "${ref}" of project "${session.loaded.spec.project.name}"`,
      'a run is a number, latest, last-pass or a tag; `mlgate history` lists them',
    );
  if (detail.summary.problems.length)
    session.warn(
      `run #${detail.summary.id} on the server does not match its report: ${detail.summary.problems.map(inlineText).join('; ')}`,
    );
  return { ...detail, report: { ...detail.report, runId: detail.summary.id } };
}

export interface RemoteShowOptions extends ServerFlags {
  format: 'text' | 'json';
  verbose?: boolean;
}

export function remoteShow(
  ref: string,
  dir: string | undefined,
  options: RemoteShowOptions,
  io: CliIO,
): Promise<number> {
  return withServer(dir, options, io, async (session) => {
    const { report } = await fetchRun(session, ref);
    header(session, options.format);
    io.stdout.write(
      options.format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : renderText(report, { style: session.style, verbose: options.verbose }),
    );
    return ExitCode.Pass;
  });
}

/** diff: both reports from the server, compared by the same code as the local diff. */
export function remoteDiff(
  refA: string,
  refB: string,
  dir: string | undefined,
  options: DiffOptions & ServerFlags,
  io: CliIO,
): Promise<number> {
  return withServer(dir, options, io, async (session) => {
    const [a, b] = [await fetchRun(session, refA), await fetchRun(session, refB)];
    header(session, options.format);
    return printDiff(diffRuns(a.report, b.report), options, io);
  });
}

const TAG = /^[A-Za-z][A-Za-z0-9._-]{0,99}$/;
const RESERVED = new Set(['latest', 'last-pass']);

export function remoteTag(
  ref: string,
  tag: string,
  dir: string | undefined,
  options: ServerFlags,
  io: CliIO,
): Promise<number> {
  return withServer(dir, options, io, async (session) => {
    if (!TAG.test(tag) || RESERVED.has(tag))
      throw new UsageError(
        `"${tag}" cannot be a tag`,
        'start with a letter; letters, digits, ".", "_", "-"; not latest or last-pass',
      );
    const me = await whoami(session);
    header(session, 'text', ` as ${me}`);
    const runId = /^\d+$/.test(ref) ? Number(ref) : (await fetchRun(session, ref)).summary.id;
    const tagged = await api(session, 'PUT', `/tags/${encodeURIComponent(tag)}`, Tag, { runId });
    io.stdout.write(
      `tagged run #${tagged.runId} "${tagged.tag}" on the server (${inlineText(tagged.actor)})\n`,
    );
    return ExitCode.Pass;
  });
}
