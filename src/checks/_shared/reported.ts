/** Reading a value a training run reported, for checks that compare it with a measurement. */
import type { CheckContext } from '../../engine/types.js';
import { formatFromPath, LookupError, MetricSource, parseKey } from '../../data/value-source.js';

export async function readReported(
  ctx: CheckContext,
  file: string,
  key: string,
): Promise<{ value: number; shown: string; line?: number }> {
  const path = ctx.resolve(file);
  const shown = ctx.display(path);
  const format = formatFromPath(path);
  if (!format) throw new LookupError(`cannot tell the format of ${shown} (json, yaml, csv, jsonl)`);
  const source = await MetricSource.open(path, shown, format, 'last');
  const read = source.read(parseKey(key), key);
  return { value: read.value, shown, line: read.line };
}
