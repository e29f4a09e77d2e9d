/**
 * Which check kind can verify a checklist item, with the numbers and units taken from its
 * words ("coverage > 85%", "mAP > 0.7", "< 500ms", "<2GB", "2+ instances"). Deliberately
 * narrow: a wrong mapping gives a confident wrong verdict, so an item maps only when its
 * words say what to measure and how much; everything else stays a manual sign-off.
 * Paths a checklist does not name are placeholders the spec marks with a TODO. Alerts, drift
 * and fairness words are read in mapping-signals.ts.
 */
import type { ChecklistItem } from './parse.js';
import { slugify } from './slug.js';
import { alerting, drift, fairness } from './mapping-signals.js';
import { CMP, comparator, isUpper, NUM } from './words.js';

export interface Mapping {
  kind: string;
  params: Record<string, unknown>;
  /** Why this kind, in a line, for the spec's comment and the import summary. */
  reason: string;
  /** Params that are guesses the user must check (placeholders). */
  todo?: string;
}

export interface ManualMapping {
  kind: 'manual';
  roles: string[];
  reason: string;
}

/** Metrics mlgate recomputes from a predictions table, by the words checklists use. */
const COMPUTED: Array<[RegExp, string]> = [
  [/\b(?:test\s+)?(?:acc|accuracy)\b/i, 'accuracy'],
  [/\bf1(?:[- ]score)?\b/i, 'f1_macro'],
  [/\bprecision\b/i, 'precision_macro'],
  [/\brecall\b/i, 'recall_macro'],
  [/\b(?:roc[- ]?)?auc\b/i, 'roc_auc'],
  [/\bece\b|expected calibration error/i, 'ece'],
  [/\bmae\b/i, 'mae'],
  [/\brmse\b/i, 'rmse'],
];

/** Metrics mlgate cannot recompute from a table: read from the metrics file, labelled reported. */
const REPORTED: Array<[RegExp, string]> = [
  [/\bmAP(?:@?[\d.:]+)?\b/, 'mAP'],
  [/\bBLEU\b/i, 'bleu'],
  [/\bWER\b/, 'wer'],
  [/\bIoU\b/i, 'iou'],
];

function number(value: string, percent: boolean): string {
  return percent ? `${value}%` : value;
}

const text = (item: ChecklistItem) => [item.title, ...item.description].join(' \n ');

type Rule = (item: ChecklistItem, all: string) => Mapping | undefined;

const coverage: Rule = (_item, all) => {
  const m = new RegExp(String.raw`coverage[^.\n]{0,20}?${CMP}\s*${NUM}\s*%`, 'i').exec(all);
  if (!m) return undefined;
  // "Coverage for src/payments > 90%", "Coverage > 85% for src/payments": one module's, which the
  // total does not show.
  if (
    /coverage (for|of|in|on) (?!the (whole |entire )?(project|codebase|code|repo|repository|service|app)\b)\S/i.test(
      m[0],
    ) ||
    /\b(for|of|in|on)\s+[`'"]?[\w.-]+\/[\w./-]*|\b(for|of|in) (the )?[\w-]+ (module|package|component|folder|directory)\b/i.test(
      all,
    )
  )
    return undefined;
  return {
    kind: 'coverage',
    params: { path: 'coverage.xml', min: `${comparator(m[1]!)} ${m[2]}%` },
    reason: `"${m[0].trim()}": line coverage from the coverage report`,
    todo: 'path: your coverage report (e.g. pytest --cov-report=xml writes coverage.xml)',
  };
};

const exportParity: Rule = (item, all) => {
  if (!/\b(onnx|exported|export|torchscript)\b/i.test(all)) return undefined;
  const m = new RegExp(String.raw`(?:within|<|≤)\s*${NUM}\s*(%|pp|points?)`, 'i').exec(all);
  if (!m || !/\b(match|matches|parity|same)\b/i.test(all)) return undefined;
  const tolerance = Number(m[1]) / 100;
  return {
    kind: 'onnx-model',
    params: {
      model: 'model.onnx',
      data: { features: 'data/X_test.npy', labels: 'data/y_test.npy' },
      parity: { reference: 'data/reference_outputs_test.npy', accuracy_tolerance: tolerance },
    },
    reason: `"${m[0].trim()}": the exported model is run on the test set beside the framework's outputs (${item.title})`,
    todo: 'model, test data and the framework outputs saved at export time',
  };
};

const valTestGap: Rule = (_item, all) => {
  const m = new RegExp(
    String.raw`(?:val(?:idation)?[- ]test|train[- ]test|validation and test)[^\n]{0,40}?gap[^\n]{0,30}?${CMP}\s*${NUM}\s*(%|pp)`,
    'i',
  ).exec(all);
  if (!m) return undefined;
  return {
    kind: 'predictions',
    params: {
      file: 'predictions_test.csv',
      compare: { file: 'predictions_val.csv', gaps: { accuracy: `${comparator(m[1]!)} ${m[2]}%` } },
    },
    reason: `"${m[0].trim()}": accuracy recomputed on both sets, and the gap between them`,
    todo: 'file and compare.file: test and validation predictions',
  };
};

const PER_CLASS = /(all|every|each|any) class(es)?|per[- ]class/i;
const PER_CLASS_METRICS: Record<string, string> = {
  f1_macro: 'f1',
  precision_macro: 'precision',
  recall_macro: 'recall',
};

const metricThreshold: Rule = (item, all) => {
  // "mAP > 0.7", "accuracy ≥ 80%", "Test acc ≥ target (e.g., 82.8% ≥ 80%)".
  for (const [pattern, metric] of [...REPORTED, ...COMPUTED]) {
    const direct = new RegExp(
      String.raw`(?:${pattern.source})[^.\n]{0,30}?${CMP}\s*${NUM}\s*(%)?`,
      pattern.flags.includes('i') ? 'i' : '',
    ).exec(all);
    let threshold: string | undefined;
    let quoted: string | undefined;
    if (direct) {
      threshold = `${comparator(direct[1]!)} ${number(direct[2]!, Boolean(direct[3]))}`;
      quoted = direct[0];
    } else if (pattern.test(item.title)) {
      // "(e.g., 82.8% ≥ 80%)": a measured example against the target.
      const example = new RegExp(String.raw`${NUM}\s*(%)?\s*${CMP}\s*${NUM}\s*(%)?`, 'i').exec(all);
      if (example && /target|require|meet/i.test(all)) {
        threshold = `${comparator(example[3]!)} ${number(example[4]!, Boolean(example[5] ?? example[2]))}`;
        quoted = example[0];
      }
    }
    if (!threshold) continue;
    // "… for every demographic group": each group's value, which the overall one does not show.
    if (
      /\b(every|each|all|per|any|across)\s+(\w+\s+)?(groups?|slices?|segments?|cohorts?|subgroups?|regions?|countries|languages?|demographics?|populations?)\b/i.test(
        all,
      )
    )
      return undefined;
    // "Accuracy drop < 2%", "F1 change vs. the last model < 0.01": a difference, not the metric.
    if (
      /\b(drops?|dropping|decreas\w*|degrad\w*|regress\w*|change|delta|difference|deviation|variance|std|loss|vs\.?|versus|compared)\b/i.test(
        quoted!,
      )
    )
      continue;
    const reported = REPORTED.some(([p]) => p === pattern);
    if (reported)
      return {
        kind: 'metric',
        params: { file: 'metrics.json', key: metric, expect: threshold },
        reason: `"${quoted!.trim()}": mlgate cannot recompute ${metric}, so it reads it from the metrics file (labelled reported)`,
        todo: 'file and key: where your evaluation writes it',
      };
    const perClass = PER_CLASS_METRICS[metric];
    if (perClass && PER_CLASS.test(all) && /^>=? /.test(threshold) && !threshold.endsWith('%'))
      return {
        kind: 'predictions',
        params: {
          file: 'predictions_test.csv',
          min_per_class: { [perClass]: Number(threshold.split(' ')[1]) },
        },
        reason: `"${quoted!.trim()}": every class's ${perClass}, recomputed from the test-set predictions`,
        todo: 'file: the test predictions (columns label, pred, prob_*)',
      };
    return {
      kind: 'predictions',
      params: { file: 'predictions_test.csv', thresholds: { [metric]: threshold } },
      reason: `"${quoted!.trim()}": recomputed from the test-set predictions`,
      todo: 'file: the test predictions (columns label, pred, prob_*)',
    };
  }
  return undefined;
};

const LOAD_SECTION = /post[- ]?deploy|\bload\b|stress|smoke|soak/i;

const latency: Rule = (item, all) => {
  const m = new RegExp(
    String.raw`(?:latency|response time|inference time|inference)[^\n]{0,40}?(p\d{2}\s*)?${CMP}\s*${NUM}\s*(ms|s)\b`,
    'i',
  ).exec(all);
  // "Flag requests with latency > 500ms": the slow side, which a limit to stay under is not.
  if (!m || !isUpper(comparator(m[2]!))) return undefined;
  const percentile = m[1]?.trim().toLowerCase() ?? 'p95';
  const limit = `${comparator(m[2]!)} ${m[3]}${m[4]}`;
  const memory = new RegExp(String.raw`memory[^\n]{0,30}?${CMP}\s*${NUM}\s*(GB|GiB|MB|MiB)`, 'i').exec(all);
  const serviceWords =
    (/\b(api|endpoint|request|service|server)\b/i.test(all) ||
      /\b\d+\s*(rps|qps|req\/s|requests per second)\b|\bthroughput\b|\bconcurren\w*\b|\bunder load\b/i.test(
        all,
      )) &&
    !/per (image|sample)/i.test(all);
  // A latency item under "Post-deployment" or "Load testing" is about the running service.
  if (serviceWords || LOAD_SECTION.test(item.sectionPath.join(' ')))
    return {
      kind: 'load',
      params: {
        method: 'POST',
        path: '/predict',
        body: { file: 'sample-request.json' },
        concurrency: 4,
        requests: 500,
        thresholds: [`p(${percentile.slice(1)}) ${limit}`, 'error_rate < 1%'],
      },
      reason: `"${m[0].trim()}": load-tests the service on this machine`,
      todo: 'path and body: a real request to your service (and the service: section)',
    };
  return {
    kind: 'onnx-model',
    params: {
      model: 'model.onnx',
      latency: { batch_sizes: [1], thresholds: { [percentile]: limit } },
      ...(memory ? { memory: { rss_added: `${comparator(memory[1]!)} ${memory[2]} ${memory[3]}` } } : {}),
    },
    reason: `"${m[0].trim()}"${memory ? ` and "${memory[0].trim()}"` : ''}: timed on this machine's CPU with onnxruntime`,
    todo: 'model: the exported model (the checklist may mean another device: adjust the limit)',
  };
};

const errorRate: Rule = (_item, all) => {
  const m = new RegExp(String.raw`error rate[^\n]{0,20}?${CMP}\s*${NUM}\s*%`, 'i').exec(all);
  // "error rate > 1%" is the failing side: as a threshold it would pass only a failing service.
  if (!m || !isUpper(comparator(m[1]!))) return undefined;
  return {
    kind: 'load',
    params: {
      method: 'GET',
      path: '/health',
      concurrency: 4,
      requests: 500,
      thresholds: [`error_rate ${comparator(m[1]!)} ${m[2]}%`],
    },
    reason: `"${m[0].trim()}": load-tests the service on this machine`,
    todo: 'path: the endpoint whose error rate matters (and the service: section)',
  };
};

const replicas: Rule = (_item, all) => {
  const m =
    /\b(\d+)\+\s*(instances|replicas|pods)\b/i.exec(all) ??
    /\bat least (\d+) (instances|replicas|pods)\b/i.exec(all) ??
    (/\b(multiple|several|more than one) (replicas|instances|pods)\b/i.exec(all)
      ? ['multiple replicas', '2']
      : null);
  if (!m) return undefined;
  return {
    kind: 'kubernetes',
    params: { paths: 'k8s/', min_replicas: Number(m[1]), rules: ['kubernetes/replicas'] },
    reason: `"${m[0]}": replicas (or an autoscaler's minimum) in the manifests`,
    todo: 'paths: your manifests',
  };
};

/**
 * An endpoint path in the words: "/health", "GET /healthz", "http://host:8000/ping" — but not
 * a file path such as `src/health.py`, which names a file, not something a server answers.
 */
const ENDPOINT =
  /(?:^|[\s`'"(]|https?:\/\/[^\s/`'"]+)(\/(?:health|healthz|ping|ready|readyz|livez))(?![\w/-]|\.\w)/i;

const health: Rule = (item, all) => {
  const commands = item.blocks.filter((b) => b.role !== 'expected');
  const curled = commands.map((b) => (/\bcurl\b/.test(b.value) ? ENDPOINT.exec(b.value)?.[1] : undefined));
  const curlsHealth = commands.length > 0 && curled.every(Boolean);
  const named = ENDPOINT.exec(all)?.[1];
  if (!curlsHealth && !named && !/health[- ]check endpoint (returns|responds|answers)/i.test(all))
    return undefined;
  // "Alerts fire when /healthz fails", "/health does not expose version info", "… on all 3
  // replicas in prod": claims about something else than one answer from this service.
  if (
    /\b(alerts?|alerting|monitor\w*|dashboards?|expose[sd]?|version|replicas?|prod(uction)?|fails?|down|logs?|pages?|on-?call|roll(ing|ed)? ?back|rollback|restore[sd]?|failover|recover\w*|after|during|while|upgrade\w*|migrat\w*)\b|\b(does not|doesn'?t|never|not)\b/i.test(
      item.title,
    )
  )
    return undefined;
  if (!curlsHealth && commands.length > 0) return undefined;
  const path = (curlsHealth ? curled[0] : named) ?? '/health';
  // Spring Boot / Actuator style: "/health returns UP" means {"status": "UP"} in the body.
  const up = /\b(returns?|reports?|status|is)\s+["'`]?UP\b/.test(all);
  return {
    kind: 'http',
    params: { path, expect: { status: 200, ...(up ? { body_matches: '\\bUP\\b' } : {}) } },
    reason: `${path} must answer 200${up ? ' with UP in the body' : ''}`,
    todo: 'the service: section (how mlgate starts or reaches the service)',
  };
};

/** SageMaker's inference contract: POST /invocations with a real request. */
const invocations: Rule = (_item, all) => {
  if (!/(?:^|[\s`'"(])\/invocations\b/.test(all)) return undefined;
  return {
    kind: 'http',
    params: {
      method: 'POST',
      path: '/invocations',
      body: { file: 'sample-request.json' },
      expect: { status: 200 },
    },
    reason: 'POST /invocations must answer 200 to a real request',
    todo: 'body: a real request to your model (and the service: section)',
  };
};

/** "Restrict API access with authentication", "Enable API key authentication": a request without credentials is refused. */
const authRequired: Rule = (_item, all) => {
  if (
    !/\b(restrict|require|enable|enforce)s?\b[^\n]{0,40}\b(authenticat\w*|api[- ]key auth\w*|bearer tokens?)\b|\bauthenticat\w* (is )?(required|enforced)\b|\brequires? authentication\b|\bsecured? (the )?(model |api |inference )?endpoints? with (tokens?|oauth|api keys?)/i.test(
      all,
    ) ||
    !/\b(api|endpoints?|requests?|service|access)\b/i.test(all)
  )
    return undefined;
  return {
    kind: 'http',
    params: {
      method: 'POST',
      path: '/predict',
      body: { file: 'sample-request.json' },
      expect: { status: [401, 403] },
    },
    reason: 'a request without credentials must be refused (401 or 403)',
    todo: 'path and body: a protected endpoint and a real request to it (and the service: section)',
  };
};

/** "Validate input image format and size", "Invalid input handled": a malformed request gets a 4xx, not a crash. */
const invalidInput: Rule = (item) => {
  // The title's claim, not a sub-bullet's: "Adversarial robustness — input validation" is not it.
  const title = item.title;
  if (
    !/\b(validate[sd]?|reject(s|ed)?|handle[sd]?)\b[^\n]{0,30}\b(input|request|payload)s?\b|\b(invalid|malformed|bad) (input|request|payload)s? (is |are )?(handled|rejected)|\binput validation\b/i.test(
      title,
    ) ||
    // Injection, adversarial examples, internal callers, content negotiation: a malformed
    // request getting a 4xx proves none of them.
    /\b(xss|sql|injection|rce|remote code|adversarial|internal|accept header|content[- ]type|406|rate[- ]?limit\w*|throttl\w*|429|quota|per (second|minute|hour))\b/i.test(
      title,
    )
  )
    return undefined;
  return {
    kind: 'http',
    params: {
      method: 'POST',
      path: '/predict',
      body: { text: 'this is not a valid request' },
      expect: { status: '4xx', body_not_matches: 'Traceback|Exception|at [\\w.$]+\\(' },
    },
    reason: 'a malformed request must get a 4xx answer without a stack trace',
    todo: 'path: the endpoint that takes input (and the service: section)',
  };
};

/** "Respond with 406 Not Acceptable" to an unsupported Accept header. */
const contentNegotiation: Rule = (item) => {
  if (!/\b406\b|not acceptable/i.test(item.title) || !/\baccept\b/i.test(item.title)) return undefined;
  return {
    kind: 'http',
    params: {
      method: 'GET',
      path: '/predict',
      headers: { Accept: 'application/x-mlgate-unsupported' },
      expect: { status: 406 },
    },
    reason: 'a request accepting only an unsupported format must get 406 Not Acceptable',
    todo: 'path (and method/body): an endpoint that negotiates its format (and the service: section)',
  };
};

/** "Respond with 405 Method Not Allowed" to a wrong method. */
const wrongMethod: Rule = (item) => {
  if (!/\b(respond|reply|answer)s?\s+with\s+(an?\s+)?405\b/i.test(item.title)) return undefined;
  return {
    kind: 'http',
    params: { method: 'DELETE', path: '/predict', expect: { status: 405 } },
    reason: 'a method the endpoint does not take must get 405 Method Not Allowed',
    todo: 'path: an endpoint, and a method it does not take (and the service: section)',
  };
};

const SECURITY_HEADERS = [
  'X-Content-Type-Options',
  'X-Frame-Options',
  'Content-Security-Policy',
  'Strict-Transport-Security',
  'Referrer-Policy',
  'Permissions-Policy',
];

/** "Send X-Frame-Options: deny header": the header, with its value when the words give one. */
const securityHeader: Rule = (item) => {
  const name = SECURITY_HEADERS.find((header) => new RegExp(`\\b${header}\\b`, 'i').test(item.title));
  if (!name || !/\b(send|set|add|return|include|use)s?\b/i.test(item.title)) return undefined;
  const value = new RegExp(`${name}\\s*:\\s*(.+?)\\s*(?:header\\b|[.;]?$)`, 'i')
    .exec(item.title)?.[1]
    ?.replace(/^["'`]|["'`]$/g, '');
  const escaped = value?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    kind: 'http',
    params: {
      path: '/health',
      expect: { headers: { [name]: escaped ? `^(?:${escaped}|${escaped.toUpperCase()})$` : '.+' } },
    },
    reason: `every answer must carry ${name}${value ? `: ${value}` : ''}`,
    todo: 'path: an endpoint of the service (and the service: section)',
  };
};

/** "Remove fingerprinting headers - X-Powered-By, Server": the named headers must not be sent. */
const fingerprintHeaders: Rule = (item) => {
  if (
    !/\b(remove|hide|strip|no|don'?t send|do not send)\b[^\n]{0,30}\b(fingerprint\w*|version|server) headers?\b/i.test(
      item.title,
    )
  )
    return undefined;
  const named = [
    ...item.title.matchAll(
      /\b(X-Powered-By|Server|X-AspNet-Version|X-AspNetMvc-Version|X-Runtime|X-Version)\b/gi,
    ),
  ].map((m) => m[1]!.toLowerCase());
  const headers = named.length > 0 ? [...new Set(named)] : ['x-powered-by'];
  return {
    kind: 'http',
    params: { path: '/health', expect: { headers_absent: headers } },
    reason: `answers must not carry ${headers.join(', ')}`,
    todo: 'path: an endpoint of the service (and the service: section)',
  };
};

/** "Health check passing": the health endpoint answers 200. */
const healthPassing: Rule = (item) => {
  if (
    !/^health ?checks? (is |are )?(passing|passes|green|ok|returns? 200|working)\s*[.!]?$/i.test(item.title)
  )
    return undefined;
  return {
    kind: 'http',
    params: { path: '/health', expect: { status: 200 } },
    reason: 'the health endpoint must answer 200',
    todo: 'path: your health endpoint (and the service: section)',
  };
};

/** "Comprehensive tests passing", "All unit tests pass": the test report, every case counted. */
const testsPassing: Rule = (item) => {
  if (
    !/^(all |the |unit |integration |end-to-end |e2e )*tests? (are |is )?(passing|pass(es)?|green)\b/i.test(
      item.title,
    )
  )
    return undefined;
  return {
    kind: 'test-results',
    params: { path: 'test-results.xml', max_skipped: 0 },
    reason: 'every test case in the JUnit report passed (counted, not the summary), none skipped',
    todo: 'path: your JUnit report (pytest --junitxml=test-results.xml)',
  };
};

/** "Model card created": a Markdown model card with the sections the bullets name. */
const modelCard: Rule = (item) => {
  if (!/^model card (is )?(created|written|complete|exists|available|published)\b/i.test(item.title))
    return undefined;
  const named = item.description
    .map(
      (line) =>
        /^(.{3,40}?)\s+(described|documented|listed|specified|stated|included)$/i.exec(line.trim())?.[1],
    )
    .filter((heading): heading is string => heading !== undefined);
  const headings = named.length > 0 ? named : ['Intended use', 'Training data', 'Evaluation', 'Limitations'];
  return {
    kind: 'docs',
    params: { path: 'MODEL_CARD.md', headings, non_empty: true },
    reason: `the model card has ${named.length > 0 ? 'the sections the checklist names' : 'the usual sections'}, each with content`,
    todo: `path: your model card${named.length > 0 ? '' : '; headings: the sections yours must have'}`,
  };
};

/** "Inference API tested with sample inputs": mlgate sends the sample and wants a 2xx. */
const inferenceTested: Rule = (_item, all) => {
  if (
    !/\b(inference|prediction|predict) (api|endpoint)s? (is |are )?(tested|works?|answers?)\b|^model returns (results|predictions)\b/i.test(
      all,
    )
  )
    return undefined;
  return {
    kind: 'http',
    params: {
      method: 'POST',
      path: '/predict',
      body: { file: 'sample-request.json' },
      expect: { status: '2xx' },
    },
    reason: 'the sample request must get a 2xx answer',
    todo: 'path and body: your inference endpoint and a real sample (and the service: section)',
  };
};

/** "Set strong JWT_SECRET (min 32 characters)": the secret as deployed is set, not a placeholder, long enough. */
const secretStrength: Rule = (_item, all) => {
  const m =
    /\b(?:[Ss]trong|[Ss]et|[Cc]hange(?: the)? default)\s+([A-Z][A-Z0-9_]*(?:SECRET|TOKEN|KEY|PASSWORD)[A-Z0-9_]*)\b/.exec(
      all,
    );
  if (!m) return undefined;
  const min = /\b(?:min(?:imum)?|at least)\s*(\d+)\s*(?:chars?|characters)\b/i.exec(all);
  return {
    kind: 'env-file',
    params: {
      example: '.env.example',
      scan: '.',
      environment: 'process',
      ...(min ? { secret_min_length: Number(min[1]) } : {}),
    },
    reason: `${m[1]} and every secret-like variable must be set where mlgate runs, not a placeholder or the example's value${min ? `, at least ${min[1]} characters` : ''}`,
    todo: 'environment: "process" (CI secrets) or the env file deployed, e.g. .env.production',
  };
};

const gracefulShutdown: Rule = (_item, all) => {
  if (
    !/graceful(ly)?[- ]shut ?down|shuts? down gracefully|handles? SIGTERM|drains? in-flight requests/i.test(
      all,
    )
  )
    return undefined;
  const within = new RegExp(String.raw`(?:within|in|under|<)\s*${NUM}\s*(s|sec|seconds)\b`, 'i').exec(all);
  return {
    kind: 'service-shutdown',
    params: { within: within ? `${within[1]}s` : '10s' },
    reason: `the service is sent SIGTERM and must exit cleanly within ${within ? `${within[1]} s` : '10 s'}`,
    todo: 'the service: section with start: (mlgate stops only a service it started)',
  };
};

const modelSize: Rule = (item, all) => {
  const m = new RegExp(
    String.raw`(?:model|artifact|weights|checkpoint)[^\n]{0,30}?(?:size\s*)?${CMP}\s*${NUM}\s*(KB|MB|GB|KiB|MiB|GiB)\b`,
    'i',
  ).exec(all);
  if (!m || !/^(<|<=)$/.test(comparator(m[1]!))) return undefined;
  const path = item.code.map((c) => c.trim()).find((c) => PATH_TOKEN.test(c) && !c.endsWith('/'));
  return {
    kind: 'file',
    params: { path: path ?? 'model.onnx', max_size: `${m[2]} ${m[3]}` },
    reason: `"${m[0].trim()}": the file's size on disk`,
    ...(path ? {} : { todo: 'path: the model file' }),
  };
};

/** The item's words with its section headings: "Docker Compose > Health checks configured". */
const withSections = (item: ChecklistItem, all: string) =>
  `${item.document ?? ''} > ${item.sectionPath.join(' > ')} \n ${all}`;

const K8S_CONTEXT = /\b(kubernetes|k8s|pods?|manifests?|helm|kubectl)\b/i;
const COMPOSE_CONTEXT = /docker[- ]compose|\bcompose (file|service|stack)s?\b/i;

/** Words that name one Kubernetes rule. `alone`: the words are Kubernetes' own; else the context must say so. */
const K8S_WORDS: Array<{ words: RegExp; rule: string; alone: boolean }> = [
  { words: /\bHPA\b|horizontal ?pod ?autoscal/i, rule: 'kubernetes/hpa', alone: true },
  // Not "Vertical Pod Autoscaler" or the cluster autoscaler: an HPA does not show those.
  { words: /(?<!vertical pod |cluster )\bautoscal(ing|er)\b/i, rule: 'kubernetes/hpa', alone: false },
  { words: /pod ?disruption ?budget|\bPDBs?\b/i, rule: 'kubernetes/pdb', alone: true },
  { words: /\bnetwork ?polic(y|ies)\b/i, rule: 'kubernetes/network-policy', alone: true },
  { words: /readOnlyRootFilesystem/, rule: 'kubernetes/read-only-root-fs', alone: true },
  { words: /read-?only root (file ?system|fs)/i, rule: 'kubernetes/read-only-root-fs', alone: false },
  { words: /runAsNonRoot/, rule: 'kubernetes/run-as-non-root', alone: true },
  {
    words: /\b(pods?|containers?) (run|running) as non-?root\b/i,
    rule: 'kubernetes/run-as-non-root',
    alone: false,
  },
  {
    words: /\bdrop(ped)? (all )?(linux )?capabilities|capabilities (are )?dropped/i,
    rule: 'kubernetes/drop-capabilities',
    alone: false,
  },
  {
    words: /allowPrivilegeEscalation|privilege escalation/i,
    rule: 'kubernetes/no-privilege-escalation',
    alone: false,
  },
  {
    words:
      /\b(no|disable[sd]?|disallow(ed)?|forbid(den)?|avoid)\b[^\n]{0,20}\bprivileged (containers?|pods?|mode)\b/i,
    rule: 'kubernetes/privileged',
    alone: false,
  },
  {
    words:
      /\b(shared|same|identical|different|distinct|separate)\b[^\n]{0,30}\b(liveness|readiness)\b|\b(liveness|readiness)\b[^\n]{0,40}\b(differ|distinct|separate|not (the )?same|identical)/i,
    rule: 'kubernetes/probes-identical',
    alone: true,
  },
  {
    words: /\b(resource (requests|limits)|requests and limits|(cpu|memory) (requests|limits))\b/i,
    rule: 'kubernetes/resources',
    alone: false,
  },
];

const PROBE_RULES = {
  liveness: 'kubernetes/liveness-probe',
  readiness: 'kubernetes/readiness-probe',
  startup: 'kubernetes/startup-probe',
};

const kubernetes: Rule = (item, all) => {
  const context = withSections(item, all);
  const inKubernetes = K8S_CONTEXT.test(context) && !COMPOSE_CONTEXT.test(context);
  // "Avoid Vertical Pod Autoscaler", "Don't use hostPath": a prohibition of a different thing.
  if (
    /^\s*(avoid|don'?t|do not|never)\b/i.test(item.title) &&
    !/privileged|root|escalation|capabilit/i.test(item.title)
  )
    return undefined;
  const named = K8S_WORDS.filter(({ words, alone }) => words.test(all) && (alone || inKubernetes)).map(
    ({ rule }) => rule,
  );
  const probeWords =
    /\b(liveness|readiness|startup)\b[^\n]*probe|probes? (are )?configured|kubernetes manifests?/i.test(all);
  if (named.length === 0 && !probeWords) return undefined;
  // The probe types the words name are required, each of them: "Startup probes configured" must
  // not pass on manifests that only have liveness and readiness probes.
  const probes = probeWords
    ? (['liveness', 'readiness', 'startup'] as const).filter((type) =>
        new RegExp(`\\b${type}\\b`, 'i').test(all),
      )
    : [];
  const rules = [...new Set([...named, ...probes.map((type) => PROBE_RULES[type])])].sort();
  // "Kubernetes manifests reviewed", "Probes configured": the whole rule set.
  const whole = rules.length === 0;
  return {
    kind: 'kubernetes',
    params: {
      paths: 'k8s/',
      ...(probes.length > 0 ? { require_probes: [...probes] } : {}),
      ...(whole ? {} : { rules }),
    },
    reason: whole
      ? 'probes, resources and security of the manifests'
      : `only ${rules.join(', ')} in the manifests`,
    todo: 'paths: your manifests',
  };
};

const COMPOSE_WORDS: Array<[RegExp, string]> = [
  [/health ?checks?/i, 'compose/healthcheck'],
  [/restart polic(y|ies)|restart: /i, 'compose/restart-policy'],
  [/\b(resource )?limits?\b|mem_limit|\bcpus\b/i, 'compose/resource-limits'],
];

const compose: Rule = (item, all) => {
  // "Health checks configured" under a "Docker Compose" heading is about the compose file.
  if (!COMPOSE_CONTEXT.test(withSections(item, all))) return undefined;
  const rules = COMPOSE_WORDS.filter(([words]) => words.test(all)).map(([, rule]) => rule);
  if (rules.length === 0 && !/configur|production|review/i.test(all)) return undefined;
  return {
    kind: 'compose',
    params: { path: 'compose.yaml', ...(rules.length > 0 ? { rules } : {}) },
    reason:
      rules.length > 0
        ? `only ${rules.join(', ')} in the compose file`
        : 'health check, restart policy and limits in the compose file',
    todo: 'path: your compose file',
  };
};

const DOCKERFILE_WORDS: Array<[RegExp, string[]]> = [
  [/\.dockerignore\b/i, ['dockerfile/dockerignore']],
  [/\bnon-?root user\b/i, ['dockerfile/non-root-user']],
  [/multi-?stage/i, ['dockerfile/multi-stage']],
  [/\bHEALTHCHECK\b|health ?check (instruction )?in (the )?dockerfile/, ['dockerfile/healthcheck']],
  [
    /base image[^\n]{0,20}\b(pinned|tagged|digest)|pinned base image/i,
    ['dockerfile/base-image-tag', 'dockerfile/base-image-latest', 'dockerfile/base-image-digest'],
  ],
];

const dockerfile: Rule = (_item, all) => {
  const named = DOCKERFILE_WORDS.filter(([words]) => words.test(all)).flatMap(([, rules]) => rules);
  if (named.length === 0 && !/\bdockerfile\b/i.test(all)) return undefined;
  // "Non-root user" under a Kubernetes heading is the pods' securityContext (mapped above).
  return {
    kind: 'dockerfile',
    params: { path: 'Dockerfile', ...(named.length > 0 ? { rules: named } : {}) },
    reason:
      named.length > 0
        ? `only ${named.join(', ')} in the Dockerfile`
        : 'the Dockerfile, read statically (base image, user, health check, layers)',
  };
};

const secrets: Rule = (_item, all) => {
  if (
    !/no (hard-?coded )?(secrets|credentials|passwords|api keys)|hard-?coded (secrets|credentials|passwords)|secrets? (are )?(not )?(in|committed to) (the )?(code|configs?|repo|repository|source)|leaked (secrets|credentials)|credentials? (are )?not (in|hard-?coded)|commit(ted)? (any )?(secrets|credentials) to|(secrets|credentials) (in|to) version control/i.test(
      all,
    )
  )
    return undefined;
  return { kind: 'secrets', params: { path: '.' }, reason: 'scans the project for secrets' };
};

const envDocumented: Rule = (_item, all) => {
  if (!/environment variables? (are |is )?documented/i.test(all)) return undefined;
  return {
    kind: 'env-file',
    params: { example: '.env.example', scan: '.' },
    reason: 'every variable the code reads is in .env.example',
  };
};

const pinned: Rule = (_item, all) => {
  if (!/(exact|pinned) versions|pin(ned)? (all )?dependencies|lock ?file/i.test(all)) return undefined;
  return { kind: 'dependencies', params: { path: '.' }, reason: 'dependency files pin exact versions' };
};

const TEST_RUNNER =
  /^(python3? -m (pytest|mypy|ruff|flake8|pylint|black --check)|pytest|npm (run )?(test|lint|typecheck|check)|yarn (test|lint)|pnpm (test|lint)|make (test|lint|check|typecheck)|go (test|vet)|cargo (test|clippy)|tox|nox|ruff( check)?|flake8|mypy|pylint|black --check|eslint|golangci-lint run)\b/;

const testCommand: Rule = (item) => {
  const command = item.code.find((c) => TEST_RUNNER.test(c.trim()));
  if (!command) return undefined;
  return {
    kind: 'command',
    params: { run: command.trim() },
    reason: `runs \`${command.trim()}\`; the exit code decides`,
  };
};

const SHELL = new Set(['', 'bash', 'sh', 'shell', 'console', 'zsh']);

const verificationBlock: Rule = (item) => {
  const block = item.blocks.find(
    (b) => (b.role === 'verification' || b.role === 'in-item') && SHELL.has(b.lang),
  );
  if (!block) return undefined;
  const script = block.value
    .split('\n')
    .map((l) => l.replace(/^\s*\$ /, ''))
    .join('\n')
    .trim();
  const lines = script.split('\n').map((l) => l.trim());
  const commands = lines.filter((l) => l !== '' && !l.startsWith('#'));
  if (commands.length === 0) return undefined;
  // `curl URL` exits 0 on a 404 or a 500: the exit code proves nothing. A block of plain curls
  // is a sign-off when it asks a person to look ("# Verify the metrics are correct").
  if (commands.every((l) => /^curl\b/.test(l) && !/\s(-f|--fail)\b/.test(l))) return undefined;
  // "# Expected output:" followed by "# Overall Accuracy: 78.43%": the output must show it.
  const expected: string[] = [];
  const at = lines.findIndex((l) => /^#\s*expected( output)?\s*:?\s*$/i.test(l));
  if (at >= 0)
    for (const line of lines.slice(at + 1)) {
      const m = /^#\s*(\S.*?)\s*$/.exec(line);
      if (!m) break;
      if (/\.\.\.|…/.test(m[1]!)) continue; // "..." is an elision, not output
      expected.push(m[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    }
  return {
    kind: 'command',
    params: { run: `${script}\n`, ...(expected.length > 0 ? { stdout_matches: expected } : {}) },
    reason: `the checklist's verification commands (line ${block.line}); any failing command fails the item${expected.length > 0 ? ', and the output must show what the checklist expects' : ''}`,
  };
};

/** A file or folder path: `model/model.onnx`, `src/`, `Dockerfile`-like names with an extension. */
const PATH_TOKEN = /^(?:[\w.-]+\/)*[\w-][\w.-]*\.[A-Za-z0-9]{1,12}$|^(?:[\w.-]+\/)+$/;

/**
 * What a file in the tree cannot show: how it is stored or shipped elsewhere, who looked at it,
 * whether it is in the image. "Backups saved to S3 daily" is not "the file exists".
 */
const NOT_A_FILE_CLAIM =
  /\b(encrypt\w*|s3|gcs|blob|remote|daily|weekly|hourly|nightly|signed|scanned|reviewed|tested|audited|up[- ]to[- ]date|rotated|replicated|cloud|off-?site|in the (docker )?image|in the container|in prod(uction)?|registry)\b/i;

const fileExists: Rule = (item, all) => {
  if (!/\b(exists?|saved|available|created|save|stored|included|present|committed|in place)\b/i.test(all))
    return undefined;
  if (NOT_A_FILE_CLAIM.test(item.title)) return undefined;
  const path = item.code.map((c) => c.trim()).find((c) => PATH_TOKEN.test(c) && !c.startsWith('/'));
  if (!path) return undefined;
  // "No `debug.log` present", "`.env` not committed": the file must NOT be there.
  if (
    /^\s*no\b|\bnot (present|committed|included|there|stored|saved)\b|\b(absent|removed|deleted)\b/i.test(
      item.title,
    )
  )
    return { kind: 'file', params: { path, exists: false }, reason: `\`${path}\` must not exist` };
  return { kind: 'file', params: { path }, reason: `\`${path}\` must exist` };
};

/** "Organize training data in data/train/": a folder named in the words holds something. */
const folderInWords: Rule = (item) => {
  const m = /\b(?:in|into|under|to)\s+((?:[\w.-]+\/)+)(?=[\s.,;)]|$)/.exec(item.title);
  if (!m || !/\b(organi[sz]e|put|place|store|keep|save|copy)\b/i.test(item.title)) return undefined;
  return {
    kind: 'file',
    params: { path: m[1] },
    reason: `\`${m[1]}\` must exist and hold at least one entry`,
  };
};

/** Most specific first: a threshold in the words beats a command that prints something. */
const RULES: Rule[] = [
  coverage,
  exportParity,
  valTestGap,
  // An item about alerts, drift or fairness is about that, whatever metric or latency it names.
  alerting,
  fairness,
  drift,
  metricThreshold,
  latency,
  errorRate,
  replicas,
  modelSize,
  // A named file that must exist is a file check, even when its name says "health".
  fileExists,
  folderInWords,
  health,
  invocations,
  authRequired,
  contentNegotiation,
  wrongMethod,
  securityHeader,
  fingerprintHeaders,
  invalidInput,
  inferenceTested,
  healthPassing,
  modelCard,
  gracefulShutdown,
  secretStrength,
  kubernetes,
  compose,
  dockerfile,
  secrets,
  envDocumented,
  pinned,
  testCommand,
  verificationBlock,
  // "Unit tests pass" without a command to run: the JUnit report.
  testsPassing,
];

export function mapItem(item: ChecklistItem): Mapping | ManualMapping {
  const all = text(item);
  const signer = approvalRole(item.title);
  if (signer !== undefined) {
    const role = roleId(signer);
    return {
      kind: 'manual',
      roles: role ? [role] : [],
      reason: `a sign-off by the ${signer.toLowerCase()}`,
    };
  }
  // "Error rate < 0.1% in production over 7 days": observed in production, not measurable here.
  if (
    /\bover (the )?(last |past )?\d+ (days?|weeks?|months?|hours?)\b|\bfor \d+ (days?|weeks?|months?)\b|\bin prod(uction)? (over|for|during)\b/i.test(
      all,
    )
  )
    return { kind: 'manual', roles: [], reason: 'observed in production over time: a person signs it off' };
  // "Consider disabling CPU limits", "CPU requests ≤ 1 for most workloads": advice and judgement.
  if (
    /^\s*(consider|prefer|try to|think about)\b|\bfor most\b|\bwhere (possible|appropriate|practical)\b/i.test(
      item.title,
    )
  )
    return { kind: 'manual', roles: [], reason: 'advice: a person judges it' };
  for (const rule of RULES) {
    const mapping = rule(item, all);
    if (mapping) return mapping;
  }
  return { kind: 'manual', roles: [], reason: 'a person signs it off' };
}

/**
 * Who signs, in the ways checklists say it: "Technical Lead approves", "Security sign-off",
 * "Product Owner approval obtained", "Approved by: the Tech Lead", "Sign-off: QA".
 */
function approvalRole(title: string): string | undefined {
  const forms = [
    /^(.{2,40}?)\s+(?:approves?|sign(?:s|ed)?[- ]?off)\b/i,
    /^(.{2,40}?)\s+(?:approval|sign[- ]?off)(?:\s+(?:obtained|received|granted|given|done|completed))?\s*[.!]?$/i,
    /^approved by\s*:?\s*(.{2,40}?)\s*[.!]?$/i,
    /^sign[- ]?off\s*(?:by)?\s*[:\u2013\u2014-]\s*(.{2,40}?)\s*[.!]?$/i,
  ];
  for (const form of forms) {
    const match = form.exec(title.trim());
    if (match) return match[1]!.replace(/^\s*(the|a|an)\s+/i, '');
  }
  return undefined;
}

export function roleId(words: string): string | undefined {
  const id = slugify(words.replace(/^\s*(the|a|an)\s+/i, ''));
  return id === 'item' ? undefined : id;
}
