/**
 * mlgate keys generate --out PATH: an ECDSA P-256 key pair for signing sign-offs (what cosign
 * and Sigstore use by default). PATH is the private key (PEM, mode 0600; it never leaves the
 * machine), PATH.pub the public key to commit to the project and list under `signers:`.
 */
import { homedir } from 'node:os';
import { basename, relative, resolve } from 'node:path';
import { generateKey } from '../../attest/keys.js';
import { UsageError } from '../../engine/errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { colourWanted, makeStyle } from '../style.js';

export interface KeysGenerateOptions {
  out?: string;
}

export async function keysGenerateCommand(options: KeysGenerateOptions, io: CliIO): Promise<number> {
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  const errStyle = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    if (!options.out?.trim())
      throw new UsageError(
        'say where to write the private key: --out PATH',
        'e.g. mlgate keys generate --out ~/.config/mlgate/jane (writes jane and jane.pub)',
      );
    const home = io.env.HOME || homedir();
    const out = options.out.trim();
    const expanded = out === '~' ? home : out.startsWith('~/') ? `${home}${out.slice(1)}` : out;
    const path = resolve(io.cwd, expanded);
    if (path.endsWith('.pub'))
      throw new UsageError(
        `--out names the private key; ${out} ends in .pub`,
        'give the path without .pub: the public key is written beside it as PATH.pub',
      );
    let generated;
    try {
      generated = generateKey(path);
    } catch (error) {
      throw new UsageError((error as Error).message, 'choose another --out, or delete the old pair first');
    }
    const shown = (p: string) =>
      p.startsWith(`${home}/`) ? `~${p.slice(home.length)}` : relative(io.cwd, p) || p;
    const name = basename(path);
    io.stdout.write(
      [
        `${style.green('✓')} wrote an ECDSA P-256 key pair (key ${generated.keyid.slice(0, 8)})`,
        `  private: ${shown(generated.privatePath)} (mode 0600: keep it on this machine, never commit it)`,
        `  public:  ${shown(generated.publicPath)}`,
        `  next: copy the public key into the project (e.g. keys/${name}.pub), list it in mlgate.yaml under`,
        `        signers: { ROLE: [keys/${name}.pub] }, commit both, then sign with`,
        `        mlgate approve ITEM --role ROLE --key ${shown(generated.privatePath)}`,
        '',
      ].join('\n'),
    );
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, errStyle);
  }
}
