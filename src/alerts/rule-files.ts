/**
 * Prometheus rule files as teams keep them: plain rule files (`groups: [{name, rules: [...]}]`,
 * https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/) and Kubernetes
 * `PrometheusRule` resources of the Prometheus Operator (the same groups under `spec:`), any
 * number per multi-document file. Every rule keeps its file and line; every expression is
 * parsed with the PromQL grammar.
 *
 * What Prometheus refuses to load is reported as it would refuse it: a rule file with one bad
 * expression, unknown field or nameless group is not loaded at all (`promtool check rules`
 * fails), and the operator's admission webhook rejects the whole PrometheusRule. The rules of
 * such a file or resource are kept, marked `refused`, so that no requirement counts them.
 */
import { isScalar, type Node } from 'yaml';
import { YamlSource, type YamlPath } from '../util/yaml-source.js';
import { type Expr, parsePromDuration, parsePromql } from './promql.js';

export interface AlertingRule {
  kind: 'alert' | 'record';
  /** The alert's name, or the recorded series' name. */
  name: string;
  expr: string;
  /** The parsed expression; undefined when it does not parse. */
  parsed?: Expr;
  /** `for:` in seconds (undefined when not written). */
  forSeconds?: number;
  forText?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  file: string;
  /** The line of `alert:` / `record:`. */
  line: number;
  group: string;
  /** The group's evaluation settings, as written (`interval`, `query_offset`, `limit`). */
  groupSettings?: GroupSettings;
  /** Where Prometheus refuses the file or resource ("rules.yaml:14"): then the rule does not exist. */
  refused?: string;
}

export interface GroupSettings {
  /** The line of the group's `name:`. */
  line: number;
  interval?: { text: string; seconds?: number; line: number };
  queryOffset?: { text: string; seconds?: number; line: number };
  limit?: { value: number; line: number };
}

export interface RuleFileProblem {
  rule: 'alerts/promql-syntax' | 'alerts/rule-file';
  message: string;
  file: string;
  line: number;
  column?: number;
  excerpt?: string;
}

export interface RuleFilesRead {
  rules: AlertingRule[];
  problems: RuleFileProblem[];
  /** Files whose YAML does not parse: nothing in them could be read. */
  unparseable: Array<{ file: string; line: number; column: number; message: string }>;
  /** Documents that are not rule files (an Alertmanager config, a Deployment). */
  skipped: Array<{ file: string; why: string }>;
  /** Files that held at least one group. */
  ruleFiles: string[];
}

const RULE_KEYS = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
const GROUP_KEYS = new Set([
  'name',
  'interval',
  'rules',
  'limit',
  'query_offset',
  'labels',
  // Thanos Ruler's addition, accepted by the operator.
  'partial_response_strategy',
]);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads the rule files (paths relative to the project, text already read). */
export function readRuleFiles(files: Array<{ file: string; text: string }>): RuleFilesRead {
  const out: RuleFilesRead = { rules: [], problems: [], unparseable: [], skipped: [], ruleFiles: [] };
  for (const { file, text } of files) {
    const sources = YamlSource.all(file, text);
    const broken = sources.map((source) => source.syntaxProblems[0]).find(Boolean);
    if (broken) {
      out.unparseable.push({ file, ...broken });
      continue;
    }
    let groupsSeen = false;
    // A plain rule file is one unit for Prometheus; each PrometheusRule is its own unit.
    const fileUnit: Unit = { rules: [], refusal: undefined };
    const documents = sources.filter((source) => source.toJS() !== undefined);
    for (const source of documents) {
      const data = source.toJS();
      if (!isObject(data)) {
        out.skipped.push({ file, why: 'not a mapping' });
        continue;
      }
      let base: YamlPath;
      let unit: Unit;
      if (data.kind === 'PrometheusRule') {
        base = ['spec'];
        unit = { rules: [], refusal: undefined };
      } else if ('groups' in data) {
        base = [];
        unit = fileUnit;
        for (const key of Object.keys(data))
          if (key !== 'groups')
            refuse(out, unit, source, [key], `unknown field "${key}" at the top of a rule file`, true);
      } else {
        out.skipped.push({
          file,
          why: typeof data.kind === 'string' ? `a ${data.kind}, not rules` : 'no "groups:"',
        });
        continue;
      }
      groupsSeen = true;
      readGroups(out, unit, source, base);
      if (unit !== fileUnit) settle(unit);
    }
    settle(fileUnit);
    if (groupsSeen) out.ruleFiles.push(file);
  }
  return out;
}

interface Unit {
  rules: AlertingRule[];
  refusal: string | undefined;
}

function settle(unit: Unit): void {
  if (unit.refusal) for (const rule of unit.rules) rule.refused = unit.refusal;
}

function refuse(
  out: RuleFilesRead,
  unit: Unit,
  source: YamlSource,
  path: YamlPath,
  message: string,
  atKey = false,
  rule: RuleFileProblem['rule'] = 'alerts/rule-file',
): void {
  const position = (atKey ? source.locateKey(path) : undefined) ?? source.locate(path);
  out.problems.push({
    rule,
    message,
    file: source.file,
    line: position.line,
    column: position.column,
    excerpt: source.lines[position.line - 1]?.trim(),
  });
  unit.refusal ??= `${source.file}:${position.line}`;
}

function readGroups(out: RuleFilesRead, unit: Unit, source: YamlSource, base: YamlPath): void {
  const root = source.toJS() as Obj;
  const holder = base.length ? root[base[0] as string] : root;
  const groups = isObject(holder) ? holder.groups : undefined;
  if (!Array.isArray(groups)) {
    refuse(out, unit, source, [...base, 'groups'], '"groups:" must be a list of rule groups');
    return;
  }
  const names = new Set<string>();
  groups.forEach((group, groupIndex) => {
    const at: YamlPath = [...base, 'groups', groupIndex];
    if (!isObject(group)) {
      refuse(out, unit, source, at, 'a rule group must be a mapping with "name" and "rules"');
      return;
    }
    for (const key of Object.keys(group))
      if (!GROUP_KEYS.has(key))
        refuse(out, unit, source, [...at, key], `unknown field "${key}" in a rule group`, true);
    const name = typeof group.name === 'string' ? group.name : '';
    if (name === '') refuse(out, unit, source, at, 'a rule group needs a name');
    else if (names.has(name))
      refuse(out, unit, source, [...at, 'name'], `group name "${name}" is used twice`);
    names.add(name);
    if (!Array.isArray(group.rules)) {
      refuse(out, unit, source, [...at, 'rules'], `group "${name}" needs "rules:" as a list`);
      return;
    }
    // Group labels (Prometheus 3) apply to every rule of the group; a rule's own win.
    const groupLabels = stringMap(out, unit, source, [...at, 'labels'], group.labels, 'labels');
    const settings = groupSettings(source, at, group);
    for (const [key, value] of [
      ['interval', settings?.interval],
      ['query_offset', settings?.queryOffset],
    ] as const)
      if (value && value.seconds === undefined)
        refuse(out, unit, source, [...at, key], `"${key}: ${value.text}" is not a duration (e.g. 1m)`);
    const before = out.rules.length;
    group.rules.forEach((rule, ruleIndex) =>
      readRule(out, unit, source, [...at, 'rules', ruleIndex], rule, name || '(unnamed)', groupLabels),
    );
    if (settings) for (const rule of out.rules.slice(before)) rule.groupSettings = settings;
  });
}

/** The group's `interval`, `query_offset` and `limit`, when any is written. */
function groupSettings(source: YamlSource, at: YamlPath, group: Obj): GroupSettings | undefined {
  const lineOf = (key: string) => source.locate([...at, key]).line;
  const duration = (key: string) => {
    const value = group[key];
    if (value === undefined || value === null) return undefined;
    const text = String(value);
    const seconds = parsePromDuration(text);
    return { text, ...(seconds !== undefined ? { seconds } : {}), line: lineOf(key) };
  };
  const interval = duration('interval');
  const queryOffset = duration('query_offset');
  const limit =
    typeof group.limit === 'number' && group.limit > 0
      ? { value: group.limit, line: lineOf('limit') }
      : undefined;
  if (!interval && !queryOffset && !limit) return undefined;
  return {
    line: source.locate([...at, 'name']).line,
    ...(interval ? { interval } : {}),
    ...(queryOffset ? { queryOffset } : {}),
    ...(limit ? { limit } : {}),
  };
}

function readRule(
  out: RuleFilesRead,
  unit: Unit,
  source: YamlSource,
  at: YamlPath,
  rule: unknown,
  group: string,
  groupLabels: Record<string, string> = {},
): void {
  if (!isObject(rule)) {
    refuse(out, unit, source, at, 'a rule must be a mapping with "alert" (or "record") and "expr"');
    return;
  }
  for (const key of Object.keys(rule))
    if (!RULE_KEYS.has(key))
      refuse(out, unit, source, [...at, key], `unknown field "${key}" in a rule`, true);
  const isAlert = rule.alert !== undefined;
  if (isAlert === (rule.record !== undefined)) {
    refuse(out, unit, source, at, 'a rule needs exactly one of "alert" and "record"');
    return;
  }
  const name = String(isAlert ? rule.alert : rule.record);
  const nameKey = isAlert ? 'alert' : 'record';
  const line = source.locate([...at, nameKey]).line;
  if (!isAlert && !METRIC_NAME.test(name))
    refuse(out, unit, source, [...at, 'record'], `"${name}" is not a valid metric name for a recording rule`);
  if (isAlert && name.trim() === '')
    refuse(out, unit, source, [...at, 'alert'], 'the alert has an empty name');
  if (!isAlert)
    for (const key of ['for', 'keep_firing_for', 'annotations'])
      if (key in rule) refuse(out, unit, source, [...at, key], `"${key}" is only for alerting rules`, true);
  const labels = {
    ...groupLabels,
    ...stringMap(out, unit, source, [...at, 'labels'], rule.labels, 'labels'),
  };
  const annotations = stringMap(out, unit, source, [...at, 'annotations'], rule.annotations, 'annotations');
  let forSeconds: number | undefined;
  let forText: string | undefined;
  if (rule.for !== undefined && rule.for !== null) {
    forText = String(rule.for);
    forSeconds = parsePromDuration(forText);
    if (forSeconds === undefined)
      refuse(out, unit, source, [...at, 'for'], `"for: ${forText}" is not a duration (e.g. 5m, 1h30m)`);
  }
  if (rule.keep_firing_for !== undefined && parsePromDuration(String(rule.keep_firing_for)) === undefined)
    refuse(
      out,
      unit,
      source,
      [...at, 'keep_firing_for'],
      `"keep_firing_for: ${String(rule.keep_firing_for)}" is not a duration`,
    );

  const entry: AlertingRule = {
    kind: isAlert ? 'alert' : 'record',
    name,
    expr: typeof rule.expr === 'string' || typeof rule.expr === 'number' ? String(rule.expr) : '',
    labels,
    annotations,
    file: source.file,
    line,
    group,
    ...(forSeconds !== undefined ? { forSeconds } : {}),
    ...(forText !== undefined ? { forText } : {}),
  };
  if (rule.expr === undefined || rule.expr === null) {
    refuse(out, unit, source, at, `${nameKey} "${name}" has no "expr:"`);
  } else {
    const parsed = parsePromql(entry.expr);
    if (parsed.ok) entry.parsed = parsed.expr;
    else {
      const node = source.nodeAt([...at, 'expr']);
      const position = node
        ? expressionPosition(source, node, entry.expr, parsed.error.offset)
        : source.locate([...at, 'expr']);
      const helm = /\{\{.*\}\}/.test(entry.expr)
        ? ' (a Helm template? render it with `helm template` first)'
        : '';
      const message = `${nameKey} "${name}": the expression does not parse: ${parsed.error.message}${helm}`;
      out.problems.push({
        rule: 'alerts/promql-syntax',
        message,
        file: source.file,
        line: position.line,
        column: position.column,
        excerpt: source.lines[position.line - 1]?.trim(),
      });
      unit.refusal ??= `${source.file}:${position.line}`;
    }
  }
  unit.rules.push(entry);
  out.rules.push(entry);
}

function stringMap(
  out: RuleFilesRead,
  unit: Unit,
  source: YamlSource,
  path: YamlPath,
  value: unknown,
  what: string,
): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    refuse(out, unit, source, path, `"${what}" must be a mapping of names to values`);
    return {};
  }
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!LABEL_NAME.test(key))
      refuse(
        out,
        unit,
        source,
        [...path, key],
        `"${key}" is not a valid ${what === 'labels' ? 'label' : 'annotation'} name`,
        true,
      );
    map[key] = item === null || item === undefined ? '' : String(item);
  }
  return map;
}

/**
 * The file position of an offset inside an expression. Exact for one-line scalars and literal
 * blocks (`expr: |`); for folded scalars, the line the expression starts on.
 */
function expressionPosition(
  source: YamlSource,
  node: Node,
  expr: string,
  offset: number,
): { line: number; column: number } {
  const start = source.positionOf(node.range?.[0] ?? 0);
  const before = expr.slice(0, offset);
  const newlines = before.split('\n').length - 1;
  const lastLine = before.slice(before.lastIndexOf('\n') + 1);
  if (isScalar(node) && node.type === 'BLOCK_LITERAL') {
    const line = start.line + 1 + newlines;
    const indent = /^\s*/.exec(source.lines[start.line] ?? '')![0].length;
    return { line, column: indent + lastLine.length + 1 };
  }
  if (
    isScalar(node) &&
    (node.type === 'PLAIN' || node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') &&
    newlines === 0
  ) {
    const quote = node.type === 'PLAIN' ? 0 : 1;
    return { line: start.line, column: start.column + quote + offset };
  }
  return start;
}
