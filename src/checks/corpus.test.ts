/**
 * The configuration checks measured on real files: fixtures/corpus holds Dockerfiles, Kubernetes
 * manifests, compose files, dependency sets, notebooks and lock files copied byte for byte from
 * public ML-serving projects (SOURCES.md cites each). labels.yaml says what each check is run on
 * and judges every finding of today's checks as a true defect or a false alarm; planted.yaml edits
 * copies of clean real files to plant one defect each, with the rule that must find it.
 *
 * Printed (lines starting "corpus:"): per kind, files judged, findings, true/false alarms
 * (precision), findings nobody has judged yet, labelled defects not reported (real-file recall),
 * and planted-defect recall with each miss. Asserted: every planted defect of a rule that exists
 * is found (except those marked `pending`, known misses being fixed), and no secrets finding on
 * trees that hold no secret. Set MLGATE_CORPUS_DUMP=<file> to write every finding as JSON.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { executeCheck } from '../engine/execute.js';
import { type CheckRegistry, loadBuiltinChecks } from '../engine/registry.js';
import type { CheckOutcome } from '../engine/types.js';
import { tempFiles } from '../testing/temp.js';
import { RULES as COMPOSE } from './compose/check.js';
import { RULES as DEPENDENCIES } from './dependencies/check.js';
import { RULES as DOCKERFILE } from './dockerfile/check.js';
import { RULES as KUBERNETES } from './kubernetes/check.js';
import { RULES as SECRETS } from './secrets/check.js';

const CORPUS = fileURLToPath(new URL('../../fixtures/corpus/', import.meta.url));
const KINDS = ['dockerfile', 'kubernetes', 'compose', 'secrets', 'dependencies'] as const;
type Kind = (typeof KINDS)[number];

interface Judgement {
  rule: string;
  file: string;
  /** Absent: any line of the file. */
  line?: number;
  defect: boolean;
  why: string;
}
interface Target {
  project: string;
  kind: Kind;
  name: string;
  params: Record<string, unknown>;
  findings: Judgement[];
}
interface Planted {
  kind: Kind;
  id: string;
  /** project/relative path of the clean real file the defect is planted into. */
  file: string;
  find?: string;
  replace?: string;
  append?: string;
  rule: string;
  why?: string;
  /** The file whose check is run, when the edit is to another file (a .dockerignore). */
  target?: string;
  /** A known miss of an existing rule that issue 12 fixes: reported, not asserted. */
  pending?: string;
}
interface Found {
  rule: string;
  file: string;
  line?: number;
  message: string;
}
interface Run {
  target: Target;
  outcome: CheckOutcome;
  findings: Found[];
}

function loadTargets(): Target[] {
  const labels = parse(readFileSync(join(CORPUS, 'labels.yaml'), 'utf8')) as Record<
    string,
    Partial<Record<Kind, Array<{ name?: string; params?: Record<string, unknown>; findings?: Judgement[] }>>>
  >;
  return Object.entries(labels).flatMap(([project, kinds]) =>
    KINDS.flatMap((kind) =>
      (kinds[kind] ?? []).map((entry) => ({
        project,
        kind,
        name: entry.name ?? String(entry.params?.path ?? entry.params?.paths ?? project),
        params: entry.params ?? {},
        findings: entry.findings ?? [],
      })),
    ),
  );
}

function loadPlanted(): Planted[] {
  const planted = parse(readFileSync(join(CORPUS, 'planted.yaml'), 'utf8')) as Record<
    string,
    Array<Omit<Planted, 'kind'>>
  >;
  return Object.entries(planted).flatMap(([kind, list]) => list.map((p) => ({ ...p, kind: kind as Kind })));
}

const targets = loadTargets();
const planted = loadPlanted();
let checks: CheckRegistry;

async function run(kind: Kind, root: string, params: Record<string, unknown>): Promise<CheckOutcome> {
  const definition = checks.get(kind)!;
  return executeCheck(
    definition,
    definition.params.parse(params),
    { root, itemId: `corpus-${kind}`, profile: null, artifacts: new Map() },
    30_000,
  );
}

function findingsOf(outcome: CheckOutcome): Found[] {
  return (outcome.evidence ?? []).flatMap((e) =>
    e.type === 'finding' && !e.ignored && e.rule !== 'ignore/unused'
      ? [{ rule: e.rule, file: e.location?.path ?? '', line: e.location?.line, message: e.message }]
      : [],
  );
}

function judge(target: Target, finding: Found): Judgement | undefined {
  return target.findings.find(
    (j) =>
      j.rule === finding.rule && j.file === finding.file && (j.line === undefined || j.line === finding.line),
  );
}

/** Files a target judges, for the "files" figure. */
function filesOf(target: Target): string[] {
  const p = target.params;
  if (target.kind === 'kubernetes') return ([] as unknown[]).concat(p.paths).map(String);
  if (target.kind === 'dependencies') return (p.files as string[] | undefined) ?? ['(walk)'];
  if (target.kind === 'secrets') return ['(tree)'];
  return [String(p.path)];
}

/** Files the secrets scan read, as it reports them. */
const scanned = (list: Run[]) => list.reduce((n, r) => n + Number(r.outcome.measured?.files ?? 0), 0);

const where = (f: { file: string; line?: number }) => `${f.file}${f.line ? `:${f.line}` : ''}`;

const runs: Run[] = [];

beforeAll(async () => {
  checks = await loadBuiltinChecks();
  for (const target of targets) {
    const outcome = await run(target.kind, join(CORPUS, target.project), target.params);
    runs.push({ target, outcome, findings: findingsOf(outcome) });
  }
  if (process.env.MLGATE_CORPUS_DUMP) {
    writeFileSync(
      process.env.MLGATE_CORPUS_DUMP,
      JSON.stringify(
        runs.map((r) => ({
          project: r.target.project,
          kind: r.target.kind,
          name: r.target.name,
          status: r.outcome.status,
          summary: r.outcome.summary,
          findings: r.findings,
        })),
        null,
        1,
      ),
    );
  }
});

describe('corpus of real ML-serving configuration files', () => {
  test('precision per kind on the real files', () => {
    for (const kind of KINDS) {
      const mine = runs.filter((r) => r.target.kind === kind);
      const files = new Set(mine.flatMap((r) => filesOf(r.target).map((f) => `${r.target.project}/${f}`)));
      let defects = 0;
      let alarms = 0;
      const falseAlarms: string[] = [];
      const unjudged: string[] = [];
      const notJudged: string[] = [];
      for (const r of mine) {
        if (r.outcome.status === 'skip' || r.outcome.status === 'error')
          notJudged.push(`${r.target.project}/${r.target.name}: ${r.outcome.status}: ${r.outcome.summary}`);
        else if (r.outcome.status === 'pass' && r.target.findings.some((j) => j.defect))
          notJudged.push(`${r.target.project}/${r.target.name}: passes, yet a reviewer labels defects in it`);
        for (const f of r.findings) {
          const verdict = judge(r.target, f);
          if (!verdict) unjudged.push(`${r.target.project}/${where(f)} ${f.rule}: ${f.message}`);
          else if (verdict.defect) defects++;
          else {
            alarms++;
            falseAlarms.push(`${r.target.project}/${where(f)} ${f.rule}`);
          }
        }
      }
      const judged = defects + alarms;
      const precision = judged ? ((100 * defects) / judged).toFixed(0) : '-';
      console.log(
        `corpus: ${kind}: ${mine.length} runs, ${kind === 'secrets' ? `${mine.length} trees, ${scanned(mine)} files scanned` : `${files.size} files`}, ` +
          `${judged + unjudged.length} findings, ${defects} true, ${alarms} false alarms, precision ${precision}%` +
          (unjudged.length ? `, ${unjudged.length} not yet judged` : ''),
      );
      for (const line of falseAlarms) console.log(`corpus:   false alarm ${line}`);
      for (const line of unjudged) console.log(`corpus:   not judged ${line}`);
      for (const line of notJudged) console.log(`corpus:   nothing judged ${line}`);
    }
    expect(runs.length).toBe(targets.length);
  });

  test('real files: labelled defects the checks do not report (misses, rules not merged yet)', () => {
    for (const kind of KINDS) {
      let labelled = 0;
      let reported = 0;
      const lines: string[] = [];
      for (const r of runs.filter((run) => run.target.kind === kind))
        for (const j of r.target.findings) {
          const fires = r.findings.some((f) => judge({ ...r.target, findings: [j] }, f));
          if (j.defect) {
            labelled++;
            if (fires) reported++;
          }
          if (!fires)
            lines.push(
              `${r.target.project}/${where(j)} ${j.rule} (${j.defect ? 'defect not reported' : 'false alarm gone'}): ${j.why}`,
            );
        }
      if (labelled)
        console.log(
          `corpus: ${kind}: real-file recall ${reported}/${labelled} labelled defects reported (${((100 * reported) / labelled).toFixed(0)}%)`,
        );
      for (const line of lines) console.log(`corpus:   ${line}`);
    }
    // Informational: a rule still being written, or a fixed false alarm, shows here, not as a failure.
    expect(runs.length).toBe(targets.length);
  });

  test('secrets: the tree holds no secret, so every finding is a false alarm', () => {
    const secrets = runs.filter((r) => r.target.kind === 'secrets');
    for (const r of secrets)
      for (const j of r.target.findings)
        expect(j.defect, `${r.target.project}/${where(j)}: the secrets tree must hold no true secret`).toBe(
          false,
        );
  });

  // The look-alikes that used to trip the scanner: example keys, tokenizer_* names, secretName
  // references, placeholders, f-string and ${VAR} templates.
  test('secrets: zero false positives on real configs, notebooks and lock files', () => {
    const found = runs
      .filter((r) => r.target.kind === 'secrets')
      .flatMap((r) => r.findings.map((f) => `${r.target.project}/${where(f)} ${f.rule}`));
    expect(found).toEqual([]);
  });

  test('planted defects: recall per kind; every planted defect of an existing rule is found', async () => {
    // Rules that exist in this checkout; a planted defect of a rule still being written is a
    // reported miss, not a failure.
    const existing = new Set(
      [DOCKERFILE, KUBERNETES, COMPOSE, SECRETS, DEPENDENCIES].flatMap((set) => set.rules.map((r) => r.id)),
    );
    const missedExisting: string[] = [];
    const nowFound: string[] = [];
    for (const kind of KINDS) {
      const mine = planted.filter((p) => p.kind === kind);
      if (mine.length === 0) continue;
      const misses: string[] = [];
      for (const p of mine) {
        const project = p.file.split('/')[0]!;
        const relative = p.file.slice(project.length + 1);
        const judged = p.target ?? relative;
        const target = targets.find(
          (t) =>
            t.kind === kind &&
            t.project === project &&
            filesOf(t).some((f) => f === judged || f === '(tree)'),
        );
        if (!target) throw new Error(`planted ${p.id}: no ${kind} target in labels.yaml judges ${p.file}`);
        const baseline = runs.find((r) => r.target === target)!;
        const dir = tempFiles({});
        cpSync(join(CORPUS, project), dir, { recursive: true });
        const path = join(dir, relative);
        const text = readFileSync(path, 'utf8');
        let edited: string;
        if (p.append !== undefined) edited = text + (text.endsWith('\n') ? '' : '\n') + p.append;
        else {
          if (!text.includes(p.find!)) throw new Error(`planted ${p.id}: "${p.find}" is not in ${p.file}`);
          edited = text.replace(p.find!, p.replace!);
        }
        writeFileSync(path, edited);
        const outcome = await run(kind, dir, target.params);
        rmSync(dir, { recursive: true, force: true });
        const count = (list: Found[]) => list.filter((f) => f.rule === p.rule).length;
        const found = count(findingsOf(outcome)) > count(baseline.findings);
        const known = existing.has(p.rule);
        if (!found) {
          const note = !known ? ' (rule not merged yet)' : p.pending ? ` (pending: ${p.pending})` : '';
          misses.push(`${p.id} ${p.rule} in ${p.file}${note}`);
          if (known && !p.pending)
            missedExisting.push(`${p.id} ${p.rule} in ${p.file} (${outcome.status}: ${outcome.summary})`);
        } else if (p.pending) nowFound.push(`${p.id}: found now, drop its pending`);
      }
      const hit = mine.length - misses.length;
      const merged = mine.filter((p) => existing.has(p.rule));
      const mergedHit = merged.length - misses.filter((m) => !m.endsWith('(rule not merged yet)')).length;
      const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(0) : '-');
      console.log(
        `corpus: ${kind}: planted-defect recall ${hit}/${mine.length} (${pct(hit, mine.length)}%); ` +
          `of rules that exist now ${mergedHit}/${merged.length} (${pct(mergedHit, merged.length)}%)`,
      );
      for (const miss of misses) console.log(`corpus:   missed ${miss}`);
    }
    for (const line of nowFound) console.log(`corpus:   ${line}`);
    expect(missedExisting).toEqual([]);
  });
});

// The corpus must stay where the labels point.
test('every labelled file exists in the corpus', () => {
  for (const t of targets)
    for (const f of filesOf(t))
      if (!f.startsWith('(')) expect(existsSync(join(CORPUS, t.project, f)), `${t.project}/${f}`).toBe(true);
  for (const p of planted) expect(existsSync(join(CORPUS, p.file)), p.file).toBe(true);
});
