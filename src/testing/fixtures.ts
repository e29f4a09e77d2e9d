/**
 * The one fixture runner every check kind's test uses. A kind's fixtures live beside it:
 *
 *   checks/<kind>/fixtures/ok.<case>/    must pass
 *   checks/<kind>/fixtures/ng.<case>/    must fail, with evidence
 *   checks/<kind>/fixtures/err.<case>/   must be an error (could not tell), with a summary
 *
 * Each holds `check.yaml` (the params, without `kind`), the files the check reads, for
 * kinds that talk to a service a `service.yaml` (the spec's `service:` section), for kinds
 * that read other results and earlier runs a `history.yaml` (see fixtureHistory), and
 * optionally `expect.yaml`: {status, summary: regex, measured: {...}, evidence: [partial
 * entries], timeout: "5s"}. `checks/<kind>/fixtures/invalid-params.yaml` lists params the
 * schema must reject: [{params: {...}, error: "substring of the message"}].
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { executeCheck } from '../engine/execute.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import type { CheckDefinition, CheckOutcome } from '../engine/types.js';
import type { ItemResult, ItemStatus } from '../domain/run-report.js';
import { serviceFromSpec } from '../service/controller.js';
import { ServiceSpec } from '../spec/schema.js';
import { openStore } from '../store/db.js';
import { storeHistory, tagRun } from '../store/runs.js';
import { parseDuration } from '../util/units.js';

interface Expectation {
  status?: CheckOutcome['status'];
  summary?: string;
  measured?: Record<string, unknown>;
  evidence?: Array<Record<string, unknown>>;
  timeout?: string;
}

const EXPECTED_BY_PREFIX: Record<string, CheckOutcome['status']> = {
  ok: 'pass',
  ng: 'fail',
  err: 'error',
};

export function fixtureFolders(kindDir: string): string[] {
  const root = join(kindDir, 'fixtures');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^(ok|ng|err)\./.test(entry.name))
    .map((entry) => join(root, entry.name))
    .sort();
}

export async function runFixture(
  definition: CheckDefinition,
  folder: string,
  timeoutMs = 30_000,
): Promise<CheckOutcome> {
  const raw = parse(readFileSync(join(folder, 'check.yaml'), 'utf8')) ?? {};
  const params = definition.params.parse(raw);
  const service = fixtureService(folder);
  const history = await fixtureHistory(folder);
  try {
    if (service) {
      await service.ensureStarted();
      service.assertAlive();
    }
    return await executeCheck(
      definition,
      params,
      {
        root: folder,
        // Cases share data in fixtures/_data: the kind's fixtures folder is the project.
        projectRoot: dirname(folder),
        itemId: basename(folder),
        profile: history?.profile ?? null,
        artifacts: new Map(),
        service,
        result: history?.result,
        history: history?.history,
      },
      timeoutMs,
    );
  } finally {
    await service?.stop();
    await history?.close();
  }
}

interface HistoryFixture {
  profile?: string | null;
  /** Results of other items in this run. */
  current?: Record<
    string,
    { status: ItemStatus; summary?: string; measured?: Record<string, number | string | null> }
  >;
  /** Earlier runs, written to a real store in a temporary folder. */
  runs?: Array<{
    startedAt: string;
    verdict: 'PASS' | 'BLOCKED';
    profile?: string | null;
    complete?: boolean;
    partial?: boolean;
    tags?: string[];
    items: Record<string, { status: string; measured: Record<string, unknown> }>;
  }>;
}

/** A fixture's `history.yaml`: this run's other results and a store of earlier runs. */
async function fixtureHistory(folder: string) {
  const file = join(folder, 'history.yaml');
  if (!existsSync(file)) return undefined;
  const fixture = (parse(readFileSync(file, 'utf8')) ?? {}) as HistoryFixture;
  const store = (await openStore(mkdtempSync(join(tmpdir(), 'mlgate-history-')), { create: true }))!;
  for (const run of fixture.runs ?? []) {
    const { id } = await store.db
      .insertInto('runs')
      .values({
        started_at: run.startedAt,
        finished_at: run.startedAt,
        project: 'fixture',
        profile: run.profile ?? null,
        verdict: run.verdict,
        complete: run.complete === false ? 0 : 1,
        selection: run.partial ? '{"only":[],"addedForNeeds":[]}' : null,
        spec_sha256: '',
        tool_version: '',
        counts: '{}',
        artifacts: '{}',
        // What last-pass reads from the stored report must agree with the row.
        report: JSON.stringify({ verdict: { status: run.verdict }, complete: run.complete !== false }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const [itemId, item] of Object.entries(run.items)) {
      await store.db
        .insertInto('run_items')
        .values({
          run_id: id,
          item_id: itemId,
          kind: 'fixture',
          severity: 'required',
          status: item.status,
          measured: JSON.stringify(item.measured),
        })
        .execute();
    }
    for (const tag of run.tags ?? []) await tagRun(store, id, tag, 'fixture', new Date(run.startedAt));
  }
  const results = new Map(
    Object.entries(fixture.current ?? {}).map(([id, result]) => [
      id,
      {
        id,
        status: result.status,
        summary: result.summary ?? result.status,
        measured: result.measured ?? {},
      } as ItemResult,
    ]),
  );
  return {
    profile: fixture.profile,
    history: storeHistory(store),
    result: (id: string) => results.get(id),
    close: () => store.close(),
  };
}

/** The toy model service every service fixture can start: `command: node "$TOY_MODEL"`. */
export const TOY_MODEL = fileURLToPath(new URL('./servers/toy-model.mjs', import.meta.url));

/**
 * A fixture's `service.yaml` is the spec's `service:` section: the service the check talks
 * to, started before it and stopped after.
 */
function fixtureService(folder: string) {
  const file = join(folder, 'service.yaml');
  if (!existsSync(file)) return undefined;
  const spec = ServiceSpec.parse(parse(readFileSync(file, 'utf8')));
  if (spec.start) spec.start.env = { TOY_MODEL, ...spec.start.env };
  return serviceFromSpec(spec, folder);
}

/** Declares the fixture tests of the check kind whose test file calls it. */
export function describeFixtures(testFileUrl: string): void {
  const kindDir = dirname(fileURLToPath(testFileUrl));
  const kind = basename(kindDir);
  const folders = fixtureFolders(kindDir);

  describe(`${kind}: fixtures`, () => {
    test('has at least one passing and one failing fixture', () => {
      const names = folders.map((folder) => basename(folder));
      expect(names.some((name) => name.startsWith('ok.'))).toBe(true);
      expect(names.some((name) => name.startsWith('ng.'))).toBe(true);
    });

    for (const folder of folders) {
      const name = basename(folder);
      test(name, async () => {
        const definition = (await loadBuiltinChecks()).get(kind);
        expect(definition, `check kind ${kind} is registered`).toBeDefined();
        const expectFile = join(folder, 'expect.yaml');
        const expectation: Expectation = existsSync(expectFile)
          ? (parse(readFileSync(expectFile, 'utf8')) ?? {})
          : {};
        const timeoutMs = expectation.timeout ? parseDuration(expectation.timeout)! : 30_000;
        const outcome = await runFixture(definition!, folder, timeoutMs);
        const wanted = expectation.status ?? EXPECTED_BY_PREFIX[name.split('.')[0]!]!;
        expect(outcome.status, `${name}: ${outcome.summary}`).toBe(wanted);
        expect(outcome.summary.length).toBeGreaterThan(0);
        if (wanted === 'fail')
          expect(outcome.evidence?.length ?? 0, 'a failure carries evidence').toBeGreaterThan(0);
        if (expectation.summary) expect(outcome.summary).toMatch(new RegExp(expectation.summary));
        if (expectation.measured) expect(outcome.measured).toMatchObject(expectation.measured);
        for (const entry of expectation.evidence ?? []) {
          expect(outcome.evidence).toEqual(expect.arrayContaining([expect.objectContaining(entry)]));
        }
      });
    }

    const invalidFile = join(kindDir, 'fixtures', 'invalid-params.yaml');
    if (existsSync(invalidFile)) {
      const cases = parse(readFileSync(invalidFile, 'utf8')) as Array<{
        params: unknown;
        error: string;
      }>;
      for (const [index, invalid] of cases.entries()) {
        test(`rejects invalid params #${index + 1}: ${invalid.error}`, async () => {
          const definition = (await loadBuiltinChecks()).get(kind)!;
          const result = definition.params.safeParse(invalid.params);
          expect(result.success).toBe(false);
          const messages = result.error!.issues.map((issue) => issue.message).join(' | ');
          expect(messages).toContain(invalid.error);
        });
      }
    }
  });
}
