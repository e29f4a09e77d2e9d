/**
 * mlgate's command line. Each command lives in commands/<name>.ts and returns an exit code;
 * this file only wires flags to them.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TOOL_VERSION } from '../version.js';
import { REPORT_FORMATS } from '../report/formats.js';
import { ExitCode } from './exit-codes.js';
import { type CliIO, processIO } from './io.js';

/**
 * Each command's module, imported only when that command runs: `mlgate --version` and
 * `mlgate validate` must not pay for the store, the reports, the service probes or onnxruntime.
 * The help still lists every command and option (they are declared below, without their code).
 */
const commands = {
  check: () => import('./commands/check.js'),
  diff: () => import('./commands/diff.js'),
  export: () => import('./commands/export.js'),
  history: () => import('./commands/history.js'),
  import: () => import('./commands/import.js'),
  init: () => import('./commands/init.js'),
  keys: () => import('./commands/keys.js'),
  'list-checks': () => import('./commands/list-checks.js'),
  metrics: () => import('./commands/metrics.js'),
  report: () => import('./commands/report.js'),
  schema: () => import('./commands/schema.js'),
  server: () => import('./commands/server.js'),
  show: () => import('./commands/show.js'),
  signoff: () => import('./commands/signoff.js'),
  status: () => import('./commands/status.js'),
  tag: () => import('./commands/tag.js'),
  validate: () => import('./commands/validate.js'),
  verify: () => import('./commands/verify.js'),
};

const parseIds = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean),
];

const parsePositiveInt = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return number;
};

/**
 * Runs a command's work. `interruptible` commands (check) get the interrupt signal and write
 * what they have when it fires; any other command simply ends with exit 130.
 */
export type Runner = (
  work: (signal: AbortSignal) => Promise<number>,
  options?: { interruptible?: boolean; stopping?: string },
) => Promise<void>;

export function buildProgram(io: CliIO, run: Runner): Command {
  const program = new Command('mlgate')
    .description('Executable deployment checklists for ML models and their services: verify, sign off, gate.')
    .version(TOOL_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();

  program
    .command('check')
    .description('Run every check in the spec and decide PASS or BLOCKED.')
    .argument('[dir]', 'project folder holding mlgate.yaml', '.')
    .option('-c, --config <file>', 'spec file (default DIR/mlgate.yaml); its folder is the project root')
    .option('-p, --profile <name>', 'profile to run (dev, staging, prod, ...)')
    .option(
      '--only <ids>',
      'run only these item ids (comma-separated; repeatable), plus what they need',
      parseIds,
    )
    .addOption(
      new Option('-f, --format <format>', 'what stdout gets').choices(['text', 'json']).default('text'),
    )
    .option('-o, --out <file>', 'also write the JSON report to this file')
    .option(
      '-r, --report <format=file>',
      'also write a report: md=FILE, html=FILE, junit=FILE, sarif=FILE (repeatable; FILE alone goes by its extension)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('-j, --concurrency <n>', 'items run at once (default: spec defaults, else 4)', parsePositiveInt)
    .option('-v, --verbose', 'show evidence for passing items too')
    .option('-q, --quiet', 'no progress on stderr')
    .option(
      '--store <dir>',
      'the store of sign-offs and runs (default: .mlgate/ beside the spec, or $MLGATE_STORE)',
    )
    .option('--no-store', 'neither read sign-offs nor record the run (sign-offs stay pending)')
    .option(
      '--attest <file>',
      'also write the verdict as a signed in-toto attestation (SLSA verification summary), PASSED or FAILED',
    )
    .option('--key <file>', 'the private key that signs --attest (from mlgate keys generate)')
    .option(
      '--attest-subject <name@sha256:digest>',
      'one more subject of --attest, e.g. the image built from the model (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--server <url>',
      "the team's mlgate server (default $MLGATE_SERVER; token in $MLGATE_TOKEN): sign-offs and baselines from it, the run uploaded to it",
    )
    .option(
      '--mlflow-model <name/version>',
      "write the verdict to this MLflow model version's tags (MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN)",
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 PASS, 1 BLOCKED, 2 spec or usage error, 130 interrupted (partial report, BLOCKED).',
    )
    .action((dir: string, options) =>
      run(
        async (signal) =>
          (await commands.check()).checkCommand(
            dir,
            { ...options, noStore: options.store === false, store: options.store || undefined, signal },
            io,
          ),
        { interruptible: true },
      ),
    );

  /** The sign-off and history commands: a team's server instead of the local store. */
  const SERVER_HELP =
    "the team's mlgate server instead of the local store (default $MLGATE_SERVER; token in $MLGATE_TOKEN; you act as the token's identity)";
  const RUN_HELP =
    "the run on the server it binds to: a number, latest, last-pass or a tag (default: the project's latest)";

  const storeFlags = (command: Command) =>
    command
      .option('-c, --config <file>', 'spec file (default DIR/mlgate.yaml)')
      .option('--store <dir>', 'the store (default: .mlgate/ beside the spec, or $MLGATE_STORE)');

  storeFlags(
    program
      .command('approve')
      .description(
        "Record an approval of a manual item, bound to the artifacts' digests and the item as they are now.",
      )
      .argument('<item>', 'item id')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('--by <name>', 'who approves (default $MLGATE_USER, else git user.name <user.email>)')
      .option('--server <url>', SERVER_HELP)
      .option('--run <run>', RUN_HELP)
      .option('--role <role>', "the role approving (one of the item's roles)")
      .option('--comment <text>', 'justification')
      .option('--evidence <url-or-file>', 'a link, or a file (its digest is recorded)')
      .option(
        '--key <path>',
        'sign with this private key (mlgate keys generate): writes .mlgate/attestations/ITEM.ACTION.TIME.KEYID.json to commit; required for roles the spec lists signers for',
      ),
  ).action((item: string, dir: string, options) =>
    run(async () => (await commands.signoff()).signoffCommand('approve', item, dir, options, io)),
  );

  storeFlags(
    program
      .command('revoke')
      .description('Withdraw approvals of a manual item (every role, or one).')
      .argument('<item>', 'item id')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('--by <name>', 'who revokes')
      .option('--server <url>', SERVER_HELP)
      .option('--role <role>', "only this role's approvals")
      .option('--reason <text>', 'why')
      .option(
        '--key <path>',
        'sign with this private key (mlgate keys generate): writes .mlgate/attestations/ITEM.ACTION.TIME.KEYID.json to commit; required for roles the spec lists signers for',
      ),
  ).action((item: string, dir: string, options) =>
    run(async () => (await commands.signoff()).signoffCommand('revoke', item, dir, options, io)),
  );

  storeFlags(
    program
      .command('waive')
      .description(
        'Accept an item not passing, until a date: it is then "waived", counted and shown, never hidden. With a server it is a request: another person approves it (mlgate waive ITEM --approve ID) or denies it (--deny ID).',
      )
      .argument('<item>', 'item id')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('--by <name>', 'who accepts it')
      .option('--server <url>', `${SERVER_HELP}: the waiver is a request another person decides`)
      .option('--run <run>', RUN_HELP)
      .option('--approve <id>', "with a server: approve waiver request ID of ITEM (someone else's)")
      .option('--deny <id>', 'with a server: deny waiver request ID of ITEM')
      .option('--comment <text>', 'with --approve or --deny: why')
      .option('--reason <text>', 'why it is acceptable (required)')
      .option('--expires <date>', 'when it ends: 2026-12-31, or 30d from now (required)')
      .option(
        '--key <path>',
        'sign with this private key (mlgate keys generate): writes .mlgate/attestations/ITEM.ACTION.TIME.KEYID.json to commit; required for roles the spec lists signers for',
      ),
  ).action((item: string, dir: string, options) =>
    run(async () => (await commands.signoff()).signoffCommand('waive', item, dir, options, io)),
  );

  storeFlags(
    program
      .command('unwaive')
      .description('Withdraw the waiver on an item.')
      .argument('<item>', 'item id')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('--by <name>', 'who withdraws it')
      .option('--server <url>', SERVER_HELP)
      .option('--reason <text>', 'why')
      .option(
        '--key <path>',
        'sign with this private key (mlgate keys generate): writes .mlgate/attestations/ITEM.ACTION.TIME.KEYID.json to commit; required for roles the spec lists signers for',
      ),
  ).action((item: string, dir: string, options) =>
    run(async () => (await commands.signoff()).signoffCommand('unwaive', item, dir, options, io)),
  );

  const keys = program
    .command('keys')
    .description('Signing keys for sign-offs and verdicts (ECDSA P-256, as cosign and Sigstore use).');
  keys
    .command('generate')
    .description(
      'Write PATH (private key, mode 0600, stays on this machine) and PATH.pub (commit it; list it under signers:).',
    )
    .option('--out <path>', 'the private key to write, e.g. ~/.config/mlgate/jane')
    .action((options: { out?: string }) =>
      run(async () => (await commands.keys()).keysGenerateCommand(options, io)),
    );

  storeFlags(
    program
      .command('status')
      .description('Which sign-offs are still needed and who must act; which waivers are in force.')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('-p, --profile <name>', 'profile (decides which items apply and their severity)')
      .option('--server <url>', SERVER_HELP)
      .option(
        '--run <run>',
        "with a server: this run's pending sign-offs (default: the latest, of --profile)",
      )
      .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json']).default('text')),
  ).action((dir: string, options) =>
    run(async () => (await commands.status()).statusCommand(dir, options, io)),
  );

  storeFlags(
    program
      .command('history')
      .description('Recorded runs, newest first: verdict, profile, counts, digests, tags.')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('-n, --limit <n>', 'how many', parsePositiveInt)
      .option('--server <url>', SERVER_HELP)
      .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json']).default('text')),
  ).action((dir: string, options) =>
    run(async () => (await commands.history()).historyCommand(dir, options, io)),
  );

  storeFlags(
    program
      .command('show')
      .description("A recorded run's report: RUN is a number, latest, last-pass or a tag.")
      .argument('<run>', 'run')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('-v, --verbose', 'evidence of passing items too')
      .option('--server <url>', SERVER_HELP)
      .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json']).default('text')),
  ).action((ref: string, dir: string, options) =>
    run(async () => (await commands.show()).showCommand(ref, dir, options, io)),
  );

  storeFlags(
    program
      .command('diff')
      .description('What changed between two recorded runs: verdict, artifacts, statuses, measured values.')
      .argument('<from>', 'run')
      .argument('<to>', 'run')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('-a, --all', 'also values no threshold judges (memory, file counts, durations)')
      .option('--server <url>', SERVER_HELP)
      .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json']).default('text')),
  ).action((from: string, to: string, dir: string, options) =>
    run(async () => (await commands.diff()).diffCommand(from, to, dir, options, io)),
  );

  storeFlags(
    program
      .command('tag')
      .description('Name a recorded run (e.g. production), for baselines and people.')
      .argument('<run>', 'run')
      .argument('<name>', 'tag')
      .argument('[dir]', 'project folder holding mlgate.yaml', '.')
      .option('--by <name>', 'who tags it')
      .option('--server <url>', SERVER_HELP),
  ).action((ref: string, name: string, dir: string, options) =>
    run(async () => (await commands.tag()).tagCommand(ref, name, dir, options, io)),
  );

  storeFlags(
    program
      .command('report')
      .description(
        'Write a report (md, html, junit, sarif, json, text) of a recorded run or of a JSON report file.',
      )
      .argument('<run-or-json>', 'a run (number, latest, last-pass, a tag) or a file from check --out')
      .argument('[dir]', 'project folder holding mlgate.yaml (for a run)', '.')
      .addOption(
        new Option('-f, --format <format>', 'format (default: from --out, else md)').choices([
          ...REPORT_FORMATS,
        ]),
      )
      .option('-o, --out <file>', 'write to this file instead of stdout')
      .option('-v, --verbose', 'text format: evidence of passing items too'),
  ).action((source: string, dir: string, options) =>
    run(async () => (await commands.report()).reportCommand(source, dir, options, io)),
  );

  program
    .command('verify')
    .description(
      'Deploy-time check: exit 0 only if this file is a subject of a signed PASSED verdict (mlgate check --attest).',
    )
    .argument('<artifact>', 'the file about to ship: the model, predictions, a manifest, ...')
    .option('--attestation <file>', 'the verdict written by mlgate check --attest (required)')
    .option(
      '--key <file>',
      'public key trusted to sign verdicts (required; repeatable: any of them)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--level <level>', 'a level the verdict must have verified, e.g. MLGATE_PROD')
    .option('--max-age <duration>', 'the verdict must be younger than this, e.g. 7d, 12h')
    .option(
      '--subject <name>',
      'the subject the file must be, e.g. model/model.onnx (default: the subject with its file name)',
    )
    .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExit codes: 0 verified, 1 not verified (the reasons are printed), 2 an input is missing or is not an attestation.',
    )
    .action((artifact: string, options) =>
      run(async () => (await commands.verify()).verifyCommand(artifact, options, io)),
    );

  program
    .command('init')
    .description('Write mlgate.yaml for a project: finds its model, Dockerfile, manifests, reports and docs.')
    .argument('[dir]', 'project folder', '.')
    .option(
      '-t, --template <names>',
      'templates to use, comma-separated (default: those that fit what was found)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--list-templates', 'list the built-in templates')
    .option('--force', 'replace an existing mlgate.yaml')
    .action((dir: string, options) => run(async () => (await commands.init()).initCommand(dir, options, io)));

  program
    .command('import')
    .description(
      'Turn a Markdown checklist into mlgate.yaml: every item kept, checks where its words allow, sign-offs elsewhere.',
    )
    .argument('<checklist>', 'the Markdown checklist')
    .option('-o, --out <file>', 'the spec to write (default mlgate.yaml; - for stdout)')
    .option('--name <name>', 'project name (default: from the checklist title)')
    .option('--force', 'replace an existing spec')
    .option(
      '--trust-comments',
      'the checklist is your own `mlgate export`: restore each check from its mlgate comments (otherwise they are ignored)',
    )
    .action((checklist: string, options) =>
      run(async () => (await commands.import()).importCommand(checklist, options, io)),
    );

  program
    .command('export')
    .description('Write the spec back as a clean Markdown checklist (mlgate import reads it back).')
    .argument('[dir]', 'project folder holding mlgate.yaml', '.')
    .option('-c, --config <file>', 'spec file (default DIR/mlgate.yaml)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['md']).default('md'))
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .option('--force', 'replace an existing file')
    .action((dir: string, options) =>
      run(async () => (await commands.export()).exportCommand(dir, options, io)),
    );

  program
    .command('validate')
    .description('Check the spec without running anything: structure, params, ids, profiles.')
    .argument('[dir]', 'project folder holding mlgate.yaml', '.')
    .option('-c, --config <file>', 'spec file (default DIR/mlgate.yaml)')
    .option('-p, --profile <name>', 'also check that this profile can be selected')
    .option('-l, --list', 'list every item with its id, kind and severity')
    .action((dir: string, options) =>
      run(async () => (await commands.validate()).validateCommand(dir, options, io)),
    );

  program
    .command('schema')
    .description('Print the JSON Schema of mlgate.yaml (for editor completion), or of the JSON report.')
    .option('--report', "the JSON report's schema instead")
    .action((options) => run(async () => (await commands.schema()).schemaCommand(options, io)));

  program
    .command('metrics')
    .description(
      'Compute every metric of a predictions table (CSV, TSV, JSONL, Parquet), or of rows in DuckDB or PostgreSQL (--engine, --query/--table).',
    )
    .argument('[file]', 'the predictions table (with --engine duckdb: files, a glob, read by DuckDB)')
    .addOption(new Option('--engine <engine>', 'compute in a SQL engine').choices(['duckdb', 'postgres']))
    .option('--query <sql>', 'the SELECT whose rows are the predictions (with --engine)')
    .option('--table <name>', 'the table or view of predictions (with --engine)')
    .option('--connection-env <var>', 'environment variable holding the connection (postgres URL)')
    .addOption(
      new Option('--task <task>', 'what the predictions are').choices(['classification', 'regression']),
    )
    .option('--label <column>', 'true label / target column (default: label, y_true, target, ...)')
    .option('--pred <column>', 'prediction column (default: pred, prediction, y_pred, ...)')
    .option('--probs <glob>', 'probability columns (default prob_*)')
    .option(
      '--positive <label>',
      'two classes: the positive class (default: the greater label, or true/yes/pos/positive)',
    )
    .addOption(
      new Option('--file-format <format>', 'when the extension does not tell').choices([
        'csv',
        'tsv',
        'jsonl',
        'parquet',
      ]),
    )
    .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json']).default('text'))
    .action((file: string | undefined, options) =>
      run(async () => (await commands.metrics()).metricsCommand(file, options, io)),
    );

  program
    .command('list-checks')
    .description('Every check kind with its params and an example.')
    .argument('[kind]', 'only this kind')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['text', 'md', 'json']).default('text'),
    )
    .option('--update <file>', 'rewrite the catalog between the markers in this Markdown file')
    .option('--docs <dir>', 'write one reference page per kind and an index into this folder (npm run docs)')
    .action((kind: string | undefined, options) =>
      run(async () => (await commands['list-checks']()).listChecksCommand({ ...options, kind }, io)),
    );

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const server = program
    .command('server')
    .description(
      'Serve one record of runs, sign-offs, waivers and baselines for a team and its CI (HTTP API + web page).',
    )
    .option('--database <url|file>', 'postgres://USER@HOST/DB, or an SQLite file (default $MLGATE_DATABASE)')
    .option('--listen <host:port>', 'where to listen', '127.0.0.1:8420')
    .option(
      '--oidc-issuer <url>',
      'accept OIDC JWTs from this issuer (its JWKS is read from its discovery document)',
    )
    .option('--oidc-audience <aud>', 'the audience those JWTs must carry')
    .option('--oidc-roles-claim <claim>', 'the JWT claim listing mlgate roles', 'mlgate_roles')
    .option('--rate-limit <n>', 'requests per second per caller (burst twice that)', parsePositiveInt)
    .option(
      '--mlflow-webhook-secret-env <name>',
      "the environment variable holding MLflow's webhook secret (default MLGATE_MLFLOW_WEBHOOK_SECRET; unset: /api/v1/hooks/mlflow is off)",
    )
    .option(
      '--signing-key <file>',
      "the server's private key (mlgate keys generate; default $MLGATE_SERVER_SIGNING_KEY): server-side sign-offs are also signed records, counting where a spec lists its public key",
    )
    .action((options) =>
      run(async (signal) => (await commands.server()).serverCommand(options, io, signal), {
        interruptible: true,
        stopping: 'stopping the server: finishing the requests in flight',
      }),
    );
  server
    .command('key')
    .description("Print the server's public key (PEM) to commit and list under a role's signers.")
    .option('--signing-key <file>', "the server's private key (default $MLGATE_SERVER_SIGNING_KEY)")
    .action((_options, command: Command) =>
      run(async () => (await commands.server()).serverKeyCommand(command.optsWithGlobals(), io)),
    );
  const token = server.command('token').description("The server's API tokens.");
  token
    .command('create')
    .description('Make an API token; it is printed once (stdout) and stored as its sha256.')
    .requiredOption('--name <name>', 'who or what uses it (ci, jane)')
    .option('--role <role>', 'viewer, runner, admin or approver:<spec role> (repeatable)', collect, [])
    .option('--database <url|file>', 'the server database (default $MLGATE_DATABASE)')
    .action((_options, command: Command) =>
      run(async () => (await commands.server()).tokenCreateCommand(command.optsWithGlobals(), io)),
    );
  token
    .command('revoke')
    .description('Revoke every live token of this name.')
    .requiredOption('--name <name>', 'the token name')
    .option('--database <url|file>', 'the server database (default $MLGATE_DATABASE)')
    .action((_options, command: Command) =>
      run(async () => (await commands.server()).tokenRevokeCommand(command.optsWithGlobals(), io)),
    );
  server
    .command('audit')
    .description("The server's hash-chained audit log.")
    .command('verify')
    .description('Recompute the chain; exit 1 naming the first broken link.')
    .option('--database <url|file>', 'the server database (default $MLGATE_DATABASE)')
    .action((_options, command: Command) =>
      run(async () => (await commands.server()).auditVerifyCommand(command.optsWithGlobals(), io)),
    );

  return program;
}

/**
 * Runs the CLI and returns the exit code. The first Ctrl-C (or SIGTERM) stops checks and
 * writes a partial report; a second one exits. bin/mlgate.js catches the signals before it
 * even loads this module and passes `interrupt` (aborted on the first signal, perhaps already):
 * a signal during the seconds the CLI takes to load is handled like one during the run.
 * Without it (main called in-process), main catches them itself while a command runs.
 */
export async function main(
  argv: string[],
  io: CliIO = processIO(),
  interrupt?: AbortSignal,
): Promise<number> {
  let exitCode: number = ExitCode.Pass;
  const own = interrupt ? undefined : new AbortController();
  const signal = interrupt ?? own!.signal;
  const onSignal = () => {
    if (own!.signal.aborted) process.exit(ExitCode.Interrupted);
    own!.abort();
  };
  const program = buildProgram(io, async (work, { interruptible = false, stopping } = {}) => {
    if (own) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    const announce = () => {
      io.stderr.write(
        interruptible
          ? `\nInterrupted: ${stopping ?? 'stopping checks and writing a partial report'} (Ctrl-C again to quit now)\n`
          : '\nInterrupted\n',
      );
    };
    let stop: (() => void) | undefined;
    try {
      if (signal.aborted) announce();
      else signal.addEventListener('abort', announce, { once: true });
      if (interruptible) {
        exitCode = await work(signal);
      } else if (signal.aborted) {
        // Interrupted before it began: nothing is done, nothing is half-done.
        exitCode = ExitCode.Interrupted;
      } else {
        // Nothing partial to write: an interrupt ends the command. (Its store writes are
        // transactions: one cut short is rolled back, never half-applied.)
        const interrupted = new Promise<number>((resolve) => {
          stop = () => resolve(ExitCode.Interrupted);
          signal.addEventListener('abort', stop, { once: true });
        });
        exitCode = await Promise.race([work(signal), interrupted]);
      }
    } finally {
      signal.removeEventListener('abort', announce);
      if (stop) signal.removeEventListener('abort', stop);
      if (own) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
  });
  if (argv.length <= 2) {
    program.outputHelp();
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end "with an error" of code 0.
      return error.exitCode === 0 ? ExitCode.Pass : ExitCode.Usage;
    }
    throw error;
  }
  return exitCode;
}
