/** A CliIO whose output is kept, for tests that call a command handler directly. */
import { PassThrough } from 'node:stream';
import type { CliIO } from '../cli/io.js';

export function bufferedIO(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (into: string[]) => {
    const s = new PassThrough();
    s.on('data', (chunk: Buffer) => into.push(chunk.toString()));
    return s;
  };
  const io: CliIO = { stdout: stream(out), stderr: stream(err), env: { NO_COLOR: '1', ...env }, cwd };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}
