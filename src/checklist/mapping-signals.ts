/**
 * Production signals in a checklist's words: alert rules ("Alert rules configured", "alert if
 * p95 > 50 ms"), data drift ("Analyze model drift", "PSI < 0.2") and fairness across groups
 * ("Model bias evaluated", "demographic parity ≥ 0.8", "the four-fifths rule"). An item maps
 * only when its title is about the signal. The numbers come from the words; where the words
 * name none, the usual bound is written and marked TODO, like the paths and the sensitive
 * column the checklist cannot know. What the words ask and the kind cannot check is named in
 * the TODO, so the spec never claims more than it checks.
 */
import type { Mapping } from './mapping.js';
import type { ChecklistItem } from './parse.js';
import { CMP, comparator, isUpper, NUM, opposite } from './words.js';

type Rule = (item: ChecklistItem, all: string) => Mapping | undefined;

/** Paths the words name in code (`monitoring/alerts.yml`), by what they must look like. */
function namedPaths(item: ChecklistItem, pattern: RegExp): string[] {
  return item.code.map((c) => c.trim()).filter((c) => pattern.test(c) && !c.startsWith('/') && !/\s/.test(c));
}
const RULE_FILE = /\.(ya?ml|json)$|\/$/i;
const TABLE_FILE = /\.(csv|tsv|jsonl|parquet|npy)$/i;

/** "exceeds 50 ms" is how alert conditions are written; a comparison all the same. */
const ALERT_CMP = String.raw`(?:${CMP}|exceed(?:s|ing)?|goes above|is above|is over)`;

/** The clauses of the words, for quoting the part a requirement came from. */
function clauses(all: string): string[] {
  return all
    .split(/[,;()\n]|\s+[-–—]\s+/)
    .map((c) => c.trim())
    .filter(Boolean);
}

/** "Drift checks not applicable to this model": no requirement at all. */
const NOT_ASKED = /\bnot (required|needed|applicable)\b|\bn\/a\b|\bskip(ped|s)?\b|\bout of scope\b/i;

/**
 * A number beside the statistic's name that the rule did not read ("PSI within 0.1"): the
 * usual bound in its place could be looser than the words, so a person reads it instead.
 */
function unreadNumbers(all: string, names: RegExp, read: number): boolean {
  const near = new RegExp(String.raw`(?:${names.source})[^\n\d]{0,30}\d`, 'gi');
  return [...all.matchAll(near)].length > read;
}

function quote(all: string, pattern: RegExp): string {
  return clauses(all).find((c) => pattern.test(c)) ?? all.split('\n')[0]!.trim();
}

// ---------------------------------------------------------------------------------------------
// Alerts

const ALERT_TITLE = /\balert(s|ing|ed)?\b|\balertmanager\b|\bprometheus ?rules?\b/i;

/**
 * What an alert rule file cannot show: that an alert was seen firing, who is paged and through
 * which channel, what a person reviewed or wrote down.
 */
const ALERT_PROCESS =
  /\b(fires?|firing|triggers?|triggered|tested|testing|sms|slack|e-?mails?|telegram|pager ?duty|opsgenie|on-?call|escalation|budgets?|costs?|billing|document\w*|reviewed|agreed|discussed|approved|wiki)\b/i;

const LATENCY_WORDS = /\b(p\d{2}(\.\d+)?|\d{2}(th)? percentile|latency|latencies|response times?|slow)\b/i;
const LATENCY_LIMIT = new RegExp(
  String.raw`(?:\bp\d{2}(?:\.\d+)?\b|\bpercentile\b|\blatency\b|\bresponse time\b)[^\n,;]{0,30}?${ALERT_CMP}\s*${NUM}\s*(ms|milliseconds?|s|secs?|seconds?)\b`,
  'i',
);
const ERROR_WORDS = /\berrors?\b|\berror rates?\b|\b5xx\b|\bfail(ed|ing|ures?)\b/i;
const ERROR_LIMIT = new RegExp(
  String.raw`(?:\berror rate\b|\berrors?\b|\b5xx\b|\bfail(?:ed|ures?)\b)[^\n,;]{0,25}?${ALERT_CMP}\s*${NUM}\s*(%)?`,
  'i',
);
const AVAILABILITY_WORDS =
  /\b(down|downtime|outages?|unavailab\w*|availability|uptime|unreachable|not (responding|reachable)|up\s*==\s*0)\b/i;

/** Alerts on things the alerts kind does not judge: named in the TODO, never passed silently. */
const ALERT_OTHER: RegExp[] = [
  /\b(accuracy|f1|auc|precision|recall|model (quality|performance)|performance degrad\w*|degradation)\b/i,
  /\bdrift\b|\bdistribution shift\b|\bPSI\b/i,
  /\b(cpu|gpu|memory|disk|resource usage|resources|saturation)\b/i,
  /\b(throughput|images?\/s(ec)?|rps|qps|requests per second)\b/i,
  /\bconfidence\b/i,
  /\b(unusual|anomal\w*|suspicious|abuse)\b/i,
  /\b(queue|backlog)\b/i,
  /\b(certificates?|ssl|tls)\b/i,
];

export const alerting: Rule = (item, all) => {
  if (!ALERT_TITLE.test(item.title) || ALERT_PROCESS.test(item.title) || NOT_ASKED.test(item.title))
    return undefined;
  const require: Record<string, unknown> = {};
  const quoted: string[] = [];
  const unchecked: string[] = [];
  const guesses: string[] = [];

  const latency = LATENCY_LIMIT.exec(all);
  if (latency) {
    const percentile = /\bp(\d{2}(?:\.\d+)?)\b|\b(\d{2}(?:\.\d+)?)(?:th)? percentile\b/i.exec(latency[0]);
    const unit = /^m/i.test(latency[3]!) ? 'ms' : 's';
    require.latency = {
      quantile: `p${percentile?.[1] ?? percentile?.[2] ?? '95'}`,
      max: `${latency[2]}${unit}`,
    };
    quoted.push(latency[0].trim());
    if (!percentile)
      guesses.push(
        'require.latency.quantile: the words name none, p95 is a guess (an alert at a higher one counts)',
      );
  } else if (LATENCY_WORDS.test(all))
    unchecked.push('a latency alert (the words give no threshold: add require.latency {quantile, max})');

  if (ERROR_WORDS.test(all)) {
    const limit = ERROR_LIMIT.exec(all);
    // "error rate > 5" is 5% or 500%: a person reads it rather than a looser bound passing.
    if (limit && !limit[3] && Number(limit[2]) > 1) return undefined;
    require.error_rate = limit ? { max: limit[3] ? `${limit[2]}%` : Number(limit[2]) } : true;
    quoted.push(limit ? limit[0].trim() : quote(all, ERROR_WORDS));
  }
  if (AVAILABILITY_WORDS.test(all)) {
    require.availability = true;
    quoted.push(quote(all, AVAILABILITY_WORDS));
  }
  // The bullets under the title: "On-call rotation defined" is a person's job, said aloud.
  const bullets = item.description.join('\n');
  for (const clause of clauses(all))
    if (
      (ALERT_OTHER.some((pattern) => pattern.test(clause)) ||
        (bullets.includes(clause) && ALERT_PROCESS.test(clause))) &&
      !unchecked.includes(`"${clause}"`)
    )
      unchecked.push(`"${clause}"`);

  const required = Object.keys(require);
  // Alerts on nothing this kind judges ("Alert on unusual usage patterns"): a person signs it.
  if (required.length === 0 && unchecked.length > 0) return undefined;
  const named = namedPaths(item, RULE_FILE);
  const todo = [
    `${named.length > 0 ? '' : 'paths: your Prometheus rule files or PrometheusRule manifests; '}the service: section (every metric an alert uses must be in its /metrics; or metrics: {file: a saved exposition})`,
    ...guesses,
    ...(unchecked.length > 0
      ? [`not checked by the alerts kind, sign it off apart: ${unchecked.join('; ')}`]
      : []),
  ].join('; ');
  return {
    kind: 'alerts',
    params: {
      paths: named.length === 0 ? 'monitoring/' : named.length === 1 ? named[0] : named,
      ...(required.length > 0 ? { require } : {}),
    },
    reason:
      required.length > 0
        ? `${quoted.map((q) => `"${q}"`).join(', ')}: an alert on ${required.join(', ').replace('_', ' ')} must exist in the rule files, with for:, severity and runbook, on metrics the service exports`
        : 'every alerting rule must parse, wait (for:), carry severity and runbook, and watch metrics the service exports',
    todo,
  };
};

// ---------------------------------------------------------------------------------------------
// Drift

const DRIFT_TITLE =
  /\bdrift(s|ed|ing)?\b|\bdistribution (shift|change)s?\b|\bpopulation stability\b|\bPSI\b|\btraining[- ]serving skew\b/i;
/**
 * Not the distance between two tables: concept drift needs labels, accuracy tracking needs
 * ground truth, infrastructure drift is about servers; plans and alerts are about people and
 * rules.
 */
const DRIFT_NOT =
  /\bconcept drift\b|\b(config(uration)?|clock|schema|infrastructure|infra|terraform|state|version|dependency|environment) drift\b|\b(accuracy|performance|f1|auc|error rate|latency|ground truth)\b|\bretrain\w*|\bdocument\w*|\balert\w*|\bdashboards?\b|\b(plan|strategy|process|procedure|policy|tool|pipeline)\b/i;

/** Statistics in the drift kind's names: distances bounded from above, p-values from below. */
const DRIFT_STATS: Array<{ metric: string; words: RegExp; limit: RegExp; upper: boolean; usual: string }> = [
  {
    metric: 'psi',
    words: /\bPSI\b|\bpopulation stability\b/i,
    limit: new RegExp(
      String.raw`(?:\bPSI\b|\bpopulation stability index\b)[^\n\d]{0,20}?${CMP}\s*${NUM}`,
      'i',
    ),
    upper: true,
    usual: '< 0.2',
  },
  {
    metric: 'ks_statistic',
    words: /$^/,
    limit: new RegExp(
      String.raw`(?:\bKS\b|\bK-S\b|\bKolmogorov[- ]Smirnov\b)(?: test)?\s*(?:statistic|stat|distance|D)\s*${CMP}\s*${NUM}`,
      'i',
    ),
    upper: true,
    usual: '',
  },
  {
    metric: 'ks_pvalue',
    words: /\bKS\b|\bK-S\b|\bKolmogorov[- ]Smirnov\b/i,
    limit: new RegExp(
      String.raw`(?:\bKS\b|\bK-S\b|\bKolmogorov[- ]Smirnov\b)[^\n\d]{0,25}?\bp(?:[- ]?value)?\s*${CMP}\s*${NUM}`,
      'i',
    ),
    upper: false,
    usual: '> 0.05',
  },
  {
    metric: 'chi2_pvalue',
    words: /\bchi[- ]?(square[d]?|2|²)(?!\w)/i,
    limit: new RegExp(
      String.raw`\bchi[- ]?(?:square[d]?|2|²)(?!\w)[^\n\d]{0,25}?\bp(?:[- ]?value)?\s*${CMP}\s*${NUM}`,
      'i',
    ),
    upper: false,
    usual: '> 0.05',
  },
];

const DRIFT_STAT_NAMES =
  /\bPSI\b|\bpopulation stability index\b|\bKS\b|\bK-S\b|\bKolmogorov[- ]Smirnov\b|\bchi[- ]?(?:square[d]?|2|²)(?!\w)/;

const SHARE_OF_FEATURES = new RegExp(
  String.raw`(at most|no more than|fewer than|less than|under|<=|≤|<)\s*${NUM}\s*%\s*(?:of\s+)?(?:the\s+)?(?:features|columns|inputs|variables)`,
  'i',
);

export const drift: Rule = (item, all) => {
  if (!DRIFT_TITLE.test(item.title) || DRIFT_NOT.test(item.title) || NOT_ASKED.test(item.title))
    return undefined;
  const thresholds: Record<string, string> = {};
  const usual: string[] = [];
  let read = 0;
  for (const stat of DRIFT_STATS) {
    const m = stat.limit.exec(all);
    if (m) {
      read++;
      // "alert if PSI > 0.2", "p < 0.05 means drift": the words give the drifted side.
      const op = comparator(m[1]!);
      thresholds[stat.metric] = `${isUpper(op) === stat.upper ? op : opposite(op)} ${m[2]}`;
    } else if (
      stat.words.test(all) &&
      stat.usual &&
      !(stat.metric === 'ks_pvalue' && thresholds.ks_statistic)
    ) {
      thresholds[stat.metric] = stat.usual;
      usual.push(`${stat.metric} ${stat.usual}`);
    }
  }
  if (unreadNumbers(all, DRIFT_STAT_NAMES, read)) return undefined;
  if (Object.keys(thresholds).length === 0) {
    thresholds.psi = '< 0.2';
    usual.push('psi < 0.2');
  }
  const share = SHARE_OF_FEATURES.exec(all);
  const op = share
    ? comparator(share[1]!.replace(/no more than/i, 'at most').replace(/fewer than/i, 'less than'))
    : '';
  const monitored = /\b(monitor\w*|track\w*|watch\w*|detected)\b/i.test(item.title);
  // "Alerts on significant drift", "Retraining triggered": beside the distance, not shown by it.
  const unchecked = clauses(item.description.join('\n')).filter((clause) => DRIFT_NOT.test(clause));
  // "`data/train.parquet` against `data/serving.csv`": the reference first, as the words go.
  const tables = namedPaths(item, TABLE_FILE);
  const named = tables.length === 2;
  return {
    kind: 'drift',
    params: {
      reference: named ? tables[0] : 'data/train_features.csv',
      current: named ? tables[1] : 'data/serving_sample.csv',
      thresholds,
      ...(share ? { drifted_share: `${op} ${Number(share[2]) / 100}` } : {}),
    },
    reason: `"${item.title}": the current data against the reference, feature by feature (${Object.entries(
      thresholds,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )})${monitored ? ', at every gate run on the tables given (monitoring in production is not shown)' : ''}`,
    todo:
      [
        ...(named
          ? []
          : [
              'reference and current: your training (or validation) features and a recent serving sample (CSV, Parquet or .npy)',
            ]),
        ...(usual.length > 0
          ? [`thresholds: the words give no number, ${usual.join(' and ')} is the usual bound`]
          : []),
        ...(unchecked.length > 0
          ? [`not checked by the drift kind, sign it off apart: ${unchecked.map((c) => `"${c}"`).join('; ')}`]
          : []),
      ].join('; ') || undefined,
  };
};

// ---------------------------------------------------------------------------------------------
// Fairness

const FAIRNESS_WORDS =
  /\bfairness\b|\b(demographic|statistical) parity\b|\bdisparate impact\b|\bequali[sz]ed odds\b|\bequal(ity of)? opportunity\b|\bfour[- ]fifths\b|\b4\/5(ths)? rule\b|\b80 ?% rule\b/i;
const BIAS_WORDS =
  /\b(model|algorithmic|prediction|unfair|demographic)\s+bias\b|\bbias\s+(is\s+|was\s+)?(evaluat|assess|test|check|analy[sz]|measur|audit|across|between|against)\w*|\b(evaluat|assess|test|check|analy[sz]|measur|audit)\w*\s+(\w+\s+){0,2}for\s+bias\b/i;
/** About a document, the data, a process or a person's judgement, not the model's predictions. */
const FAIRNESS_NOT =
  /\b(document\w*|described|written|reports?|reported|published|model card|considered|discussed|reviewed|policy|plan|ethic\w*|explain\w*|interpretab\w*|mitigat\w*|(sampling|selection|label|annotation|data|dataset|historical) bias|bias (in|of) (the )?(training )?data(set)?|(training )?data(set)? (is |was )?(checked|analy[sz]ed|audited|reviewed) for bias|bias[- ]variance)\b/i;

const FAIRNESS_METRIC_NAMES =
  /\b(?:demographic parity|statistical parity|disparate impact|equali[sz]ed odds|equal(?:ity of)? opportunity)\b/;
const FAIRNESS_METRIC = new RegExp(
  String.raw`\b(demographic parity|statistical parity|disparate impact|equali[sz]ed odds|equal(?:ity of)? opportunity)(?:\s+(ratio|difference|gap|diff))?[^\n\d]{0,20}?${CMP}\s*${NUM}\s*(%)?`,
  'gi',
);

/** Sensitive attributes named in the words: the group column, guessed by its usual name. */
const SENSITIVE =
  /\b(sex|gender|race|ethnicity|religion|nationality|disability|age[ _-]?(?:group|band|bucket)s?|skin tone)\b/i;

export const fairness: Rule = (item, all) => {
  if (
    !(FAIRNESS_WORDS.test(item.title) || BIAS_WORDS.test(item.title)) ||
    FAIRNESS_NOT.test(item.title) ||
    NOT_ASKED.test(item.title)
  )
    return undefined;
  const thresholds: Record<string, string> = {};
  const quoted: string[] = [];
  for (const m of all.matchAll(FAIRNESS_METRIC)) {
    const words = m[1]!.toLowerCase();
    const base = /parity|disparate/.test(words)
      ? 'demographic_parity'
      : /odds/.test(words)
        ? 'equalized_odds'
        : 'equal_opportunity';
    const value = Number(m[4]) / (m[5] ? 100 : 1);
    // "ratio ≥ 90" without "%": not a share, and guessing could loosen it; a person reads it.
    if (!(value > 0 && value <= 1)) return undefined;
    let op = comparator(m[3]!);
    const form = m[2]?.toLowerCase();
    const ratio = form === 'ratio' || /disparate/.test(words) ? true : form ? false : !isUpper(op);
    // "flag if disparate impact < 0.8": the unfair side; the model must keep the other one.
    if (ratio === isUpper(op)) op = opposite(op);
    thresholds[`${base}_${ratio ? 'ratio' : 'difference'}`] = `${op} ${value}`;
    quoted.push(m[0].trim());
  }
  if (unreadNumbers(all, FAIRNESS_METRIC_NAMES, quoted.length)) return undefined;
  const fourFifths = /\bfour[- ]fifths\b|\b4\/5(ths)? rule\b|\b80 ?% rule\b/i.exec(all);
  if (fourFifths && !thresholds.demographic_parity_ratio) {
    thresholds.demographic_parity_ratio = '>= 0.8';
    quoted.push(fourFifths[0]);
  }
  const usual = Object.keys(thresholds).length === 0;
  if (usual) thresholds.demographic_parity_ratio = '>= 0.8';
  const named = SENSITIVE.exec(all)?.[1];
  // "Bias identified and mitigated", "Ethical implications considered": people's work.
  const unchecked = clauses(item.description.join('\n')).filter((clause) => FAIRNESS_NOT.test(clause));
  const [file] = namedPaths(item, /\.(csv|tsv|jsonl|parquet)$/i);
  const column = named ? named.toLowerCase().replace(/[ -]/g, '_').replace(/s$/, '') : 'sensitive_feature';
  return {
    kind: 'predictions',
    params: { file: file ?? 'predictions_test.csv', groups: { column, thresholds } },
    reason: `${quoted.length > 0 ? quoted.map((q) => `"${q}"`).join(', ') : `"${item.title}"`}: the predicted outcome compared across the groups of ${column}, as Fairlearn defines ${Object.keys(thresholds).join(', ')}`,
    todo: [
      `${file ? '' : 'file: the test predictions with the sensitive column; '}groups.column: that column${named ? '' : ' (sensitive_feature is a placeholder)'}; groups.positive: the favourable class, when there are more than two`,
      ...(usual
        ? ['thresholds: the words give no number, demographic_parity_ratio >= 0.8 is the four-fifths rule']
        : []),
      ...(unchecked.length > 0
        ? [
            `not checked by the predictions kind, sign it off apart: ${unchecked.map((c) => `"${c}"`).join('; ')}`,
          ]
        : []),
    ].join('; '),
  };
};
