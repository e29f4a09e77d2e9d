/**
 * Seeded classifier outputs for the rank-metric tests: k probabilities a row, the true
 * class's usually highest, at full precision or rounded to `decimals` (ties, decimal keys).
 */
export function scoreRows(count: number, k: number, decimals: number | undefined, seed: number) {
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const labels = new Int32Array(count);
  const probs = new Float64Array(count * k);
  for (let i = 0; i < count; i++) {
    labels[i] = Math.floor(random() * k);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      probs[i * k + c] = random() ** 3 + (c === labels[i] ? random() : 0);
      sum += probs[i * k + c]!;
    }
    for (let c = 0; c < k; c++) {
      const p = probs[i * k + c]! / sum;
      probs[i * k + c] = decimals === undefined ? p : Math.round(p * 10 ** decimals) / 10 ** decimals;
    }
  }
  const support = new Float64Array(k);
  for (const label of labels) support[label]!++;
  return { labels, probs, support };
}
