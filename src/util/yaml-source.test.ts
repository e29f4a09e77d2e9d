import { describe, expect, test } from 'vitest';
import { YamlSource } from './yaml-source.js';

describe('YamlSource merge keys', () => {
  const text = [
    'x-defaults: &defaults',
    '  image: model:latest',
    '  restart: always',
    'services:',
    '  api:',
    '    <<: *defaults',
    '    restart: "no"',
    '',
  ].join('\n');

  test('the data has the merged values, own keys winning', () => {
    const data = new YamlSource('compose.yaml', text).toJS() as {
      services: { api: Record<string, unknown> };
    };
    expect(data.services.api).toEqual({ image: 'model:latest', restart: 'no' });
  });

  test('a merged value is located where the anchor wrote it', () => {
    const source = new YamlSource('compose.yaml', text);
    expect(source.locate(['services', 'api', 'image'])).toMatchObject({ line: 2, exact: true });
    expect(source.locate(['services', 'api', 'restart'])).toMatchObject({ line: 7, exact: true });
  });

  test('multi-document files merge too', () => {
    const [first] = YamlSource.all('k.yaml', 'a: &a {b: 1}\nc:\n  <<: [*a]\n');
    expect(first!.toJS()).toEqual({ a: { b: 1 }, c: { b: 1 } });
  });
});
