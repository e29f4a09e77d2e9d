/**
 * A structural check of an XML document against an XML Schema (XSD), for tests: no XSD
 * validator is among the dependencies (libxml2 bindings compile natively), so this reads the
 * schema itself and checks what a JUnit-style schema says — which elements exist, which
 * children and attributes each allows, which attributes are required, text only where the
 * content is mixed or simple, and attribute values against a simple type's xs:pattern.
 *
 * Supported: global xs:element (with an inline xs:complexType or a type="..." naming an
 * xs:complexType or xs:string), xs:element ref="..." and inline child elements inside
 * xs:sequence / xs:choice / xs:all (order and occurrence counts are not checked), xs:attribute
 * with use="required", named xs:simpleType with xs:restriction/xs:pattern. Anything else in
 * the schema is an error here, so a schema this cannot read is never passed silently.
 */
import { XMLParser } from 'fast-xml-parser';

interface ElementRule {
  attributes: Map<string, { required: boolean; type: string }>;
  children: Set<string>;
  text: boolean;
}

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  preserveOrder: true,
  trimValues: true,
  parseTagValue: false,
  parseAttributeValue: false,
  commentPropName: '#comment',
});

/** preserveOrder output: each node is { tag: children[], ':@': attributes }. */
function tagOf(node: Node): string | undefined {
  return Object.keys(node).find((key) => key !== ':@');
}
function attrs(node: Node): Record<string, string> {
  return (node[':@'] as Record<string, string> | undefined) ?? {};
}
function children(node: Node): Node[] {
  const tag = tagOf(node);
  return tag ? ((node[tag] as Node[] | undefined) ?? []) : [];
}
const local = (tag: string) => tag.replace(/^xs:|^xsd:/, '');

export class XsdStructure {
  private readonly elements = new Map<string, ElementRule>();
  private readonly patterns = new Map<string, RegExp>();
  private readonly complexTypes = new Map<string, Node>();

  constructor(xsd: string) {
    const root = (parser.parse(xsd) as Node[]).find((n) => local(tagOf(n) ?? '') === 'schema');
    if (!root) throw new Error('not an XML Schema: no xs:schema element');
    const top = children(root).filter((n) => tagOf(n) !== '#comment');
    for (const node of top) {
      const kind = local(tagOf(node)!);
      const name = attrs(node)['@name'];
      if (kind === 'simpleType' && name) this.patterns.set(name, this.simplePattern(node));
      else if (kind === 'complexType' && name) this.complexTypes.set(name, node);
    }
    for (const node of top) {
      const kind = local(tagOf(node)!);
      if (kind === 'element') this.elements.set(attrs(node)['@name']!, this.elementRule(node));
      else if (kind !== 'simpleType' && kind !== 'complexType')
        throw new Error(`xs:${kind} at the top of the schema is not supported`);
    }
  }

  private simplePattern(node: Node): RegExp {
    const restriction = children(node).find((n) => local(tagOf(n) ?? '') === 'restriction');
    const pattern = restriction && children(restriction).find((n) => local(tagOf(n) ?? '') === 'pattern');
    // XSD patterns are anchored at both ends.
    return pattern ? new RegExp(`^(?:${attrs(pattern)['@value']})$`) : /^/;
  }

  private elementRule(node: Node): ElementRule {
    const type = attrs(node)['@type'];
    if (type === 'xs:string' || type === 'xsd:string')
      return { attributes: new Map(), children: new Set(), text: true };
    const complex = type
      ? this.complexTypes.get(type)
      : children(node).find((n) => local(tagOf(n) ?? '') === 'complexType');
    if (type && !complex) throw new Error(`element ${attrs(node)['@name']}: unknown type ${type}`);
    const rule: ElementRule = { attributes: new Map(), children: new Set(), text: false };
    if (!complex) return { ...rule, text: true };
    rule.text = attrs(complex)['@mixed'] === 'true';
    this.readContent(complex, rule, attrs(node)['@name'] ?? '');
    return rule;
  }

  private readContent(node: Node, rule: ElementRule, owner: string): void {
    for (const child of children(node)) {
      const tag = tagOf(child);
      if (!tag || tag === '#comment') continue;
      const a = attrs(child);
      switch (local(tag)) {
        case 'sequence':
        case 'choice':
        case 'all':
          this.readContent(child, rule, owner);
          break;
        case 'element': {
          const name = a['@ref'] ?? a['@name'];
          if (!name) throw new Error(`${owner}: a child element without name or ref`);
          rule.children.add(name);
          // An inline child definition is also an element of its own.
          if (a['@name'] && !this.elements.has(name)) this.elements.set(name, this.elementRule(child));
          break;
        }
        case 'attribute':
          rule.attributes.set(a['@name']!, {
            required: a['@use'] === 'required',
            type: a['@type'] ?? 'xs:string',
          });
          break;
        case 'simpleContent':
        case 'complexContent':
          throw new Error(`${owner}: xs:${local(tag)} is not supported by this structural check`);
        default:
          throw new Error(`${owner}: xs:${local(tag)} is not supported by this structural check`);
      }
    }
  }

  /** Every way the document departs from the schema, as "path: problem" lines. */
  check(xml: string): string[] {
    const problems: string[] = [];
    const nodes = (parser.parse(xml) as Node[]).filter((n) => {
      const tag = tagOf(n);
      return tag && tag !== '?xml' && tag !== '#comment';
    });
    if (nodes.length !== 1) problems.push(`document: ${nodes.length} root elements, expected 1`);
    for (const node of nodes) this.checkNode(node, tagOf(node)!, problems);
    return problems;
  }

  private checkNode(node: Node, path: string, problems: string[]): void {
    const tag = tagOf(node)!;
    const rule = this.elements.get(tag);
    if (!rule) {
      problems.push(`${path}: element <${tag}> is not declared`);
      return;
    }
    const given = attrs(node);
    for (const [key, value] of Object.entries(given)) {
      const name = key.slice(1);
      const declared = rule.attributes.get(name);
      if (!declared) {
        problems.push(`${path}: attribute "${name}" is not declared`);
        continue;
      }
      const pattern = this.patterns.get(declared.type);
      if (pattern && !pattern.test(value))
        problems.push(`${path}: attribute ${name}="${value}" does not match the pattern of ${declared.type}`);
    }
    for (const [name, declared] of rule.attributes)
      if (declared.required && !(`@${name}` in given))
        problems.push(`${path}: required attribute "${name}" missing`);
    for (const child of children(node)) {
      const childTag = tagOf(child);
      if (!childTag || childTag === '#comment') continue;
      if (childTag === '#text') {
        if (!rule.text) problems.push(`${path}: text is not allowed here`);
        continue;
      }
      if (!rule.children.has(childTag)) {
        problems.push(`${path}: child <${childTag}> is not allowed`);
        continue;
      }
      this.checkNode(child, `${path}/${childTag}`, problems);
    }
  }
}
