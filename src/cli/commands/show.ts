/** mlgate show RUN: a stored run's report, as `check` printed it (or as JSON). */
import { remoteShow, type ServerFlags, serverWanted } from '../../gate/remote-commands.js';
import { renderText } from '../../report/text.js';
import { loadRun, resolveRun } from '../../store/runs.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { type StoreOptions, withExistingStore } from '../store.js';
import { colourWanted, makeStyle } from '../style.js';

export interface ShowOptions extends StoreOptions, ServerFlags {
  format: 'text' | 'json';
  verbose?: boolean;
}

export async function showCommand(
  ref: string,
  dir: string | undefined,
  options: ShowOptions,
  io: CliIO,
): Promise<number> {
  // A team server (MLGATE_SERVER or --server): the run as it recorded it.
  if (serverWanted(options, io.env)) return remoteShow(ref, dir, options, io);
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  return withExistingStore(dir, options, io, async (store) => {
    const report = await loadRun(store, await resolveRun(store, ref));
    io.stdout.write(
      options.format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : renderText(report, { style, verbose: options.verbose }),
    );
    return ExitCode.Pass;
  });
}
