/**
 * How checklists write a comparison and a number ("≥ 80%", "at most 0.2", "below 50 ms"), shared
 * by the rules that map an item's words to a check.
 */

/** A comparison as written; `comparator` turns it into the threshold language's operator. */
export const CMP = String.raw`(>=|≥|=>|>|<=|≤|=<|<|at least|at most|above|over|below|under|more than|less than)`;
export const NUM = String.raw`(\d+(?:\.\d+)?)`;

export function comparator(word: string): string {
  const w = word.toLowerCase();
  if (w === '≥' || w === '=>' || w === 'at least') return '>=';
  if (w === '≤' || w === '=<' || w === 'at most') return '<=';
  if (w === 'above' || w === 'over' || w === 'more than') return '>';
  if (w === 'below' || w === 'under' || w === 'less than') return '<';
  return w;
}

/** The same bound seen from the other side: "alert if PSI > 0.2" means PSI must stay <= 0.2. */
export function opposite(op: string): string {
  return ({ '>': '<=', '>=': '<', '<': '>=', '<=': '>' } as Record<string, string>)[op] ?? op;
}

export const isUpper = (op: string) => op === '<' || op === '<=';
