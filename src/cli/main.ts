/**
 * mlgate's command line. Each command lives in commands/<name>.ts and returns an exit code;
 * this file only wires flags to them.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TOOL_VERSION } from '../version.js';
import { checkCommand } from './commands/check.js';
import { listChecksCommand } from './commands/list-checks.js';
import { metricsCommand } from './commands/metrics.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import { ExitCode } from './exit-codes.js';
import { type CliIO, processIO } from './io.js';

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

export function buildProgram(
  io: CliIO,
  run: (work: (signal: AbortSignal) => Promise<number>) => Promise<void>,
): Command {
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
    .option('-j, --concurrency <n>', 'items run at once (default: spec defaults, else 4)', parsePositiveInt)
    .option('-v, --verbose', 'show evidence for passing items too')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      '\nExit codes: 0 PASS, 1 BLOCKED, 2 spec or usage error, 130 interrupted (partial report, BLOCKED).',
    )
    .action((dir: string, options) => run((signal) => checkCommand(dir, { ...options, signal }, io)));

  program
    .command('validate')
    .description('Check the spec without running anything: structure, params, ids, profiles.')
    .argument('[dir]', 'project folder holding mlgate.yaml', '.')
    .option('-c, --config <file>', 'spec file (default DIR/mlgate.yaml)')
    .option('-p, --profile <name>', 'also check that this profile can be selected')
    .option('-l, --list', 'list every item with its id, kind and severity')
    .action((dir: string, options) => run(() => validateCommand(dir, options, io)));

  program
    .command('schema')
    .description('Print the JSON Schema of mlgate.yaml (for editor completion), or of the JSON report.')
    .option('--report', "the JSON report's schema instead")
    .action((options) => run(() => schemaCommand(options, io)));

  program
    .command('metrics')
    .description('Compute every metric of a predictions table (CSV, TSV, JSONL, Parquet).')
    .argument('<file>', 'the predictions table')
    .addOption(
      new Option('--task <task>', 'what the predictions are').choices(['classification', 'regression']),
    )
    .option('--label <column>', 'true label / target column (default: label, y_true, target, ...)')
    .option('--pred <column>', 'prediction column (default: pred, prediction, y_pred, ...)')
    .option('--probs <glob>', 'probability columns (default prob_*)')
    .addOption(
      new Option('--file-format <format>', 'when the extension does not tell').choices([
        'csv',
        'tsv',
        'jsonl',
        'parquet',
      ]),
    )
    .addOption(new Option('-f, --format <format>', 'output').choices(['text', 'json']).default('text'))
    .action((file: string, options) => run(() => metricsCommand(file, options, io)));

  program
    .command('list-checks')
    .description('Every check kind with its params and an example.')
    .argument('[kind]', 'only this kind')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['text', 'md', 'json']).default('text'),
    )
    .option('--update <file>', 'rewrite the catalog between the markers in this Markdown file')
    .action((kind: string | undefined, options) => run(() => listChecksCommand({ ...options, kind }, io)));

  return program;
}

/** Runs the CLI and returns the exit code. The first Ctrl-C aborts checks; a second one exits. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = ExitCode.Pass;
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr.write(
        '\nInterrupted: stopping checks and writing a partial report (Ctrl-C again to quit now)\n',
      );
      controller.abort();
    } else {
      process.exit(ExitCode.Interrupted);
    }
  };
  const program = buildProgram(io, async (work) => {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    try {
      exitCode = await work(controller.signal);
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
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
