#!/usr/bin/env node
// The build's last step, after tsc: the package's runtime as one file,
// dist/toolseal.js, so that `toolseal serve` and a tools module's
// require('toolseal') load one module instead of a hundred (Node resolves,
// reads and compiles every file it loads, one at a time).
//
// The bundle holds what src/index.ts exports and the command line
// (src/cli/main.ts). The two files the package is entered by become loaders
// of it: dist/index.js (the package's main) re-exports it, so a tools module
// gets the very objects the server uses, and dist/cli/main.js (the
// `toolseal` command) runs the command line from it. tsc's output of every
// other file stays in dist/: its .d.ts files are the package's types.
//
// What the sources load on demand stays unevaluated until then: esbuild
// wraps each module in a function that runs at its first require. What is
// loaded on demand and is large stays out of the bundle, so that no start
// parses it: Ajv and ajv-formats (loaded for a user schema compiled at run
// time), bullmq and ioredis (with --state only; optional peer dependencies),
// and two generated modules, loaded from their tsc-emitted files.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const SRC = path.join(root, 'src');
const DIST = path.join(root, 'dist');
const BUNDLE = 'toolseal.js';

/** Packages loaded from node_modules, and only when first needed. */
const EXTERNAL_PACKAGES = ['ajv', 'ajv-formats', 'bullmq', 'ioredis'];
/**
 * Modules of src/ (the meta-schema validators, about 400 KB, and the
 * built-in tools' every-error validators) loaded from dist/ when first
 * needed; by their path in src/ without extension.
 */
const SEPARATE_MODULES = ['generated/metaSchemaValidators', 'generated/builtinToolValidatorsAll'];

// The bundle's entry: the package's API and the runner of the command line.
// Not a file in src/, so that it is neither compiled by tsc nor a second public entry.
const ENTRY = `export * from './index';
export { runCommandLine } from './cli/main';
`;

// Written by this script in place of tsc's output of src/index.ts and src/cli/main.ts.
// A plain re-export: Node's cjs-module-lexer follows it, and ES modules get every export by name.
const INDEX_LOADER = `'use strict';
// toolseal's API (src/index.ts), from the bundle of the package's runtime (scripts/bundle.js).
module.exports = require('./${BUNDLE}');
`;
const CLI_LOADER = `#!/usr/bin/env node
'use strict';
// The toolseal command (src/cli/main.ts), from the bundle of the package's runtime (scripts/bundle.js).
if (require.main === module) require('../${BUNDLE}').runCommandLine();
`;

/** Makes the relative requires of SEPARATE_MODULES external, as paths from the bundle's folder (dist/ mirrors src/). */
function separateModules(seen) {
  return {
    name: 'separate-modules',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\/.*generated\// }, (args) => {
        const module = path.relative(SRC, path.resolve(args.resolveDir, args.path)).split(path.sep).join('/');
        if (!SEPARATE_MODULES.includes(module)) return undefined;
        seen.add(module);
        return { path: `./${module}.js`, external: true };
      });
    },
  };
}

async function bundle() {
  const seen = new Set();
  await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: SRC, sourcefile: 'bundle-entry.ts', loader: 'ts' },
    outfile: path.join(DIST, BUNDLE),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    // No keepNames: it wraps every function expression in a call that
    // defines its name, the closures a call creates included, and cost the
    // server about 4 us per pipelined call (npm run bench). Without it the
    // only names that change are those of top-level functions that two
    // modules share (esbuild renames one, e.g. fail2); nothing reads a
    // function's name, and the error classes set theirs (this.name).
    external: EXTERNAL_PACKAGES,
    plugins: [separateModules(seen)],
    logLevel: 'warning',
  });
  for (const module of SEPARATE_MODULES) {
    // A module renamed or no longer required would be missed silently otherwise.
    if (!seen.has(module)) throw new Error(`${module} was never required; update SEPARATE_MODULES in scripts/bundle.js`);
    if (!fs.existsSync(path.join(DIST, `${module}.js`))) throw new Error(`dist/${module}.js is missing; run tsc first`);
  }
  writeLoader('index.js', INDEX_LOADER);
  writeLoader(path.join('cli', 'main.js'), CLI_LOADER);
}

/** Replaces tsc's output of an entry file by its loader; tsc's source map of it no longer applies. */
function writeLoader(file, text) {
  fs.writeFileSync(path.join(DIST, file), text);
  fs.rmSync(path.join(DIST, `${file}.map`), { force: true });
}

// esbuild has printed its own errors by then.
bundle().catch((err) => {
  process.stderr.write(`bundle: ${err.message}\n`);
  process.exitCode = 1;
});
