import { loadBuiltinChecks } from '../../engine/registry.js';
import { reportJsonSchema, specJsonSchema } from '../../spec/json-schema.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';

export async function schemaCommand(options: { report?: boolean }, io: CliIO): Promise<number> {
  const schema = options.report ? reportJsonSchema() : specJsonSchema(await loadBuiltinChecks());
  io.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return ExitCode.Pass;
}
