/**
 * `toolseal compile` and `toolseal serve --validators`, as a user's build
 * and host run them: a server started with the file answers every call as
 * one without it, and starts without loading Ajv.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../support/cli';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { CLI, failTestsOnProtocolViolations, ServerProcess } from '../support/serverProcess';

const TOOLS = path.resolve(__dirname, '..', 'fixtures', 'tools');
const BAD_TOOLS = path.resolve(__dirname, '..', 'fixtures', 'bad-tools');
const LOAD_WATCH = path.resolve(__dirname, '..', 'support', 'loadWatch.js');
/** What loads Ajv's compiler (the run-time helpers the generated code needs are other modules). */
const AJV_WATCH = { LOAD_WATCH: 'ajv,ajv/dist/2020,ajv-formats' };

/** Calls whose answers the two servers must agree on: valid and invalid arguments of every draft, formats, an output check. */
const CALLS: Array<[string, Record<string, unknown>]> = [
  ['bookmark', { url: 'https://example.com/a', at: [3, 4] }],
  ['bookmark', { url: 'not a uri', at: [3, 'four', 5] }],
  ['legacy_echo', { items: ['a'] }],
  ['legacy_echo', { items: ['a', 'b'] }],
  ['profile', { name: '', age: -1.5, email: 'nobody', extra: 1 }],
  ['word_count', { text: 'one two' }],
  ['word_count', { text: 7 }],
];

/** What a user sees of an answer, without what differs between two servers by design (ids, times, signatures). */
function outcome(reply: any): unknown {
  return reply.error ? { code: reply.error.code, message: reply.error.message, errors: reply.error.data?.errors } : { status: reply.result.status, result: reply.result.result };
}

describe('toolseal compile and serve --validators', () => {
  let keys: TestKeys;
  let dir: string;
  let validators: string;
  const servers: ServerProcess[] = [];
  let precompiled: ServerProcess;
  let plain: ServerProcess;

  beforeAll(async () => {
    keys = makeTestKeys();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-compile-'));
    validators = path.join(dir, 'tools.validators');
    const compiled = await runCli(['compile', '--tools', TOOLS, '--out', validators]);
    expect(compiled).toMatchObject({ code: 0, stdout: '' });
    expect(compiled.stderr).toMatch(/^toolseal compile: wrote the validators of \d+ schemas to .*tools\.validators\n$/);
    precompiled = new ServerProcess(keys, ['--tools', TOOLS, '--validators', validators], AJV_WATCH, ['-r', LOAD_WATCH, CLI, 'serve', '--keys', keys.file]);
    plain = new ServerProcess(keys, ['--tools', TOOLS], AJV_WATCH, ['-r', LOAD_WATCH, CLI, 'serve', '--keys', keys.file]);
    servers.push(precompiled, plain);
  });

  let changed: ServerProcess | undefined;
  failTestsOnProtocolViolations(() => precompiled);
  failTestsOnProtocolViolations(() => plain);
  failTestsOnProtocolViolations(() => changed);
  afterAll(() => {
    for (const server of servers) server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every call as a server that compiles the schemas itself', async () => {
    for (const [tool, args] of CALLS) {
      expect(outcome(await precompiled.call(tool, args))).toEqual(outcome(await plain.call(tool, args)));
    }
    // A job's result is checked against its output schema by the precompiled validator too.
    const job = await precompiled.call('bad_job', {});
    const statuses = await precompiled.waitForJobEnd(job.result.result.job_id);
    expect(statuses[statuses.length - 1].error).toMatch(/does not match the output schema of bad_job: \/counted must be integer/);
  });

  it('never loads Ajv with the file, and says nothing about it', async () => {
    await precompiled.call('profile', { name: '', age: -1.5 });
    expect(precompiled.stderr).not.toMatch(/loadWatch|tool_validators/);
    await plain.call('bookmark', { url: 'https://example.com/b', at: [1, 2] });
    expect(plain.stderr).toMatch(/loadWatch: loaded ajv/);
  });

  it('warns about a schema changed since the file was made and serves it compiled at start', async () => {
    // The user's text.js with one schema edited after toolseal compile ran.
    const text = path.join(dir, 'text.js');
    const source = fs.readFileSync(path.join(TOOLS, 'text.js'), 'utf8');
    const toolseal = JSON.stringify(path.resolve(CLI, '..', '..', 'index.js'));
    fs.writeFileSync(text, source.replace("require('toolseal')", `require(${toolseal})`).replace("name: { type: 'string', minLength: 1 }", "name: { type: 'string', minLength: 2 }"));
    changed = new ServerProcess(keys, ['--tools', text, '--validators', validators]);
    servers.push(changed);
    expect((await changed.call('word_count', { text: 'one two' })).result.result).toEqual({ words: 2 });
    const short = await changed.call('profile', { name: 'x', age: 30, email: 'x@example.com', born: '1990-01-01' });
    expect(short.error?.data.errors).toEqual([{ path: '/name', message: 'must NOT have fewer than 2 characters' }]);
    const warnings = changed.stderr
      .split('\n')
      .filter((line) => line.includes('tool_validators_missing'))
      .map((line) => JSON.parse(line));
    expect(warnings).toEqual([expect.objectContaining({ level: 'warn', event: 'tool_validators_missing', message: expect.stringMatching(/^1 schema\(s\) not in the file.*: tool profile: inputSchema$/) })]);
  });

  it('refuses a validators file that cannot be read, and a tool set it cannot compile', async () => {
    const missing = await runCli(['serve', '--keys', keys.file, '--tools', TOOLS, '--validators', path.join(dir, 'nope.validators')], { input: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^toolseal serve: validators file .*nope\.validators cannot be read: ENOENT/);
    const bad = await runCli(['compile', '--tools', path.join(BAD_TOOLS, 'bad-keyword.mjs'), '--out', path.join(dir, 'bad.validators')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^toolseal compile: tool \S+: inputSchema is not a valid JSON Schema at /);
    expect(fs.existsSync(path.join(dir, 'bad.validators'))).toBe(false);
    const usage = await runCli(['compile', '--tools', TOOLS]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^toolseal compile: --out is required/);
  });
});
