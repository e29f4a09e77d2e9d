import type { z } from 'zod';
import type {
  Approval,
  Evidence,
  ItemResult,
  ItemStatus,
  OutcomeStatus,
  Waiver,
} from '../domain/run-report.js';

/** What a check's run() returns. The runner adds timing, ids and section paths. */
export interface CheckOutcome {
  status: OutcomeStatus;
  /** One line a reviewer reads first: what was measured against what. */
  summary: string;
  /** "reported" when the values come from a file mlgate did not compute itself. */
  source?: 'measured' | 'reported';
  /** Undefined entries are dropped (they let checks build these objects conditionally). */
  measured?: Record<string, number | string | boolean | null | undefined>;
  threshold?: Record<string, string | undefined>;
  evidence?: Evidence[];
}

/** An item's outcome: a check's, or a sign-off's (which can also be pending or waived). */
export interface ItemOutcome extends Omit<CheckOutcome, 'status'> {
  status: ItemStatus;
  approvals?: Approval[];
  waiver?: Waiver;
}

export interface ArtifactInfo {
  name: string;
  /** Path relative to the project root, as written in the spec. */
  path: string;
  absolutePath: string;
  sha256: string | null;
  size: number | null;
}

/** The model's HTTP service, for checks that talk to it. */
export interface ServiceHandle {
  /** Base URL, without a trailing slash. */
  readonly url: string;
  /** Started by mlgate (it can be stopped and its log read). */
  readonly managed: boolean;
  /** Loopback, or allowed to be remote. */
  readonly allowRemote: boolean;
  /** Environment the managed service was started with (beyond mlgate's own). */
  readonly env: Readonly<Record<string, string>>;
  alive: boolean;
  /** Throws with the reason when the service is gone. */
  assertAlive(): void;
  /**
   * Throws with the reason when the socket listening on the service's port is no longer the
   * service's own (it stopped listening; another process took the port). The error's
   * `stranger` ("pid N (command)") names the other process when there is one. A no-op for a
   * service mlgate did not start, and with `service.start.verify_listener: false`.
   */
  assertOwned(): void;
  /** Lines the service wrote so far. */
  log(): string[];
  /** The same with line numbers, and how many lines from the middle were not kept. */
  logLines(): { lines: Array<{ n: number; stream: 'stdout' | 'stderr'; text: string }>; dropped: number };
  /** SIGTERM, then SIGKILL after graceMs; how it ended. */
  stop(graceMs?: number): Promise<
    | {
        exitedAfterMs: number;
        code: number | null;
        signal: string | null;
        killed: boolean;
        orphans: boolean;
        /** Processes still running after it exited, or still listening on its port. */
        leftovers?: Array<{ pid: number; command: string; why: string; killed: boolean }>;
        /** Why leftovers could not be looked for beyond the process group. */
        unverified?: string;
      }
    | undefined
  >;
}

/** Earlier runs of the project, as a check may read them (baselines). */
export interface RunHistory {
  /** A run: the last PASS (of this profile), a tagged one, or a number. */
  find(
    selector: { lastPass: true } | { tag: string } | { run: number },
    profile: string | null,
  ): Promise<{ id: number; startedAt: string } | undefined>;
  /** An item's status and measured values in a run; undefined when the run does not have it. */
  item(
    runId: number,
    itemId: string,
  ): Promise<{ status: string; measured: Record<string, unknown> } | undefined>;
}

/** Everything a check may use. Checks never print, exit or read global state. */
export interface CheckContext {
  /** Absolute project root: relative paths in params are relative to it. */
  readonly root: string;
  readonly itemId: string;
  readonly profile: string | null;
  /** Aborted on timeout or Ctrl-C: stop work, kill children, return. */
  readonly signal: AbortSignal;
  /**
   * When the item's timeout fires, on the performance.now() clock (absent: no limit known).
   * A check that runs many steps stops starting new ones in time to return what it has;
   * after the timeout its outcome is discarded.
   */
  deadline?: number;
  readonly artifacts: ReadonlyMap<string, ArtifactInfo>;
  /** The service, for kinds that declare they need it. */
  readonly service?: ServiceHandle;
  /** The result, in this run, of an item this one needs or runs after. */
  result?(itemId: string): ItemResult | undefined;
  /** Earlier runs (the project's store); absent with --no-store. */
  readonly history?: RunHistory;
  /** Where the item is written (the spec file, absolute, and the item's line), for messages. */
  readonly spec?: { file: string; line: number };
  /**
   * Absolute path for a path written in the spec. Throws OutsideProjectError for a path that
   * leads outside the project (`..`, absolute, a symlink) unless the item allows it.
   */
  resolve(path: string): string;
  /** The path as evidence shows it: relative to the root, forward slashes. */
  display(absolutePath: string): string;
  /**
   * Live progress of a long step, one short line ("12 s of 30 s · 640 req/s · p95 12 ms"): shown
   * on the terminal while the item runs, never kept in the report. Call it as often as you
   * like; the terminal decides how often to show it.
   */
  progress?(text: string): void;
}

// The registry holds checks of every params shape.
export type AnyParamsSchema = z.ZodObject<any>;

export interface CheckDefinition<S extends AnyParamsSchema = AnyParamsSchema> {
  /** The name used in specs: `check: {kind: <kind>, ...}`. Equals the folder name. */
  kind: string;
  /** One line for catalogs. */
  title: string;
  /** A paragraph of Markdown: what it verifies and how, what counts as pass/fail/error. */
  description: string;
  /** Params schema (a strict zod object, without `kind`); every field `.describe()`d. */
  params: S;
  /** At least one example; each must validate against `params`. */
  examples: Array<{ title: string; params: z.input<S> }>;
  /** Default per-item timeout when the spec sets none (e.g. "60s"). */
  defaultTimeout?: string;
  /**
   * Run alone, with no other item in parallel: for checks that measure time or memory,
   * whose figures other work on the same cores would distort.
   */
  exclusive?: (params: z.output<S>) => boolean;
  /** The rules of a configuration check, each with a stable id (`rules:` selects some). */
  rules?: ReadonlyArray<{ id: string; title: string; level: 'error' | 'warning' }>;
  /**
   * The longest this check can take with these params (a load test's duration and warm-up):
   * a spec whose timeout for the item is shorter is rejected, not left to time out.
   */
  minTimeoutMs?: (params: z.output<S>) => number;
  /** Items this check reads the results of: it runs after them, whatever their outcome. */
  after?: (params: z.output<S>) => string[];
  /** Talks to the service: mlgate starts it (once) before the first such item runs. */
  service?: (params: z.output<S>) => boolean;
  /**
   * When it runs: 0 with everything else (default); 1 after every phase-0 item (reading the
   * service's log); 2 last of all (stopping the service).
   */
  phase?: 0 | 1 | 2;
  run(ctx: CheckContext, params: z.output<S>): Promise<CheckOutcome>;
}

/** Identity function that gives a check definition its params type. */
export function defineCheck<S extends AnyParamsSchema>(definition: CheckDefinition<S>): CheckDefinition<S> {
  return definition;
}
