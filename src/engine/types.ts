import type { z } from 'zod';
import type { Evidence, ItemStatus, OutcomeStatus } from '../report/schema.js';

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
}

export interface ArtifactInfo {
  name: string;
  /** Path relative to the project root, as written in the spec. */
  path: string;
  absolutePath: string;
  sha256: string | null;
  size: number | null;
}

/** Everything a check may use. Checks never print, exit or read global state. */
export interface CheckContext {
  /** Absolute project root: relative paths in params are relative to it. */
  readonly root: string;
  readonly itemId: string;
  readonly profile: string | null;
  /** Aborted on timeout or Ctrl-C: stop work, kill children, return. */
  readonly signal: AbortSignal;
  readonly artifacts: ReadonlyMap<string, ArtifactInfo>;
  /** Absolute path for a path written in the spec. */
  resolve(path: string): string;
  /** The path as evidence shows it: relative to the root, forward slashes. */
  display(absolutePath: string): string;
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
  run(ctx: CheckContext, params: z.output<S>): Promise<CheckOutcome>;
}

/** Identity function that gives a check definition its params type. */
export function defineCheck<S extends AnyParamsSchema>(definition: CheckDefinition<S>): CheckDefinition<S> {
  return definition;
}
