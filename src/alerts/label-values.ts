/**
 * Label VALUES an alert selects on, against the values the service's series carry: a selector
 * `{route="/predictx"}` on a metric whose series only know "/predict" and "/ready" selects
 * nothing, so the alert never fires. Values can appear later (a label set is created on its
 * first request), so only what the exposition shows is judged: a metric without series is
 * skipped, and HTTP status labels are judged against every status code (a 5xx not seen yet is
 * still a status the service can answer).
 */
import { compileRe2 } from './alertmanager.js';
import type { SeriesLabels } from './exported.js';
import { type LabelMatcher, parseNumber } from './promql.js';

const STATUS_LABELS = new Set(['status', 'code', 'status_code', 'http_status', 'response_code', 'http_code']);
const ALL_STATUS_CODES = Array.from({ length: 500 }, (_, i) => String(100 + i));
const ALL_STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
/** A value that names a failure: such series often appear only after the first failure. */
const FAILURE_VALUE = /error|fail|exception|timeout|5\d\d|5xx/i;
/** Labels whose values Prometheus 3 rewrites as floats ("1" → "1.0"): compared as numbers. */
const FLOAT_LABELS = new Set(['le', 'quantile']);

export type ValueVerdict =
  | { ok: true }
  | { ok: 'skipped'; why: string }
  | { ok: false; present: string[] }
  | { ok: 'unknown'; why: string };

/** Whether some value the label can take satisfies the matcher. */
export function matcherCanMatch(matcher: LabelMatcher, series: SeriesLabels): ValueVerdict {
  const label = series.labels.get(matcher.label);
  if (!label) return { ok: true }; // a label the series lack: judged by the label-name check
  const present = [...label.values].sort();
  const status = STATUS_LABELS.has(matcher.label);
  const codes = status && present.every((v) => /^[1-5]\d\d$/.test(v));
  const classes = status && present.every((v) => /^[1-5]xx$/i.test(v));
  if (status && !codes && !classes)
    return {
      ok: 'skipped',
      why: `${matcher.label} takes values other than status codes (${present.slice(0, 5).join(', ')}): which ones can come cannot be told`,
    };
  if (!status && FAILURE_VALUE.test(matcher.value))
    return {
      ok: 'skipped',
      why: `${matcher.label}${matcher.op}"${matcher.value}" names failures, whose series may appear only after the first one`,
    };
  if (FLOAT_LABELS.has(matcher.label)) {
    if (matcher.op !== '=' && matcher.op !== '!=')
      return {
        ok: 'skipped',
        why: `${matcher.label}${matcher.op}"${matcher.value}": Prometheus rewrites ${matcher.label} values`,
      };
    const wanted = parseNumber(matcher.value);
    const same = present.some((v) => parseNumber(v) === wanted);
    const ok = matcher.op === '=' ? same : present.some((v) => parseNumber(v) !== wanted);
    return ok ? { ok: true } : { ok: false, present };
  }
  const domain = codes ? ALL_STATUS_CODES : classes ? ALL_STATUS_CLASSES : [...present];
  // A series without the label reads as "".
  if (label.carriers < series.count) domain.push('');
  let test: (value: string) => boolean;
  if (matcher.op === '=' || matcher.op === '!=') test = (value) => value === matcher.value;
  else {
    const compiled = compileRe2(matcher.value);
    if (typeof compiled === 'string')
      return { ok: 'unknown', why: `the pattern "${matcher.value}" cannot be evaluated (${compiled})` };
    test = (value) => compiled.test(value);
  }
  const positive = matcher.op === '=' || matcher.op === '=~';
  const any = domain.some((value) => (positive ? test(value) : !test(value)));
  return any ? { ok: true } : { ok: false, present };
}
