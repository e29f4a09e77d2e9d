/** JSON Schema for editors and other tools, generated from the same zod definitions. */
import { z } from 'zod';
import type { CheckRegistry } from '../engine/registry.js';
import type { CheckDefinition } from '../engine/types.js';
import { RunReport } from '../domain/run-report.js';
import { buildSpecSchema } from './schema.js';

const OPTIONS = { io: 'input', unrepresentable: 'any', target: 'draft-7' } as const;

export function checkSchema(definition: CheckDefinition): z.ZodType {
  return z
    .strictObject({ kind: z.literal(definition.kind), ...definition.params.shape })
    .describe(`${definition.kind}: ${definition.title}`);
}

export function specJsonSchema(registry: CheckRegistry): Record<string, unknown> {
  const definitions = z.registry<{ id: string }>();
  const checks = registry.all().map(checkSchema) as [z.ZodObject, ...z.ZodObject[]];
  const union = z.discriminatedUnion('kind', checks);
  const schema = buildSpecSchema(union, definitions);
  return {
    title: 'mlgate.yaml',
    ...z.toJSONSchema(schema, { ...OPTIONS, metadata: definitions }),
  };
}

export function reportJsonSchema(): Record<string, unknown> {
  return { title: 'mlgate run report', ...z.toJSONSchema(RunReport, { ...OPTIONS, io: 'output' }) };
}

export interface ParamDoc {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  description: string;
}

interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  required?: string[];
  default?: unknown;
  description?: string;
}

/** One row per parameter, for `mlgate list-checks` and the README catalog. */
export function paramDocs(definition: CheckDefinition): ParamDoc[] {
  const schema = z.toJSONSchema(definition.params, OPTIONS) as JsonSchemaNode;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, node]) => ({
    name,
    type: typeName(node),
    required: required.has(name) && node.default === undefined,
    ...(node.default !== undefined ? { default: node.default } : {}),
    description: node.description ?? '',
  }));
}

function typeName(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeName))].join(' | ');
  if (node.type === 'array') return `list of ${node.items ? typeName(node.items) : 'any'}`;
  if (node.type === 'object') {
    if (node.properties) return `{${Object.keys(node.properties).join(', ')}}`;
    if (node.additionalProperties && typeof node.additionalProperties === 'object') {
      return `map of ${typeName(node.additionalProperties)}`;
    }
    return 'mapping';
  }
  if (node.type === 'integer') return 'integer';
  if (Array.isArray(node.type)) return node.type.join(' | ');
  return node.type ?? 'any';
}
