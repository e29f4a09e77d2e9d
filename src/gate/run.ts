/**
 * One gate, start to finish: digest the artifacts, read the sign-offs, start the service on
 * first need, run the plan, build the report and keep it. The CLI's `check` calls it with the
 * local store or a server; nothing here prints — progress goes through the callbacks.
 */
import { digestArtifacts } from '../engine/artifacts.js';
import type { Plan } from '../engine/plan.js';
import { type RunEvents, runPlan } from '../engine/run.js';
import type { LoadedSpec } from '../spec/load.js';
import { redactorForRun, type Redactor } from '../redact/index.js';
import { buildReport } from '../report/build.js';
import type { RunReport } from '../domain/run-report.js';
import { serviceFromSpec } from '../service/controller.js';
import { SignoffBook } from '../store/signoffs.js';
import type { GateStore } from './store.js';

export interface GateInput {
  loaded: LoadedSpec;
  plan: Plan;
  specPath: string;
  /** Without one, sign-offs come only from committed signed records and the run is not kept. */
  store?: GateStore;
  concurrency: number;
  signal?: AbortSignal;
  /** Environments whose values are secrets to keep out of every output (process.env, the CLI's). */
  outerEnvs: NodeJS.ProcessEnv[];
  /** Called once the items are known to start (after artifacts are digested). */
  onStart?(): RunEvents | undefined;
  /** Called when the run ends, before the service stops (progress lines are taken down). */
  onRunEnd?(): void;
}

export interface GateResult {
  report: RunReport;
  /** The sign-offs the run read (signed records used go into a verdict attestation). */
  book?: SignoffBook;
  /** The store could not keep the run (a server that went away, a damaged store). */
  saveError?: Error;
  /** The run's secrets: messages printed beside the report go through it too. */
  redactor: Pick<Redactor, 'redact'>;
}

export async function runGate(input: GateInput): Promise<GateResult> {
  const { loaded, plan, store } = input;
  const startedAt = new Date();
  const artifacts = await digestArtifacts(loaded, input.signal);
  // Signed roles count from the committed attestations, with or without a store; without
  // either, sign-offs stay pending and waivers do not apply: nothing passes for lack of a record.
  const book =
    store || loaded.signers.size > 0
      ? SignoffBook.fromEvents(
          store ? await store.signoffEvents() : new Map(),
          loaded,
          artifacts,
          undefined,
          loaded.signers.size > 0 ? ((await store?.signedRecords?.()) ?? []) : [],
        )
      : undefined;
  const events = input.onStart?.();
  // The service (if any) starts on first need and is always stopped, even when a check throws.
  const service = loaded.spec.service ? serviceFromSpec(loaded.spec.service, loaded.root) : undefined;
  // The run's secrets (the service's environment as resolved, `${random}` included; each
  // command's env; `${env.NAME}` values; credential headers), kept out of every output.
  const redactor = redactorForRun(loaded, { serviceEnv: service?.env, outerEnvs: input.outerEnvs });
  let outcome;
  try {
    outcome = await runPlan(loaded, plan, {
      concurrency: input.concurrency,
      signal: input.signal,
      artifacts,
      service,
      history: store?.history(),
      ...(book
        ? {
            resolveManual: async (planned) => book.manual(planned.item),
            applyWaiver: (planned, result) => book.waive(planned.item, result),
          }
        : {}),
      ...events,
      redactor,
    });
  } finally {
    input.onRunEnd?.();
    await service?.stop();
  }
  const report = buildReport({
    loaded,
    plan,
    outcome,
    artifacts,
    startedAt,
    finishedAt: new Date(),
    specPath: input.specPath,
    service: service?.state(),
    redactor,
  });
  // A run that could not be kept is still decided and reported; the caller says it was not kept.
  let saveError: Error | undefined;
  if (store) {
    try {
      report.runId = await store.saveRun(report);
    } catch (error) {
      saveError = error as Error;
    }
  }
  return { report, book, saveError, redactor };
}
