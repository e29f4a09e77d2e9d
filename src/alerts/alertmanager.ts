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
  config.route = readRoute(source, data.route, ['route'], config);
  if (config.route.receiver === undefined)
    config.problems.push({ line: config.route.line, message: 'the root route needs a receiver' });
  return config;
}

function readRoute(
  source: YamlSource,
  raw: Obj,
  path: Array<string | number>,
  config: AlertmanagerConfig,
): Route {
  // The root route at its key ("route:"), child routes at their list entry.
  const line = (path.length === 1 ? source.locateKey(path)?.line : undefined) ?? source.locate(path).line;
  const matchers = matchersOf(raw.match, raw.match_re, raw.matchers, line, config);
  const routes = Array.isArray(raw.routes)
    ? raw.routes.flatMap((child, index) =>
        isObject(child) ? [readRoute(source, child, [...path, 'routes', index], config)] : [],
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
  return out;
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
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    // An expression JavaScript cannot read matches nothing rather than everything.
    return /(?!)/;
  }
}

export interface Delivery {
  receiver: string;
  /** Lines of the routes taken, root first. */
  path: number[];
  timeLimited?: string;
}

/** Where Alertmanager sends an alert with these labels (several with `continue: true`). */
export function route(root: Route, labels: Readonly<Record<string, string>>): Delivery[] {
  const visit = (
    node: Route,
    inherited: string | undefined,
    path: number[],
    limited: string | undefined,
  ): Delivery[] | undefined => {
    if (path.length > 0 && !node.matchers.every((matcher) => matches(matcher, labels))) return undefined;
    const receiver = node.receiver ?? inherited ?? '';
    const here = [...path, node.line];
    const timeLimited = node.timeLimited ?? limited;
    const all: Delivery[] = [];
    for (const child of node.routes) {
      const found = visit(child, receiver, here, timeLimited);
      if (found) {
        all.push(...found);
        if (!child.continue) break;
      }
    }
    if (all.length === 0) all.push({ receiver, path: here, ...(timeLimited ? { timeLimited } : {}) });
    return all;
  };
  return visit(root, undefined, [], undefined) ?? [];
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
