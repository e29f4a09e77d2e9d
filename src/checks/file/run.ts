/**
 * What the file check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { readdir, stat } from 'node:fs/promises';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { sha256OfFile } from '../../util/digest.js';
import { formatSize, parseSize } from '../../util/units.js';
import type { FileParams } from './check.js';

export async function run(ctx: CheckContext, params: FileParams): Promise<CheckOutcome> {
  const absolute = ctx.resolve(params.path);
  const shown = ctx.display(absolute);
  let info: Awaited<ReturnType<typeof stat>> | undefined;
  try {
    info = await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      return { status: 'error', summary: `cannot read ${shown}: ${(error as Error).message}` };
    }
  }

  if (!params.exists) {
    return info
      ? {
          status: 'fail',
          summary: `${shown} exists but must not`,
          measured: { exists: true },
          threshold: { exists: 'false' },
          evidence: [
            {
              type: 'location',
              path: shown,
              note: 'remove it (and add it to .gitignore / .dockerignore)',
            },
          ],
        }
      : {
          status: 'pass',
          summary: `${shown} does not exist, as required`,
          measured: { exists: false },
        };
  }
  if (!info) {
    return {
      status: 'fail',
      summary: `${shown} does not exist`,
      measured: { exists: false },
      threshold: { exists: 'true' },
      evidence: [{ type: 'location', path: shown, note: 'not found' }],
    };
  }

  if (info.isDirectory()) {
    const entries = await readdir(absolute);
    const problems: string[] = [];
    if (params.non_empty && entries.length === 0) problems.push('is an empty folder');
    if (params.sha256 || params.min_size !== undefined || params.max_size !== undefined) {
      problems.push('is a folder, but size and sha256 apply to files');
    }
    return {
      status: problems.length ? 'fail' : 'pass',
      summary: problems.length
        ? `${shown} ${problems.join('; ')}`
        : `${shown} exists (folder, ${entries.length} entries)`,
      measured: { exists: true, entries: entries.length },
      evidence: [{ type: 'location', path: shown, note: `folder with ${entries.length} entries` }],
    };
  }

  const size = Number(info.size);
  const sha256 = await sha256OfFile(absolute, ctx.signal);
  const evidence: Evidence[] = [{ type: 'file', path: shown, size, sha256 }];
  const failures: string[] = [];
  const threshold: Record<string, string> = {};
  if (params.non_empty) {
    threshold.size = '> 0 B';
    if (size === 0) failures.push('is empty');
  }
  if (params.min_size !== undefined) {
    const min = parseSize(params.min_size)!;
    threshold.min_size = `>= ${formatSize(min)}`;
    if (size < min) failures.push(`is ${formatSize(size)}, below the minimum ${formatSize(min)}`);
  }
  if (params.max_size !== undefined) {
    const max = parseSize(params.max_size)!;
    threshold.max_size = `<= ${formatSize(max)}`;
    if (size > max) failures.push(`is ${formatSize(size)}, above the maximum ${formatSize(max)}`);
  }
  if (params.sha256 !== undefined) {
    threshold.sha256 = params.sha256.toLowerCase();
    if (sha256 !== params.sha256.toLowerCase()) {
      failures.push(
        `has sha256 ${sha256.slice(0, 12)}…, expected ${params.sha256.toLowerCase().slice(0, 12)}…`,
      );
    }
  }
  return {
    status: failures.length ? 'fail' : 'pass',
    summary: failures.length
      ? `${shown} ${failures.join('; ')}`
      : `${shown} exists, ${formatSize(size)}${params.sha256 ? ', sha256 matches' : ''}`,
    measured: { exists: true, size_bytes: size, sha256 },
    threshold,
    evidence,
  };
}
