/** Exit codes, the contract with CI systems. */
export const ExitCode = {
  /** Every applicable required item passed. */
  Pass: 0,
  /** At least one required item did not pass (or the run was incomplete). */
  Blocked: 1,
  /** The spec or the command line is wrong; nothing was judged. */
  Usage: 2,
  /** Ctrl-C: a partial report marked incomplete was written; the verdict is BLOCKED. */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
