import type { ArtifactRecord } from '../engine/artifacts.js';
import { countItems, decide } from '../engine/gate.js';
import type { Plan } from '../engine/plan.js';
import type { RunOutcome } from '../engine/run.js';
import { sanitize } from '../redact/index.js';
import type { Redactor } from '../redact/redactor.js';
import type { LoadedSpec } from '../spec/load.js';
import { TOOL_VERSION } from '../version.js';
import { computeMlTestScore } from './ml-test-score.js';
import { REPORT_SCHEMA_VERSION, type RunReport } from '../domain/run-report.js';

export interface BuildReportInput {
  loaded: LoadedSpec;
  plan: Plan;
  outcome: RunOutcome;
  artifacts: ArtifactRecord[];
  startedAt: Date;
  finishedAt: Date;
  /** How the spec path is shown (relative to where mlgate was run). */
  specPath: string;
  service?: RunReport['service'];
  /** The run's secrets: the whole report (the service's log tail included) passes through it. */
  redactor?: Pick<Redactor, 'redact'>;
}

export function buildReport(input: BuildReportInput): RunReport {
  const { loaded, plan, outcome, artifacts } = input;
  const { spec } = loaded;
  const mlTestScore = computeMlTestScore(outcome.items);
  const sectionKeys = new Map(loaded.items.map((item) => [item.id, item.sectionKey]));
  const report: RunReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'mlgate', version: TOOL_VERSION },
    project: { name: spec.project.name, model: spec.project.model, owner: spec.project.owner },
    spec: { path: input.specPath, sha256: loaded.sha256 },
    root: loaded.root,
    profile: plan.profile,
    selection: plan.selection,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: input.finishedAt.getTime() - input.startedAt.getTime(),
    complete: outcome.complete,
    verdict: decide(outcome.items, { complete: outcome.complete, artifacts }),
    counts: countItems(outcome.items),
    sections: loaded.sections.map((section) => ({
      id: section.id,
      path: section.path,
      counts: countItems(outcome.items.filter((item) => isWithin(sectionKeys.get(item.id), section.key))),
    })),
    artifacts: artifacts.map((artifact) => ({
      name: artifact.name,
      path: artifact.path,
      required: artifact.required,
      sha256: artifact.sha256,
      size: artifact.size,
      ...(artifact.error ? { error: artifact.error } : {}),
    })),
    items: outcome.items,
    ...(mlTestScore ? { mlTestScore } : {}),
    ...(input.service ? { service: input.service } : {}),
  };
  // Cleaned and redacted as a whole: what any writer or the store sees has no secret in it.
  return sanitize(report, input.redactor);
}

function isWithin(itemKey: string | undefined, sectionKey: string): boolean {
  return itemKey !== undefined && (itemKey === sectionKey || itemKey.startsWith(`${sectionKey}.`));
}
