/**
 * The harness of the anchor tests (kube-score.test.ts, polaris.test.ts): each case restates one
 * of an established linter's own test cases as a manifest, with the verdict that linter reaches
 * and the rule of ours that corresponds. Where mlgate decides otherwise on purpose the case says
 * why (`differs`); the test prints the agreement and fails on any other disagreement, and on a
 * `differs` note that no longer holds.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { executeCheck } from '../../engine/execute.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import { tempFiles } from '../../testing/temp.js';

export interface AnchorCase {
  /** The anchor's test case: "TestPodHasMatchingIngressNetworkPolicy (networkpolicy-matching-only-ingress.yaml)". */
  anchor: string;
  manifest: string;
  /** Our rule, without the "kubernetes/" prefix. */
  rule: string;
  /** The anchor flags the manifest (kube-score Critical or Warning, a Polaris failure). */
  flags: boolean;
  /** Only findings whose message contains this count (one rule of ours covers several of theirs). */
  about?: string;
  /** Why mlgate decides otherwise on purpose; then our verdict is the opposite of the anchor's. */
  differs?: string;
  params?: Record<string, unknown>;
}

export async function firedFindings(
  manifest: string,
  params: Record<string, unknown> = {},
): Promise<Array<{ rule: string; message: string }>> {
  const dir = tempFiles({ 'k8s.yaml': manifest });
  const definition = (await loadBuiltinChecks()).get('kubernetes')!;
  const outcome = await executeCheck(
    definition,
    definition.params.parse({ paths: 'k8s.yaml', ...params }),
    { root: dir, itemId: 't', profile: null, artifacts: new Map() },
    10_000,
  );
  return (outcome.evidence ?? []).flatMap((e) =>
    e.type === 'finding' && !e.ignored ? [{ rule: e.rule, message: e.message }] : [],
  );
}

/** Declares one test per case and prints "<anchor> agreement: N/M, K differ on purpose". */
export function describeAnchor(anchor: string, cases: AnchorCase[]): void {
  const agreed: boolean[] = [];
  describe(`kubernetes rules against ${anchor}'s test cases`, () => {
    afterAll(() => {
      const differ = cases.filter((c) => c.differs).length;
      const agree = agreed.filter(Boolean).length;
      console.log(`${anchor} agreement: ${agree}/${cases.length}, ${differ} differ on purpose`);
    });
    test.each(
      cases.map(
        (c) =>
          [
            `${c.anchor} → kubernetes/${c.rule}${c.about ? ` (${c.about})` : ''} ${c.flags ? 'flags' : 'passes'}${c.differs ? ` (differs: ${c.differs})` : ''}`,
            c,
          ] as const,
      ),
    )('%s', async (_name, c) => {
      const fired = (await firedFindings(c.manifest, c.params)).some(
        (f) => f.rule === `kubernetes/${c.rule}` && (!c.about || f.message.includes(c.about)),
      );
      agreed.push(fired === c.flags);
      expect(fired, c.differs ? `documented difference no longer holds: ${c.differs}` : undefined).toBe(
        c.differs ? !c.flags : c.flags,
      );
    });
  });
}
