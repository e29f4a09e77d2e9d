/**
 * What a project has, for `mlgate init`: model files, predictions, a Dockerfile, compose and
 * Kubernetes files, dependency files, test and coverage reports, docs and .env.example. Each
 * found path goes into the spec; each missing thing leaves its items as manual sign-offs.
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

const MAX_FILES = 20_000;

export function detectProject(root: string): Detected {
  const files = walkFiles(root, { gitignore: false }).slice(0, MAX_FILES);
  const shallowest = (pattern: RegExp) =>
    files.filter((f) => pattern.test(f)).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))[0];
  const models = files.filter((f) => MODEL.test(f) && size(join(root, f)) > 0);
  const manifests = files.filter((f) => /\.ya?ml$/.test(f) && !COMPOSE.test(f) && isManifest(join(root, f)));
  const manifestDirs = [
    ...new Set(manifests.map((f) => (f.includes('/') ? `${f.slice(0, f.lastIndexOf('/'))}/` : f))),
  ];
  return {
    models,
    onnx: models.find((f) => f.endsWith('.onnx')),
    predictions: shallowest(PREDICTIONS),
    dockerfile: shallowest(/(^|\/)Dockerfile$/),
    compose: shallowest(COMPOSE),
    kubernetes: manifestDirs.slice(0, 5),
    dependencies: files.filter((f) => DEPENDENCIES.test(f)).slice(0, 10),
    testResults: shallowest(TEST_RESULTS),
    coverage: shallowest(COVERAGE),
    readme: files.find((f) => /^readme\.md$/i.test(f)),
    modelCard: shallowest(MODEL_CARD),
    envExample: files.find((f) => basename(f) === '.env.example'),
  };
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
function isManifest(file: string): boolean {
  if (size(file) > 1_000_000) return false;
  try {
    const text = readFileSync(file, 'utf8');
    return (
      /^apiVersion:\s*\S+/m.test(text) &&
      /^kind:\s*(Deployment|StatefulSet|Service|Pod|Job|CronJob|DaemonSet|HorizontalPodAutoscaler|Ingress|ReplicaSet)\b/m.test(
        text,
      )
    );
  } catch {
    return false;
  }
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
  ];
}
