/** mlgate tag RUN NAME: names a run ("production"), for baselines and people. */
import { UsageError } from '../../engine/errors.js';
import { remoteTag, type ServerFlags, serverWanted } from '../../gate/remote-commands.js';
import { resolveRun, tagRun } from '../../store/runs.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { actor, type StoreOptions, withWritableStore } from '../store.js';

export interface TagOptions extends StoreOptions, ServerFlags {
  by?: string;
}

const RESERVED = new Set(['latest', 'last-pass']);

export async function tagCommand(
  ref: string,
  tag: string,
  dir: string | undefined,
  options: TagOptions,
  io: CliIO,
): Promise<number> {
  // A team server (MLGATE_SERVER or --server) keeps the tag, for CI's baselines.
  if (serverWanted(options, io.env)) return remoteTag(ref, tag, dir, options, io);
  return withWritableStore(dir, options, io, async (store) => {
    if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(tag) || RESERVED.has(tag)) {
      throw new UsageError(
        `"${tag}" cannot be a tag`,
        'start with a letter; letters, digits, ".", "_", "-"; not latest or last-pass',
      );
    }
    const who = actor(options.by, io);
    const runId = await resolveRun(store, ref);
    await tagRun(store, runId, tag, who, new Date());
    io.stdout.write(`tagged run #${runId} "${tag}" (${who})\n`);
    return ExitCode.Pass;
  });
}
