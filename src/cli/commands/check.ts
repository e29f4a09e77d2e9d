import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { digestArtifacts } from '../../engine/artifacts.js';
import { UsageError } from '../../engine/errors.js';
import { makePlan } from '../../engine/plan.js';
import { runPlan } from '../../engine/run.js';
import { redactorForRun } from '../../redact/index.js';
import { buildReport } from '../../report/build.js';
import { githubAnnotations, githubJobSummary } from '../../report/github.js';
import { parseReportTarget, renderReport, writeFileAtomic } from '../../report/render.js';
import type { RunReport } from '../../report/schema.js';
import { renderText } from '../../report/text.js';
import { serviceFromSpec } from '../../service/controller.js';
import { openStore } from '../../store/db.js';
import { saveRun, storeHistory } from '../../store/runs.js';
import { SignoffBook } from '../../store/signoffs.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { makeProgress } from '../progress.js';
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
    const startedAt = new Date();
    const artifacts = await digestArtifacts(loaded, options.signal);
    // The store decides sign-offs and waivers, and keeps the run. Without it (--no-store),
    // sign-offs stay pending and waivers do not apply: nothing passes for lack of a record.
    const store = options.noStore ? undefined : await openStore(storeDir(dir, options, io), { create: true });
    printStoreNotices(store, io);
    const book = store ? await SignoffBook.load(store, loaded.sha256, artifacts) : undefined;
    const live = Boolean((io.stderr as NodeJS.WriteStream).isTTY) && stderrStyle.enabled;
    const progress = options.quiet
      ? undefined
      : makeProgress(io.stderr, plan.items.length, stderrStyle, live);
    // The service (if any) starts on first need and is always stopped, even when a check throws.
    const service = loaded.spec.service ? serviceFromSpec(loaded.spec.service, loaded.root) : undefined;
    // The run's secrets (the service's environment as resolved, `${random}` included; each
    // command's env; `${env.NAME}` values; credential headers), kept out of every output.
    const redactor = redactorForRun(loaded, { serviceEnv: service?.env, outerEnvs: [process.env, io.env] });
    let outcome;
    try {
      outcome = await runPlan(loaded, plan, {
        concurrency: options.concurrency ?? loaded.spec.defaults.concurrency ?? 4,
        signal: options.signal,
        artifacts,
        service,
        history: store ? storeHistory(store, loaded.spec.project.name) : undefined,
        ...(book
          ? {
              resolveManual: async (planned) => book.manual(planned.item),
              applyWaiver: (planned, result) => book.waive(planned.item, result),
            }
          : {}),
        onItemStart: progress?.onItemStart,
        onItemEnd: progress?.onItemEnd,
        redactor,
      });
    } finally {
      progress?.stop();
      await service?.stop();
    }
    const report = buildReport({
      loaded,
      plan,
      outcome,
      artifacts,
      startedAt,
      finishedAt: new Date(),
      specPath,
      service: service?.state(),
      redactor,
    });
    if (store) {
      try {
        report.runId = await saveRun(store, report);
      } finally {
        await store.close();
      }
    }
    const written: string[] = [];
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
        : renderText(report, { style: stdoutStyle, verbose: options.verbose }),
    );
    if (written.length > 0 && options.format === 'text')
      io.stdout.write(stdoutStyle.dim(`Reports: ${written.join(', ')}\n`));
    if (io.env.GITHUB_ACTIONS === 'true') writeGithub(report, options, io);
    if (!report.complete) return ExitCode.Interrupted;
    return report.verdict.status === 'PASS' ? ExitCode.Pass : ExitCode.Blocked;
  } catch (error) {
    return reportKnownError(error, io, stderrStyle);
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
