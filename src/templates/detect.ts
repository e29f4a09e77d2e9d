/**
 * What a project has, for `mlgate init`: model files, predictions, a Dockerfile, compose and
 * Kubernetes files, dependency files, test and coverage reports, docs and .env.example, and
 * the production signals: Prometheus alert rules (and Alertmanager's configuration, a saved
 * /metrics exposition), a reference and a current feature table, a sensitive column in the
 * predictions. Each found path goes into the spec; each missing thing leaves its items as
 * manual sign-offs.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { walkFiles } from '../util/walk.js';

export interface Detected {
  models: string[];
  onnx?: string;
  predictions?: string;
  dockerfile?: string;
  compose?: string;
  /** Folders (or files) of Kubernetes manifests. */
  kubernetes: string[];
  dependencies: string[];
  testResults?: string;
  coverage?: string;
  readme?: string;
  modelCard?: string;
  envExample?: string;
  /** Prometheus rule files and PrometheusRule manifests with at least one alerting rule. */
  alertRules: string[];
  alertmanager?: string;
  /** A saved /metrics exposition (`curl service/metrics > metrics.prom`). */
  exposition?: string;
  /** Training (or validation) features, and a current sample or the test features. */
  drift?: { reference: string; current: string };
  /** A predictions table with a column named like a sensitive attribute. */
  groups?: { file: string; column: string };
}

const MODEL = /\.(onnx|pt|pth|pkl|joblib|h5|keras|safetensors|pb|tflite|ckpt)$/i;
const PREDICTIONS = /(^|[/_-])pred(ictions?)?[^/]*\.(csv|tsv|parquet|jsonl)$/i;
const DEPENDENCIES =
  /(^|\/)(requirements[^/]*\.txt|pyproject\.toml|poetry\.lock|Pipfile\.lock|uv\.lock|environment\.ya?ml|package-lock\.json|pnpm-lock\.yaml|yarn\.lock|go\.sum|Cargo\.lock)$/;
const TEST_RESULTS = /(^|\/)(junit[^/]*|test-results?[^/]*|TEST-[^/]*)\.xml$/i;
const COVERAGE =
  /(^|\/)(coverage\.xml|lcov\.info|coverage-summary\.json|coverage\.json|cobertura[^/]*\.xml)$/i;
const COMPOSE = /(^|\/)((docker-)?compose(\.[\w-]+)?\.ya?ml)$/;
const MODEL_CARD = /(^|\/)model[_-]?card\.md$/i;

/** Feature tables by name: X_train.npy, features_val.parquet, train.csv, serving_sample.csv. */
const TABLE = String.raw`\.(npy|csv|tsv|parquet|jsonl)$`;
const REFERENCE_TABLES = [
  new RegExp(String.raw`(^|/)(x|features?)[_-]?(train|training|reference|ref)${TABLE}`, 'i'),
  new RegExp(
    String.raw`(^|/)(train|training|reference|baseline)[_-]?(features?|sample|data|set)?${TABLE}`,
    'i',
  ),
  new RegExp(String.raw`(^|/)(x|features?)[_-]?(val|valid|validation)${TABLE}`, 'i'),
];
const CURRENT_TABLES = [
  new RegExp(
    String.raw`(^|/)(x|features?)?[_-]?(serving|current|production|prod|live)[_-]?(features?|sample|data)?${TABLE}`,
    'i',
  ),
  new RegExp(String.raw`(^|/)(x|features?)[_-]?test${TABLE}`, 'i'),
  new RegExp(String.raw`(^|/)test[_-]?(features?|set|data)?${TABLE}`, 'i'),
];
/** Column names that say "sensitive attribute" (the groups fairness is judged across). */
const SENSITIVE_COLUMN =
  /^(sex|gender|race|ethnicity|religion|nationality|disability|age[_-]?(group|band|bucket|range)|(sensitive|protected)[_-]?\w*)$/i;
const EXPOSITION = /(^|\/)([^/]*metrics[^/]*\.(txt|prom)|[^/]+\.prom)$/i;

const MAX_FILES = 20_000;

export function detectProject(root: string): Detected {
  const files = walkFiles(root, { gitignore: false }).slice(0, MAX_FILES);
  const shallowest = (pattern: RegExp) => files.filter((f) => pattern.test(f)).sort(byDepth)[0];
  const models = files.filter((f) => MODEL.test(f) && size(join(root, f)) > 0);
  // Every YAML file is read once (up to 1 MB): manifests, rule files, Alertmanager's config. JSON
  // only where the name says rules or alerts: a project may hold thousands of JSON data files.
  const yamlTexts = files
    .filter((f) => (/\.ya?ml$/i.test(f) || /(rule|alert)[^/]*\.json$/i.test(f)) && !COMPOSE.test(f))
    .map((f) => ({ file: f, text: smallText(join(root, f)) }));
  const manifests = yamlTexts
    .filter(({ file, text }) => /\.ya?ml$/.test(file) && isManifest(text))
    .map(({ file }) => file);
  const manifestDirs = [
    ...new Set(manifests.map((f) => (f.includes('/') ? `${f.slice(0, f.lastIndexOf('/'))}/` : f))),
  ];
  return {
    models,
    onnx: models.find((f) => f.endsWith('.onnx')),
    // The test set's predictions, by name, over validation ones beside them.
    predictions: files
      .filter((f) => PREDICTIONS.test(f))
      .sort((a, b) => depth(a) - depth(b) || Number(!isTest(a)) - Number(!isTest(b)) || byDepth(a, b))[0],
    dockerfile: shallowest(/(^|\/)Dockerfile$/),
    compose: shallowest(COMPOSE),
    kubernetes: manifestDirs.slice(0, 5),
    dependencies: files.filter((f) => DEPENDENCIES.test(f)).slice(0, 10),
    testResults: shallowest(TEST_RESULTS),
    coverage: shallowest(COVERAGE),
    readme: files.find((f) => /^readme\.md$/i.test(f)),
    modelCard: shallowest(MODEL_CARD),
    envExample: files.find((f) => basename(f) === '.env.example'),
    alertRules: yamlTexts
      .filter(({ text }) => isAlertRules(text))
      .map(({ file }) => file)
      .slice(0, 10),
    alertmanager: yamlTexts.find(({ text }) => /^route:\s*$/m.test(text) && /^receivers:\s*$/m.test(text))
      ?.file,
    exposition: files.find((f) => EXPOSITION.test(f) && /^# TYPE \w+ \w+/m.test(smallText(join(root, f)))),
    drift: featureTables(files),
    groups: groupColumn(
      root,
      files.filter((f) => PREDICTIONS.test(f)),
    ),
  };
}

function smallText(file: string): string {
  if (size(file) > 1_000_000) return '';
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** A rule file with an alerting rule (`- alert: Name`) or a PrometheusRule resource. */
function isAlertRules(text: string): boolean {
  return (
    (/^groups:/m.test(text) || /^kind:\s*PrometheusRule\b/m.test(text)) && /^\s*-?\s*alert:\s*\S/m.test(text)
  );
}

/** The first reference table, by preference, and the best current table beside it (same folder first). */
function featureTables(files: string[]): { reference: string; current: string } | undefined {
  const tables = files.filter((f) => !PREDICTIONS.test(f));
  const reference = REFERENCE_TABLES.map((p) => tables.filter((f) => p.test(f)).sort(byDepth)[0]).find(
    Boolean,
  );
  if (!reference) return undefined;
  const folder = reference.includes('/') ? reference.slice(0, reference.lastIndexOf('/') + 1) : '';
  const candidates = CURRENT_TABLES.flatMap((p) =>
    tables.filter((f) => p.test(f) && f !== reference).sort(byDepth),
  );
  const current =
    candidates.find((f) => f.startsWith(folder) && !f.slice(folder.length).includes('/')) ?? candidates[0];
  return current ? { reference, current } : undefined;
}

/** The first predictions table (CSV or TSV) whose header names a sensitive attribute. */
function groupColumn(root: string, predictions: string[]): { file: string; column: string } | undefined {
  for (const file of predictions.filter((f) => /\.(csv|tsv)$/i.test(f)).sort(byDepth)) {
    const header = smallText(join(root, file)).split(/\r?\n/, 1)[0] ?? '';
    const column = header
      .split(file.endsWith('.tsv') ? '\t' : ',')
      .map((c) => c.trim().replace(/^"|"$/g, ''))
      .find((c) => SENSITIVE_COLUMN.test(c));
    if (column) return { file, column };
  }
  return undefined;
}

/** Shallowest first, then the plainest name: predictions_test.csv before predictions_test_groups.csv. */
const isTest = (path: string) => /test/i.test(basename(path));

function byDepth(a: string, b: string): number {
  return depth(a) - depth(b) || a.length - b.length || a.localeCompare(b);
}

function depth(path: string): number {
  return path.split('/').length;
}

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** A Kubernetes object: apiVersion and kind at the top level of some document. */
function isManifest(text: string): boolean {
  return (
    /^apiVersion:\s*\S+/m.test(text) &&
    /^kind:\s*(Deployment|StatefulSet|Service|Pod|Job|CronJob|DaemonSet|HorizontalPodAutoscaler|Ingress|ReplicaSet)\b/m.test(
      text,
    )
  );
}

/** What was found, as lines for the person running init. */
export function describeDetected(found: Detected): string[] {
  const line = (label: string, value: string | string[] | undefined) => {
    const values = Array.isArray(value) ? value : value ? [value] : [];
    return `  ${values.length > 0 ? '✓' : '·'} ${label}: ${values.length > 0 ? values.join(', ') : 'none found'}`;
  };
  return [
    line('model files', found.models.slice(0, 5)),
    line('test predictions', found.predictions),
    line('Dockerfile', found.dockerfile),
    line('compose file', found.compose),
    line('Kubernetes manifests', found.kubernetes),
    line('dependency files', found.dependencies.slice(0, 5)),
    line('test results (JUnit)', found.testResults),
    line('coverage report', found.coverage),
    line('README', found.readme),
    line('model card', found.modelCard),
    line('.env.example', found.envExample),
    line('alert rules', found.alertRules.slice(0, 5)),
    line('Alertmanager config', found.alertmanager),
    line('saved /metrics exposition', found.exposition),
    line(
      'reference and current features',
      found.drift ? `${found.drift.reference} vs ${found.drift.current}` : undefined,
    ),
    line(
      'sensitive column in predictions',
      found.groups ? `${found.groups.file} (${found.groups.column})` : undefined,
    ),
  ];
}
