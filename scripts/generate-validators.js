#!/usr/bin/env node
// Compiles the validators of schemas/ at build time (Ajv standalone code),
// so that a server does not compile them at every start:
//
// - src/generated/protocolValidators.ts: the protocol's messages (envelope,
//   response, job status, keyring), with SchemaRegistry's Ajv options, and
//   for each signed message the checks before its signature (all but the
//   signature's pattern, which a signature equal to its MAC has);
// - src/generated/builtinToolValidators.ts and builtinToolValidatorsAll.ts:
//   the built-in tools' schemas (schemas/tools/), with ToolSchemaCompiler's
//   options for their draft, stopping at the first error and collecting
//   every error respectively (the second is loaded only for a call that
//   the first refused);
// - src/generated/metaSchemaValidators.ts: the meta-schemas of draft 2020-12
//   and draft-07, with ToolSchemaCompiler's options, for checking a user's
//   tool schemas at start without compiling a meta-schema there;
// - src/generated/signedMembers.ts: for each signed message (a schema with
//   `additionalProperties: false` and a `signature` property), the members
//   its signature covers, as a function that copies them out of a message
//   its validator passed into a new object in RFC 8785 key order: a fixed
//   object literal, which JSON.stringify writes faster than any generic copy.
//
// The validators every call runs count string lengths in code points with
// src/protocol/ucs2length.ts (Ajv's count, without its per-character loop for
// strings that hold no surrogate) instead of Ajv's run-time helper, and only
// when the string's length in code units does not settle the check.
//
// The schema files stay the single source of truth; the options live in
// src/protocol/ajvOptions.json, read here and by the run-time compilers.
// Every schema is checked against its meta-schema here. A test compares
// these validators with ones compiled at run time on valid and invalid
// values (test/protocol/generatedValidators.property.test.ts).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv').default;
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const standaloneCode = require('ajv/dist/standalone').default;

const root = path.join(__dirname, '..');
const schemaDir = path.join(root, 'schemas');
const outDir = path.join(root, 'src', 'generated');
const options = JSON.parse(fs.readFileSync(path.join(root, 'src', 'protocol', 'ajvOptions.json'), 'utf8'));

/** The protocol's own message schemas: export name -> file. */
const PROTOCOL = { envelope: 'envelope.schema.json', response: 'response.schema.json', jobStatus: 'job-status.schema.json', keyring: 'keyring.schema.json' };

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** Ajv options for generating code: the run-time options plus source output (ES module syntax, compiled to CommonJS by tsc). */
function withSource(runtime) {
  return { ...runtime, validateSchema: true, code: { ...runtime.code, source: true, esm: true, lines: true } };
}

/** Ajv's code-point count of strings, and ours (src/protocol/ucs2length.ts: the same count, without a per-character loop for strings with no surrogates). */
const AJV_UCS2LENGTH = 'require("ajv/dist/runtime/ucs2length").default';
const OWN_UCS2LENGTH = 'require("../protocol/ucs2length").ucs2length';

/**
 * A string has at most as many code points as UTF-16 code units, and at
 * least half as many: a `maxLength` or `minLength` check needs the count
 * only when the code units do not settle it (an id of 36 characters is
 * within 1 to 128 code points without counting them). Each length check of
 * the generated code, `<count>(<data>) > <limit>` or `<count>(<data>) <
 * <limit>`, is prefixed with that test; any other use of the count is
 * refused, so that a change in Ajv's output cannot slip past.
 */
function withLengthShortcuts(body) {
  const declared = /^const (func\d+) = require\("\.\.\/protocol\/ucs2length"\)\.ucs2length;$/m.exec(body);
  if (!declared) return body;
  const count = declared[1];
  let rewritten = 0;
  const out = body.replace(new RegExp(`\\b${count}\\(([A-Za-z_$][\\w$]*)\\) ([<>]) (\\d+)\\b`, 'g'), (_, data, op, limit) => {
    rewritten++;
    return op === '>' ? `(${data}.length > ${limit} && ${count}(${data}) > ${limit})` : `(${data}.length < ${2 * Number(limit)} && ${count}(${data}) < ${limit})`;
  });
  const calls = out.split(`${count}(`).length - 1;
  if (calls !== rewritten) throw new Error(`generate-validators: ${calls - rewritten} use(s) of ucs2length that are not a length check; update withLengthShortcuts`);
  return out;
}

/**
 * A generated module's text. `ownUcs2length` for the validators every call
 * runs (bundled with it); the modules kept out of the bundle keep Ajv's, so
 * that loading one loads nothing else of the package.
 */
function moduleText(what, code, ownUcs2length = false) {
  const body = code.replace(/^"use strict";\n?/, '');
  return [
    '// @ts-nocheck',
    `/* Generated by scripts/generate-validators.js from schemas/ (${what}). Do not edit. */`,
    '/* eslint-disable */',
    ownUcs2length ? withLengthShortcuts(body.split(AJV_UCS2LENGTH).join(OWN_UCS2LENGTH)) : body,
    '',
  ].join('\n');
}

/** What HmacKey.macHex writes: a signature that matches its MAC has this pattern. */
const MAC_PATTERN = '^[0-9a-f]{64}$';

/**
 * For a signed message's schema (one with a `signature` property), the
 * schema its checks before the signature use: the same but for the
 * signature's pattern when that is MAC_PATTERN (a signature equal to its
 * MAC has it; the full schema is checked again for one that is not),
 * else the schema itself (no separate validator is generated then).
 */
function beforeSignature(schema) {
  const signature = schema.properties.signature;
  if (signature.pattern !== MAC_PATTERN) return schema;
  const { pattern: _pattern, ...rest } = signature;
  return { ...schema, $id: `${schema.$id}:before-signature`, properties: { ...schema.properties, signature: rest } };
}

function protocolModule() {
  const ajv = new Ajv(withSource(options.protocol));
  const exports = {};
  for (const [name, file] of Object.entries(PROTOCOL)) {
    const schema = readJson(path.join(schemaDir, file));
    ajv.addSchema(schema);
    exports[name] = schema.$id;
    if (!Object.hasOwn(schema.properties ?? {}, 'signature')) continue;
    // Without one, SchemaRegistry checks the whole schema before the signature too.
    const before = beforeSignature(schema);
    if (before === schema) continue;
    ajv.addSchema(before);
    exports[`${name}BeforeSignature`] = before.$id;
  }
  return moduleText('the protocol messages', standaloneCode(ajv, exports), true);
}

/** Every schemas/tools/*.schema.json: export name (`batch_sum_input`) -> schema. */
function toolSchemas() {
  const dir = path.join(schemaDir, 'tools');
  const out = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort()) {
    const schema = readJson(path.join(dir, file));
    if (schema.$schema !== 'http://json-schema.org/draft-07/schema#') {
      throw new Error(`${file}: the built-in tools' schemas are draft-07 (ToolSchemaCompiler's draft-07 options are used for them)`);
    }
    out[file.replace(/\.schema\.json$/, '').replace('.', '_')] = schema;
  }
  return out;
}

function toolModule(allErrors) {
  const ajv = new Ajv(withSource({ ...options.tools, allErrors }));
  addFormats(ajv);
  const exports = {};
  for (const [name, schema] of Object.entries(toolSchemas())) {
    ajv.addSchema(schema);
    exports[name] = schema.$id;
  }
  return moduleText(`the built-in tools' schemas, ${allErrors ? 'every error' : 'first error'}`, standaloneCode(ajv, exports), !allErrors);
}

/** The two meta-schemas users' tool schemas are checked against (Ajv's validateSchema, compiled ahead). */
function metaSchemaModule() {
  const parts = [];
  for (const [name, AjvClass, id] of [
    ['draft2020', Ajv2020, 'https://json-schema.org/draft/2020-12/schema'],
    ['draft07', Ajv, 'http://json-schema.org/draft-07/schema'],
  ]) {
    const ajv = new AjvClass(withSource({ ...options.tools, allErrors: false }));
    addFormats(ajv);
    // Each meta-schema module stands alone: wrapped in a function so that the two do not share names.
    const code = standaloneCode(ajv, { validate: id }).replace(/^"use strict";\n?/, '');
    const exported = /^export const validate = (\w+);$/m.exec(code);
    if (!exported) throw new Error(`the standalone code of ${id} has no export`);
    parts.push(`export const ${name} = (() => {\n${code.replace(exported[0], '')}\nreturn ${exported[1]};\n})();`);
  }
  return moduleText('the draft 2020-12 and draft-07 meta-schemas', parts.join('\n\n'));
}

/** The members each signature covers, per signed protocol message: export name -> a copying function. */
function signedMembersModule() {
  const parts = [];
  for (const [name, file] of Object.entries(PROTOCOL)) {
    const schema = readJson(path.join(schemaDir, file));
    const properties = schema.properties ?? {};
    if (!Object.hasOwn(properties, 'signature')) continue;
    if (schema.additionalProperties !== false) {
      throw new Error(`${file}: a signed message's schema must close its members (additionalProperties: false), or a copy of its members could leave one out`);
    }
    // RFC 8785 orders members by the UTF-16 code units of their names: the default sort.
    const members = Object.keys(properties).filter((key) => key !== 'signature').sort();
    const copied = members.map((key) => `${JSON.stringify(key)}: m[${JSON.stringify(key)}]`).join(', ');
    parts.push(`/** The members of a message of ${file} that its signature covers (all but \`signature\`), in RFC 8785 order. */\nexport const ${name} = (m: Record<string, unknown>): object => ({ ${copied} });`);
  }
  return moduleText('the members each signature covers', parts.join('\n\n'));
}

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'signedMembers.ts'), signedMembersModule());
fs.writeFileSync(path.join(outDir, 'protocolValidators.ts'), protocolModule());
fs.writeFileSync(path.join(outDir, 'builtinToolValidators.ts'), toolModule(false));
fs.writeFileSync(path.join(outDir, 'builtinToolValidatorsAll.ts'), toolModule(true));
fs.writeFileSync(path.join(outDir, 'metaSchemaValidators.ts'), metaSchemaModule());
