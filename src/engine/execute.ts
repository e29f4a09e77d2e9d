/**
 * Runs one check under a timeout and an abort signal. Whatever happens inside — a throw, a
 * hang, a malformed result — comes out as an outcome; `error` is the floor, never `pass`.
 */
import { relative, sep } from 'node:path';
import { z } from 'zod';
import { Evidence, type ItemResult, OutcomeStatus } from '../domain/run-report.js';
import { compact } from '../util/objects.js';
import { isWithin, OutsideProjectError, realLocation, resolveInProject } from '../util/project-path.js';
import { formatDuration } from '../util/units.js';
import type {
  ArtifactInfo,
  CheckContext,
  CheckDefinition,
  CheckOutcome,
  RunHistory,
  ServiceHandle,
} from './types.js';

export const DEFAULT_TIMEOUT_MS = 60_000;

const OutcomeShape = z.object({
  status: OutcomeStatus,
  summary: z.string(),
  source: z.enum(['measured', 'reported']).optional(),
  measured: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).optional(),
  threshold: z.record(z.string(), z.string()).optional(),
  evidence: z.array(Evidence).optional(),
});

export class TimeoutReason extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${formatDuration(ms)}`);
  }
}

export class InterruptReason extends Error {
  constructor() {
    super('interrupted');
  }
}

export interface ContextBase {
  root: string;
  /**
   * The folder every path the check resolves must stay in (default `root`). Fixture tests
   * widen it to the kind's fixtures folder, whose shared data sits beside each case.
   */
  projectRoot?: string;
  /** The item's `allow_outside_project: true`: its paths may lead outside the project. */
  allowOutsideProject?: boolean;
  /** Where the item is written in the spec, for messages that send the reader there. */
  spec?: { file: string; line: number };
  itemId: string;
  profile: string | null;
  /** Artifacts declared `{path, allow_outside_project: true}` may be read where they are. */
  artifacts: ReadonlyMap<string, ArtifactInfo & { allowOutsideProject?: boolean }>;
  service?: ServiceHandle;
  result?(itemId: string): ItemResult | undefined;
  history?: RunHistory;
  /** Live progress of the item, for the terminal (see CheckContext.progress). */
  progress?(text: string): void;
}

/** A check's context, and the paths it asked for that lead outside the project. */
export function makeContext(
  base: ContextBase,
  signal: AbortSignal,
): CheckContext & { refused: OutsideProjectError[] } {
  const refused: OutsideProjectError[] = [];
  const allowed = [...base.artifacts.values()]
    .filter((artifact) => artifact.allowOutsideProject)
    .map((artifact) => realLocation(artifact.absolutePath));
  const { projectRoot, allowOutsideProject, ...visible } = base;
  let realRoot: string | undefined;
  return {
    ...visible,
    signal,
    refused,
    resolve: (path: string) => {
      try {
        return resolveInProject(base.root, path, {
          within: projectRoot,
          allowOutside: allowOutsideProject,
          allowed,
        });
      } catch (error) {
        // Remembered: a check that catches this and carries on still ends as an error.
        if (error instanceof OutsideProjectError) refused.push(error);
        throw error;
      }
    },
    display: (absolutePath: string) => {
      // resolve() gives real paths: show them relative to the real root when they are in it.
      realRoot ??= realLocation(base.root);
      const rel = relative(isWithin(realRoot, absolutePath) ? realRoot : base.root, absolutePath);
      return (rel === '' ? '.' : rel).split(sep).join('/');
    },
  };
}

export async function executeCheck(
  definition: CheckDefinition,
  params: unknown,
  base: ContextBase,
  timeoutMs: number,
  parentSignal?: AbortSignal,
): Promise<CheckOutcome> {
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(new InterruptReason());
  if (parentSignal?.aborted) return interrupted();
  parentSignal?.addEventListener('abort', forwardAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new TimeoutReason(timeoutMs)), timeoutMs);
  const aborted = new Promise<CheckOutcome>((resolveAbort) => {
    controller.signal.addEventListener(
      'abort',
      () => {
        const reason: unknown = controller.signal.reason;
        resolveAbort(reason instanceof TimeoutReason ? timedOut(timeoutMs) : interrupted());
      },
      { once: true },
    );
  });
  const ctx = makeContext(base, controller.signal);
  // Checks that pace their own steps (one request after another) stop in time to report them.
  ctx.deadline = performance.now() + timeoutMs;
  const running = Promise.resolve().then(() => definition.run(ctx, params as Record<string, unknown>));
  // A check that loses the race may still reject later; that must not crash the process.
  running.catch(() => undefined);
  try {
    const outcome = await Promise.race([running, aborted]);
    // A check that held this thread past its deadline (a synchronous stretch, when the timer
    // cannot fire) finished too late: it timed out, whatever it found.
    if (!controller.signal.aborted && performance.now() > ctx.deadline) return timedOut(timeoutMs);
    return refusedPath(ctx.refused) ?? validateOutcome(outcome, definition.kind);
  } catch (error) {
    return refusedPath(ctx.refused) ?? crashed(error);
  } finally {
    clearTimeout(timer);
    parentSignal?.removeEventListener('abort', forwardAbort);
    // Tell a check that is still running (it lost the race) to stop and clean up.
    if (!controller.signal.aborted) controller.abort(new InterruptReason());
  }
}

/**
 * A check that asked for a path outside the project is an error, whatever it made of the
 * refusal (a check may catch it and report "cannot read"): nothing it found stands.
 */
function refusedPath(refused: OutsideProjectError[]): CheckOutcome | undefined {
  if (refused.length === 0) return undefined;
  const more =
    refused.length > 1 ? ` (and ${refused.length - 1} more path${refused.length > 2 ? 's' : ''})` : '';
  return { status: 'error', summary: `${refused[0]!.message}${more}` };
}

function timedOut(timeoutMs: number): CheckOutcome {
  return {
    status: 'error',
    summary: `${new TimeoutReason(timeoutMs).message} (raise "timeout" on the item if it needs longer)`,
  };
}

function interrupted(): CheckOutcome {
  return { status: 'error', summary: 'interrupted before it finished' };
}

function validateOutcome(outcome: unknown, kind: string): CheckOutcome {
  const parsed = OutcomeShape.safeParse(dropUndefined(outcome));
  if (parsed.success) return parsed.data;
  return {
    status: 'error',
    summary: `check kind "${kind}" returned a malformed result (a bug in the check)`,
    evidence: [{ type: 'text', title: 'validation', text: z.prettifyError(parsed.error) }],
  };
}

function dropUndefined(outcome: unknown): unknown {
  if (!outcome || typeof outcome !== 'object') return outcome;
  const { measured, threshold } = outcome as CheckOutcome;
  return { ...outcome, measured: compact(measured), threshold: compact(threshold) };
}

export function crashed(error: unknown): CheckOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const stack =
    error instanceof Error && error.stack ? error.stack.split('\n').slice(0, 8).join('\n') : undefined;
  return {
    status: 'error',
    summary: `check crashed: ${message}`,
    evidence: stack ? [{ type: 'text', title: 'stack', text: stack }] : [],
  };
}
