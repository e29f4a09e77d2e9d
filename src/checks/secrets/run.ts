/**
 * What the secrets check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { type Finding, type InlineIgnore, pathMatches, ruleOutcome } from '../../rules/findings.js';
import { walkFiles } from '../../util/walk.js';
import { MAX_IGNORED_SCANNED, partitionByGitignore, worthScanningAnyway } from './ignored.js';
import { formatSize, type ReadTotals, type Skipped, type SkipReason, scanFile } from './read.js';
import { RULES, type SecretsParams } from './check.js';

const REASONS: SkipReason[] = ['compressed', 'unreadable', 'too large', 'ignored by .gitignore'];

/** Skipped files listed by name in the evidence, at most. */
const LISTED = 50;

export async function run(ctx: CheckContext, params: SecretsParams): Promise<CheckOutcome> {
  const root = ctx.resolve(params.path);
  const excluded = (file: string) => params.exclude.some((glob) => pathMatches(glob, file));
  // What .gitignore left out (git tracks none of it) is counted and listed, and its .env, key
  // and config files read; what git tracks is scanned whatever .gitignore says.
  const partition = params.gitignore
    ? await partitionByGitignore(root, ctx.signal)
    : { files: walkFiles(root), ignored: [], tracked: [], git: undefined };
  const files = partition.files.filter((file) => !excluded(file));
  const ignored = partition.ignored.filter((file) => !excluded(file));
  const trackedIgnored = partition.tracked.filter((file) => !excluded(file));
  // Nothing judged is never a pass: with no file to read, nothing can be said (issue 12).
  if (files.length === 0 && ignored.length === 0)
    return {
      status: 'error',
      summary: `nothing to judge: no files under ${ctx.display(root)}${params.exclude.length ? ' (after exclude)' : ''}`,
      measured: { files: 0, skipped: 0 },
    };
  const prefix = params.path === '.' ? '' : `${ctx.display(root)}/`;
  const findings: Finding[] = [];
  const inline: InlineIgnore[] = [];
  const totals: ReadTotals = { scanned: 0, unpacked: 0, binary: 0, bytes: 0, skipped: [] };
  const options = { maxFileSize: params.max_file_size, findings, inline, totals, signal: ctx.signal };
  // Files other than .gitignore itself that were read: with none, nothing was judged.
  let judgedFiles = 0;
  for (let index = 0; index < files.length; index++) {
    if (index % 500 === 0) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const file = files[index]!;
    const before = totals.scanned;
    await scanFile(`${root}/${file}`, `${prefix}${file}`, options);
    if (totals.scanned > before && !/(?:^|\/)\.gitignore$/.test(file)) judgedFiles++;
  }
  const aside = {
    findings: [] as Finding[],
    inline: [] as InlineIgnore[],
    totals: { scanned: 0, unpacked: 0, binary: 0, bytes: 0, skipped: [] } as ReadTotals,
  };
  const ignoredRows: Array<[string, string]> = [];
  let lookedAt = 0;
  for (const file of ignored) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (worthScanningAnyway(file) && lookedAt < MAX_IGNORED_SCANNED) {
      lookedAt++;
      const before = aside.totals.skipped.length;
      await scanFile(`${root}/${file}`, `${prefix}${file}`, { ...options, ...aside });
      const skipped = aside.totals.skipped.slice(before);
      ignoredRows.push([
        `${prefix}${file}`,
        skipped.length ? `read anyway, in part: ${skipped.map((s) => s.reason).join(', ')}` : 'read anyway',
      ]);
    } else ignoredRows.push([`${prefix}${file}`, 'not read']);
  }
  const counts = new Map<SkipReason, number>();
  for (const skipped of totals.skipped) counts.set(skipped.reason, (counts.get(skipped.reason) ?? 0) + 1);
  if (ignored.length) counts.set('ignored by .gitignore', ignored.length);
  const limit = `max_file_size ${formatSize(params.max_file_size)}`;
  const breakdown = REASONS.filter((reason) => counts.has(reason))
    .map((reason) => `${counts.get(reason)} ${reason}${reason === 'too large' ? ` (${limit})` : ''}`)
    .join(', ');
  // Inputs the check could not judge (an unread compression, an encrypted member, a damaged file).
  // Text too large to scan is one too: a secret in its unread part would pass (issue 12).
  const unjudged = totals.skipped.filter(
    (s) => s.reason === 'compressed' || s.reason === 'unreadable' || (s.reason === 'too large' && s.text),
  );
  const largeText = unjudged.filter((s) => s.reason === 'too large');
  const measured = {
    files: totals.scanned,
    bytes_scanned: totals.bytes,
    unpacked: totals.unpacked,
    binary_as_strings: totals.binary,
    skipped: totals.skipped.length,
    skipped_large: counts.get('too large') ?? 0,
    skipped_large_text: largeText.length,
    skipped_compressed: counts.get('compressed') ?? 0,
    skipped_unreadable: counts.get('unreadable') ?? 0,
    not_judged: unjudged.length,
    gitignored: ignored.length,
    gitignored_read: lookedAt,
    gitignored_tracked: trackedIgnored.length,
  };
  // Whether files .gitignore names but git tracks could be told apart (and scanned).
  const gitState = partition.git;
  const gitignoreRowNote = [
    lookedAt ? `${lookedAt} .env, key or config files read anyway` : '',
    trackedIgnored.length
      ? `${trackedIgnored.length} more named in .gitignore but tracked by git: scanned (git ships them)`
      : '',
    ignored.length && gitState && !gitState.available
      ? `git not asked (${gitState.reason}): a file git tracks that .gitignore names is not scanned`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
  const evidence: Evidence[] = [
    {
      type: 'table',
      title: 'Files scanned and not scanned',
      columns: ['files', 'count', 'note'],
      rows: [
        [
          'scanned',
          totals.scanned,
          [
            formatSize(totals.bytes),
            totals.unpacked ? `${totals.unpacked} unpacked from archives` : '',
            totals.binary ? `${totals.binary} binary, read for printable strings` : '',
          ]
            .filter(Boolean)
            .join(', '),
        ],
        ...REASONS.map((reason) => [
          `not scanned: ${reason}`,
          counts.get(reason) ?? 0,
          reason === 'too large'
            ? `${limit}${largeText.length ? `; ${largeText.length} of them text, not judged` : ''}`
            : reason === 'ignored by .gitignore'
              ? gitignoreRowNote
              : '',
        ]),
      ],
    },
  ];
  // What could not be judged first, then the rest by reason.
  const rank = (skipped: Skipped) =>
    REASONS.indexOf(skipped.reason) - (skipped.reason === 'too large' && skipped.text ? 1.5 : 0);
  if (totals.skipped.length > 0)
    evidence.push({
      type: 'table',
      title: `Not scanned${totals.skipped.length > LISTED ? ` (the first ${LISTED} of ${totals.skipped.length})` : ''}`,
      columns: ['path', 'reason', 'note'],
      // What could not be judged first.
      rows: [...totals.skipped]
        .sort((a, b) => rank(a) - rank(b))
        .slice(0, LISTED)
        .map((skipped) => [skipped.path, skipped.reason, skipped.note ?? '']),
    });
  if (ignoredRows.length > 0)
    evidence.push({
      type: 'table',
      title: `Ignored by .gitignore${ignoredRows.length > LISTED ? ` (the first ${LISTED} of ${ignoredRows.length})` : ''}`,
      columns: ['path', 'note'],
      // The files read anyway first: they are the ones a build may ship with a secret.
      rows: [...ignoredRows]
        .sort((a, b) => Number(a[1] === 'not read') - Number(b[1] === 'not read'))
        .slice(0, LISTED),
    });
  // Secrets in ignored files: warnings (not in git, but a build context may ship them).
  const asideOutcome = ruleOutcome({
    ruleset: RULES,
    findings: aside.findings,
    inline: aside.inline,
    spec: params.ignore,
    levels: params.levels,
    judged: ['ignored files'],
  });
  const asideWarnings = (asideOutcome.evidence ?? [])
    .filter((e) => e.type === 'finding' && e.rule !== 'ignore/unused' && e.level === 'error')
    .map((e) => ({
      ...e,
      level: 'warning' as const,
      message: `${e.type === 'finding' ? e.message : ''} (in a file .gitignore excludes: not committed, but a build context or package without an exclude for it ships it)`,
      fix: 'Keep it out of git (it is) and out of every build context (.dockerignore) and package; rotate it if it was ever shipped.',
    }));
  const warned = asideWarnings.filter((e) => e.type === 'finding' && !e.ignored).length;
  const gitignoreNote = ignored.length
    ? `${ignored.length} ignored by .gitignore${lookedAt ? `, ${lookedAt} of them read anyway (.env, key or config files)${warned ? `: ${warned} secret${warned === 1 ? '' : 's'} found, as warnings` : ''}` : ''}`
    : '';
  // Fail closed: files were there and none was read (or only .gitignore), so nothing can be said.
  if (judgedFiles === 0)
    return {
      status: 'error',
      summary:
        totals.scanned === 0 && ignored.length === 0
          ? `nothing scanned under ${ctx.display(root)}: every file was skipped: ${breakdown}`
          : `nothing judged under ${ctx.display(root)}: no file but .gitignore was scanned (${breakdown}); ` +
            'fix .gitignore (a `*` pattern?) or set `gitignore: false`',
      measured,
      evidence: [...asideWarnings, ...evidence],
    };
  const unread = REASONS.filter((reason) => reason !== 'ignored by .gitignore' && counts.has(reason))
    .map((reason) => `${counts.get(reason)} ${reason}${reason === 'too large' ? ` (${limit})` : ''}`)
    .join(', ');
  const notes = [
    formatSize(totals.bytes),
    totals.skipped.length ? `${totals.skipped.length} not scanned: ${unread}` : '',
    gitignoreNote,
  ].filter(Boolean);
  const outcome = ruleOutcome({
    ruleset: RULES,
    findings,
    inline,
    spec: params.ignore,
    levels: params.levels,
    judged: [`${totals.scanned} file${totals.scanned === 1 ? '' : 's'} (${notes.join('; ')})`],
    measured,
    evidence: [...asideWarnings, ...evidence],
  });
  if (warned) {
    outcome.measured = { ...outcome.measured, warnings: Number(outcome.measured?.warnings ?? 0) + warned };
  }
  // A file that could not be read is an input not judged: never a pass (issue 12).
  if (outcome.status === 'pass' && unjudged.length > 0) {
    const named = unjudged
      .slice(0, 3)
      .map(
        (s) => `${s.path} (${s.reason}${s.note ? `: ${s.note}` : ''}${s.text ? `, text over ${limit}` : ''})`,
      );
    const it = unjudged.length === 1 ? 'it' : 'them';
    return {
      ...outcome,
      status: 'error',
      summary:
        `${unjudged.length} file${unjudged.length === 1 ? '' : 's'} could not be scanned: ${named.join('; ')}` +
        `${unjudged.length > 3 ? '; …' : ''}; ` +
        (largeText.length
          ? `raise \`max_file_size\` to scan ${it} (streamed, memory stays bounded), or scan ${it} another way and add ${it} to \`exclude\` with a reason`
          : `scan ${it} another way and add ${it} to \`exclude\` with a reason`),
    };
  }
  return outcome;
}
