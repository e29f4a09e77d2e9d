/**
 * The verdict, decided over results after every check has run. PASS only when every
 * applicable required item passed (or carries a current waiver) and the run completed.
 */
import type { Counts, GateReason, ItemResult, RunReport } from '../domain/run-report.js';
import type { ArtifactRecord } from './artifacts.js';

export type Verdict = RunReport['verdict'];

const OK = new Set(['pass', 'waived']);

export function decide(
  items: ItemResult[],
  context: { complete: boolean; artifacts: ArtifactRecord[] },
): Verdict {
  const blocking: GateReason[] = [];
  const warningReasons: GateReason[] = [];
  if (!context.complete) {
    blocking.push({
      itemId: null,
      severity: null,
      status: 'incomplete',
      message: 'the run was interrupted before every item finished',
    });
  }
  for (const artifact of context.artifacts) {
    if (artifact.required && artifact.error) {
      blocking.push({
        itemId: null,
        severity: 'required',
        status: 'error',
        message: `artifact "${artifact.name}" (${artifact.path}): ${artifact.error}`,
      });
    }
  }
  let waived = 0;
  for (const item of items) {
    if (!item.applicable) continue;
    if (item.status === 'waived') waived++;
    if (OK.has(item.status)) continue;
    const reason: GateReason = {
      itemId: item.id,
      severity: item.severity,
      status: item.status,
      message: item.summary,
    };
    if (item.severity === 'required') blocking.push(reason);
    else if (item.severity === 'recommended') warningReasons.push(reason);
  }
  return {
    status: blocking.length === 0 ? 'PASS' : 'BLOCKED',
    warnings: warningReasons.length,
    waived,
    blocking,
    warningReasons,
  };
}

export function countItems(items: ItemResult[]): Counts {
  const counts: Counts = {
    total: 0,
    pass: 0,
    fail: 0,
    error: 0,
    skip: 0,
    pending: 0,
    waived: 0,
    notApplicable: 0,
  };
  for (const item of items) {
    counts.total++;
    if (!item.applicable) counts.notApplicable++;
    else counts[item.status]++;
  }
  return counts;
}

/** "PASS", "PASS with 2 warnings and 1 waiver", "BLOCKED". */
export function verdictLine(verdict: Verdict): string {
  if (verdict.status === 'BLOCKED') return 'BLOCKED';
  const extras: string[] = [];
  if (verdict.warnings > 0) extras.push(`${verdict.warnings} warning${verdict.warnings === 1 ? '' : 's'}`);
  if (verdict.waived > 0) extras.push(`${verdict.waived} waiver${verdict.waived === 1 ? '' : 's'}`);
  return extras.length > 0 ? `PASS with ${extras.join(' and ')}` : 'PASS';
}
