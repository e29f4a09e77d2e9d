/**
 * SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): every rule finding with its
 * file and line, deliberately ignored findings as suppressed results (so reviewers see what
 * was waved through and why), and each failing item without findings as one result at its
 * line in the spec. Paths are relative to the folder mlgate ran in, the repository root in CI.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import { TOOL_VERSION } from '../version.js';
import { displayStatus, pathFromCwd, primaryLocation } from './format.js';
import type { Location, RunReport } from '../domain/run-report.js';

export interface SarifOptions {
  cwd?: string;
}

const INFORMATION_URI = 'https://github.com/mlgate/mlgate';

export function renderSarif(report: RunReport, options: SarifOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const rules = new Map<string, { index: number; descriptor: Sarif.ReportingDescriptor }>();
  const results: Sarif.Result[] = [];
  const blocking = new Set(report.verdict.blocking.map((r) => r.itemId));

  const location = (where: Location): Sarif.Location => ({
    physicalLocation: {
      artifactLocation: { uri: encodeURI(pathFromCwd(report, where.path, cwd)), uriBaseId: 'SRCROOT' },
      ...(where.line
        ? {
            region: {
              startLine: where.line,
              ...(where.column ? { startColumn: where.column } : {}),
              ...(where.endLine ? { endLine: where.endLine } : {}),
            },
          }
        : {}),
    },
  });
  const rule = (id: string, description: string) => {
    let entry = rules.get(id);
    if (!entry) {
      entry = { index: rules.size, descriptor: { id, shortDescription: { text: description } } };
      rules.set(id, entry);
    }
    return entry.index;
  };

  for (const item of report.items) {
    if (!item.applicable) continue;
    const status = displayStatus(item);
    let findings = 0;
    for (const entry of item.evidence) {
      if (entry.type !== 'finding') continue;
      findings++;
      const ruleIndex = rule(entry.rule, entry.rule);
      results.push({
        ruleId: entry.rule,
        ruleIndex,
        level: entry.level,
        message: { text: entry.fix ? `${entry.message} Fix: ${entry.fix}` : entry.message },
        ...(entry.location ? { locations: [location(entry.location)] } : {}),
        ...(entry.ignored
          ? {
              suppressions: [
                {
                  kind: entry.ignored.source === 'inline' ? 'inSource' : 'external',
                  justification: entry.ignored.reason,
                },
              ],
            }
          : {}),
        properties: { item: item.id, itemStatus: status, severity: item.severity },
      });
    }
    // Every item that blocks the verdict is an error result, also a pending sign-off or a
    // blocker whose findings are warnings: a BLOCKED run never shows an empty results list.
    const blockingFinding = results.some(
      (r) => r.properties?.item === item.id && r.level === 'error' && !r.suppressions,
    );
    const blocks = blocking.has(item.id) && !blockingFinding;
    if (blocks || (findings === 0 && (status === 'fail' || status === 'error'))) {
      const ruleId = `mlgate/${item.kind}`;
      const ruleIndex = rule(
        ruleId,
        item.kind === 'manual' ? 'mlgate sign-off' : `mlgate ${item.kind} check`,
      );
      results.push({
        ruleId,
        ruleIndex,
        level: blocking.has(item.id) ? 'error' : 'warning',
        message: {
          text: `${item.title}: ${item.summary}${item.remediation ? ` Fix: ${item.remediation.trim()}` : ''}`,
        },
        locations: [location(primaryLocation(item, report))],
        properties: { item: item.id, itemStatus: status, severity: item.severity },
      });
    }
  }

  // Reasons that belong to no item (a missing artifact) block too: one result each, at the spec.
  for (const reason of report.verdict.blocking) {
    if (reason.itemId !== null) continue;
    results.push({
      ruleId: 'mlgate/gate',
      ruleIndex: rule('mlgate/gate', 'mlgate gate'),
      level: 'error',
      message: { text: `${reason.status}: ${reason.message}` },
      locations: [location({ path: report.spec.path })],
      properties: { itemStatus: reason.status },
    });
  }

  const log: Sarif.Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mlgate',
            version: TOOL_VERSION,
            informationUri: INFORMATION_URI,
            rules: [...rules.values()].map((entry) => entry.descriptor),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(`${cwd}${path.sep}`).href } },
        invocations: [
          {
            executionSuccessful: report.complete,
            startTimeUtc: report.startedAt,
            endTimeUtc: report.finishedAt,
          },
        ],
        results,
        properties: { verdict: report.verdict.status, project: report.project.name, runId: report.runId },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
