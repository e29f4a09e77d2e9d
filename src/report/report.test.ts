import { XMLParser } from 'fast-xml-parser';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { toString as mdToString } from 'mdast-util-to-string';
import { gfm } from 'micromark-extension-gfm';
import { describe, expect, it } from 'vitest';
import type { ListItem } from 'mdast';
import { fixtureReport } from '../testing/report-fixture.js';
import { githubAnnotations, githubJobSummary } from './github.js';
import { chartsFor } from './charts.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { computeMlTestScore } from './ml-test-score.js';
import { makeStyle } from '../cli/style.js';
import { formatFromPath, parseReportTarget, renderReport } from './render.js';
import { renderSarif } from './sarif.js';

const report = fixtureReport();

function taskItems(markdown: string): ListItem[] {
  const tree = fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const found: ListItem[] = [];
  const walk = (node: { type: string; children?: unknown[] }) => {
    if (
      node.type === 'listItem' &&
      (node as ListItem).checked !== null &&
      (node as ListItem).checked !== undefined
    )
      found.push(node as ListItem);
    for (const child of (node.children ?? []) as Array<{ type: string; children?: unknown[] }>) walk(child);
  };
  walk(tree);
  return found;
}

describe('Markdown report', () => {
  const markdown = renderMarkdown(report);

  it('puts the verdict and its reasons first', () => {
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('# cats & dogs — resnet 2.0.0');
    expect(lines[2]).toBe('## ⛔ Verdict: BLOCKED — 5 reasons');
    expect(markdown.indexOf('artifact model (model/model.onnx) is missing')).toBeLessThan(
      markdown.indexOf('## Summary'),
    );
  });

  it('is the checklist filled in: one task item per item, ticked exactly when it passed', () => {
    const tasks = taskItems(markdown);
    expect(tasks).toHaveLength(report.items.length);
    const ticked = tasks.filter((t) => t.checked).map((t) => mdToString(t.children[0]!));
    expect(ticked).toHaveLength(report.items.filter((i) => i.applicable && i.status === 'pass').length);
    for (const item of report.items) {
      const task = tasks.find((t) => mdToString(t.children[0]!).includes(item.id))!;
      expect(task, item.id).toBeDefined();
    }
  });

  it('shows each failure with its value against the threshold, evidence and fix', () => {
    const tasks = taskItems(markdown);
    const accuracy = mdToString(tasks.find((t) => mdToString(t).includes('test-accuracy'))!);
    expect(accuracy).toContain('accuracy: 0.961111 (threshold >= 0.97)');
    expect(accuracy).toContain('Fix: Return to training & re-evaluate the target.');
    const docker = mdToString(tasks.find((t) => mdToString(t).includes('dockerfile/non-root-user'))!);
    expect(docker).toContain('at Dockerfile:2');
    // An ignored finding is not shown as a problem.
    expect(docker).not.toContain('pinned-base');
    const lead = mdToString(tasks.find((t) => mdToString(t).includes('tech-lead'))!);
    expect(lead).toContain('model.onnx changed since Jane Doe approved on 2026-11-20');
  });

  it('escapes text that would be markup, so a title cannot inject HTML or break a table', () => {
    expect(markdown).not.toContain('<script>');
    const tree = fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
    const html: string[] = [];
    const walk = (node: { type: string; value?: string; children?: unknown[] }) => {
      if (node.type === 'html') html.push(node.value ?? '');
      for (const child of (node.children ?? []) as Array<typeof node>) walk(child);
    };
    walk(tree);
    // Only our own <details>, <summary> and <sub> tags.
    expect(html.every((h) => /^<\/?(details|summary|sub)\b/.test(h))).toBe(true);
  });

  it('has a summary table per section with the counts', () => {
    expect(markdown).toContain('| Section | ✅ pass | ❌ fail |');
    expect(markdown).toContain(
      '| **All items** | **4** | **3** | **1** | **1** | **1** | · | **1** | **11** |',
    );
  });

  it('keeps an output tail inside the item, even when the output has a fence of its own', () => {
    const tests = taskItems(markdown).find((t) => mdToString(t).includes('service-tests'))!;
    expect(mdToString(tests)).toContain('not ok 3 - predicts a batch');
  });
});

describe('JUnit XML', () => {
  const xml = renderJunit(report, { cwd: '/repo' });
  const parsed = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => ['testsuite', 'testcase'].includes(name),
  }).parse(xml);
  const suites = parsed.testsuites.testsuite as Array<Record<string, unknown>>;
  const cases = suites.flatMap((s) => s.testcase as Array<Record<string, unknown>>);

  it('has one test case per item, plus one per reason that belongs to no item', () => {
    expect(cases).toHaveLength(report.items.length + 1);
    expect(parsed.testsuites['@_tests']).toBe(String(report.items.length + 1));
  });

  it('fails exactly the test cases whose items block the verdict', () => {
    const failed = cases.filter((c) => c.failure || c.error).map((c) => String(c['@_name']).split(':')[0]);
    expect(failed.sort()).toEqual([
      'artifact missing 1',
      'dockerfile',
      'onnx-latency',
      'tech-lead',
      'test-accuracy',
    ]);
    expect(parsed.testsuites['@_failures']).toBe('4');
    expect(parsed.testsuites['@_errors']).toBe('1');
    const warning = cases.find((c) => String(c['@_name']).startsWith('service-tests'))!;
    expect((warning.skipped as Record<string, string>)['@_message']).toMatch(
      /^recommended item fail \(warning/,
    );
    const waived = cases.find((c) => String(c['@_name']).startsWith('service-latency'))!;
    expect((waived.skipped as Record<string, string>)['@_message']).toContain('waived: new GPU nodes arrive');
  });

  it('names files relative to where CI runs, and strips characters XML cannot carry', () => {
    const docker = cases.find((c) => String(c['@_name']).startsWith('dockerfile'))!;
    expect(docker['@_file']).toBe('project/Dockerfile');
    expect(docker['@_line']).toBe('2');
    expect(xml).not.toContain('\u0007');
  });
});

describe('SARIF', () => {
  const sarif = JSON.parse(renderSarif(report, { cwd: '/repo' }));
  const run = sarif.runs[0];

  it('is SARIF 2.1.0 with mlgate as the tool and every rule it cites', () => {
    expect(sarif.version).toBe('2.1.0');
    expect(run.tool.driver.name).toBe('mlgate');
    for (const result of run.results) expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    expect(run.originalUriBaseIds.SRCROOT.uri).toBe('file:///repo/');
  });

  it('reports each finding at its file and line, and ignored ones as suppressed', () => {
    const nonRoot = run.results.find((r: { ruleId: string }) => r.ruleId === 'dockerfile/non-root-user');
    expect(nonRoot.level).toBe('error');
    expect(nonRoot.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'project/Dockerfile', uriBaseId: 'SRCROOT' },
      region: { startLine: 2, startColumn: 1 },
    });
    const pinned = run.results.find((r: { ruleId: string }) => r.ruleId === 'dockerfile/pinned-base');
    expect(pinned.suppressions).toEqual([{ kind: 'inSource', justification: 'dev image only' }]);
  });

  it('reports a failing item without findings at its line in the spec', () => {
    const accuracy = run.results.find(
      (r: { properties: { item: string } }) => r.properties.item === 'test-accuracy',
    );
    expect(accuracy.ruleId).toBe('mlgate/predictions');
    expect(accuracy.level).toBe('error');
    expect(accuracy.locations[0].physicalLocation.artifactLocation.uri).toBe('project/mlgate.yaml');
    expect(accuracy.locations[0].physicalLocation.region.startLine).toBe(12);
    const warning = run.results.find(
      (r: { properties: { item: string } }) => r.properties.item === 'service-tests',
    );
    expect(warning.level).toBe('warning');
    // A BLOCKED run lists every blocker: the required sign-off still pending is an error result,
    // and so is a reason that belongs to no item (a missing artifact).
    const signoff = run.results.find(
      (r: { properties: { item?: string } }) => r.properties.item === 'tech-lead',
    );
    expect(signoff).toMatchObject({ ruleId: 'mlgate/manual', level: 'error' });
    expect(run.results.some((r: { ruleId: string }) => r.ruleId === 'mlgate/gate')).toBe(true);
  });
});

describe('GitHub Actions', () => {
  it('annotates each blocking item on its line, escaping what workflow commands reserve', () => {
    const lines = githubAnnotations(report, '/repo');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(
      '::error file=project/mlgate.yaml,line=12,title=mlgate fail%3A test-accuracy::Test accuracy ≥ 97%25 | F1 <script>alert(1)</script>: accuracy = 0.961111 fails >= 0.97%0AFix: Return to training & re-evaluate the target.',
    );
    expect(lines[2]).toMatch(
      /^::error file=project\/Dockerfile,line=2,col=1,title=mlgate fail%3A dockerfile::/,
    );
    expect(lines[4]).toBe(
      '::error title=mlgate%3A artifact missing::artifact model (model/model.onnx) is missing',
    );
    expect(lines[5]).toMatch(
      /^::warning file=project\/mlgate.yaml,line=10,title=mlgate fail%3A service-tests::/,
    );
  });

  it('keeps the job summary under GitHub’s 1 MiB limit', () => {
    const big = fixtureReport();
    const template = big.items[0]!;
    big.items = Array.from({ length: 4000 }, (_, i) => ({
      ...template,
      id: `item-${i}`,
      summary: 'x'.repeat(300),
    }));
    const summary = githubJobSummary(big);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(1024 * 1024);
    expect(summary).toContain('longer than a job summary may be');
  });
});

describe('HTML report (as text)', () => {
  const html = renderHtml(report);

  it('is one file that loads nothing and runs nothing', () => {
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    expect(html).toContain('Test accuracy ≥ 97% | F1 &#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('draws the pictures the checks left, each once', () => {
    for (const title of [
      'Confusion matrix',
      'Reliability diagram',
      'Requests per second during the load test',
      'Latency per second during the load test',
      'Latency by percentile',
      'Latency of 8 runs at batch 1',
    ])
      expect(html).toContain(`<title>${title}`);
  });

  it('lists the blocking items first, grouped by section, each a closed line with measured vs threshold', () => {
    const blocking = html.slice(html.indexOf('id="blocking"'), html.indexOf('id="progress"'));
    expect(blocking).toContain('<h3>Model quality <span class="muted">1 of');
    expect(blocking).toContain(
      '<span class="key"><span class="fails">accuracy 0.961111 (needs &#62;= 0.97)</span>',
    );
    expect(html).not.toMatch(/<details class="item[^"]*"[^>]* open/);
    // A passing row shows its key number.
    expect(html).toMatch(/id="item-calibration"><summary>.*<span class="key">ece 0\.021<\/span>/);
  });
});

describe('charts', () => {
  it('draw the latency thresholds on the percentile curve and the per-second latency', () => {
    const threshold = { 'p(99)': '< 100ms', 'p(95)': '< 0.05s', rps: '> 50' };
    const [curve] = chartsFor(
      'latency-percentiles',
      [
        [50, 20],
        [95, 60],
        [99, 140],
        [99.9, 150],
      ],
      { threshold },
    );
    expect(curve).toContain('threshold p(99) &#60; 100ms');
    expect(curve).toContain('threshold p(95) &#60; 0.05s');
    const [throughput, latency] = chartsFor(
      'load-timeseries',
      { columns: ['t', 'requests', 'errors', 'p50_ms', 'p99_ms'], rows: [[0, 40, 0, 10, 90]] },
      { threshold },
    );
    expect(throughput).toContain('threshold rps &#62; 50');
    expect(latency).toContain('threshold p(99) &#60; 100ms');
    // Without thresholds, no threshold lines.
    expect(
      chartsFor('latency-percentiles', [
        [50, 20],
        [99, 30],
      ]).join(''),
    ).not.toContain('class="limit"');
  });

  it('put latency samples spread over orders of magnitude on a log axis, every sample counted', () => {
    const samples = [...Array.from({ length: 97 }, (_, i) => 0.03 + i * 0.0001), 0.5, 4, 40];
    const [svg] = chartsFor('latency', [{ batchSize: 1, samples }], { threshold: { p95: '< 100ms' } });
    expect(svg).toContain('log scale');
    const counts = [...svg!.matchAll(/: (\d+) runs<\/title>/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(counts.length).toBeGreaterThanOrEqual(4);
    expect(svg).toContain('threshold p95 &#60; 100ms');
  });

  it('write each reliability bin its row count, and scale to their frame', () => {
    const [svg] = chartsFor('reliability', [
      { lower: 0.5, upper: 0.75, count: 40, accuracy: 0.6, confidence: 0.65 },
      { lower: 0.75, upper: 1, count: 320, accuracy: 0.97, confidence: 0.93 },
    ]);
    expect(svg).toMatch(/class="label">40<\/text>/);
    expect(svg).toMatch(/class="label">320<\/text>/);
    expect(svg).toContain('viewBox="0 0 560 300"');
    expect(svg).not.toContain('max-width');
  });
});

describe('ML Test Score', () => {
  it('scores automated passes 1, current sign-offs 0.5, and takes the minimum section', () => {
    const score = report.mlTestScore!;
    // infrastructure-4 failed (0), infrastructure-5 passed automated (1), model-6 automated (1),
    // model-1 pending (0), data-1 signed off (0.5), monitoring nothing.
    expect(score.sections).toEqual({ data: 0.5, model: 1, infrastructure: 1, monitoring: 0 });
    expect(score.score).toBe(0);
    expect(score.band).toBe('More of a research project than a productionized system.');
  });

  it('counts a test once, at its best, and knows the paper’s bands', () => {
    const items = fixtureReport().items.map((i) => ({ ...i, tags: [] as string[] }));
    const tag = (id: string, test: string) =>
      (items.find((i) => i.id === id)!.tags = [`ml-test-score:${test}`]);
    tag('calibration', 'data-1');
    tag('product-owner', 'data-1');
    tag('reported-f1', 'model-1');
    tag('service-health', 'infrastructure-1');
    tag('calibration', 'monitoring-1');
    const score = computeMlTestScore(items)!;
    expect(score.sections).toEqual({ data: 0.5, model: 1, infrastructure: 1, monitoring: 1 });
    expect(score.score).toBe(0.5);
    expect(score.band).toMatch(/^Not totally untested/);
    expect(computeMlTestScore(items.map((i) => ({ ...i, tags: [] })))).toBeUndefined();
  });
});

describe('report targets', () => {
  it('reads FORMAT=FILE or goes by the extension', () => {
    expect(parseReportTarget('junit=out/results.xml')).toEqual({ format: 'junit', file: 'out/results.xml' });
    expect(parseReportTarget('report.html')).toEqual({ format: 'html', file: 'report.html' });
    expect(formatFromPath('scan.sarif.json')).toBe('sarif');
    expect(() => parseReportTarget('pdf=report.pdf')).toThrow(/unknown report format "pdf"/);
    expect(() => parseReportTarget('report.pdf')).toThrow(/cannot tell the format/);
  });
});

describe('a report read back from the store or a file', () => {
  it('reaches no format with a control sequence or a secret the rules recognise', () => {
    // A report written before redaction existed, or edited by hand.
    const token = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;
    const old = fixtureReport();
    old.items[0]!.summary = `\u001b[2J\u001b[32mVerdict: PASS\u001b[0m token ${token}`;
    for (const format of ['md', 'html', 'junit', 'sarif', 'json', 'text'] as const) {
      const text = renderReport(old, format, { cwd: '/', style: makeStyle(false) });
      expect(text, format).not.toContain(token);
      expect(text, format).not.toContain('\u001b');
    }
  });
});
