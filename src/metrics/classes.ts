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
    this.names.push(name);
    const asNumber = Number(name);
    if (name.trim() !== '' && Number.isInteger(asNumber)) this.numeric.set(asNumber, index);
    this.text.set(name, index);
    return index;
  }

  /** Index of an integer label, -1 when unknown and the set is closed. */
  ofInteger(value: number): number {
    const found = this.numeric.get(value);
    if (found !== undefined) return found;
    return this.open ? this.insert(String(value)) : -1;
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
    const order = this.names.map((_, index) => index);
    const allNumeric = this.names.every((name) => name.trim() !== '' && Number.isFinite(Number(name)));
    order.sort((a, b) =>
      allNumeric
        ? Number(this.names[a]) - Number(this.names[b])
        : this.names[a]! < this.names[b]!
          ? -1
          : this.names[a]! > this.names[b]!
            ? 1
            : 0,
    );
    return order;
  }
}
