import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCHEMA_DIR, SchemaRegistry } from '../../src/protocol/schemas';
import { createLogger } from '../../src/server/logger';
import { EXAMPLE_TOOLS, protocolToolsForListing } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';

/**
 * Objects whose properties belong to someone else (a tool's args, a caller's
 * payload, a job's result, a schema handed to an LLM), so they are open on
 * purpose. Every other object in every schema forbids extra properties.
 */
const OPEN_OBJECTS = new Set([
  'envelope.schema.json#/properties/args',
  'response.schema.json#/properties/result',
  'job-status.schema.json#/properties/result',
  'tools/list_tools.output.schema.json#/properties/tools/items/properties/input_schema',
  'tools/list_tools.output.schema.json#/properties/tools/items/properties/output_schema',
  'tools/start_long_task.input.schema.json#/properties/payload',
  'tools/poll_job.output.schema.json#',
  'tools/cancel_job.output.schema.json#',
  'tools/start_long_task.output.schema.json#',
]);

function schemaFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? schemaFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : e.name.endsWith('.schema.json') ? [`${prefix}${e.name}`] : [],
  );
}

function objectNodes(node: unknown, pointer: string, out: Array<[string, Record<string, unknown>]>): void {
  if (node === null || typeof node !== 'object') return;
  const n = node as Record<string, unknown>;
  if (n.type === 'object' || (Array.isArray(n.type) && n.type.includes('object'))) out.push([pointer, n]);
  for (const [key, value] of Object.entries(n)) {
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [prop, sub] of Object.entries(value)) objectNodes(sub, `${pointer}/properties/${prop}`, out);
    } else if (key === 'items' || key === 'additionalProperties') {
      objectNodes(value, `${pointer}/${key}`, out);
    }
  }
}

describe('schemas/', () => {
  const files = schemaFiles(SCHEMA_DIR);

  it('all are valid JSON Schemas and compile with Ajv in strict mode', () => {
    expect(() => new SchemaRegistry(SCHEMA_DIR, { checkAgainstMetaSchema: true })).not.toThrow();
  });

  it.each(files)('%s forbids extra properties on every object except the documented open ones', (file) => {
    const nodes: Array<[string, Record<string, unknown>]> = [];
    objectNodes(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')), '', nodes);
    for (const [pointer, node] of nodes) {
      const where = `${file}#${pointer}`;
      if (OPEN_OBJECTS.has(where)) continue;
      if (file === 'keyring.schema.json' && pointer === '/properties/clients') {
        expect(typeof node.additionalProperties).toBe('object'); // a map of client id -> entry
        continue;
      }
      expect({ where, additionalProperties: node.additionalProperties }).toEqual({ where, additionalProperties: false });
    }
  });

  it('the built-in tools are served from these files: one input and one output schema each, and no file unused', () => {
    const builtins = [...protocolToolsForListing(), ...EXAMPLE_TOOLS];
    const used: string[] = [];
    for (const tool of builtins) {
      for (const side of ['input', 'output'] as const) {
        const file = `tools/${tool.name}.${side}.schema.json`;
        expect({ file, schema: side === 'input' ? tool.inputSchema : tool.outputSchema }).toEqual({ file, schema: JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) });
        used.push(file);
      }
    }
    expect(files.filter((f) => f.startsWith('tools/')).sort()).toEqual(used.sort());
    expect(() => new ToolRegistry({ protocol: protocolToolsForListing(), tools: EXAMPLE_TOOLS }, createLogger('error'))).not.toThrow();
  });
});
