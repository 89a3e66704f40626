/**
 * Which user schemas may be compiled on their first use instead of at
 * start: those for which the meta-schema check made at start finds every
 * problem Ajv's compilation would (see `deferrable`).
 */
import { declaresDraft07 } from './drafts';
import type { JsonSchemaObject } from './tool';

/** Keywords whose value is data, not a schema: nothing below them is looked at. */
const DATA_KEYWORDS = new Set([
  'type', 'enum', 'const', 'required', 'title', 'description', '$comment', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength',
  'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'minContains', 'maxContains', 'dependentRequired',
]);
/** Keywords of draft 2019-09 on, which Ajv's draft-07 instance does not know. */
const NOT_IN_DRAFT_07 = new Set(['dependentRequired', 'dependentSchemas', 'minContains', 'maxContains', 'prefixItems']);
/** Keywords whose value is one schema. */
const SCHEMA_KEYWORDS = new Set(['additionalProperties', 'contains', 'not', 'if', 'then', 'else', 'propertyNames']);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);

/**
 * Whether compiling `root` (which passed its meta-schema) can be left to
 * its first use: it uses only the keywords above (so Ajv has no unknown
 * keyword to warn about at start), formats Ajv knows, patterns that are
 * regular expressions with the `u` flag, and `$ref`s that are
 * JSON Pointers within the document to a schema in it (no `$id`, anchors,
 * dynamic or remote references, and, in draft-07, nothing beside a `$ref`,
 * which Ajv would warn about). For such a schema the meta-schema check
 * finds everything the compilation would; any other is compiled at start,
 * so that its problems and warnings are reported there.
 */
export function deferrable(root: JsonSchemaObject, knownFormat: (name: string) => boolean): boolean {
  const draft07 = declaresDraft07(root.$schema);
  const schemaPointers = new Set<string>();
  const refs: string[] = [];
  const visit = (node: unknown, pointer: string, isRoot: boolean): boolean => {
    if (typeof node === 'boolean') {
      schemaPointers.add(pointer);
      return true;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return false;
    schemaPointers.add(pointer);
    const record = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(record)) {
      const at = `${pointer}/${escapePointer(key)}`;
      if (key === '$schema' && isRoot) continue;
      if (draft07 && NOT_IN_DRAFT_07.has(key)) return false;
      if (key === '$ref') {
        if (typeof value !== 'string' || (draft07 && Object.keys(record).length > 1)) return false;
        refs.push(value);
      } else if (key === 'format') {
        if (typeof value !== 'string' || !knownFormat(value)) return false;
      } else if (key === 'pattern') {
        if (typeof value !== 'string' || !isRegExp(value)) return false;
      } else if (DATA_KEYWORDS.has(key)) {
        continue;
      } else if (SCHEMA_KEYWORDS.has(key) || (key === 'items' && !Array.isArray(value)) || (key === 'additionalItems' && draft07)) {
        if (!visit(value, at, false)) return false;
      } else if (SCHEMA_MAP_KEYWORDS.has(key)) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
        if (key === 'patternProperties' && !Object.keys(value).every(isRegExp)) return false;
        for (const [name, sub] of Object.entries(value)) if (!visit(sub, `${at}/${escapePointer(name)}`, false)) return false;
      } else if (SCHEMA_LIST_KEYWORDS.has(key) || (key === 'items' && draft07)) {
        if (!Array.isArray(value)) return false;
        for (let i = 0; i < value.length; i++) if (!visit(value[i], `${at}/${i}`, false)) return false;
      } else {
        return false;
      }
    }
    return true;
  };
  if (!visit(root, '', true)) return false;
  return refs.every((ref) => ref.startsWith('#') && schemaPointers.has(pointerOf(ref.slice(1))));
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Whether Ajv can compile `pattern` (as it does, with the `u` flag). */
function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** A `$ref` fragment as a JSON Pointer in the form `deferrable` records (`~0`/`~1` escapes kept, percent-escapes decoded); '' for the root. */
function pointerOf(fragment: string): string {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return '\u0000not a pointer';
  }
}
