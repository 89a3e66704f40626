/**
 * The package as a user gets it: `npm pack`, installed into a fresh npm
 * project, which writes two tools of its own in TypeScript, compiles them
 * against the installed types, and serves them through the installed
 * `toolseal serve --tools` and through its own `createServer(...).serveStdio()`
 * script, called from a host script that uses the installed ToolClient.
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

let app: string;

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

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-packed-'));
  // dist is already built (npm test builds first); pack it as it is.
  const packed = JSON.parse(run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT));
  const tarball = path.join(dir, packed[0].filename);
  const files: string[] = packed[0].files.map((f: { path: string }) => f.path);
  expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'schemas/envelope.schema.json']));
  expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
  expect(files).toContain('LICENSE');

  app = path.join(dir, 'app');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'my-tools', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const install = spawnSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: app, encoding: 'utf8' });
  expect(install.status).toBe(0);

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
  // @types/node for the user's compile: the one this repository uses, linked in.
  fs.mkdirSync(path.join(app, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(app, 'node_modules', '@types', 'node'));
  run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
});

it('ships source maps that carry their sources (src/ is not shipped)', () => {
  const dist = path.join(app, 'node_modules', 'toolseal', 'dist');
  const maps = (fs.readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js.map'));
  const scripts = (fs.readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
  // One map beside every script.
  expect(maps.sort()).toEqual(scripts.map((f) => `${f}.map`).sort());
  for (const map of maps) {
    const parsed = JSON.parse(fs.readFileSync(path.join(dist, map), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    expect(parsed.sourcesContent?.length).toBe(parsed.sources.length);
  }
});

it('installs only what it needs: dist and schemas, with its dependencies', () => {
  const installed = path.join(app, 'node_modules', 'toolseal');
  expect(fs.readdirSync(installed).sort()).toEqual(expect.arrayContaining(['dist', 'package.json', 'schemas']));
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
