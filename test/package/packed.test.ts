/**
 * The package as a user gets it: `npm pack` (with its prepack and postpack,
 * in a copy of the repository so that its build does not touch the dist/
 * other tests run), installed into a fresh npm project, which writes two
 * tools of its own in TypeScript, compiles them against the installed types,
 * and serves them through the installed `toolseal serve --tools` and through
 * its own `createServer(...).serveStdio()` script, called from a host script
 * that uses the installed ToolClient. The installed types are also checked
 * under the three module settings a consumer may have, with skipLibCheck off.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeTestKeys } from '../support/keys';

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

jest.setTimeout(300_000);

let dir: string;
let app: string;
/** The copy of the repository that was packed, its package.json before packing, and the files in the tarball. */
let source: string;
let sourceManifest: string;
let packedFiles: string[];
/** What `npm install` of the tarball printed on stderr. */
let installStderr: string;

const TOOLS_TS = `import { defineTool } from 'toolseal';

export const wordCount = defineTool({
  name: 'word_count',
  description: 'Counts the words of a text.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false },
  outputSchema: { type: 'object', properties: { words: { type: 'integer' } }, required: ['words'], additionalProperties: false },
  run: ({ text }) => ({ words: text.split(/\\s+/).filter(Boolean).length }),
});

export const shout = defineTool({
  name: 'shout',
  description: 'Upper-cases a text, one word at a time; a job.',
  job: true,
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  outputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  run: async ({ text }, ctx) => {
    const words = text.split(' ');
    const out: string[] = [];
    for (const [i, word] of words.entries()) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      out.push(word.toUpperCase());
      ctx.progress((i + 1) / words.length, word);
    }
    return { text: out.join(' ') };
  },
});
`;

const WRONG_TS = `import { defineTool } from 'toolseal';

export const wrong = defineTool({
  name: 'wrong',
  description: 'Returns a string where the schema says integer.',
  inputSchema: { type: 'object' },
  outputSchema: { type: 'object', properties: { words: { type: 'integer' } }, required: ['words'] },
  run: () => ({ words: 'many' }),
});
`;

const SERVE_MJS = `import { createServer } from 'toolseal';
import { wordCount, shout } from './dist/tools.js';

await createServer({ tools: [wordCount, shout] }).serveStdio();
`;

// The host: spawns the server it is told to (ToolClient hands it the keyring), calls both tools, prints what it saw as one JSON line.
const HOST_MJS = `import { ToolClient } from 'toolseal';

const [command, ...args] = process.argv.slice(2);
const keyring = JSON.parse(process.env.APP_KEYRING);
const client = await ToolClient.spawn({
  keyring,
  command,
  args,
  stderr: (line) => process.stderr.write(line + '\\n'),
});
const identity = await client.call('server_identity');
const listed = await client.call('list_tools', {});
const counted = await client.call('word_count', { text: 'a signed call' });
const job = await client.startJob('shout', { text: 'hello signed world' });
const progress = [];
for await (const status of job) if (status.status === 'running') progress.push(status.progress);
const shouted = await job.result();
let refused;
try {
  await client.call('word_count', { text: 7 });
} catch (err) {
  refused = { code: err.code, errors: err.data?.errors };
}
await client.close();
console.log(JSON.stringify({
  serverId: identity.result.server_id,
  tools: listed.result.tools.map((t) => t.name).sort(),
  counted: counted.result,
  progress,
  shouted,
  refused,
}));
`;

// A consumer of the package's types: the three names most users import, and a
// tool whose argument type is inferred from its schema (checked exactly: an
// `any` would not do). Compiled under each tsconfig of CONSUMER_TSCONFIGS.
const CONSUMER_TS = `import { ToolClient, createServer, defineTool, type Event, type ExitInfo } from 'toolseal';

type Exactly<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const wordCount = defineTool({
  name: 'word_count',
  description: 'Counts the words of a text.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false },
  outputSchema: { type: 'object', properties: { words: { type: 'integer' } }, required: ['words'], additionalProperties: false },
  run: ({ text }) => {
    const inferred: Exactly<typeof text, string> = true;
    return { words: inferred ? text.split(/\\s+/).filter(Boolean).length : 0 };
  },
});

export const server = createServer({ tools: [wordCount] });

export async function host(): Promise<number> {
  const client = await ToolClient.spawn({ keysFile: 'keys.json', serveArgs: ['--tools', 'dist/tools.js'] });
  const onExit: Event<ExitInfo> = client.onExit;
  onExit((info) => console.error(info.code)).dispose();
  const counted = await client.call('word_count', { text: 'a signed call' });
  await client.close();
  return Object.keys(counted.result ?? {}).length;
}
`;

// The same, required from a CommonJS module under node16 (the `require` condition).
const CONSUMER_CTS = `import toolseal = require('toolseal');

export const tool = toolseal.defineTool({
  name: 'echo',
  description: 'Echoes a text.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  outputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  run: ({ text }) => ({ text: text.trim() }),
});
export const server = toolseal.createServer({ tools: [tool] });
export type Client = toolseal.ToolClient;
`;

const STRICT = { target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] };
const CONSUMER_TSCONFIGS: Array<[string, object]> = [
  ['commonjs (moduleResolution node10)', { compilerOptions: { ...STRICT, module: 'commonjs', moduleResolution: 'node10' }, files: ['src/consumer.ts'] }],
  ['node16', { compilerOptions: { ...STRICT, module: 'node16', moduleResolution: 'node16' }, files: ['src/consumer.ts', 'src/consumer.cts'] }],
  ['esnext (moduleResolution bundler)', { compilerOptions: { ...STRICT, module: 'esnext', moduleResolution: 'bundler' }, files: ['src/consumer.ts'] }],
];

// Imports the package from ES modules as Node does (CommonJS interop: the
// named exports are what cjs-module-lexer finds in dist/index.js) and
// prints which of the CommonJS exports it did not find.
const NAMED_EXPORTS_MJS = `import { createRequire } from 'node:module';
import { ToolClient, defineTool, createServer } from 'toolseal';
import * as namespace from 'toolseal';

const required = createRequire(import.meta.url)('toolseal');
console.log(JSON.stringify({
  types: [typeof ToolClient, typeof defineTool, typeof createServer],
  same: ToolClient === required.ToolClient,
  missing: Object.keys(required).filter((name) => !(name in namespace)),
}));
`;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A copy of what the package is built and packed from, with the repository's node_modules linked in. */
function copyRepository(to: string): void {
  for (const entry of ['package.json', 'package-lock.json', 'README.md', 'LICENSE', 'docs', 'tsconfig.json', 'scripts', 'schemas', 'src']) {
    fs.cpSync(path.join(ROOT, entry), path.join(to, entry), {
      recursive: true,
      filter: (from) => path.relative(ROOT, from) !== path.join('src', 'generated'),
    });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'));
}

/** Waits (a few seconds at most) for `check` to hold. */
async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return check();
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-packed-'));
  source = path.join(dir, 'source');
  fs.mkdirSync(source);
  copyRepository(source);
  sourceManifest = fs.readFileSync(path.join(source, 'package.json'), 'utf8');
  // As a publisher packs: prepack builds and strips the manifest, postpack restores it.
  const packed = JSON.parse(run(NPM, ['pack', '--json', '--pack-destination', dir], source));
  const tarball = path.join(dir, packed[0].filename);
  packedFiles = packed[0].files.map((f: { path: string }) => f.path);
  expect(packedFiles).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/toolseal.js', 'schemas/envelope.schema.json']));
  expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('scripts/'))).toEqual([]);
  expect(packedFiles).toContain('LICENSE');

  app = path.join(dir, 'app');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'my-tools', version: '1.0.0', private: true, type: 'module' }, null, 2));
  // Scripts allowed, as a user installs: npm would warn here about any install script the package carried.
  const install = spawnSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, encoding: 'utf8' });
  expect(install.status).toBe(0);
  installStderr = install.stderr;

  fs.writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'node16', moduleResolution: 'node16', strict: true, outDir: 'dist', rootDir: 'src', types: ['node'], skipLibCheck: false },
      include: ['src/tools.ts'],
    }),
  );
  fs.writeFileSync(path.join(app, 'src', 'tools.ts'), TOOLS_TS);
  fs.writeFileSync(path.join(app, 'src', 'wrong.ts'), WRONG_TS);
  fs.writeFileSync(path.join(app, 'serve.mjs'), SERVE_MJS);
  fs.writeFileSync(path.join(app, 'host.mjs'), HOST_MJS);
  fs.writeFileSync(path.join(app, 'src', 'consumer.ts'), CONSUMER_TS);
  fs.writeFileSync(path.join(app, 'src', 'consumer.cts'), CONSUMER_CTS);
  fs.writeFileSync(path.join(app, 'named-exports.mjs'), NAMED_EXPORTS_MJS);
  // @types/node for the user's compile: the one this repository uses, linked in.
  fs.mkdirSync(path.join(app, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(app, 'node_modules', '@types', 'node'));
  run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
});

// rmSync removes the node_modules links, not what they point to.
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('leaves the repository\'s package.json as it was, and packs a manifest with no scripts', () => {
  expect(fs.readFileSync(path.join(source, 'package.json'), 'utf8')).toBe(sourceManifest);
  expect(fs.readdirSync(source).filter((f) => f.includes('packing'))).toEqual([]);
  expect(JSON.parse(sourceManifest).scripts.prepare).toBe('npm run build'); // a fresh clone still builds itself
  const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'toolseal', 'package.json'), 'utf8'));
  expect(installed.scripts).toBeUndefined();
  expect(installed.allowScripts).toBeUndefined();
  expect(installed.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js', require: './dist/index.js', default: './dist/index.js' });
  expect(Object.keys(installed.exports['.'])[0]).toBe('types'); // conditions match in order: types must come first
  expect(installed.exports['./package.json']).toBe('./package.json');
});

it('restores the repository\'s package.json when packing fails after prepack', async () => {
  const failed = spawnSync(NPM, ['pack', '--pack-destination', path.join(source, 'no', 'such', 'dir')], { cwd: source, encoding: 'utf8' });
  expect(failed.status).not.toBe(0);
  // postpack did not run; the guard restores it once npm is gone.
  const manifest = path.join(source, 'package.json');
  expect(await eventually(() => fs.readFileSync(manifest, 'utf8') === sourceManifest)).toBe(true);
  expect(fs.readdirSync(source).filter((f) => f.includes('packing'))).toEqual([]);
});

it('installs with no npm warning (no install script, engines satisfied)', () => {
  const warnings = installStderr.split('\n').filter((line) => /warn/i.test(line));
  expect(warnings).toEqual([]);
});

it('ships source maps only with their sources inside (src/ is not shipped)', () => {
  const maps = packedFiles.filter((f) => f.endsWith('.map'));
  expect(maps.filter((f) => !f.endsWith('.js.map'))).toEqual([]); // no declaration maps: they would point into src/
  // One map beside every compiled script; the bundle's two loaders (scripts/bundle.js writes them) are not compiled.
  const loaders = ['dist/index.js', 'dist/cli/main.js'];
  expect(maps.sort()).toEqual(packedFiles.filter((f) => f.endsWith('.js') && !loaders.includes(f)).map((f) => `${f}.map`).sort());
  for (const map of maps) {
    const parsed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'toolseal', map), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    expect([map, parsed.sourcesContent?.length]).toEqual([map, parsed.sources.length]);
  }
});

it.each(CONSUMER_TSCONFIGS)('type-checks a consumer under module %s, strict, skipLibCheck off', (name, tsconfig) => {
  const file = `tsconfig.consumer-${name.split(' ')[0]}.json`;
  fs.writeFileSync(path.join(app, file), JSON.stringify(tsconfig, null, 2));
  const result = spawnSync(process.execPath, [TSC, '-p', file], { cwd: app, encoding: 'utf8' });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
});

it('gives ES modules every export as a named export', () => {
  const seen = JSON.parse(run(process.execPath, ['named-exports.mjs'], app));
  expect(seen).toEqual({ types: ['function', 'function', 'function'], same: true, missing: [] });
});

it('installs only what it needs: dist, schemas and the docs the README links to, with its dependencies', () => {
  const installed = path.join(app, 'node_modules', 'toolseal');
  expect(fs.readdirSync(installed).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'docs', 'package.json', 'schemas']);
  for (const dep of ['ajv', 'ajv-formats', 'json-canonicalize', 'vscode-jsonrpc']) {
    expect(fs.existsSync(path.join(app, 'node_modules', dep, 'package.json'))).toBe(true);
  }
  expect(fs.existsSync(path.join(app, 'node_modules', 'jest'))).toBe(false);
});

it('types a tool from its schemas: a wrong result fails to compile', () => {
  const result = spawnSync(process.execPath, [TSC, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', 'src/wrong.ts'], {
    cwd: app,
    encoding: 'utf8',
  });
  expect(result.status).not.toBe(0);
  expect(result.stdout).toMatch(/^src\/wrong\.ts\(3,\d+\): error TS/);
  // The overload that infers from the schemas says what is wrong.
  expect(result.stdout).toMatch(/Overload 1 of 2[^\n]*\n\s*Type 'string' is not assignable to type 'number'/);
});

describe.each([
  ['toolseal serve --tools', ['node_modules/.bin/toolseal', 'serve', '--tools', 'dist/tools.js']],
  ['a createServer(...).serveStdio() script', [process.execPath, 'serve.mjs']],
])('served by %s', (_how, command) => {
  it('answers the host\'s signed calls, runs the job with progress, and lists every argument issue', () => {
    const keys = makeTestKeys();
    const host = spawnSync(process.execPath, ['host.mjs', ...command], {
      cwd: app,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, APP_KEYRING: JSON.stringify(keys.document) },
      timeout: 60_000,
    });
    expect(host.stderr).not.toMatch(/Error|error/);
    expect(host.status).toBe(0);
    const seen = JSON.parse(host.stdout);
    expect(seen.serverId).toBe(keys.serverId);
    expect(seen.tools).toEqual(['cancel_job', 'list_tools', 'poll_job', 'server_identity', 'shout', 'word_count']);
    expect(seen.counted).toEqual({ words: 3 });
    expect(seen.progress).toContain(1);
    expect(seen.shouted).toEqual({ text: 'HELLO SIGNED WORLD' });
    expect(seen.refused).toEqual({ code: -32011, errors: [{ path: '/text', message: 'must be string' }] });
  });
});
