/** XML for test and coverage reports, with a clear error (and its line) for broken files. */
import { lazyRequire } from '../../util/lazy.js';

/** Loaded when a report is read, not when a check kind is imported (startup). */
const fxp = lazyRequire<typeof import('fast-xml-parser')>('fast-xml-parser');

export class XmlError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export function parseXml(text: string, arrays: string[]): Record<string, unknown> {
  const valid = fxp().XMLValidator.validate(text);
  if (valid !== true) throw new XmlError(valid.err.msg, valid.err.line);
  const parser = new (fxp().XMLParser)({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    textNodeName: '#text',
    cdataPropName: '#cdata',
    isArray: (name) => arrays.includes(name),
  });
  return parser.parse(text) as Record<string, unknown>;
}

export function textOf(node: unknown): string {
  if (node === undefined || node === null) return '';
  if (typeof node !== 'object') return String(node);
  const record = node as Record<string, unknown>;
  return String(record.message ?? record['#cdata'] ?? record['#text'] ?? '');
}
