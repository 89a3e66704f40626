/**
 * The built runtime is one file (scripts/bundle.js): `toolseal serve`
 * loads dist/toolseal.js, not tsc's hundred per-file modules, and a tools
 * module's require('toolseal') gets that same bundle, so the error class it
 * throws is the server's own. What the sources load on demand is still
 * loaded on demand: the packages and generated modules kept out of the
 * bundle are not required, and the bundled modules behind a lazy require
 * (the other commands, the MCP front end, shared state) are not evaluated.
 * Each server runs with a preload that records the CommonJS modules it
 * loaded, and with V8 coverage, which counts the runs of the function
 * esbuild wraps each bundled module in (named after the module's file).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { CLI, ServerProcess } from '../support/serverProcess';

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'toolseal.js');
const PRELOAD = path.join(ROOT, 'test', 'support', 'loadedModules.js');
const TEXT_TOOLS = path.join(ROOT, 'test', 'fixtures', 'tools', 'text.js');

/** What a server loaded: the files of the package (relative to its root) and of node_modules, and the bundled modules it evaluated. */
interface Loaded {
  packageFiles: string[];
  packages: string[];
  evaluated: string[];
}

let keys: TestKeys;
let dir: string;

beforeAll(() => {
  keys = makeTestKeys();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-bundle-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Starts `toolseal serve` with `args`, lets `use` talk to it, closes it, and says what it loaded. */
async function serve(name: string, args: string[], use: (server: ServerProcess) => Promise<void>): Promise<Loaded> {
  const modulesFile = path.join(dir, `${name}.json`);
  const coverage = path.join(dir, `${name}-coverage`);
  const server = new ServerProcess(keys, args, { LOADED_MODULES_FILE: modulesFile, NODE_V8_COVERAGE: coverage }, ['-r', PRELOAD, CLI, 'serve', '--keys', keys.file]);
  try {
    await use(server);
    expect(await server.close()).toEqual({ code: 0, signal: null });
  } finally {
    server.kill();
  }
  expect(server.takeViolations()).toEqual([]);
  const files = (JSON.parse(fs.readFileSync(modulesFile, 'utf8')) as string[]).filter((file) => file !== PRELOAD).map((file) => file.split(path.sep).join('/'));
  // A package's files from its node_modules/ on (node_modules may be a link to elsewhere, and require.cache has real paths).
  const inPackages = (file: string): boolean => file.includes('/node_modules/');
  return {
    packageFiles: files.filter((file) => !inPackages(file)).map((file) => path.relative(ROOT, file).split(path.sep).join('/')).sort(),
    packages: files.filter(inPackages).map((file) => file.slice(file.lastIndexOf('/node_modules/') + 1)),
    evaluated: evaluatedModules(coverage),
  };
}

/** The bundled modules (by their source file) whose wrapper ran, from the V8 coverage in `coverage`. */
function evaluatedModules(coverage: string): string[] {
  const url = pathToFileURL(BUNDLE).href;
  const evaluated = new Set<string>();
  for (const file of fs.readdirSync(coverage)) {
    const { result } = JSON.parse(fs.readFileSync(path.join(coverage, file), 'utf8')) as { result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }> };
    for (const script of result.filter((s) => s.url === url)) {
      for (const fn of script.functions) if (fn.functionName.startsWith('src/') && fn.ranges[0]!.count > 0) evaluated.add(fn.functionName);
    }
  }
  return [...evaluated];
}

/** Modules of src/ loaded on demand only: what `toolseal serve` without --state and MCP traffic must not evaluate. */
const ON_DEMAND = /^src\/(cli\/(call|keygen|sign|tools|worker)\.ts|mcp\/|state\/(index|sharedState|jobWorker|redis\w*)\.ts)/;
/** Packages and files kept out of the bundle, loaded when first needed (Ajv's small runtime helpers aside: the generated validators use them). */
const KEPT_OUT = /^node_modules\/(ajv\/dist\/(?!runtime\/)|ajv-formats\/|bullmq\/|ioredis\/)/;

it('serves from the bundle alone: no per-file module of dist/, nothing loaded on demand', async () => {
  const loaded = await serve('examples', [], async (server) => {
    const reply = await server.call('batch_sum', { numbers: [1, 2, 3] });
    expect(reply.result).toMatchObject({ ok: true, result: { count: 3, total: 6 } });
  });
  expect(loaded.packageFiles).toEqual(['dist/cli/main.js', 'dist/toolseal.js']);
  expect(loaded.packages.filter((file) => KEPT_OUT.test(file))).toEqual([]);
  // The coverage names the modules: the ones the server runs on were evaluated, the on-demand ones were not.
  expect(loaded.evaluated).toEqual(expect.arrayContaining(['src/cli/serve.ts', 'src/serve/createServer.ts', 'src/server/server.ts']));
  expect(loaded.evaluated.filter((module) => ON_DEMAND.test(module))).toEqual([]);
});

it("gives a tools module's require('toolseal') the server's bundle: a ToolsealError it throws is answered with its code", async () => {
  const loaded = await serve('text', ['--tools', TEXT_TOOLS], async (server) => {
    const coded = await server.call('refuser', { plain: false });
    expect(coded.error?.code).toBe(-32013);
    expect(coded.error?.data.response.error).toBe('quota used up');
  });
  // dist/index.js is the bundle's loader; the meta-schema validators are loaded to check the user's schemas.
  expect(loaded.packageFiles).toEqual(['dist/cli/main.js', 'dist/generated/metaSchemaValidators.js', 'dist/index.js', 'dist/toolseal.js', 'test/fixtures/tools/text.js']);
  expect(loaded.evaluated.filter((module) => ON_DEMAND.test(module))).toEqual([]);
});

it('loads a generated module kept out of the bundle from dist/generated/ when first needed', async () => {
  const loaded = await serve('refused', [], async (server) => {
    const refused = await server.call('batch_sum', { numbers: [] });
    expect(refused.error?.code).toBe(-32011);
  });
  // The every-error validators of the built-in tools, for the first value they refuse.
  expect(loaded.packageFiles).toEqual(['dist/cli/main.js', 'dist/generated/builtinToolValidatorsAll.js', 'dist/toolseal.js']);
});
