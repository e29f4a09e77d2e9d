import type { Position, YamlPath } from '../util/yaml-source.js';

/** One thing wrong with a spec, with where it is and, when we can tell, how to fix it. */
export interface SpecProblem {
  file: string;
  position?: Position;
  path: YamlPath;
  message: string;
  /** The offending lines with a caret. */
  frame?: string;
  /** Extra context: "in item "test-accuracy"". */
  context?: string;
}

/** A spec that cannot be used. The CLI prints every problem and exits 2. */
export class SpecError extends Error {
  constructor(
    readonly problems: SpecProblem[],
    readonly file: string,
  ) {
    super(
      problems.length === 1
        ? `${file}: ${problems[0]!.message}`
        : `${file}: ${problems.length} problems, first: ${problems[0]?.message}`,
    );
  }
}
