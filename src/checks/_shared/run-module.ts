import type { CheckContext, CheckOutcome } from '../../engine/types.js';

/** A kind's run.ts: what the check does, apart from its definition in check.ts. */
export interface RunModule<P> {
  run(ctx: CheckContext, params: P): Promise<CheckOutcome>;
}

/**
 * A definition's run(), imported from its run module the first time an item of the kind runs.
 * `mlgate validate` imports every kind for its params schema and nothing else, so a kind's
 * code and what it needs (HTTP clients, parsers, metrics, onnxruntime) must not load with it.
 */
export function runIn<P>(
  load: () => Promise<RunModule<P>>,
): (ctx: CheckContext, params: P) => Promise<CheckOutcome> {
  return async (ctx, params) => (await load()).run(ctx, params);
}
