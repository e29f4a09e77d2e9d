/** A mistake in how mlgate was called (unknown profile, unknown --only id). Exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
