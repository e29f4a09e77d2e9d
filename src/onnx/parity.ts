/**
 * Output parity between the exported model and the training framework: element-wise
 * numpy.allclose semantics (|a − b| <= atol + rtol·|b|), argmax agreement, and the rows and
 * elements that differ most, accumulated batch by batch.
 */
export interface ParityTolerance {
  atol: number;
  rtol: number;
}

export interface WorstElement {
  row: number;
  index: number;
  reference: number;
  actual: number;
  absolute: number;
}

export class ParityAccumulator {
  elements = 0;
  outside = 0;
  rows = 0;
  argmaxAgree = 0;
  maxAbsolute = 0;
  maxRelative = 0;
  /** Rows whose predicted class changed: [row, label, reference argmax, actual argmax]. */
  readonly changed: Array<[number, number | null, number, number]> = [];
  private worst: WorstElement[] = [];

  constructor(
    readonly tolerance: ParityTolerance,
    private readonly keepWorst = 8,
  ) {}

  /** One batch: rows × width values of each, starting at row `start`. */
  add(
    reference: Float64Array,
    actual: ArrayLike<number>,
    width: number,
    start: number,
    labels?: ArrayLike<number>,
  ): void {
    const rows = reference.length / width;
    for (let r = 0; r < rows; r++) {
      let refArg = 0;
      let actArg = 0;
      for (let j = 0; j < width; j++) {
        const i = r * width + j;
        const b = reference[i]!;
        const a = actual[i]!;
        const absolute = Math.abs(a - b);
        this.elements++;
        if (!(absolute <= this.tolerance.atol + this.tolerance.rtol * Math.abs(b))) this.outside++;
        if (absolute > this.maxAbsolute || Number.isNaN(absolute))
          this.maxAbsolute = Number.isNaN(absolute) ? Number.POSITIVE_INFINITY : absolute;
        if (b !== 0 && absolute / Math.abs(b) > this.maxRelative) this.maxRelative = absolute / Math.abs(b);
        if (this.worst.length < this.keepWorst || absolute > this.worst[this.worst.length - 1]!.absolute) {
          this.worst.push({ row: start + r, index: j, reference: b, actual: a, absolute });
          this.worst.sort((x, y) => y.absolute - x.absolute);
          this.worst.length = Math.min(this.worst.length, this.keepWorst);
        }
        if (b > reference[r * width + refArg]!) refArg = j;
        if (a > actual[r * width + actArg]!) actArg = j;
      }
      this.rows++;
      if (refArg === actArg) this.argmaxAgree++;
      else if (this.changed.length < 50)
        this.changed.push([start + r, labels ? labels[r]! : null, refArg, actArg]);
    }
  }

  get worstElements(): WorstElement[] {
    return this.worst;
  }

  get argmaxAgreement(): number {
    return this.rows === 0 ? Number.NaN : this.argmaxAgree / this.rows;
  }
}
