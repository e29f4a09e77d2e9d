/**
 * Rule findings for the configuration checks (dockerfile, compose, kubernetes, secrets, ...):
 * each finding has a rule id, a message, file:line and a fix. Findings can be ignored for one
 * place with an inline comment carrying a reason, or in the spec; ignored findings stay in the
 * report as ignored, and an ignore that matches nothing is reported as unused.
 */
import { z } from 'zod';
import type { CheckOutcome } from '../engine/types.js';
import type { Evidence } from '../domain/run-report.js';
import { closest } from '../util/suggest.js';

export type Level = 'error' | 'warning';

export interface RuleInfo {
  /** "dockerfile/non-root-user" */
  id: string;
  /** What the rule wants, as a claim: "The image runs as a non-root user". */
  title: string;
  level: Level;
  /** How to fix a finding. */
  fix: string;
  /** The rules of established linters this one corresponds to (see the mapping tests). */
  refs?: string[];
}

export interface Finding {
  rule: string;
  message: string;
  path: string;
  line?: number;
  column?: number;
  excerpt?: string;
  /** Overrides the rule's fix for this finding. */
  fix?: string;
}

/** An ignore written in a file: `# mlgate-ignore dockerfile/apt-pin: only in the build stage`. */
export interface InlineIgnore {
  rules: string[];
  reason: string;
  path: string;
  /** The line of the comment. */
  line: number;
  /** Lines it covers: its own (a trailing comment) and the next line of content. */
  covers: number[];
}

export const IgnoreParam = z
  .array(
    z.strictObject({
      rule: z.string().min(1).describe('Rule id ("dockerfile/apt-pin"), or a prefix with * ("secrets/*").'),
      path: z.string().optional().describe('Only in files matching this glob.'),
      line: z.number().int().positive().optional().describe('Only at this line.'),
      reason: z.string().min(3).describe('Why it is acceptable: shown in the report.'),
    }),
  )
  .default([])
  .describe('Findings to accept, each with a reason; ignored findings stay visible.');

export const LevelsParam = z
  .record(z.string(), z.enum(['error', 'warning', 'off']))
  .default({})
  .describe(
    'Per-rule level: error (fails the check), warning (reported), off (findings listed, marked off). Keys: a rule id, or a prefix with * ("secrets/*").',
  );

/**
 * `levels:` checked against the kind's rules when the spec is read: an unknown id or a
 * wildcard that matches no rule is refused with the closest id ("secrets/*" is accepted).
 */
export function levelsParam(ruleset: RuleSet) {
  return LevelsParam.superRefine((levels, ctx) => {
    for (const message of levelProblems(ruleset, levels)) ctx.addIssue({ code: 'custom', message });
  });
}

export type SpecIgnore = z.output<typeof IgnoreParam>[number];

/**
 * `rules: [non-root-user]`: run only these rules of the kind — one checklist item, one rule.
 * Ids as `mlgate list-checks KIND` lists them, with or without the kind's prefix; an unknown
 * id is refused when the spec is read, with the closest id.
 */
export function rulesParam(ruleset: RuleSet) {
  const ids = ruleset.rules.map((rule) => rule.id);
  return z
    .array(z.string().min(1))
    .min(1)
    .superRefine((list, ctx) => {
      for (const [index, written] of list.entries()) {
        const id = fullRuleId(ruleset, written);
        if (ids.includes(id)) continue;
        const near = closest(id, ids);
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `unknown rule "${written}"${near ? `; did you mean "${near}"?` : ''} (\`mlgate list-checks ${ruleset.prefix}\` lists its rules)`,
        });
      }
    })
    .optional()
    .describe(
      `Run only these rules (ids as \`mlgate list-checks ${ruleset.prefix}\` lists them, e.g. "${ids[0] ?? ''}"); every rule when absent.`,
    );
}

function fullRuleId(ruleset: RuleSet, id: string): string {
  return id.includes('/') ? id : `${ruleset.prefix}/${id}`;
}

const INLINE =
  /mlgate-ignore\s+([A-Za-z0-9_*./-]+(?:\s*,\s*[A-Za-z0-9_*./-]+)*)\s*(?::\s*(.*?))?\s*(?:-->|\*\/)?\s*$/;

/** Finds `mlgate-ignore RULE[, RULE]: reason` comments (after #, //, <!-- or /*). */
export function parseInlineIgnores(
  path: string,
  lines: readonly string[],
  prefix: string,
): { ignores: InlineIgnore[]; problems: Finding[] } {
  const ignores: InlineIgnore[] = [];
  const problems: Finding[] = [];
  lines.forEach((text, index) => {
    const at = text.indexOf('mlgate-ignore');
    if (at === -1) return;
    const before = text.slice(0, at).trimEnd();
    if (!/(#|\/\/|<!--|\/\*)\s*$/.test(before)) return;
    const match = INLINE.exec(text.slice(at));
    if (!match) return;
    const line = index + 1;
    const reason = (match[2] ?? '').trim();
    if (reason.length < 3) {
      problems.push({
        rule: 'ignore/missing-reason',
        message: `an ignore needs a reason: "mlgate-ignore ${match[1]}: why this is acceptable"`,
        path,
        line,
        excerpt: text.trim(),
      });
      return;
    }
    const rules = match[1]!
      .split(',')
      .map((rule) => rule.trim())
      .map((rule) => (rule.includes('/') || rule.includes('*') ? rule : `${prefix}/${rule}`));
    // A comment alone on its line covers the next line that is not a comment.
    const alone = before.replace(/(#|\/\/|<!--|\/\*)\s*$/, '').trim() === '';
    const covers = [line];
    if (alone) {
      for (let next = index + 1; next < lines.length; next++) {
        const content = lines[next]!.trim();
        if (content === '' || /^(#|\/\/)/.test(content)) continue;
        covers.push(next + 1);
        break;
      }
    }
    ignores.push({ rules, reason, path, line, covers });
  });
  return { ignores, problems };
}

function ruleMatches(pattern: string, rule: string): boolean {
  return pattern.endsWith('*') ? rule.startsWith(pattern.slice(0, -1)) : pattern === rule;
}

function globToRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export function pathMatches(glob: string, path: string): boolean {
  return (
    globToRegex(glob).test(path) || (!glob.includes('/') && globToRegex(glob).test(path.split('/').pop()!))
  );
}

export interface RuleSet {
  prefix: string;
  rules: RuleInfo[];
}

export interface RuleResultOptions {
  ruleset: RuleSet;
  findings: Finding[];
  inline: InlineIgnore[];
  spec: SpecIgnore[];
  /** The spec's `levels:`; an `off` rule's findings stay listed, marked off. */
  levels: Record<string, 'error' | 'warning' | 'off'>;
  /**
   * The kind's own levels under the spec's (a probe type not required): a rule off here is
   * simply not run, as the kind's description says; the spec's `levels` override these.
   */
  defaults?: Record<string, 'error' | 'warning' | 'off'>;
  /** Files that were judged ("Dockerfile", "k8s/deployment.yaml"). */
  judged: string[];
  /** Set when there was nothing to judge: the reason (the check is then an error). */
  nothing?: string;
  /** `rules:` of the params: only these rules are judged. */
  only?: string[];
  /** Extra evidence (tables). */
  evidence?: Evidence[];
  measured?: Record<string, number | string>;
}

type LevelSetting = 'error' | 'warning' | 'off';

/**
 * `levels:` keys, checked against the kind's rules: a full id, a short id ("apt-pin"), or a
 * prefix with * ("secrets/*") as ignores take. An unknown or typo'd key is refused, never
 * silently without effect.
 */
export function levelProblems(ruleset: RuleSet, levels: Record<string, LevelSetting>): string[] {
  const ids = ruleset.rules.map((rule) => rule.id);
  const problems: string[] = [];
  for (const key of Object.keys(levels)) {
    const id = key.includes('*') ? key : fullRuleId(ruleset, key);
    if (id.includes('*') ? !id.endsWith('*') || id.indexOf('*') !== id.length - 1 : false) {
      problems.push(`levels: "${key}": * is only allowed at the end ("${ruleset.prefix}/*")`);
      continue;
    }
    if (ids.some((rule) => ruleMatches(id, rule))) continue;
    const near = closest(id, ids);
    problems.push(
      `levels: unknown rule "${key}"${near ? `; did you mean "${near}"?` : ''} (\`mlgate list-checks ${ruleset.prefix}\` lists its rules)`,
    );
  }
  return problems;
}

/**
 * The level `levels:` sets for a rule, and the key that set it: an exact id (full or short)
 * wins over a wildcard, and a longer wildcard over a shorter one.
 */
function levelFor(
  ruleset: RuleSet,
  levels: Record<string, LevelSetting>,
  rule: string,
): { level: LevelSetting; key: string } | undefined {
  let best: { level: LevelSetting; key: string; weight: number } | undefined;
  for (const [key, level] of Object.entries(levels)) {
    const id = key.includes('*') ? key : fullRuleId(ruleset, key);
    if (!ruleMatches(id, rule)) continue;
    const weight = id.includes('*') ? id.length : Number.MAX_SAFE_INTEGER;
    if (!best || weight > best.weight) best = { level, key, weight };
  }
  return best && { level: best.level, key: best.key };
}

/** Applies levels and ignores, and turns findings into the check's outcome. */
export function ruleOutcome(options: RuleResultOptions): CheckOutcome {
  const { ruleset } = options;
  // Nothing judged is never a pass: a required item must not hold by having no input.
  if (options.nothing) return { status: 'error', summary: `nothing to judge: ${options.nothing}` };
  if (options.judged.length === 0)
    return { status: 'error', summary: 'nothing to judge: no file was read', evidence: options.evidence };
  // A `levels:` key that names no rule would change nothing while looking like it did.
  const problems = levelProblems(ruleset, options.levels);
  if (problems.length > 0) return { status: 'error', summary: problems.join('; ') };
  // `rules: [...]`: every other rule is not run by this item (another item may run it).
  const only = options.only ? new Set(options.only.map((id) => fullRuleId(ruleset, id))) : undefined;
  const byId = new Map(ruleset.rules.map((rule) => [rule.id, rule]));
  const setting = (id: string) => levelFor(ruleset, options.levels, id);
  const levelOf = (id: string): LevelSetting =>
    only && !only.has(id)
      ? 'off'
      : (setting(id)?.level ?? options.defaults?.[id] ?? byId.get(id)?.level ?? 'warning');
  const usedInline = new Set<InlineIgnore>();
  const usedSpec = new Set<SpecIgnore>();
  const evidence: Evidence[] = [];
  const counts = { error: 0, warning: 0, ignored: 0, off: 0 };
  const failing: Finding[] = [];
  for (const finding of options.findings) {
    const rule = byId.get(finding.rule);
    // Findings of rules this item does not run are another item's: not reported here.
    if (only && !only.has(finding.rule)) continue;
    const level = levelOf(finding.rule);
    // Off by the kind's own default (not the spec): the rule is not run here.
    if (level === 'off' && setting(finding.rule) === undefined) continue;
    const inline = options.inline.find(
      (ignore) =>
        ignore.path === finding.path &&
        finding.line !== undefined &&
        ignore.covers.includes(finding.line) &&
        ignore.rules.some((r) => ruleMatches(r, finding.rule)),
    );
    const spec = inline
      ? undefined
      : options.spec.find(
          (ignore) =>
            ruleMatches(ignore.rule, finding.rule) &&
            (ignore.path === undefined || pathMatches(ignore.path, finding.path)) &&
            (ignore.line === undefined || ignore.line === finding.line),
        );
    if (inline) usedInline.add(inline);
    if (spec) usedSpec.add(spec);
    // A rule turned off in the spec stays visible: its findings are listed, marked off.
    const ignored =
      level === 'off'
        ? {
            reason: `turned off in the spec (levels: ${setting(finding.rule)?.key ?? finding.rule}: off)`,
            source: 'spec' as const,
          }
        : inline
          ? { reason: inline.reason, source: 'inline' as const }
          : spec
            ? { reason: spec.reason, source: 'spec' as const }
            : undefined;
    if (level === 'off') counts.off++;
    else if (ignored) counts.ignored++;
    else {
      counts[level]++;
      if (level === 'error') failing.push(finding);
    }
    evidence.push({
      type: 'finding',
      rule: finding.rule,
      level: level === 'off' ? (rule?.level ?? 'warning') : level,
      message: finding.message,
      location: {
        path: finding.path,
        ...(finding.line ? { line: finding.line } : {}),
        ...(finding.column ? { column: finding.column } : {}),
      },
      ...(finding.excerpt ? { excerpt: finding.excerpt } : {}),
      fix: finding.fix ?? rule?.fix,
      ...(ignored ? { ignored } : {}),
    });
  }
  const unused: string[] = [];
  // An ignore of a rule this item does not run is not unused: another item may run it.
  const outOfScope = (rules: string[]) =>
    only !== undefined && !rules.some((r) => [...only].some((id) => ruleMatches(r, id)));
  for (const ignore of options.inline) {
    if (usedInline.has(ignore) || outOfScope(ignore.rules)) continue;
    unused.push(`${ignore.path}:${ignore.line}`);
    evidence.push({
      type: 'finding',
      rule: 'ignore/unused',
      level: 'warning',
      message: `unused ignore of ${ignore.rules.join(', ')}: nothing it covers is reported any more; remove it`,
      location: { path: ignore.path, line: ignore.line },
    });
  }
  for (const ignore of options.spec) {
    if (usedSpec.has(ignore) || outOfScope([ignore.rule])) continue;
    unused.push(`spec ignore of ${ignore.rule}${ignore.path ? ` in ${ignore.path}` : ''}`);
    evidence.push({
      type: 'finding',
      rule: 'ignore/unused',
      level: 'warning',
      message: `unused spec ignore of ${ignore.rule}${ignore.path ? ` in ${ignore.path}` : ''} ("${ignore.reason}"): nothing matches it; remove it`,
    });
  }
  // Failures first, then warnings, ignored last.
  const rank = (e: Evidence) => (e.type !== 'finding' ? 3 : e.ignored ? 2 : e.level === 'error' ? 0 : 1);
  evidence.sort((a, b) => rank(a) - rank(b));
  const files = options.judged.length === 1 ? options.judged[0]! : `${options.judged.length} files`;
  const extras = [
    counts.warning ? `${counts.warning} warning${counts.warning > 1 ? 's' : ''}` : '',
    counts.ignored ? `${counts.ignored} ignored` : '',
    counts.off ? `${counts.off} off` : '',
    unused.length ? `${unused.length} unused ignore${unused.length > 1 ? 's' : ''}` : '',
  ].filter(Boolean);
  const tail = extras.length ? ` (${extras.join(', ')})` : '';
  // Which rules ran, and which the spec turned off: a rule off must never be invisible.
  const ran = ruleset.rules.filter((r) => levelOf(r.id) !== 'off').map((r) => r.id);
  const turnedOff = ruleset.rules
    .filter((r) => (!only || only.has(r.id)) && setting(r.id)?.level === 'off')
    .map((r) => r.id);
  // Every rule off (`levels: {"secrets/*": off}`): nothing was judged, so never a pass.
  if (ran.length === 0)
    return {
      status: 'error',
      summary: `nothing judged: every rule of ${ruleset.prefix} is turned off in the spec (levels)${tail}`,
      measured: { off: counts.off, rules_off: turnedOff.join(', ') },
      evidence: [...evidence, ...(options.evidence ?? [])],
    };
  let summary: string;
  if (failing.length === 0) {
    summary = `${files}: ${ran.length} rules hold${tail}`;
  } else {
    const first = failing.slice(0, 3).map((f) => `${f.path}${f.line ? `:${f.line}` : ''} ${f.message}`);
    summary = `${files}: ${failing.length} finding${failing.length > 1 ? 's' : ''} — ${first.join('; ')}${failing.length > 3 ? '; …' : ''}${tail}`;
  }
  return {
    status: failing.length > 0 ? 'fail' : 'pass',
    summary,
    measured: {
      errors: counts.error,
      warnings: counts.warning,
      ignored: counts.ignored,
      off: counts.off,
      unused_ignores: unused.length,
      files: options.judged.length,
      ...(only ? { rules_run: ran.join(', ') || 'none' } : {}),
      ...(turnedOff.length ? { rules_off: turnedOff.join(', ') } : {}),
      ...options.measured,
    },
    threshold: { errors: '== 0' },
    evidence: [...evidence, ...(options.evidence ?? [])],
  };
}

/** Secret-like names: JWT_SECRET, api_key, DB_PASSWORD, AWS_SECRET_ACCESS_KEY, ... */
export const SECRET_NAME =
  /(pass(word|wd)?|secret|secret[_-]?key|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|auth[_-]?key|client[_-]?secret|signing[_-]?key|encryption[_-]?key|dsn)$/i;

/** A value that is a reference to a secret, not a secret: ${VAR}, $VAR, <placeholder>, empty. */
export function isReference(value: string): boolean {
  const v = value.trim();
  return v === '' || /^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}?$/.test(v) || /^\{\{.*\}\}$/.test(v);
}

/** "abcd…(24 chars)": enough to recognise a secret, never enough to use it. */
export function mask(value: string): string {
  if (value.length <= 8) return `${'*'.repeat(value.length)} (${value.length} chars)`;
  return `${value.slice(0, 4)}…(${value.length} chars)`;
}
