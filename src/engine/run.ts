/**
 * Runs a plan: items in parallel up to a limit, each after the items it needs. Collects
 * results only; the verdict is decided afterwards by the gate.
 */
import { sanitize } from '../redact/index.js';
import type { Redactor } from '../redact/redactor.js';
import type { ItemResult } from '../domain/run-report.js';
import type { LoadedSpec } from '../spec/load.js';
import { compact } from '../util/objects.js';
import { parseDuration } from '../util/units.js';
import type { ArtifactRecord } from './artifacts.js';
import { DEFAULT_TIMEOUT_MS, executeCheck } from './execute.js';
import type { Plan, PlannedItem } from './plan.js';
import type { ItemOutcome, RunHistory, ServiceHandle } from './types.js';

export interface RunEvents {
  onItemStart?(planned: PlannedItem): void;
  onItemEnd?(result: ItemResult): void;
  /** A running item's live progress (cleaned and redacted), for the terminal only. */
  onItemProgress?(itemId: string, text: string): void;
}

export interface RunOptions extends RunEvents {
  concurrency: number;
  signal?: AbortSignal;
  artifacts: ArtifactRecord[];
  /** The service, started on first need. */
  service?: ServiceController;
  /** Decides manual items (the sign-off store); without one they are pending. */
  resolveManual?(planned: PlannedItem): Promise<ItemOutcome>;
  /** Earlier runs, for checks that compare with them. */
  history?: RunHistory;
  /** Applies a waiver recorded for the item, if one holds (the sign-off store). */
  applyWaiver?(planned: PlannedItem, outcome: ItemOutcome): ItemOutcome;
  now?(): Date;
  /**
   * Takes the run's secrets out of each result as it finishes, before anything (progress,
   * items that need it, reports, the store) sees it. Results are cleaned of terminal control
   * sequences either way.
   */
  redactor?: Pick<Redactor, 'redact'>;
}

/** What the runner needs of the service (ManagedService, wrapped with its spec settings). */
export interface ServiceController extends ServiceHandle {
  ensureStarted(signal?: AbortSignal): Promise<void>;
}

export interface RunOutcome {
  items: ItemResult[];
  /** False when the run was interrupted before every item finished. */
  complete: boolean;
}

const PASSING = new Set(['pass', 'waived']);

export async function runPlan(loaded: LoadedSpec, plan: Plan, options: RunOptions): Promise<RunOutcome> {
  const now = options.now ?? (() => new Date());
  const artifacts = new Map(options.artifacts.map((artifact) => [artifact.name, artifact]));
  const results = new Map<string, ItemResult>();
  const waiting = [...plan.items];
  const running = new Map<string, Promise<void>>();
  let exclusiveRunning = false;
  const isExclusive = (planned: PlannedItem) =>
    Boolean(planned.item.check?.definition.exclusive?.(planned.item.check.params as never));
  const needsService = (planned: PlannedItem) =>
    Boolean(planned.item.check?.definition.service?.(planned.item.check.params as never));
  const phaseOf = (planned: PlannedItem) => planned.item.check?.definition.phase ?? 0;
  // Items run phase by phase: a later phase starts once every earlier item has finished.
  let phase = 0;
  let interrupted = options.signal?.aborted ?? false;
  const onAbort = () => {
    interrupted = true;
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const finish = (planned: PlannedItem, outcome: ItemOutcome, startedAt?: Date, durationMs = 0) => {
    const { item } = planned;
    const raw: ItemResult = {
      id: item.id,
      sectionPath: item.sectionPath,
      title: item.title,
      description: item.description,
      severity: planned.severity,
      kind: item.kind,
      applicable: planned.applicable,
      status: outcome.status,
      summary: outcome.summary,
      source: outcome.source,
      measured: compact(outcome.measured),
      threshold: compact(outcome.threshold),
      evidence: outcome.evidence ?? [],
      remediation: item.remediation,
      needs: item.needs,
      definitionDigest: item.definitionDigest,
      specLine: item.position.line,
      ...(item.tags.length > 0 ? { tags: item.tags } : {}),
      ...(outcome.approvals ? { approvals: outcome.approvals } : {}),
      ...(outcome.waiver ? { waiver: outcome.waiver } : {}),
      startedAt: startedAt?.toISOString(),
      durationMs,
    };
    const result = sanitize(raw, options.redactor);
    results.set(item.id, result);
    options.onItemEnd?.(result);
  };

  const start = (planned: PlannedItem) => {
    const { item } = planned;
    options.onItemStart?.(planned);
    const startedAt = now();
    const began = performance.now();
    const task = (async () => {
      let outcome: ItemOutcome | undefined;
      if (item.check && needsService(planned)) {
        try {
          if (!options.service)
            throw new Error('this check needs the service, and the spec has no service section');
          await options.service.ensureStarted(options.signal);
          options.service.assertAlive();
          // Whoever holds the port now must still be the service (a stranger may have taken it).
          options.service.assertOwned();
        } catch (error) {
          const log = options.service?.log().slice(-20) ?? [];
          outcome = {
            status: 'error',
            summary: (error as Error).message,
            evidence: log.length
              ? [{ type: 'text', title: "the service's last output", text: log.join('\n') }]
              : [],
          };
        }
      }
      if (outcome) {
        // The service is not there: nothing to run.
      } else if (item.check) {
        const timeoutMs =
          item.timeoutMs ??
          loaded.defaultTimeoutMs ??
          parseDuration(item.check.definition.defaultTimeout ?? '') ??
          DEFAULT_TIMEOUT_MS;
        outcome = await executeCheck(
          item.check.definition,
          item.check.params,
          {
            root: loaded.root,
            allowOutsideProject: item.allowOutsideProject,
            spec: { file: loaded.file, line: item.position.line },
            itemId: item.id,
            profile: plan.profile,
            artifacts,
            service: needsService(planned) ? options.service : undefined,
            // Only what the item declared it reads: its needs and the items it runs after.
            result: (id) =>
              item.needs.includes(id) || item.after.includes(id) ? results.get(id) : undefined,
            history: options.history,
            progress: options.onItemProgress
              ? (text: string) => {
                  try {
                    options.onItemProgress!(item.id, sanitize(String(text), options.redactor));
                  } catch {
                    // Progress is for the eyes only: it never changes what a check finds.
                  }
                }
              : undefined,
          },
          timeoutMs,
          options.signal,
        );
        // Nothing to judge is never a pass, and a required item cannot be skipped by its check.
        if (outcome.status === 'skip' && planned.severity === 'required') {
          outcome = {
            ...outcome,
            status: 'error',
            summary: `${outcome.summary} (a required item cannot be skipped)`,
          };
        }
      } else if (options.resolveManual) {
        outcome = await options.resolveManual(planned);
      } else {
        outcome = pendingSignOff(planned);
      }
      if (outcome?.status === 'pass' && needsService(planned))
        outcome = ownedThroughout(outcome, options.service);
      else if (outcome && item.check && outcome.status === 'fail' && needsService(planned))
        outcome = await listenerGoneMeanwhile(outcome, options.service);
      if (options.applyWaiver) outcome = options.applyWaiver(planned, outcome!);
      finish(planned, outcome!, startedAt, performance.now() - began);
    })();
    running.set(item.id, task);
    const exclusive = isExclusive(planned);
    if (exclusive) exclusiveRunning = true;
    void task.finally(() => {
      running.delete(item.id);
      if (exclusive) exclusiveRunning = false;
    });
  };

  for (;;) {
    for (let index = 0; index < waiting.length;) {
      const planned = waiting[index]!;
      const { item } = planned;
      if (!planned.applicable) {
        finish(planned, {
          status: 'skip',
          summary: `not applicable: ${planned.notApplicableReason}`,
        });
        waiting.splice(index, 1);
        continue;
      }
      if (interrupted) {
        finish(planned, { status: 'skip', summary: 'not run: the run was interrupted' });
        waiting.splice(index, 1);
        continue;
      }
      const needs = item.needs.map((id) => ({ id, result: results.get(id) }));
      const waitingFor = item.after.some(
        (id) => !results.has(id) && plan.items.some((other) => other.item.id === id),
      );
      if (needs.some((need) => need.result === undefined) || waitingFor) {
        index++;
        continue;
      }
      const unmet = needs.filter((need) => !PASSING.has(need.result!.status));
      if (unmet.length > 0) {
        const list = unmet.map((need) => `"${need.id}" (${need.result!.status})`).join(', ');
        finish(planned, { status: 'skip', summary: `not run: needs ${list}` });
        waiting.splice(index, 1);
        continue;
      }
      if (phaseOf(planned) > phase) {
        index++;
        continue;
      }
      if (running.size >= options.concurrency || exclusiveRunning) break;
      // An exclusive item waits for the others to finish, and nothing starts past it meanwhile.
      if (isExclusive(planned) && running.size > 0) break;
      waiting.splice(index, 1);
      start(planned);
    }
    if (running.size === 0) {
      if (waiting.length === 0) break;
      // Everything runnable in this phase is done: move to the next phase that has items.
      const next = Math.min(...waiting.map(phaseOf));
      if (next > phase) {
        phase = next;
        continue;
      }
      // Only reachable if needs point outside the plan, which planning rules out.
      for (const planned of waiting.splice(0)) {
        finish(planned, { status: 'error', summary: 'not run: its needs could not be scheduled' });
      }
      break;
    }
    await Promise.race(running.values());
  }
  options.signal?.removeEventListener('abort', onAbort);

  // Report in spec order, whatever order items finished in.
  const items = plan.items.map((planned) => results.get(planned.item.id)!);
  return { items, complete: !interrupted };
}

/** A pass judged while another process held the service's port is an error: it judged the stranger. */
function ownedThroughout(outcome: ItemOutcome, service: ServiceController | undefined): ItemOutcome {
  try {
    service?.assertOwned();
    return outcome;
  } catch (error) {
    const { stranger } = error as { stranger?: string };
    // Only a stranger turns it: a listener the service closed meanwhile answered before it closed.
    if (!stranger) return outcome;
    return {
      ...outcome,
      status: 'error',
      summary: `the port was answered by another process during this item: ${stranger}`,
      evidence: [
        { type: 'text', title: 'what passed, judged against another process', text: outcome.summary },
        ...(outcome.evidence ?? []),
      ],
    };
  }
}

/**
 * A failure judged while the service had closed its listener (alive, but nothing accepts
 * connections: the item was judging "connection refused", not the service) is an error. The
 * listener may close between the check before the item and its requests, so it is looked at
 * again here. A service that died on the request is a real failure: it is given a moment to
 * be seen exiting first.
 */
async function listenerGoneMeanwhile(
  outcome: ItemOutcome,
  service: ServiceController | undefined,
): Promise<ItemOutcome> {
  if (!service?.managed) return outcome;
  const gone = (): Error | undefined => {
    try {
      service.assertOwned();
      return undefined;
    } catch (error) {
      return error as Error;
    }
  };
  let problem = gone();
  if (!problem) return outcome;
  const { stranger } = problem as { stranger?: string };
  if (stranger)
    return {
      ...outcome,
      status: 'error',
      summary: `the port was answered by another process during this item: ${stranger}`,
      evidence: [
        { type: 'text', title: 'what failed, judged against another process', text: outcome.summary },
        ...(outcome.evidence ?? []),
      ],
    };
  for (let waited = 0; waited < 500 && service.alive; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  if (!service.alive) return outcome;
  problem = gone();
  if (!problem) return outcome;
  return {
    ...outcome,
    status: 'error',
    summary: problem.message,
    evidence: [
      {
        type: 'text',
        title: 'what failed, judged while the service was not listening',
        text: outcome.summary,
      },
      ...(outcome.evidence ?? []),
    ],
  };
}

function pendingSignOff(planned: PlannedItem): ItemOutcome {
  const roles = planned.item.manual?.roles ?? [];
  return {
    status: 'pending',
    summary: roles.length > 0 ? `awaiting sign-off by ${roles.join(', ')}` : 'awaiting sign-off',
  };
}
