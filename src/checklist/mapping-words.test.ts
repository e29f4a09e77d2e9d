/**
 * Mappings where a wrong kind would give a confident wrong verdict: each with the words that
 * must map and the look-alike words that must not.
 */
import { describe, expect, test } from 'vitest';
import { mapItem } from './mapping.js';
import { parseChecklist } from './parse.js';

function mapped(line: string) {
  const [item] = parseChecklist(`## Section\n- [ ] ${line}\n`).items;
  return mapItem(item!);
}

describe('file or endpoint', () => {
  test('a file whose name says health is a file to find, not an endpoint to GET', () => {
    expect(mapped('`src/health.py` exists')).toMatchObject({
      kind: 'file',
      params: { path: 'src/health.py' },
    });
    expect(mapped('Health check module `app/healthz.py` included')).toMatchObject({ kind: 'file' });
    expect(mapped('Health handler written in src/health.py')).toMatchObject({ kind: 'manual' });
  });

  test('folders named in code are files too', () => {
    expect(mapped('`tests/` folder exists')).toMatchObject({ kind: 'file', params: { path: 'tests/' } });
  });

  test('endpoints are probed at the path the words name', () => {
    expect(mapped('`/health` returns 200')).toMatchObject({ kind: 'http', params: { path: '/health' } });
    expect(mapped('GET /healthz answers')).toMatchObject({ kind: 'http', params: { path: '/healthz' } });
    expect(mapped('http://localhost:8080/ping responds')).toMatchObject({
      kind: 'http',
      params: { path: '/ping' },
    });
    expect(mapped('Health endpoint at /health.')).toMatchObject({
      kind: 'http',
      params: { path: '/health' },
    });
  });
});

describe('who signs', () => {
  test.each([
    ['Technical Lead approves', 'technical-lead'],
    ['Security approval', 'security'],
    ['Product Owner approval obtained', 'product-owner'],
    ['Approved by: the Tech Lead', 'tech-lead'],
    ['Sign-off: QA', 'qa'],
    ['ML Lead sign-off', 'ml-lead'],
  ])('"%s" is a sign-off by %s', (title, role) => {
    expect(mapped(title)).toMatchObject({ kind: 'manual', roles: [role] });
  });

  test('words about approvals that name no signer stay plain manual items', () => {
    expect(mapped('Approval workflow for model releases documented in the wiki')).toMatchObject({
      kind: 'manual',
      roles: [],
    });
  });
});
