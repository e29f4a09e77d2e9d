/** Labels that cannot be told apart as classes (the data's fault, reported as such). */
export class ClassLabelError extends Error {}

/**
 * Class labels as they appear in files: integers ("7", "7.0", 7) or text ("cat"). Each class
 * gets an index; the display name is the canonical text ("7", "cat").
 */
export class ClassIndex {
  private readonly numeric = new Map<number, number>();
  private readonly text = new Map<string, number>();
  readonly names: string[] = [];

  constructor(
    initial: string[] = [],
    /** When false, unknown labels are rejected (the classes come from probability columns). */
    readonly open = true,
  ) {
    for (const name of initial) this.insert(name);
  }

  get size(): number {
    return this.names.length;
  }

  private insert(name: string): number {
    const index = this.names.length;
    const asNumber = Number(name);
    if (name.trim() !== '' && Number.isInteger(asNumber)) {
      // "1" and "01" (or "1.0") are one number: two classes with it would merge silently.
      const other = this.numeric.get(asNumber);
      if (other !== undefined)
        throw new ClassLabelError(
          `the classes "${this.names[other]}" and "${name}" are the same number (${asNumber}): give each class one spelling`,
        );
      this.numeric.set(asNumber, index);
    }
    this.names.push(name);
    this.text.set(name, index);
    return index;
  }

  /** Index of an integer label, -1 when unknown and the set is closed. */
  ofInteger(value: number): number {
    const found = this.numeric.get(value);
    if (found !== undefined) return found;
    return this.open ? this.insert(String(value)) : -1;
  }

  /** Index of a label as written anywhere (a file, a spec): -1 when it is not a class. Never adds one. */
  find(value: string): number {
    const trimmed = value.trim();
    const asNumber = Number(trimmed);
    if (trimmed !== '' && Number.isInteger(asNumber)) {
      const found = this.numeric.get(asNumber);
      if (found !== undefined) return found;
    }
    return this.text.get(trimmed) ?? -1;
  }

  /** Index of a text label, -1 when unknown and the set is closed. */
  ofText(value: string): number {
    const trimmed = value.trim();
    const asNumber = Number(trimmed);
    if (trimmed !== '' && Number.isInteger(asNumber)) return this.ofInteger(asNumber);
    const found = this.text.get(trimmed);
    if (found !== undefined) return found;
    return this.open ? this.insert(trimmed) : -1;
  }

  /** Numeric and text labels together (scikit-learn refuses such a mix): one example of each. */
  mixedTypes(): { number: string; text: string } | undefined {
    const isNumber = (name: string) => name.trim() !== '' && Number.isFinite(Number(name));
    const number = this.names.find(isNumber);
    const text = this.names.find((name) => !isNumber(name));
    return number !== undefined && text !== undefined ? { number, text } : undefined;
  }

  /**
   * The order scikit-learn reports classes in: sorted, numerically when every label is a
   * number. Returns the permutation new position -> old index.
   */
  sortedOrder(): number[] {
    return sortedClassOrder(this.names);
  }

  /** rank[index] = the class's position in sorted order (ties in probability go by it). */
  sortedRank(): Int32Array {
    const rank = new Int32Array(this.size);
    this.sortedOrder().forEach((index, position) => {
      rank[index] = position;
    });
    return rank;
  }
}

/** Positions of `names` in scikit-learn's order: numerically when every label is a number. */
export function sortedClassOrder(names: string[]): number[] {
  const order = names.map((_, index) => index);
  const allNumeric = names.every((name) => name.trim() !== '' && Number.isFinite(Number(name)));
  order.sort((a, b) =>
    allNumeric
      ? Number(names[a]) - Number(names[b])
      : names[a]! < names[b]!
        ? -1
        : names[a]! > names[b]!
          ? 1
          : 0,
  );
  return order;
}

/** Text labels taken for the positive class of two when `positive:` is not given. */
export const POSITIVE_WORDS = ['true', 'yes', 'pos', 'positive'];

export type PositiveClass = { found: true; index: number; name: string } | { found: false; problem: string };

/**
 * The positive class of two — never the order of the probability columns: the class
 * `positive:` names; else the greater of two numeric labels (1 of 0/1, 1 of -1/1); else the
 * one label spelled true, yes, pos or positive (any case). Otherwise it is not known, and
 * the problem says which labels there are and how to choose.
 */
export function positiveClass(names: string[], requested?: string): PositiveClass {
  const listed = names.map((name) => `"${name}"`).join(', ');
  if (requested !== undefined) {
    const wanted = requested.trim();
    const asNumber = Number(wanted);
    let index = names.findIndex((name) =>
      wanted !== '' && Number.isFinite(asNumber) && name.trim() !== '' && Number.isFinite(Number(name))
        ? Number(name) === asNumber
        : name.trim() === wanted,
    );
    if (index === -1) {
      const folded = names.filter((name) => name.trim().toLowerCase() === wanted.toLowerCase());
      if (folded.length === 1) index = names.indexOf(folded[0]!);
    }
    if (index === -1)
      return { found: false, problem: `positive: "${requested}" is not one of the classes (${listed})` };
    return { found: true, index, name: names[index]! };
  }
  if (names.length !== 2) return { found: false, problem: `there are ${names.length} classes, not two` };
  if (names.every((name) => name.trim() !== '' && Number.isFinite(Number(name)))) {
    const index = Number(names[1]) > Number(names[0]) ? 1 : 0;
    return { found: true, index, name: names[index]! };
  }
  const worded = names.filter((name) => POSITIVE_WORDS.includes(name.trim().toLowerCase()));
  if (worded.length === 1) {
    const index = names.indexOf(worded[0]!);
    return { found: true, index, name: names[index]! };
  }
  return {
    found: false,
    problem: `which class is positive is not known: the labels are ${listed}, neither of them a number or true/yes/pos/positive; set positive: to one of them`,
  };
}
