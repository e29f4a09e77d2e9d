import type { KeyObject } from 'node:crypto';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { loadPrivateKey } from '../../attest/keys.js';
import { buildVerdict, parseSubjectRef, signoffAttestationsUsed, signVerdict } from '../../attest/verdict.js';
import { UsageError } from '../../engine/errors.js';
import { runGate } from '../../gate/run.js';
import { remoteGateStore, serverTarget } from '../../gate/remote.js';
import { localGateStore } from '../../gate/store.js';
import {
  type ModelVersionRef,
  markPending,
  parseModelVersionRef,
  type RegistryClient,
  registryClient,
  writeVerdict,
} from '../../integrations/mlflow/registry.js';
import { makePlan } from '../../engine/plan.js';
import { githubAnnotations, githubJobSummary } from '../../report/github.js';
import { parseReportTarget, renderReport, writeFileAtomic } from '../../report/render.js';
import type { RunReport } from '../../domain/run-report.js';
import { renderText } from '../../report/text.js';
import { openStore } from '../../store/db.js';
import { sha256OfFile } from '../../util/digest.js';
import { TOOL_VERSION } from '../../version.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { makeProgress, type Progress } from '../progress.js';
import { loadProject } from '../project.js';
import { printStoreNotices, storeDir } from '../store.js';
import { colourWanted, makeStyle } from '../style.js';

export interface CheckOptions {
  config?: string;
  profile?: string;
  only?: string[];
  format: 'text' | 'json';
  out?: string;
  concurrency?: number;
  verbose?: boolean;
  quiet?: boolean;
  /** Aborted by the first Ctrl-C. */
  signal?: AbortSignal;
  /** --store DIR */
  store?: string;
  /** --no-store: neither read sign-offs nor record the run. */
  noStore?: boolean;
  /** --report FORMAT=FILE, repeatable. */
  report?: string[];
  /** --attest FILE: write the verdict as a signed in-toto attestation (with --key). */
  attest?: string;
  /** --key K: the private key that signs the attestation. */
  key?: string;
  /** --attest-subject NAME@sha256:HEX, repeatable: more subjects (the image built from the model). */
  attestSubject?: string[];
  /** --mlflow-model NAME/VERSION: write the verdict to that model version's tags. */
  mlflowModel?: string;
  /** --server URL (else MLGATE_SERVER): read sign-offs and baselines from it, upload the run. */
  server?: string;
}

export async function checkCommand(
  dir: string | undefined,
  options: CheckOptions,
  io: CliIO,
): Promise<number> {
  const stdoutStyle = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  const stderrStyle = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    const { loaded, specPath } = await loadProject(dir, options, io);
    const plan = makePlan(loaded, { profile: options.profile, only: options.only });
    if (options.format !== 'text' && options.format !== 'json') {
      throw new UsageError(`unknown --format "${options.format}"`, 'use text or json');
    }
    // Bad --report values are usage errors before anything runs, not after a long run.
    const targets = (options.report ?? []).map(parseReportTarget);
    // A key that cannot sign is a usage error before anything runs, not after a long run.
    const signingKey = attestationKey(options, io);
    const extraSubjects = (options.attestSubject ?? []).map((ref) => {
      try {
        return parseSubjectRef(ref);
      } catch (error) {
        throw new UsageError(`--attest-subject: ${(error as Error).message}`);
      }
    });
    // The model version must exist before a long run; a partial run never tags it.
    const mlflow = await mlflowTarget(options, plan.profile, io);
    // What validate warns about (a signer role no item uses) is said where CI looks, too.
    for (const warning of loaded.warnings) io.stderr.write(`warning: ${warning}\n`);
    // The store decides sign-offs and waivers, and keeps the run. Without it (--no-store),
    // sign-offs stay pending and waivers do not apply: nothing passes for lack of a record.
    // The team's server when one is set (MLGATE_SERVER or --server), else the local store.
    const server = options.noStore ? undefined : serverTarget(options.server, io.env);
    const local =
      options.noStore || server ? undefined : await openStore(storeDir(dir, options, io), { create: true });
    printStoreNotices(local, io);
    const store = server
      ? await remoteGateStore(server, loaded, { modelVersion: mlflow?.ref })
      : local && localGateStore(local, loaded.spec.project.name);
    const live = Boolean((io.stderr as NodeJS.WriteStream).isTTY) && stderrStyle.enabled;
    let progress: Progress | undefined;
    let gate;
    try {
      gate = await runGate({
        loaded,
        plan,
        specPath,
        store,
        concurrency: options.concurrency ?? loaded.spec.defaults.concurrency ?? 4,
        signal: options.signal,
        outerEnvs: [process.env, io.env],
        onStart: () => {
          progress = options.quiet
            ? undefined
            : makeProgress(io.stderr, plan.items.length, stderrStyle, live);
          return (
            progress && {
              onItemStart: progress.onItemStart,
              onItemEnd: progress.onItemEnd,
              onItemProgress: progress.onItemProgress,
            }
          );
        },
        onRunEnd: () => progress?.stop(),
      });
    } finally {
      await store?.close();
    }
    const { report, book, saveError } = gate;
    const redact = (text: string) => gate.redactor.redact(text);
    // Said before the report: what the server could not answer changed how items were decided.
    if (server)
      for (const notice of store?.notices ?? [])
        io.stderr.write(`${stderrStyle.yellow('warning')}: ${redact(notice)}\n`);
    const written: string[] = [];
    if (signingKey && options.attest) {
      // Written whatever the verdict: a FAILED summary is evidence too. The exit code stays the verdict's.
      const verdict = buildVerdict({
        report,
        specName: relative(loaded.root, loaded.file).split(sep).join('/'),
        toolVersion: TOOL_VERSION,
        extraSubjects,
        // The signed sign-off records the run read and verified (by file and digest).
        inputAttestations: [
          ...(await signoffAttestationsUsed(report, (path) => sha256OfFile(resolve(loaded.root, path)))),
          ...(book?.verifiedAttestations() ?? []).map((record) => ({
            uri: record.file,
            digest: { sha256: record.sha256 },
          })),
        ].filter((entry, index, all) => all.findIndex((other) => other.uri === entry.uri) === index),
      });
      try {
        writeFileAtomic(
          resolve(io.cwd, options.attest),
          `${JSON.stringify(signVerdict(verdict, signingKey), null, 2)}\n`,
        );
      } catch (error) {
        // Asked for and not written: the deploy step would have nothing to verify.
        throw new UsageError(`cannot write the attestation ${options.attest}: ${(error as Error).message}`);
      }
      written.push(`attestation ${options.attest} (${verdict.predicate.verificationResult})`);
    }
    if (options.out) {
      writeFileAtomic(resolve(io.cwd, options.out), `${JSON.stringify(report, null, 2)}\n`);
      written.push(`json ${options.out}`);
    }
    for (const target of targets) {
      const text = renderReport(report, target.format, { cwd: io.cwd, style: makeStyle(false) });
      writeFileAtomic(resolve(io.cwd, target.file), text);
      written.push(`${target.format} ${target.file}`);
    }
    io.stdout.write(
      options.format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : renderText(report, {
            style: stdoutStyle,
            verbose: options.verbose,
            width: (io.stdout as NodeJS.WriteStream).columns,
            rolesOf: (id) => loaded.items.find((item) => item.id === id)?.manual?.roles,
          }),
    );
    if (written.length > 0 && options.format === 'text')
      io.stdout.write(stdoutStyle.dim(`Reports: ${written.join(', ')}\n`));
    if (io.env.GITHUB_ACTIONS === 'true') writeGithub(report, options, io);
    if (saveError) {
      io.stderr.write(
        `${stderrStyle.red('error')}: the run was not recorded in ${store?.where}: ${redact(saveError.message)}\n`,
      );
      // A PASS the team's record never got must not turn the job green.
      if (report.complete && report.verdict.status === 'PASS') return ExitCode.Usage;
    } else if (server && report.runId !== undefined) {
      io.stderr.write(`Recorded as run ${report.runId} on ${store?.where}\n`);
    }
    if (mlflow) {
      try {
        const tagged = await writeVerdict(mlflow.client, mlflow.ref, report);
        io.stderr.write(`MLflow: ${mlflow.ref.name} version ${mlflow.ref.version} tagged ${tagged}\n`);
      } catch (error) {
        io.stderr.write(
          `${stderrStyle.red('error')}: the verdict was not written to MLflow: ${redact((error as Error).message)}\n`,
        );
        // A PASS the registry never heard of must not turn the job green.
        if (report.complete && report.verdict.status === 'PASS') return ExitCode.Usage;
      }
    }
    if (!report.complete) return ExitCode.Interrupted;
    return report.verdict.status === 'PASS' ? ExitCode.Pass : ExitCode.Blocked;
  } catch (error) {
    return reportKnownError(error, io, stderrStyle);
  }
}

/** The --mlflow-model target, checked to exist before anything runs. */
async function mlflowTarget(
  options: CheckOptions,
  profile: string | null,
  io: CliIO,
): Promise<{ client: RegistryClient; ref: ModelVersionRef } | undefined> {
  if (options.mlflowModel === undefined) return undefined;
  const ref = parseModelVersionRef(options.mlflowModel);
  if (options.only?.length)
    throw new UsageError(
      '--mlflow-model with --only: a verdict on part of the spec cannot stand for the model version',
      'run the whole spec to tag the version',
    );
  const client = registryClient(io.env);
  try {
    await client.getModelVersion(ref);
    // No earlier verdict of this profile stands while this one is decided (or if it never ends).
    await markPending(client, ref, profile);
  } catch (error) {
    throw new UsageError(
      `--mlflow-model ${ref.name}/${ref.version}: ${(error as Error).message}`,
      'check the name, the version and MLFLOW_TRACKING_URI; nothing was checked',
    );
  }
  return { client, ref };
}

/** The signing key for --attest, loaded up front; undefined without --attest. */
function attestationKey(options: CheckOptions, io: CliIO): KeyObject | undefined {
  if (options.attestSubject?.length && options.attest === undefined)
    throw new UsageError('--attest-subject is for --attest FILE');
  if (options.key !== undefined && options.attest === undefined)
    throw new UsageError('--key is for --attest FILE', 'give both: --attest verdict.intoto.json --key KEY');
  if (options.attest === undefined) return undefined;
  if (!options.attest) throw new UsageError('--attest needs a file name');
  if (!options.key)
    throw new UsageError(
      '--attest needs --key: the private key that signs the verdict',
      'create one with `mlgate keys generate --out ~/.config/mlgate/NAME`',
    );
  try {
    if (statSync(resolve(io.cwd, options.attest)).isDirectory())
      throw new UsageError(`--attest ${options.attest} is a folder; give a file name`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // Not there yet: it is written after the run.
  }
  const keyFile = resolve(io.cwd, options.key);
  try {
    return loadPrivateKey(keyFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'not found'
        : code === 'EACCES'
          ? 'permission denied'
          : /public key|PUBLIC KEY/.test(String(safeRead(keyFile)))
            ? 'it is a public key; --key takes the private key (the file without .pub)'
            : (error as Error).message;
    throw new UsageError(
      `cannot sign with the key ${options.key}: ${why}`,
      'give the ECDSA P-256 private key from `mlgate keys generate`; nothing was checked',
    );
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(0, 200);
  } catch {
    return '';
  }
}

/**
 * On GitHub Actions: annotations on the lines that block, and the Markdown report as the
 * job summary. Annotations go to stdout, or to stderr when stdout carries JSON.
 */
function writeGithub(report: RunReport, options: CheckOptions, io: CliIO): void {
  const lines = githubAnnotations(report, io.cwd);
  if (lines.length > 0) (options.format === 'json' ? io.stderr : io.stdout).write(`${lines.join('\n')}\n`);
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (!summary) return;
  try {
    appendFileSync(summary, githubJobSummary(report));
  } catch (error) {
    // The verdict and exit code stand; only the summary is missing, and the log says why.
    io.stderr.write(`warning: cannot write the job summary to ${summary}: ${(error as Error).message}\n`);
  }
}
