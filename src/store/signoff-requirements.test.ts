/**
 * What the spec requires of an approval is checked where it is counted: a record from
 * elsewhere (a team server told other requirements by a runner's upload) may lack it.
 */
import { describe, expect, test } from 'vitest';
import type { LoadedItem } from '../spec/load.js';
import { type Binding, judgeManual, type SignoffEvent } from './signoffs.js';

const binding: Binding = { definitionDigest: 'd'.repeat(64), specSha256: 's'.repeat(64), artifacts: {} };
const item = (manual: Partial<NonNullable<LoadedItem['manual']>>) =>
  ({
    id: 'lead',
    definitionDigest: binding.definitionDigest,
    manual: { roles: ['technical-lead'], comment_required: false, evidence_required: false, ...manual },
  }) as unknown as LoadedItem;
const approval = (extra: Partial<SignoffEvent> = {}): SignoffEvent => ({
  id: 1,
  at: '2026-11-30T10:00:00Z',
  action: 'approve',
  itemId: 'lead',
  role: 'technical-lead',
  actor: 'token:lead',
  comment: null,
  evidence: null,
  evidenceSha256: null,
  expiresAt: null,
  definitionDigest: binding.definitionDigest,
  artifacts: {},
  ...extra,
});
const now = new Date('2026-11-30T12:00:00Z');

describe('approval requirements are judged when counted', () => {
  test('comment_required: an approval without a comment does not count', () => {
    expect(judgeManual(item({ comment_required: true }), [approval()], binding, now).status).toBe('pending');
    expect(
      judgeManual(item({ comment_required: true }), [approval({ comment: 'ok' })], binding, now).status,
    ).toBe('pass');
  });
  test('evidence_required: an approval without evidence does not count', () => {
    expect(
      judgeManual(item({ evidence_required: true }), [approval({ comment: 'ok' })], binding, now).status,
    ).toBe('pending');
    expect(
      judgeManual(
        item({ evidence_required: true }),
        [approval({ evidence: 'https://review/1' })],
        binding,
        now,
      ).status,
    ).toBe('pass');
  });
});
