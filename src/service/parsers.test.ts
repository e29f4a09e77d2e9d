/** The small parsers behind the service checks: HTTP/1.1 responses, Prometheus text, JSONPath. */
import { describe, expect, test } from 'vitest';
import { jsonType, parseJsonPath, selectJsonPath } from '../util/json-path.js';
import { encodeRequest, type ParsedResponse, ResponseParser } from './http1.js';
import { parseLoadThreshold } from './load-thresholds.js';
import { parseExposition } from './prometheus.js';
import { Secrets, showHeader } from './template.js';

function parseAll(chunks: string[], options: { head?: boolean } = {}): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  const parser = new ResponseParser((response) => out.push(response), true);
  if (options.head) parser.expectHead = true;
  for (const chunk of chunks) parser.push(Buffer.from(chunk, 'latin1'));
  parser.end();
  return out;
}

describe('HTTP/1.1 responses', () => {
  test('content-length bodies, pipelined and split anywhere', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhelloHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n';
    for (let cut = 1; cut < wire.length; cut += 7) {
      const responses = parseAll([wire.slice(0, cut), wire.slice(cut)]);
      expect(responses.map((r) => [r.status, r.body?.toString()])).toEqual([
        [200, 'hello'],
        [404, ''],
      ]);
      expect(responses[0]!.headers['x-a']).toBe('1, 2');
    }
  });

  test('chunked bodies with extensions and trailers', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n';
    const responses = parseAll(wire.split(''));
    expect(responses).toHaveLength(1);
    expect(responses[0]!.body?.toString()).toBe('Wikipedia');
  });

  test('a body delimited by the connection closing; 100 Continue; HEAD and 204 have none', () => {
    expect(parseAll(['HTTP/1.0 200 OK\r\n\r\nuntil the end'])[0]).toMatchObject({
      status: 200,
      close: true,
      bodyBytes: 13,
    });
    expect(
      parseAll(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok']).map(
        (r) => r.status,
      ),
    ).toEqual([201]);
    expect(parseAll(['HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n'], { head: true })[0]!.bodyBytes).toBe(0);
    expect(parseAll(['HTTP/1.1 204 No Content\r\n\r\n'])[0]!.status).toBe(204);
  });

  test('garbage is an error, not a hang', () => {
    expect(() => parseAll(['SSH-2.0-OpenSSH\r\n\r\n'])).toThrow(/not an HTTP\/1.x response/);
    expect(() => parseAll(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'])).toThrow(
      /bad chunk size/,
    );
  });

  test('requests are encoded with host and length', () => {
    const bytes = encodeRequest(
      'POST',
      '/predict?x=1',
      '127.0.0.1:8080',
      { 'content-type': 'application/json' },
      Buffer.from('{}'),
    );
    expect(bytes.toString()).toBe(
      'POST /predict?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
    );
  });
});

describe('Prometheus text format', () => {
  test('a valid exposition: families, types, histogram samples, escapes, OpenMetrics EOF', () => {
    const text = [
      '# HELP http_requests_total Requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{path="/predict",status="200"} 1027 1700000000000',
      'http_requests_total{path="/a \\"quoted\\" \\\\ path\\n",status="500",} 3',
      '# TYPE latency_seconds histogram',
      'latency_seconds_bucket{le="0.1"} 5',
      'latency_seconds_bucket{le="+Inf"} 7',
      'latency_seconds_sum 0.42',
      'latency_seconds_count 7',
      'up NaN',
      'temperature -Inf',
      '# EOF',
      '',
    ].join('\n');
    const exposition = parseExposition(text);
    expect(exposition.problems).toEqual([]);
    expect([...exposition.families.keys()]).toEqual([
      'http_requests_total',
      'latency_seconds',
      'up',
      'temperature',
    ]);
    expect(exposition.families.get('latency_seconds')).toMatchObject({ type: 'histogram', samples: 4 });
    expect(exposition.sampleNames.has('latency_seconds_bucket')).toBe(true);
  });

  test('what a scrape rejects, by line', () => {
    const text = [
      '# TYPE a counter',
      '# TYPE a gauge',
      'a 1',
      '# TYPE b histogram',
      'b_bucket 1',
      'c{x="1",x="2"} 1',
      'd{x="unterminated} 1',
      'e one',
      '1bad 2',
      'f{x="\\t"} 1',
      'g 1',
      '# TYPE g counter',
      'h 1',
    ].join('\n');
    const problems = parseExposition(text).problems.map((p) => `${p.line}: ${p.message}`);
    expect(problems).toEqual([
      '2: second TYPE line for a',
      '5: histogram bucket b_bucket without an "le" label',
      '6: label x appears twice in c',
      '7: unterminated label value for x',
      '8: e: "one" is not a number',
      '9: "1bad" is not a valid metric name',
      '10: invalid escape "\\t" in label x (only \\\\, \\" and \\n)',
      '12: TYPE line for g after its samples',
      '13: the last line does not end with a line feed',
    ]);
  });
});

describe('JSONPath', () => {
  const doc = {
    predictions: [7, 6],
    results: [{ label: 'a' }, { label: 'b' }],
    'model-version': '1.0',
    nested: { x: null },
  };
  const values = (path: string) => selectJsonPath(doc, parseJsonPath(path)).map((m) => [m.path, m.value]);

  test('dots, indexes (negative too), wildcards, quoted keys, JSON pointers', () => {
    expect(values('$.predictions[0]')).toEqual([['$.predictions[0]', 7]]);
    expect(values('$.predictions[-1]')).toEqual([['$.predictions[1]', 6]]);
    expect(values('$.results[*].label')).toEqual([
      ['$.results[0].label', 'a'],
      ['$.results[1].label', 'b'],
    ]);
    expect(values("$['model-version']")).toEqual([["$['model-version']", '1.0']]);
    expect(values('/results/1/label')).toEqual([['$.results[1].label', 'b']]);
    expect(values('predictions')).toEqual([['$.predictions', [7, 6]]]);
    expect(values('$.nested.x')).toEqual([['$.nested.x', null]]);
    expect(values('$.missing.deeper')).toEqual([]);
    expect(jsonType(3)).toBe('integer');
    expect(jsonType(3.5)).toBe('number');
  });

  test('filters and slices are not supported, and say so', () => {
    expect(() => parseJsonPath('$.a[?(@.b)]')).toThrow(/cannot read JSON path/);
    expect(() => parseJsonPath('$.a[1:2]')).toThrow(/cannot read JSON path/);
  });
});

describe('load thresholds', () => {
  test('k6 spellings', () => {
    expect(parseLoadThreshold('p(95) < 100ms')).toMatchObject({
      metric: { kind: 'percentile', percentile: 95 },
      threshold: { op: '<', value: 100 },
    });
    expect(parseLoadThreshold('p(99.9)<1s')).toMatchObject({
      metric: { percentile: 99.9 },
      threshold: { value: 1000 },
    });
    expect(parseLoadThreshold('p95 < 250')).toMatchObject({
      metric: { percentile: 95 },
      threshold: { value: 250 },
    });
    expect(parseLoadThreshold('error_rate < 1%')).toMatchObject({
      metric: { kind: 'error_rate' },
      threshold: { value: 0.01 },
    });
    expect(parseLoadThreshold('avg < 500us')).toMatchObject({
      metric: { kind: 'latency', stat: 'avg' },
      threshold: { value: 0.5 },
    });
    expect(() => parseLoadThreshold('p(101) < 1s')).toThrow(/between 0 and 100/);
    expect(() => parseLoadThreshold('throughput > 5')).toThrow(/cannot read load threshold/);
  });
});

describe('secrets in evidence', () => {
  test('values from the environment are masked everywhere; credentials headers always', () => {
    const secrets = new Secrets();
    const header = secrets.expand('Bearer ${env.TOKEN}', { TOKEN: 's3cr3t-value' }, 'headers.Authorization');
    expect(header).toBe('Bearer s3cr3t-value');
    expect(secrets.mask('{"echo": "s3cr3t-value"}')).toBe('{"echo": "***"}');
    expect(showHeader('Authorization', header, secrets)).toBe('Bearer ***');
    expect(showHeader('X-Api-Key', 'literal-key', secrets)).toBe('***');
    expect(showHeader('X-Trace', 'id-s3cr3t-value', secrets)).toBe('id-***');
    expect(() => secrets.expand('${env.NOPE}', {}, 'query.key')).toThrow(
      'environment variable NOPE is not set (used in query.key)',
    );
  });
});
