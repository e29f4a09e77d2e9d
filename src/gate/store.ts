/**
 * Where a gate reads its sign-offs and baselines and keeps its run: the project's own SQLite
 * store (local) or a team's mlgate server (remote). `check` and anything else that decides a
 * gate go through this interface, so both are decided by the same code (see run.ts).
 */
import type { RunHistory } from '../engine/types.js';
import type { RunReport } from '../domain/run-report.js';
import type { Store } from '../store/db.js';
import { saveRun, storeHistory } from '../store/runs.js';
import { loadEvents, type SignoffEvent } from '../store/signoffs.js';

export interface GateStore {
  /** For messages: ".mlgate/mlgate.db", "server https://mlgate.example.com". */
  readonly where: string;
  /** What a person should see before the run (damaged guards, an unreachable server). */
  readonly notices: string[];
  /** Every sign-off event of the project, by item, oldest first. */
  signoffEvents(): Promise<Map<string, SignoffEvent[]>>;
  /** Signed sign-off records kept in the store (a server's), as DSSE envelope texts; judged like committed ones. */
  signedRecords?(): Promise<Array<{ name: string; text: string }>>;
  /** Earlier runs, for the baseline kind. A store that cannot answer throws: never "no baseline". */
  history(): RunHistory;
  /** Keeps the run; its number in this store, when it has one. */
  saveRun(report: RunReport): Promise<number | undefined>;
  close(): Promise<void>;
}

/** The project's `.mlgate/mlgate.db`. */
export function localGateStore(store: Store, project: string): GateStore {
  return {
    where: store.path,
    notices: store.notices,
    signoffEvents: () => loadEvents(store),
    history: () => storeHistory(store, project),
    saveRun: (report) => saveRun(store, report),
    close: () => store.close(),
  };
}
