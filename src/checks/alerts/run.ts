/**
 * What the alerts check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { readFileSync } from 'node:fs';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import {
  type AlertmanagerConfig,
  type InhibitRule,
  matches,
  mutedBy,
  readAlertmanager,
  route,
} from '../../alerts/alertmanager.js';
import {
  absentTrigger,
  brokenCondition,
  expandRecorded,
  formatSeconds,
  formatShare,
  lateness,
  mayAlwaysFire,
  readAvailability,
  readErrorRate,
  readLatency,
  triggers,
} from '../../alerts/conditions.js';
import {
  DEFAULT_EXTERNAL_METRICS,
  DEFAULT_TARGET_LABELS,
  ExportedNames,
  isExternal,
} from '../../alerts/exported.js';
import { type Expr, type LabelMatcher, render, selectors } from '../../alerts/promql.js';
import { matcherCanMatch } from '../../alerts/label-values.js';
import { type AlertingRule, type GroupSettings, readRuleFiles } from '../../alerts/rule-files.js';
import { Redactor } from '../../redact/redactor.js';
import type { Evidence } from '../../domain/run-report.js';
import { type Finding, parseInlineIgnores, ruleOutcome } from '../../rules/findings.js';
import { parseExposition } from '../../service/prometheus.js';
import { HttpClient } from '../../service/request.js';
import { templateEnv } from '../../service/request-spec.js';
import { Secrets, TemplateError } from '../../service/template.js';
import { sha256OfText } from '../../util/digest.js';
import { expandPaths } from '../../util/walk.js';
import { YamlSource } from '../../util/yaml-source.js';
import { formatDuration, parseDuration } from '../../util/units.js';
import { type Params, RULES } from './check.js';

const PLACEHOLDER = /^(todo|tbd|fixme|xxx+|n\/?a|none|changeme|-|\.\.\.|placeholder)$/i;

export async function run(ctx: CheckContext, p: Params): Promise<CheckOutcome> {
  const redactor = new Redactor();
  const outcome = await judge(ctx, p, redactor);
  return redactor.redact(outcome);
}

interface Requirement {
  id: 'error-rate' | 'latency' | 'availability';
  wording: string;
  /** Whether an alert meets it, and what it reads (or why not, when it is about it at all). */
  assess(expr: Expr): { ok: boolean; reading: string } | undefined;
}

async function judge(ctx: CheckContext, p: Params, redactor: Redactor) {
  const alertmanagerPath =
    p.alertmanager === undefined
      ? undefined
      : typeof p.alertmanager === 'string'
        ? p.alertmanager
        : p.alertmanager.path;
  const { files, missing } = expandPaths(ctx.root, p.paths, /\.(ya?ml|json)$/i);
  const ruleFileNames = files.filter((file) => file !== alertmanagerPath?.replace(/^\.\//, ''));
  if (missing.length > 0)
    return {
      status: 'error' as const,
      summary: `${missing.join(', ')} named in paths but not found: fix the path, or remove it`,
    };
  // A glob that matches nothing is as wrong as a missing file: the rules it meant are not read.
  const emptyGlobs = p.paths.filter(
    (pattern) =>
      /[*?[]/.test(pattern) && expandPaths(ctx.root, [pattern], /\.(ya?ml|json)$/i).files.length === 0,
  );
  if (emptyGlobs.length > 0)
    return {
      status: 'error' as const,
      summary: `${emptyGlobs.join(', ')} in paths matches no file: fix the pattern, or remove it`,
    };
  if (ruleFileNames.length === 0)
    return { status: 'error' as const, summary: `no rule files found at ${p.paths.join(', ')}` };

  const texts = ruleFileNames.map((file) => ({ file, text: readFileSync(ctx.resolve(file), 'utf8') }));
  const read = readRuleFiles(texts);
  if (read.unparseable.length > 0)
    return {
      status: 'error' as const,
      summary: read.unparseable
        .map((u) => `${u.file}:${u.line}:${u.column}: not valid YAML: ${u.message}`)
        .join('; '),
      evidence: read.unparseable.map((u) => ({
        type: 'location' as const,
        path: u.file,
        line: u.line,
        column: u.column,
        note: `not valid YAML: ${u.message}`,
      })),
    };
  const alerts = read.rules.filter((rule) => rule.kind === 'alert');
  if (read.ruleFiles.length === 0 || alerts.length === 0)
    return {
      status: 'error' as const,
      summary: `no alerting rules in ${ruleFileNames.join(', ')}${read.ruleFiles.length ? ' (only recording rules)' : ''}${read.skipped.length ? ` — skipped: ${read.skipped.map((s) => `${s.file} (${s.why})`).join(', ')}` : ''}`,
    };

  const findings: Finding[] = read.problems.map((problem) => ({
    rule: problem.rule,
    message: problem.message,
    path: problem.file,
    line: problem.line,
    ...(problem.column ? { column: problem.column } : {}),
    ...(problem.excerpt ? { excerpt: problem.excerpt } : {}),
  }));
  const at = (rule: AlertingRule) => ({ path: rule.file, line: rule.line });
  const where = (rule: AlertingRule) => `${rule.file}:${rule.line}`;

  // Recording rules Prometheus loads: alerts on their series are read through them.
  const recorded = new Map<string, Expr>();
  for (const rule of read.rules)
    if (rule.kind === 'record' && rule.parsed && !rule.refused) recorded.set(rule.name, rule.parsed);
  const live = alerts.filter((alert) => alert.parsed && !alert.refused);
  const expanded = new Map(live.map((alert) => [alert, expandRecorded(alert.parsed!, recorded)]));
  const broken = new Map<AlertingRule, string>();
  for (const [alert, expr] of expanded) {
    const why = brokenCondition(expr, alert.name, {
      scrapeSeconds: parseDuration(p.scrape_interval)! / 1000,
    });
    if (why) {
      broken.set(alert, why);
      findings.push({
        rule: 'alerts/broken-condition',
        message: why,
        ...at(alert),
        excerpt: alert.expr.trim().split('\n')[0],
      });
    }
  }

  // Requirements.
  const requirements = requirementsOf(p);
  const timingLimits = {
    maxOffsetSeconds: parseDuration(p.max_offset)! / 1000,
    maxWindowSeconds: parseDuration(p.max_window)! / 1000,
  };
  const late = new Map<AlertingRule, string>();
  // Offsets make any alert late, required or not.
  for (const [alert, expr] of expanded) {
    if (broken.has(alert)) continue;
    const tooLate = lateness(expr, { maxOffsetSeconds: timingLimits.maxOffsetSeconds });
    if (!tooLate) continue;
    const message = `"${alert.name}": ${tooLate.why}`;
    late.set(alert, message);
    findings.push({
      rule: 'alerts/timing',
      message,
      ...at(alert),
      excerpt: alert.expr.trim().split('\n')[0],
    });
  }
  findings.push(...groupFindings(alerts, p));
  const rows: Row[] = [];
  const judgedAlerts = new Set<AlertingRule>();
  const roles = new Map<AlertingRule, string[]>();
  for (const requirement of requirements) {
    const met: AlertingRule[] = [];
    // Near misses: alerts that read as this kind but fall short first, then ones only named like it.
    const nearest: Array<{ alert: AlertingRule; text: string; byName: boolean }> = [];
    const near = {
      push: (text: string, alert: AlertingRule, byName = false) => nearest.push({ alert, text, byName }),
    };
    for (const alert of alerts) {
      if (!alert.parsed || alert.refused) {
        if (nameHints(requirement.id, alert.name))
          near.push(
            `${alert.name} (${where(alert)}) is not loaded: ${alert.refused ? `Prometheus refuses its ${alert.refused.split(':')[0]} (${alert.refused})` : 'its expression does not parse'}`,
            alert,
            true,
          );
        continue;
      }
      const assessed = requirement.assess(expanded.get(alert)!);
      if (!assessed) {
        if (nameHints(requirement.id, alert.name))
          near.push(
            `${alert.name} (${where(alert)}) does not read as one: ${render(alert.parsed)}`,
            alert,
            true,
          );
        continue;
      }
      if (assessed.ok && broken.has(alert)) {
        near.push(`${alert.name} (${where(alert)}) ${assessed.reading}, but ${broken.get(alert)}`, alert);
        continue;
      }
      const tooLate = assessed.ok ? lateness(expanded.get(alert)!, timingLimits) : undefined;
      if (tooLate) {
        const message = `"${alert.name}": ${tooLate.why}`;
        if (!late.has(alert)) {
          late.set(alert, message);
          findings.push({
            rule: 'alerts/timing',
            message,
            ...at(alert),
            excerpt: alert.expr.trim().split('\n')[0],
          });
        }
        near.push(`${alert.name} (${where(alert)}) ${assessed.reading}, but ${message}`, alert);
        rows.push([
          requirement.wording,
          alert.name,
          where(alert),
          assessed.reading,
          'does not count: too late',
        ]);
        continue;
      }
      if (assessed.ok) {
        met.push(alert);
        roles.set(alert, [...(roles.get(alert) ?? []), requirement.id]);
        rows.push([requirement.wording, alert.name, where(alert), assessed.reading, 'meets it']);
      } else {
        near.push(`${alert.name} (${where(alert)}): ${assessed.reading}`, alert);
        rows.push([requirement.wording, alert.name, where(alert), assessed.reading, 'does not count']);
      }
    }
    for (const alert of met) judgedAlerts.add(alert);
    nearest.sort((a, b) => Number(a.byName) - Number(b.byName));
    if (met.length === 0) {
      // Pointed at the nearest miss, else at the first rule file.
      const anchor = nearest[0]?.alert;
      findings.push({
        rule: `alerts/${requirement.id}`,
        message: `no alert ${requirement.wording}${
          nearest.length
            ? `; nearest: ${nearest
                .slice(0, 3)
                .map((n) => n.text)
                .join('; ')}`
            : ''
        }`,
        path: anchor?.file ?? read.ruleFiles[0]!,
        ...(anchor ? { line: anchor.line } : {}),
      });
      if (nearest.length === 0)
        rows.push([requirement.wording, '—', '—', 'no alert reads as one', 'MISSING']);
    }
  }
  // With no requirement, every alert is held to the form.
  if (requirements.length === 0) for (const alert of live) judgedAlerts.add(alert);

  findings.push(...formFindings([...judgedAlerts], p));

  const evidence: Evidence[] = [];
  const couldNotTell: string[] = [];
  const measured: Record<string, number | string> = {
    alerts: alerts.length,
    alerts_loaded: live.length,
    recording_rules: read.rules.length - alerts.length,
  };

  // Cross-check with what the service exports.
  const metricRows = await crossCheck(ctx, p, live, recorded, redactor, {
    findings,
    evidence,
    measured,
    couldNotTell,
  });
  // Alertmanager routing.
  // Alerts that fire all the time (a Watchdog on vector(1)): as inhibition sources they mute for good.
  // Any alert on no metric (`time() > 0`, `vector(1)`) may fire at every evaluation: unless it
  // provably never fires, it is taken as always firing.
  const alwaysFiring = live.filter((alert) => mayAlwaysFire(expanded.get(alert)!));
  const routeRows = judgeRouting(ctx, p, alertmanagerPath, [...judgedAlerts], alwaysFiring, redactor, {
    findings,
    evidence,
    measured,
    couldNotTell,
  });

  evidence.unshift({
    type: 'table',
    title: 'alerting rules',
    columns: ['alert', 'where', 'for', 'severity', 'counts for', 'expression'],
    rows: alerts.map((alert) => [
      alert.name,
      where(alert),
      alert.forText ?? '—',
      alert.labels.severity ?? '—',
      alert.refused
        ? `not loaded (refused at ${alert.refused})`
        : broken.has(alert)
          ? 'nothing: cannot fire'
          : late.has(alert) && !roles.has(alert)
            ? 'nothing: too late'
            : (roles.get(alert) ?? []).join(', ') || '—',
      alert.expr.trim().replace(/\s+/g, ' ').slice(0, 160),
    ]),
  });
  if (requirements.length)
    evidence.push({
      type: 'table',
      title: 'required alerts',
      columns: ['requirement', 'alert', 'where', 'reads as', 'result'],
      rows,
    });
  if (metricRows.length)
    evidence.push({
      type: 'table',
      title: 'metrics the alerts use',
      columns: ['alert', 'metric', 'service', 'closest exported'],
      rows: metricRows,
    });
  if (routeRows.length)
    evidence.push({
      type: 'table',
      title: 'Alertmanager routes',
      columns: ['alert', 'severity', 'receiver', 'integrations', 'route (lines)', 'result'],
      rows: routeRows,
    });

  const inline = texts.flatMap(
    ({ file, text }) => parseInlineIgnores(file, text.split(/\r?\n/), 'alerts').ignores,
  );
  const outcome = ruleOutcome({
    ruleset: RULES,
    findings,
    inline,
    spec: p.ignore,
    levels: p.levels,
    ...(p.rules ? { only: p.rules } : {}),
    judged: read.ruleFiles,
    evidence,
    measured,
  });
  const threshold = {
    ...outcome.threshold,
    ...(p.require.latency
      ? {
          latency: `p${Number((p.require.latency.quantile * 100).toPrecision(4))} <= ${formatDuration(parseDuration(p.require.latency.max)!)}`,
        }
      : {}),
    ...(typeof p.require.error_rate === 'object' && p.require.error_rate.max !== undefined
      ? { error_rate: `<= ${formatShare(p.require.error_rate.max)}` }
      : {}),
  };
  if (outcome.status === 'pass') {
    if (couldNotTell.length)
      return { ...outcome, threshold, status: 'error' as const, summary: couldNotTell.join('; ') };
    // `rules:` picks some rules: the generic summary names what ran.
    if (p.rules) return { ...outcome, threshold };
    const parts = [
      `${live.length} alert${live.length === 1 ? '' : 's'} in ${read.ruleFiles.length} file${read.ruleFiles.length === 1 ? '' : 's'}`,
      requirements.length
        ? `required alerts present (${requirements.map((r) => r.id).join(', ')})`
        : 'no requirement given: every alert held to the form',
      p.metrics === false ? 'metrics cross-check OFF' : 'every metric they use is exported',
      alertmanagerPath ? 'each routed to a receiver that notifies' : '',
    ].filter(Boolean);
    return { ...outcome, threshold, summary: parts.join('; ') };
  }
  if (couldNotTell.length && outcome.status === 'fail')
    return {
      ...outcome,
      threshold,
      summary: `${outcome.summary}; also could not tell: ${couldNotTell.join('; ')}`,
    };
  return { ...outcome, threshold };
}

/** Group settings that delay or drop every alert of the group (once per group). */
function groupFindings(alerts: AlertingRule[], p: Params): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<GroupSettings>();
  const maxInterval = parseDuration(p.max_group_interval)! / 1000;
  const maxQueryOffset = parseDuration(p.max_query_offset)! / 1000;
  for (const alert of alerts) {
    const settings = alert.groupSettings;
    if (!settings || seen.has(settings)) continue;
    seen.add(settings);
    const { interval, queryOffset, limit } = settings;
    if (interval?.seconds !== undefined && interval.seconds > maxInterval)
      out.push({
        rule: 'alerts/timing',
        message: `group "${alert.group}" is evaluated every ${interval.text} ("interval"), longer than ${formatSeconds(maxInterval)}: its alerts fire up to ${interval.text} late`,
        path: alert.file,
        line: interval.line,
      });
    if (queryOffset?.seconds !== undefined && queryOffset.seconds > maxQueryOffset)
      out.push({
        rule: 'alerts/timing',
        message: `group "${alert.group}" has "query_offset: ${queryOffset.text}", longer than ${formatSeconds(maxQueryOffset)}: its alerts evaluate data ${queryOffset.text} old`,
        path: alert.file,
        line: queryOffset.line,
      });
    if (limit)
      out.push({
        rule: 'alerts/group-limit',
        message: `group "${alert.group}" has "limit: ${limit.value}": when its alerts yield more than ${limit.value} alert(s) at once, Prometheus fails ALL alerts of the group`,
        path: alert.file,
        line: limit.line,
      });
  }
  return out;
}

/** `for:`, the severity label and the annotations of the alerts held to the form. */
function formFindings(alerts: AlertingRule[], p: Params): Finding[] {
  const out: Finding[] = [];
  const minFor = p.min_for === undefined ? undefined : parseDuration(p.min_for)! / 1000;
  const maxFor = parseDuration(p.max_for)! / 1000;
  for (const alert of alerts) {
    if (alert.forSeconds === undefined || alert.forSeconds === 0)
      out.push({
        rule: 'alerts/for',
        message: `"${alert.name}" has ${alert.forText === undefined ? 'no "for:"' : `"for: ${alert.forText}"`}: it fires on the first evaluation that matches, one bad scrape pages someone`,
        path: alert.file,
        line: alert.line,
      });
    else if (minFor !== undefined && alert.forSeconds < minFor)
      out.push({
        rule: 'alerts/for',
        message: `"${alert.name}" has "for: ${alert.forText}", shorter than ${formatDuration(minFor * 1000)}`,
        path: alert.file,
        line: alert.line,
      });
    else if (alert.forSeconds > maxFor)
      out.push({
        rule: 'alerts/for',
        message: `"${alert.name}" has "for: ${alert.forText}", longer than ${formatDuration(maxFor * 1000)}: it pages too late`,
        path: alert.file,
        line: alert.line,
      });
    const severity = alert.labels.severity;
    if (severity === undefined || severity.trim() === '')
      out.push({
        rule: 'alerts/severity',
        message: `"${alert.name}" has no severity label`,
        path: alert.file,
        line: alert.line,
      });
    else if (!p.severities.includes(severity))
      out.push({
        rule: 'alerts/severity',
        message: `"${alert.name}" has severity "${severity}", not one of ${p.severities.join(', ')}`,
        path: alert.file,
        line: alert.line,
      });
    const lacking = p.annotations.filter((name) => {
      const value = alert.annotations[name]?.trim();
      return (
        value === undefined ||
        value === '' ||
        PLACEHOLDER.test(value) ||
        // "{{ $labels.runbook }}": a link only the series could fill in, none the rule gives.
        (/runbook|_url$/.test(name) && /^\{\{[^}]*\}\}$/.test(value))
      );
    });
    if (lacking.length)
      out.push({
        rule: 'alerts/annotations',
        message: `"${alert.name}" lacks ${lacking.map((name) => (alert.annotations[name]?.trim() ? `${name} (a placeholder: "${alert.annotations[name]!.trim()}")` : name)).join(', ')}`,
        path: alert.file,
        line: alert.line,
      });
  }

  return out;
}

interface Collected {
  findings: Finding[];
  evidence: Evidence[];
  measured: Record<string, number | string>;
  /** Why part of the judgement could not be made: an error unless something failed. */
  couldNotTell: string[];
}

type Row = Array<string | number | null>;

/** Missing names for which the closest exported names are looked up. */
const CLOSEST_SEARCHES = 50;

/** Every metric (and label) the loaded alerts use, against what the service exports. */
async function crossCheck(
  ctx: CheckContext,
  p: Params,
  live: AlertingRule[],
  recorded: ReadonlyMap<string, Expr>,
  redactor: Redactor,
  { findings, evidence, measured, couldNotTell }: Collected,
): Promise<Row[]> {
  const metricRows: Row[] = [];
  const searched = new Set<string>();
  if (p.metrics === false) {
    evidence.push({
      type: 'text',
      title: 'metrics cross-check',
      text: 'turned off in the spec (metrics: false): the metric names the alerts use were not compared with what the service exports',
    });
    measured.cross_check = 'off';
  } else {
    const exposition = await readExposition(ctx, p.metrics, redactor);
    if ('error' in exposition) couldNotTell.push(exposition.error);
    else {
      evidence.push(exposition.evidence);
      measured.exported_names = exposition.names.size;
      const external = [...DEFAULT_EXTERNAL_METRICS, ...p.metrics.external];
      const notes = new Set<string>();
      for (const alert of live) {
        for (const use of metricsUsed(alert.parsed!, recorded)) {
          const label = use.via ? `${use.name} (via recording rule ${use.via})` : use.name;
          let exported: boolean;
          let shownClosest = '';
          if (use.pattern !== undefined) {
            const found = exposition.names.matching(use.pattern);
            exported = found.length > 0;
            shownClosest = found.slice(0, 3).join(', ');
          } else if (isExternal(use.name, external)) {
            metricRows.push([alert.name, label, 'from elsewhere (allowed)', '']);
            continue;
          } else exported = exposition.names.has(use.name);
          if (!exported) {
            // The closest names for the first missing ones; past that, something wholesale is wrong.
            if (use.pattern === undefined && !searched.has(use.name) && searched.size < CLOSEST_SEARCHES)
              searched.add(use.name);
            const closest = searched.has(use.name) ? exposition.names.closest(use.name) : [];
            // level:metric:operations is how recorded series are named.
            const recordedHint = use.name.includes(':')
              ? '; a recorded series? add the file with its recording rule to paths'
              : '';
            shownClosest = closest.join(', ');
            findings.push({
              rule: 'alerts/metric-not-exported',
              message: `alert "${alert.name}" uses ${use.pattern !== undefined ? `{__name__=~"${use.pattern}"}` : label}, which ${exposition.source} does not export${exposition.names.size === 0 ? ' (it exports no metric at all)' : closest.length ? ` (closest: ${closest.join(', ')})` : ''}: the alert can never fire${recordedHint}`,
              path: alert.file,
              line: alert.line,
            });
          }
          metricRows.push([alert.name, label, exported ? 'exported' : 'NOT EXPORTED', shownClosest]);
          if (exported && use.pattern === undefined) {
            const series = exposition.names.seriesOf(use.name);
            const targetLabels = [...DEFAULT_TARGET_LABELS, ...p.metrics.target_labels];
            for (const matcher of use.all) {
              if (targetLabels.includes(matcher.label)) continue;
              if (!series) {
                notes.add(
                  `${use.name} has no series in ${exposition.source} yet: the values its labels take were not checked`,
                );
                continue;
              }
              const verdict = matcherCanMatch(matcher, series);
              if (verdict.ok === 'unknown') couldNotTell.push(`alert "${alert.name}": ${verdict.why}`);
              else if (verdict.ok === 'skipped')
                notes.add(`alert "${alert.name}" on ${use.name}: ${verdict.why}`);
              else if (!verdict.ok)
                findings.push({
                  rule: 'alerts/label-not-exported',
                  message: `alert "${alert.name}" selects ${use.name}{${matcher.label}${matcher.op}"${matcher.value}"}, but no series of ${use.name} in ${exposition.source} has such a ${matcher.label} (its values: ${verdict.present
                    .slice(0, 10)
                    .map((v) => JSON.stringify(v))
                    .join(', ')}${verdict.present.length > 10 ? ', …' : ''}): the selector matches nothing`,
                  path: alert.file,
                  line: alert.line,
                });
            }
          }
          const carried =
            exported && use.pattern === undefined ? exposition.names.labelsOf(use.name) : undefined;
          if (carried) {
            const targetLabels = [...DEFAULT_TARGET_LABELS, ...p.metrics.target_labels];
            for (const matcher of use.required) {
              if (carried.has(matcher.label) || targetLabels.includes(matcher.label)) continue;
              findings.push({
                rule: 'alerts/label-not-exported',
                message: `alert "${alert.name}" selects ${use.name}{${matcher.label}${matcher.op}"${matcher.value}"}, but ${exposition.source} exports ${use.name} without a "${matcher.label}" label (its labels: ${[...carried].sort().join(', ') || 'none'}): the selector matches nothing`,
                path: alert.file,
                line: alert.line,
              });
            }
          }
        }
      }
      if (notes.size)
        evidence.push({ type: 'text', title: 'label values not checked', text: [...notes].join('\n') });
    }
  }

  return metricRows;
}

/** Where Alertmanager sends each alert held to the form, and whether anyone is notified. */
function judgeRouting(
  ctx: CheckContext,
  p: Params,
  alertmanagerPath: string | undefined,
  alerts: AlertingRule[],
  alwaysFiring: AlertingRule[],
  redactor: Redactor,
  { findings, evidence, couldNotTell }: Collected,
): Row[] {
  const routeRows: Row[] = [];
  if (alertmanagerPath !== undefined) {
    const config = readAlertmanagerFile(ctx, alertmanagerPath);
    const amShown = ctx.display(ctx.resolve(alertmanagerPath));
    if (typeof config === 'string') couldNotTell.push(config);
    else {
      for (const secret of config.secretValues) redactor.add(secret, 'alertmanager');
      for (const problem of config.problems)
        findings.push({
          rule: 'alerts/delivery',
          message: problem.message,
          path: amShown,
          line: problem.line,
        });
      if (config.route) {
        const extra = typeof p.alertmanager === 'object' ? p.alertmanager.labels : {};
        for (const alert of alerts) {
          const labels: Record<string, string> = { ...alert.labels, ...extra, alertname: alert.name };
          const muted = mutedForGood(config.inhibitRules, labels, alwaysFiring, extra);
          if (muted)
            findings.push({
              rule: 'alerts/delivery',
              message: `"${alert.name}" is muted for good by the inhibit rule at ${amShown}:${muted.rule.line}: "${muted.source}" can fire at any time, whatever the service does, and matches its source side${muted.rule.equal.length ? ` with equal ${muted.rule.equal.join(', ')}` : ', with no "equal" labels'}`,
              path: amShown,
              line: muted.rule.line,
            });
          for (const delivery of route(config.route, labels)) {
            const receiver = config.receivers.get(delivery.receiver);
            const working = receiver?.integrations.filter((integration) => !integration.problem) ?? [];
            const shown = receiver
              ? receiver.integrations
                  .map((i) => (i.problem ? `${i.kind} (${i.problem})` : i.kind))
                  .join(', ') || 'none'
              : 'not defined';
            routeRows.push([
              alert.name,
              labels.severity ?? '',
              delivery.receiver || '(none)',
              shown,
              `${amShown}:${delivery.path.join(' → ')}`,
              delivery.mutedAlways
                ? `MUTED (${delivery.mutedAlways} covers all time)`
                : working.length
                  ? delivery.timeLimited
                    ? `delivered (${delivery.timeLimited})`
                    : 'delivered'
                  : 'NOT DELIVERED',
            ]);
            if (delivery.mutedAlways)
              findings.push({
                rule: 'alerts/delivery',
                message: `"${alert.name}" is routed through a route with mute_time_intervals "${delivery.mutedAlways}", which covers all time: it is never delivered`,
                path: amShown,
                line: delivery.path[delivery.path.length - 1],
              });
            else if (working.length === 0)
              findings.push({
                rule: 'alerts/delivery',
                message: `"${alert.name}" (severity ${labels.severity ?? 'none'}) is routed to receiver "${delivery.receiver}", ${receiver ? (receiver.integrations.length ? `whose integrations cannot deliver (${shown})` : 'which has no integration') : 'which is not defined'}: its notifications go nowhere`,
                path: amShown,
                line: receiver?.line ?? delivery.path[delivery.path.length - 1],
              });
          }
        }
      }
    }
  } else
    evidence.push({
      type: 'text',
      title: 'Alertmanager routing',
      text: 'not checked: no "alertmanager:" in the spec',
    });

  return routeRows;
}

/** The inhibit rule, if any, through which an always-firing alert mutes these labels. */
function mutedForGood(
  rules: InhibitRule[],
  target: Record<string, string>,
  alwaysFiring: AlertingRule[],
  extra: Record<string, string>,
): { rule: InhibitRule; source: string } | undefined {
  const all = (matchers: InhibitRule['source'], labels: Record<string, string>) =>
    matchers.every((matcher) => matches(matcher, labels));
  for (const rule of rules) {
    for (const always of alwaysFiring) {
      const source: Record<string, string> = { ...always.labels, ...extra, alertname: always.name };
      if (source.alertname === target.alertname) continue;
      // Alertmanager: an alert on both sides of a rule is not muted by another on both sides.
      if (all(rule.source, target) && all(rule.target, source)) continue;
      if (mutedBy(rule, source, target)) return { rule, source: always.name };
    }
  }
  return undefined;
}

function requirementsOf(p: Params): Requirement[] {
  const out: Requirement[] = [];
  const errorRate = p.require.error_rate;
  if (errorRate !== undefined && errorRate !== false) {
    const max = typeof errorRate === 'object' ? errorRate.max : undefined;
    out.push({
      id: 'error-rate',
      wording: `on the error rate${max !== undefined ? ` with a threshold <= ${formatShare(max)}` : ''}`,
      assess(expr) {
        let best: { ok: boolean; reading: string } | undefined;
        for (const trigger of triggers(expr).triggers) {
          const reading = readErrorRate(trigger);
          if (reading === undefined) continue;
          if (typeof reading === 'string') {
            best ??= { ok: false, reading };
            continue;
          }
          if (trigger.op !== '>' && trigger.op !== '>=') {
            best ??= {
              ok: false,
              reading: `fires when the errors are ${trigger.op} ${reading.threshold}, not above a threshold`,
            };
            continue;
          }
          const shown = `errors ${trigger.op} ${reading.ratio !== undefined ? formatShare(reading.ratio) : `${reading.threshold} (a rate, not a share)`}`;
          if (max !== undefined && reading.ratio === undefined) {
            best = {
              ok: false,
              reading: `${shown}: not a share of requests, so it cannot be compared with ${formatShare(max)}`,
            };
            continue;
          }
          if (max !== undefined && reading.ratio! > max) {
            best = { ok: false, reading: `${shown}: looser than ${formatShare(max)}` };
            continue;
          }
          return { ok: true, reading: shown };
        }
        return best;
      },
    });
  }
  const latency = p.require.latency;
  if (latency) {
    const maxSeconds = parseDuration(latency.max)! / 1000;
    const q = latency.quantile;
    const pq = (value: number) => `p${Number((value * 100).toPrecision(4))}`;
    out.push({
      id: 'latency',
      wording: `on latency at ${pq(q)} with a threshold <= ${formatDuration(maxSeconds * 1000)}`,
      assess(expr) {
        let best: { ok: boolean; reading: string } | undefined;
        for (const trigger of triggers(expr).triggers) {
          const reading = readLatency(trigger);
          if (reading === undefined) continue;
          if (typeof reading === 'string') {
            best ??= { ok: false, reading };
            continue;
          }
          const at = `${pq(reading.quantile)} of ${reading.metric}`;
          if (reading.op !== '>' && reading.op !== '>=') {
            best = {
              ok: false,
              reading: `${at} ${reading.op} ${reading.threshold}: fires when latency is low, not high`,
            };
            continue;
          }
          if (reading.thresholdSeconds === undefined) {
            best = {
              ok: false,
              reading: `${at} ${reading.op} ${reading.threshold}: the unit of ${reading.metric} is unknown (Prometheus names end in _seconds)`,
            };
            continue;
          }
          const shown = `${at} ${reading.op} ${reading.threshold} (${formatDuration(reading.thresholdSeconds * 1000)})`;
          if (reading.quantile + 1e-9 < q) {
            best = { ok: false, reading: `${shown}: ${pq(reading.quantile)} is below the required ${pq(q)}` };
            continue;
          }
          if (reading.thresholdSeconds > maxSeconds * (1 + 1e-9)) {
            best = { ok: false, reading: `${shown}: looser than ${formatDuration(maxSeconds * 1000)}` };
            continue;
          }
          return { ok: true, reading: shown };
        }
        return best;
      },
    });
  }
  if (p.require.availability) {
    out.push({
      id: 'availability',
      wording: 'on availability (the service down)',
      assess(expr) {
        const absent = absentTrigger(expr);
        if (absent) return { ok: true, reading: `fires on ${render(absent)}` };
        let best: { ok: boolean; reading: string } | undefined;
        for (const trigger of triggers(expr).triggers) {
          const reading = readAvailability(trigger);
          if (reading === undefined) continue;
          if (typeof reading === 'string') {
            best ??= { ok: false, reading };
            continue;
          }
          return { ok: true, reading: `${render(trigger.subject)} ${reading.op} ${reading.threshold}` };
        }
        return best;
      },
    });
  }
  return out;
}

const HINTS: Record<Requirement['id'], RegExp> = {
  'error-rate': /error|5xx|fail/i,
  latency: /latency|slow|duration|p9\d|response.?time/i,
  availability: /down|unavailable|absent|availability|target.?missing|up$/i,
};

function nameHints(requirement: Requirement['id'], name: string): boolean {
  return HINTS[requirement].test(name);
}

/** Metric names an expression reads, following recorded series to their rule's expression. */
interface MetricUse {
  name: string;
  pattern?: string;
  via?: string;
  /** Matchers that need the label to be there (`status=~"5.."`, not `status!="200"`). */
  required: LabelMatcher[];
  /** Every matcher on it, to judge against the values its series carry. */
  all: LabelMatcher[];
}

function metricsUsed(expr: Expr, recorded: ReadonlyMap<string, Expr>): MetricUse[] {
  const out = new Map<string, MetricUse>();
  const visit = (node: Expr, via: string | undefined, depth: number) => {
    for (const selector of selectors(node)) {
      if (selector.name !== undefined) {
        const inner = recorded.get(selector.name);
        if (inner && depth < 8) {
          visit(inner, via ?? selector.name, depth + 1);
          continue;
        }
        const use = out.get(selector.name) ?? {
          name: selector.name,
          ...(via ? { via } : {}),
          required: [],
          all: [],
        };
        out.set(selector.name, use);
        for (const matcher of selector.matchers)
          if (
            !use.all.some(
              (m) => m.label === matcher.label && m.op === matcher.op && m.value === matcher.value,
            )
          )
            use.all.push(matcher);
        for (const matcher of selector.matchers)
          if (needsLabel(matcher) && !use.required.some((m) => m.label === matcher.label))
            use.required.push(matcher);
      } else if (selector.namePattern !== undefined) {
        const key = `~${selector.namePattern}`;
        if (!out.has(key))
          out.set(key, {
            name: key,
            pattern: selector.namePattern,
            ...(via ? { via } : {}),
            required: [],
            all: [],
          });
      }
    }
  };
  visit(expr, undefined, 0);
  return [...out.values()];
}

/** A matcher no series without the label can satisfy (a missing label reads as ""). */
function needsLabel(matcher: LabelMatcher): boolean {
  if (matcher.op === '=') return matcher.value !== '';
  if (matcher.op !== '=~') return false;
  try {
    return !new RegExp(`^(?:${matcher.value})$`).test('');
  } catch {
    return false;
  }
}

type ExpositionRead = { error: string } | { names: ExportedNames; source: string; evidence: Evidence };

async function readExposition(
  ctx: CheckContext,
  source: Exclude<Params['metrics'], false>,
  redactor: Redactor,
): Promise<ExpositionRead> {
  if (source.file !== undefined) {
    const absolute = ctx.resolve(source.file);
    const shown = ctx.display(absolute);
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch (error) {
      return {
        error: `cannot read the saved exposition ${shown}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (error as Error).message}`,
      };
    }
    const exposition = parseExposition(text);
    if (exposition.families.size === 0)
      return { error: `${shown} holds no metric: is it a saved /metrics exposition?` };
    return {
      names: new ExportedNames(exposition, text),
      source: `the saved exposition ${shown}`,
      evidence: {
        type: 'file',
        path: shown,
        size: Buffer.byteLength(text),
        sha256: sha256OfText(text),
        note: `saved exposition: ${exposition.families.size} metric families${problemsNote(exposition.problems)}`,
      },
    };
  }
  const secrets = new Secrets();
  let url: string;
  const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4' };
  try {
    const env = templateEnv(ctx);
    for (const [name, value] of Object.entries(source.headers)) {
      headers[name.toLowerCase()] = secrets.expand(value, env, `metrics.headers.${name}`);
      redactor.addHeader(name, headers[name.toLowerCase()]!);
    }
    if (source.url !== undefined) url = source.url;
    else if (ctx.service) url = `${ctx.service.url}${source.path}`;
    else
      return {
        error:
          'no service to read /metrics from: give metrics.file (a saved exposition) or metrics.url, or metrics: false to turn the cross-check off',
      };
  } catch (error) {
    if (error instanceof TemplateError) return { error: error.message };
    throw error;
  }
  const client = new HttpClient();
  try {
    const exchange = await client.send(
      { method: 'GET', url, headers, timeoutMs: 10_000, maxBodyBytes: 16 * 1024 * 1024 },
      ctx.signal,
    );
    if (exchange.status === undefined) return { error: `GET ${url}: ${exchange.error ?? 'no answer'}` };
    const text = exchange.body.toString('utf8');
    if (exchange.status === 404)
      // The service has no metrics endpoint: it exports nothing any alert could watch.
      return {
        names: new ExportedNames(parseExposition('')),
        source: `the service (GET ${source.url ?? source.path} answers 404)`,
        evidence: {
          type: 'text',
          title: `GET ${url}`,
          text: `404: the service has no metrics at ${source.url ?? source.path}`,
        },
      };
    if (exchange.status !== 200) return { error: `GET ${url} answered ${exchange.status}, not the metrics` };
    if (exchange.truncated) return { error: `GET ${url}: the exposition is larger than 16 MB` };
    const exposition = parseExposition(text);
    return {
      names: new ExportedNames(exposition, text),
      source: 'the service',
      evidence: {
        type: 'text',
        title: `GET ${url}`,
        text: `200, ${exchange.bytes} bytes, ${exposition.families.size} metric families (sha256 ${sha256OfText(text).slice(0, 16)}…)${problemsNote(exposition.problems)}:\n${familyList(exposition)}`,
      },
    };
  } finally {
    await client.close();
  }
}

function familyList(exposition: ReturnType<typeof parseExposition>): string {
  const names = [...exposition.families.keys()].sort();
  return names.length > 200
    ? `${names.slice(0, 200).join('\n')}\n… and ${names.length - 200} more`
    : names.join('\n');
}

function problemsNote(problems: ReturnType<typeof parseExposition>['problems']): string {
  if (problems.length === 0) return '';
  const first = problems[0]!;
  return `; ${problems.length} line(s) a scrape would reject, first at line ${first.line}: ${first.message}`;
}

function readAlertmanagerFile(ctx: CheckContext, path: string): AlertmanagerConfig | string {
  let text: string;
  const absolute = ctx.resolve(path);
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    return `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (error as Error).message}`;
  }
  const source = new YamlSource(ctx.display(absolute), text);
  const problem = source.syntaxProblems[0];
  if (problem) return `${source.file}:${problem.line}:${problem.column}: not valid YAML: ${problem.message}`;
  const config = readAlertmanager(source);
  if (!config.route) return `${source.file}: ${config.problems[0]?.message ?? 'no route'}`;
  return config;
}
