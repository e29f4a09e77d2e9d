/**
 * The ML Test Score of Breck, Cai, Nielsen, Salib and Sculley, "The ML Test Score: A Rubric
 * for ML Production Readiness and Technical Debt Reduction", IEEE Big Data 2017: 28 tests in
 * four sections of seven. Each test scores 0, 0.5 when it is done by hand with the results
 * documented and shared, or 1 when it is automated and runs repeatedly. A section's score is
 * the sum of its tests; the final score is the minimum of the four. (The 2016 NIPS workshop
 * version had other tests and counted differently; this is the 2017 one.)
 *
 * In mlgate a rubric test is an item tagged `ml-test-score:<section>-<n>`. An automated item
 * (a check kind) that passes scores 1; a manual item with every sign-off current scores 0.5;
 * anything else scores 0. The score says how much the system is tested; the verdict says
 * whether the tests pass. Reports show the score beside the verdict, never instead of it.
 */
import type { ItemResult } from '../domain/run-report.js';

export const ML_TEST_SCORE_VERSION = '2017';
export const ML_TEST_SCORE_TAG = 'ml-test-score:';

export const ML_TEST_SCORE_SECTIONS = ['data', 'model', 'infrastructure', 'monitoring'] as const;
export type MlTestScoreSection = (typeof ML_TEST_SCORE_SECTIONS)[number];

/** The paper's bands for the final score. */
export const ML_TEST_SCORE_BANDS: Array<{ above: number; meaning: string }> = [
  { above: 5, meaning: 'Exceptional levels of automated testing and monitoring.' },
  {
    above: 3,
    meaning: 'Strong levels of automated testing and monitoring, appropriate for mission-critical systems.',
  },
  {
    above: 2,
    meaning: "Reasonably tested, but it's possible that more of those tests and procedures may be automated.",
  },
  {
    above: 1,
    meaning: "There's been a first pass at basic productionization, but additional investment may be needed.",
  },
  {
    above: 0,
    meaning:
      'Not totally untested, but it is worth considering the possibility of serious holes in reliability.',
  },
  { above: -Infinity, meaning: 'More of a research project than a productionized system.' },
];

export interface MlTestScore {
  version: string;
  sections: Record<MlTestScoreSection, number>;
  score: number;
  band: string;
  tests: Array<{ test: string; itemId: string; points: number; how: 'automated' | 'manual' | 'none' }>;
}

export function mlTestScoreTest(item: Pick<ItemResult, 'tags'>): string | undefined {
  const tag = item.tags?.find((t) => t.startsWith(ML_TEST_SCORE_TAG));
  return tag?.slice(ML_TEST_SCORE_TAG.length);
}

/** The score of a run, or undefined when no item carries the rubric's tags. */
export function computeMlTestScore(items: ItemResult[]): MlTestScore | undefined {
  const tests: MlTestScore['tests'] = [];
  const best = new Map<string, number>();
  for (const item of items) {
    const test = mlTestScoreTest(item);
    if (!test) continue;
    const passed = item.applicable && item.status === 'pass';
    const how = !passed ? 'none' : item.kind === 'manual' ? 'manual' : 'automated';
    const points = how === 'automated' ? 1 : how === 'manual' ? 0.5 : 0;
    tests.push({ test, itemId: item.id, points, how });
    // Two items for one test (a manual review and a check): the test counts once, at its best.
    best.set(test, Math.max(best.get(test) ?? 0, points));
  }
  if (tests.length === 0) return undefined;
  const sections = Object.fromEntries(ML_TEST_SCORE_SECTIONS.map((s) => [s, 0])) as Record<
    MlTestScoreSection,
    number
  >;
  for (const [test, points] of best) {
    const section = ML_TEST_SCORE_SECTIONS.find((s) => test.startsWith(`${s}-`));
    if (section) sections[section] += points;
  }
  const score = Math.min(...Object.values(sections));
  const band = ML_TEST_SCORE_BANDS.find((b) => score > b.above)!.meaning;
  return { version: ML_TEST_SCORE_VERSION, sections, score, band, tests };
}

export function mlTestScoreLine(score: MlTestScore): string {
  const parts = ML_TEST_SCORE_SECTIONS.map((s) => `${s} ${score.sections[s]}`).join(', ');
  return `ML Test Score (${score.version}): ${score.score} — the minimum of ${parts}. ${score.band}`;
}
