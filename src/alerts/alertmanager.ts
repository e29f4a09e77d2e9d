/**
 * Alertmanager's configuration, read enough to say where an alert's notifications go: the
 * route tree (https://prometheus.io/docs/alerting/latest/configuration/#route) walked as
 * Alertmanager walks it (dispatch/route.go: children in order, the first match wins unless it
 * says `continue: true`, a node with no matching child takes the alert itself, receivers are
 * inherited), and each receiver's integrations. A receiver with no integration, or whose only
 * integrations lack their destination, is a black hole. Inhibit rules are read too: one whose
 * source side an always-firing alert (a Watchdog) matches mutes its targets for good.
 *
 * Receivers hold secrets (webhook URLs with tokens, routing keys, passwords): nothing here
 * returns a value of a receiver's config, only names and kinds of integrations; and
 * `secretValues` lists every such value so the caller can redact them from anything it prints.
 */
import type { YamlSource } from '../util/yaml-source.js';
import { parsePromDuration } from './promql.js';

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Route {
  receiver?: string;
  matchers: Matcher[];
  continue: boolean;
  routes: Route[];
  line: number;
  /** Only active in these time intervals, or muted in these: not always delivering. */
  timeLimited?: string;
  /** A mute interval that covers all time: whatever reaches this route is never delivered. */
  mutedAlways?: string;
}

export interface Receiver {
  name: string;
  line: number;
  /** "slack", "pagerduty", ... each with what makes it unusable, if anything. */
  integrations: Array<{ kind: string; problem?: string }>;
}

/** An inhibit rule: while a source alert fires, matching target alerts with equal labels are muted. */
export interface InhibitRule {
  source: Matcher[];
  target: Matcher[];
  equal: string[];
  line: number;
}

export interface AlertmanagerConfig {
  route?: Route;
  receivers: Map<string, Receiver>;
  inhibitRules: InhibitRule[];
  problems: Array<{ line: number; message: string }>;
  /** Values of secret-bearing fields, to redact. */
  secretValues: string[];
}

/** Each integration and the fields, any one of which names its destination (with the global fallback). */
const DESTINATIONS: Record<string, { fields: string[]; global?: string[] }> = {
  email_configs: { fields: ['to'] },
  slack_configs: { fields: ['api_url', 'api_url_file'], global: ['slack_api_url', 'slack_api_url_file'] },
  pagerduty_configs: { fields: ['routing_key', 'routing_key_file', 'service_key', 'service_key_file'] },
  webhook_configs: { fields: ['url', 'url_file'] },
  opsgenie_configs: {
    fields: ['api_key', 'api_key_file'],
    global: ['opsgenie_api_key', 'opsgenie_api_key_file'],
  },
  victorops_configs: {
    fields: ['api_key', 'api_key_file'],
    global: ['victorops_api_key', 'victorops_api_key_file'],
  },
  pushover_configs: { fields: ['user_key', 'user_key_file'] },
  wechat_configs: { fields: ['api_secret', 'api_secret_file'], global: ['wechat_api_secret'] },
  telegram_configs: { fields: ['bot_token', 'bot_token_file'], global: ['telegram_bot_token'] },
  sns_configs: { fields: ['topic_arn', 'phone_number', 'target_arn'] },
  webex_configs: { fields: ['room_id'] },
  msteams_configs: { fields: ['webhook_url', 'webhook_url_file'] },
  msteamsv2_configs: { fields: ['webhook_url', 'webhook_url_file'] },
  discord_configs: { fields: ['webhook_url', 'webhook_url_file'] },
  jira_configs: { fields: ['project'] },
  rocketchat_configs: { fields: ['channel', 'token', 'token_file'] },
  incidentio_configs: { fields: ['url', 'url_file', 'alert_source_token'] },
};

const SECRET_FIELD = /(url|key|token|password|secret|credentials)$/i;

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export function readAlertmanager(source: YamlSource): AlertmanagerConfig {
  const data = source.toJS();
  const config: AlertmanagerConfig = {
    receivers: new Map(),
    inhibitRules: [],
    problems: [],
    secretValues: [],
  };
  if (!isObject(data)) {
    config.problems.push({
      line: 1,
      message: 'not an Alertmanager configuration (expected a mapping with route and receivers)',
    });
    return config;
  }
  collectSecrets(data.global, config.secretValues);
  const global = isObject(data.global) ? data.global : {};
  const receivers = Array.isArray(data.receivers) ? data.receivers : [];
  receivers.forEach((raw, index) => {
    const line = source.locate(['receivers', index]).line;
    if (!isObject(raw) || typeof raw.name !== 'string') {
      config.problems.push({ line, message: 'a receiver needs a name' });
      return;
    }
    collectSecrets(raw, config.secretValues);
    const integrations: Receiver['integrations'] = [];
    for (const [key, value] of Object.entries(raw)) {
      if (!key.endsWith('_configs')) continue;
      const kind = key.replace(/_configs$/, '');
      for (const entry of Array.isArray(value) ? value : []) {
        const destination = DESTINATIONS[key];
        let problem: string | undefined;
        if (!isObject(entry)) problem = 'not a mapping';
        else if (destination) {
          const has = (object: Obj, fields: string[]) =>
            fields.some(
              (field) =>
                object[field] !== undefined && object[field] !== null && String(object[field]).trim() !== '',
            );
          if (!has(entry, destination.fields) && !(destination.global && has(global, destination.global)))
            problem = `no ${[...destination.fields, ...(destination.global ?? []).map((g) => `global.${g}`)].join(' / ')}`;
          if (
            key === 'email_configs' &&
            !problem &&
            !has(entry, ['smarthost']) &&
            !has(global, ['smtp_smarthost'])
          )
            problem = 'no smarthost (nor global.smtp_smarthost)';
        }
        integrations.push({ kind, ...(problem ? { problem } : {}) });
      }
    }
    if (config.receivers.has(raw.name))
      config.problems.push({ line, message: `receiver "${raw.name}" is defined twice` });
    config.receivers.set(raw.name, { name: raw.name, line, integrations });
  });
  (Array.isArray(data.inhibit_rules) ? data.inhibit_rules : []).forEach((raw, index) => {
    if (!isObject(raw)) return;
    const line = source.locate(['inhibit_rules', index]).line;
    const side = (prefix: 'source' | 'target') =>
      matchersOf(raw[`${prefix}_match`], raw[`${prefix}_match_re`], raw[`${prefix}_matchers`], line, config);
    config.inhibitRules.push({
      source: side('source'),
      target: side('target'),
      equal: Array.isArray(raw.equal) ? raw.equal.map(String) : [],
      line,
    });
  });
  if (!isObject(data.route)) {
    config.problems.push({ line: 1, message: 'no "route:": Alertmanager needs a root route' });
    return config;
  }
  const allTime = new Set<string>();
  for (const key of ['time_intervals', 'mute_time_intervals'])
    for (const entry of Array.isArray(data[key]) ? data[key] : [])
      if (isObject(entry) && typeof entry.name === 'string' && Array.isArray(entry.time_intervals))
        if (entry.time_intervals.some(coversAllTime)) allTime.add(entry.name);
  const defined = new Set<string>();
  for (const key of ['time_intervals', 'mute_time_intervals'])
    for (const entry of Array.isArray(data[key]) ? data[key] : [])
      if (isObject(entry) && typeof entry.name === 'string') defined.add(entry.name);
  config.route = readRoute(source, data.route, ['route'], config, allTime, defined);
  for (const key of ['mute_time_intervals', 'active_time_intervals'])
    if (Array.isArray(data.route[key]) && data.route[key].length)
      config.problems.push({
        line: config.route.line,
        message: `the root route has "${key}": Alertmanager refuses to load a configuration whose root route has time intervals`,
      });
  if (config.route.receiver === undefined)
    config.problems.push({ line: config.route.line, message: 'the root route needs a receiver' });
  return config;
}

/** Longest sensible waits of a route before (re)notifying, in seconds. */
const ROUTE_WAIT_LIMITS: Record<string, { seconds: number; shown: string }> = {
  group_wait: { seconds: 300, shown: '5m' },
  group_interval: { seconds: 3600, shown: '1h' },
  repeat_interval: { seconds: 7 * 86_400, shown: '7d' },
};

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** The numbers a list of ranges names (`monday:friday`, `1:15`, `-1`), via `index` for names. */
function rangeSet(values: unknown[], index: (word: string) => number | undefined): Set<number> | undefined {
  const out = new Set<number>();
  for (const value of values) {
    const [from, to = from] = String(value).replace(/\s/g, '').toLowerCase().split(':');
    const a = index(from!);
    const b = index(to!);
    if (a === undefined || b === undefined || b - a > 366) return undefined;
    for (let n = a; n <= b; n++) out.add(n);
  }
  return out;
}

const number = (word: string) => (/^-?\d+$/.test(word) ? Number(word) : undefined);

/**
 * Whether one entry of a time interval covers every instant: each field it has spans its
 * whole range (times 00:00-24:00, every weekday, days 1 to 31 or -31 to -1, every month).
 * `years` always narrows it. An entry Alertmanager would reject is not called all-time.
 */
function coversAllTime(entry: unknown): boolean {
  if (!isObject(entry)) return false;
  if (entry.years !== undefined) return false;
  const list = (key: string) => (Array.isArray(entry[key]) ? (entry[key] as unknown[]) : undefined);
  const covers = (key: string, size: number, index: (word: string) => number | undefined) => {
    if (entry[key] === undefined) return true;
    const values = list(key);
    const set = values && rangeSet(values, index);
    return set !== undefined && [...set].filter((n) => n >= 0 && n < size).length === size;
  };
  const weekdays = covers('weekdays', 7, (word) => {
    const at = WEEKDAYS.indexOf(word);
    return at < 0 ? undefined : at;
  });
  const months = covers('months', 12, (word) => {
    const at = MONTHS.indexOf(word);
    const n = at >= 0 ? at : number(word) !== undefined ? number(word)! - 1 : undefined;
    return n;
  });
  // Days 1..31 (or -31..-1: counted from the month's end) cover every day of every month.
  const dayValues = list('days_of_month');
  let days = entry.days_of_month === undefined;
  if (dayValues) {
    const positive = rangeSet(dayValues, (word) =>
      number(word) !== undefined && number(word)! > 0 ? number(word)! - 1 : undefined,
    );
    const negative = rangeSet(dayValues, (word) =>
      number(word) !== undefined && number(word)! < 0 ? number(word)! + 31 : undefined,
    );
    days = [positive, negative].some((set) => set !== undefined && set.size >= 31);
  }
  let times = entry.times === undefined;
  const timeValues = list('times');
  if (timeValues) {
    const minutes = new Array<boolean>(1440).fill(false);
    const clock = (value: unknown) => {
      const match = /^(\d{1,2}):(\d{2})$/.exec(String(value ?? ''));
      return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
    };
    for (const time of timeValues) {
      if (!isObject(time)) continue;
      const from = clock(time.start_time);
      const to = clock(time.end_time);
      if (from === undefined || to === undefined) continue;
      for (let m = from; m < Math.min(to, 1440); m++) minutes[m] = true;
    }
    times = minutes.every(Boolean);
  }
  return weekdays && months && days && times;
}

function readRoute(
  source: YamlSource,
  raw: Obj,
  path: Array<string | number>,
  config: AlertmanagerConfig,
  allTime: ReadonlySet<string> = new Set(),
  defined: ReadonlySet<string> = new Set(),
): Route {
  // The root route at its key ("route:"), child routes at their list entry.
  const line = (path.length === 1 ? source.locateKey(path)?.line : undefined) ?? source.locate(path).line;
  const matchers = matchersOf(raw.match, raw.match_re, raw.matchers, line, config);
  for (const [key, limit] of Object.entries(ROUTE_WAIT_LIMITS)) {
    if (raw[key] === undefined || raw[key] === null) continue;
    const seconds = parsePromDuration(String(raw[key]));
    if (seconds === undefined || seconds > limit.seconds)
      config.problems.push({
        line,
        message: `the route has "${key}: ${String(raw[key])}"${seconds === undefined ? ', not a duration' : `, longer than ${limit.shown}`}: notifications ${key === 'group_wait' ? 'start' : key === 'group_interval' ? 'about new alerts come' : 'repeat'} too late`,
      });
  }
  for (const key of ['mute_time_intervals', 'active_time_intervals'])
    for (const name of Array.isArray(raw[key]) ? raw[key].map(String) : [])
      if (!defined.has(name))
        config.problems.push({
          line,
          message: `the route's ${key} names "${name}", which no time_intervals entry defines: Alertmanager refuses the configuration`,
        });
  const mutedAlways = Array.isArray(raw.mute_time_intervals)
    ? raw.mute_time_intervals.map(String).find((name) => allTime.has(name))
    : undefined;
  const routes = Array.isArray(raw.routes)
    ? raw.routes.flatMap((child, index) =>
        isObject(child)
          ? [readRoute(source, child, [...path, 'routes', index], config, allTime, defined)]
          : [],
      )
    : [];
  const limited = [
    Array.isArray(raw.mute_time_intervals) && raw.mute_time_intervals.length
      ? `muted in ${raw.mute_time_intervals.join(', ')}`
      : '',
    Array.isArray(raw.active_time_intervals) && raw.active_time_intervals.length
      ? `active only in ${raw.active_time_intervals.join(', ')}`
      : '',
  ].filter(Boolean);
  return {
    ...(typeof raw.receiver === 'string' ? { receiver: raw.receiver } : {}),
    matchers,
    continue: raw.continue === true,
    routes,
    line,
    ...(limited.length ? { timeLimited: limited.join('; ') } : {}),
    ...(mutedAlways !== undefined ? { mutedAlways } : {}),
  };
}

/** `match` (equality), `match_re` (regular expressions) and `matchers` (strings), as one list. */
function matchersOf(
  match: unknown,
  matchRe: unknown,
  written: unknown,
  line: number,
  config: AlertmanagerConfig,
): Matcher[] {
  const out: Matcher[] = [];
  if (isObject(match))
    for (const [label, value] of Object.entries(match)) out.push({ label, op: '=', value: String(value) });
  if (isObject(matchRe))
    for (const [label, value] of Object.entries(matchRe)) out.push({ label, op: '=~', value: String(value) });
  for (const entry of Array.isArray(written) ? written : []) {
    const parsed = parseMatchers(String(entry));
    if (typeof parsed === 'string') config.problems.push({ line, message: parsed });
    else out.push(...parsed);
  }
  for (const matcher of out) {
    if (matcher.op !== '=~' && matcher.op !== '!~') continue;
    const compiled = compileRe2(matcher.value);
    if (typeof compiled === 'string')
      config.problems.push({
        line,
        message: `the matcher ${matcher.label}${matcher.op}"${matcher.value}" cannot be evaluated (${compiled}): where alerts go cannot be told`,
      });
  }
  return out;
}

/**
 * An Alertmanager (Go RE2) pattern as a JavaScript expression, anchored as Alertmanager
 * anchors it; leading flags `(?i)`, `(?s)`, `(?m)` become JavaScript flags. What cannot be
 * translated faithfully is a string saying why: the caller must not guess.
 */
export function compileRe2(pattern: string): RegExp | string {
  let body = pattern;
  let flags = 'u';
  const leading = /^\(\?([imsU]+)\)/.exec(body);
  if (leading) {
    if (leading[1]!.includes('U')) return 'the RE2 flag U (ungreedy) has no JavaScript equivalent';
    flags += [...new Set(leading[1]!)].join('');
    body = body.slice(leading[0].length);
  }
  if (/\(\?[a-zA-Z-]*[:)]/.test(body)) return 'an inline RE2 flag group has no JavaScript equivalent here';
  if (/\[\[:[a-z]+:\]/.test(body) || /\\[zQEpP]/.test(body)) return 'RE2 syntax JavaScript reads differently';
  try {
    return new RegExp(`^(?:${body})$`, flags);
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Whether an alert that always fires (`source`, e.g. a Watchdog on vector(1)) mutes `target`
 * for good: the rule's matchers take both, and every `equal` label is known from both alerts'
 * own labels and the same (labels a series adds at run time are not known: then it cannot tell).
 */
export function mutedBy(
  rule: InhibitRule,
  source: Readonly<Record<string, string>>,
  target: Readonly<Record<string, string>>,
): boolean {
  if (!rule.source.every((m) => matches(m, source)) || !rule.target.every((m) => matches(m, target)))
    return false;
  return rule.equal.every((label) => label in source && label in target && source[label] === target[label]);
}

/**
 * One `matchers:` entry: `severity = "critical"`, `alertname !~ "Watchdog|InfoInhibitor"`,
 * or several in braces/commas (`{severity="critical", team="ml"}`).
 */
export function parseMatchers(text: string): Matcher[] | string {
  let rest = text.trim();
  if (rest.startsWith('{') && rest.endsWith('}')) rest = rest.slice(1, -1);
  const out: Matcher[] = [];
  const pattern = /^\s*("(?:[^"\\]|\\.)*"|[^\s=!~,"]+)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,]*?)\s*(?:,|$)/;
  while (rest.trim() !== '') {
    const match = pattern.exec(rest);
    if (!match) return `cannot read the matcher "${text}" (expected e.g. severity="critical")`;
    const unquote = (value: string) =>
      value.startsWith('"')
        ? value.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
        : value;
    out.push({ label: unquote(match[1]!), op: match[2] as Matcher['op'], value: unquote(match[3]!) });
    rest = rest.slice(match[0].length);
  }
  return out;
}

export function matches(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  // A label the alert does not have has the empty value, as in Alertmanager.
  const value = labels[matcher.label] ?? '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return anchored(matcher.value).test(value);
    case '!~':
      return !anchored(matcher.value).test(value);
  }
}

function anchored(pattern: string): RegExp {
  const compiled = compileRe2(pattern);
  // Not readable: the configuration reading reported it as a problem (routing unknown), so
  // the verdict cannot pass whatever this returns.
  return typeof compiled === 'string' ? /(?!)/ : compiled;
}

export interface Delivery {
  receiver: string;
  /** Lines of the routes taken, root first. */
  path: number[];
  timeLimited?: string;
  /** The all-time mute interval of a route on the way: never delivered. */
  mutedAlways?: string;
}

/** Where Alertmanager sends an alert with these labels (several with `continue: true`). */
export function route(root: Route, labels: Readonly<Record<string, string>>): Delivery[] {
  const visit = (
    node: Route,
    inherited: string | undefined,
    path: number[],
    limited: string | undefined,
    muted: string | undefined,
  ): Delivery[] | undefined => {
    if (path.length > 0 && !node.matchers.every((matcher) => matches(matcher, labels))) return undefined;
    const receiver = node.receiver ?? inherited ?? '';
    const here = [...path, node.line];
    const timeLimited = node.timeLimited ?? limited;
    const mutedAlways = node.mutedAlways ?? (node.timeLimited ? undefined : muted);
    const all: Delivery[] = [];
    for (const child of node.routes) {
      const found = visit(child, receiver, here, timeLimited, mutedAlways);
      if (found) {
        all.push(...found);
        if (!child.continue) break;
      }
    }
    if (all.length === 0)
      all.push({
        receiver,
        path: here,
        ...(timeLimited ? { timeLimited } : {}),
        ...(mutedAlways ? { mutedAlways } : {}),
      });
    return all;
  };
  return visit(root, undefined, [], undefined, undefined) ?? [];
}

/** Labels that routes match on, for telling which ones an alert's rule cannot know. */
export function routeLabels(root: Route): Set<string> {
  const out = new Set<string>();
  const visit = (node: Route) => {
    for (const matcher of node.matchers) out.add(matcher.label);
    node.routes.forEach(visit);
  };
  visit(root);
  return out;
}

function collectSecrets(value: unknown, out: string[], key = ''): void {
  if (typeof value === 'string') {
    if (SECRET_FIELD.test(key) && !key.endsWith('_file')) out.push(value);
    return;
  }
  if (Array.isArray(value)) value.forEach((item) => collectSecrets(item, out, key));
  else if (isObject(value)) for (const [name, item] of Object.entries(value)) collectSecrets(item, out, name);
}
