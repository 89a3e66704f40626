/**
 * The examples in examples/ compile against the official SDKs' types (with
 * `import ... from 'toolseal'`, as a user writes it) and run: each drives a
 * whole tool-calling loop through a spawned server with a scripted model,
 * which makes an argument mistake, fixes it from the error it is sent, runs
 * a job beside a plain call, and answers with both results.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const FINAL_ANSWER = 'The sum is 6.5; the long task returned {"report":"ready"}.';
const ARGUMENT_ERROR = [
  'Error from tool "batch_sum": invalid arguments: /numbers must be array (code -32011).',
  'Problems with the arguments (each at a JSON Pointer into them):',
  '- /numbers: must be array',
  'Call "batch_sum" again with arguments that fix every problem listed.',
].join('\n');

jest.setTimeout(120_000);

beforeAll(() => {
  try {
    execFileSync(process.execPath, [TSC, '-p', path.join(ROOT, 'examples')], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout: string; stderr: string };
    throw new Error(`the examples do not compile:\n${stdout}${stderr}`);
  }
});

/** Runs a compiled example with --json and returns what it printed. */
function runExample(name: string): any {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'examples', 'dist', `${name}.js`), '--json'], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out);
}

it('openai-chat: tool_calls answered with tool messages, the mistake fixed, the job followed', () => {
  const messages = runExample('openai-chat');
  expect(messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool', 'tool', 'assistant']);
  expect(messages[1].tool_calls[0].function).toEqual({ name: 'batch_sum', arguments: '{"numbers":"1, 2, 3.5"}' });
  expect(messages[2]).toEqual({ role: 'tool', tool_call_id: messages[1].tool_calls[0].id, content: ARGUMENT_ERROR });
  expect(messages[3].tool_calls.map((call: { function: { name: string } }) => call.function.name)).toEqual(['batch_sum', 'start_long_task']);
  expect(messages.slice(4, 6).map((m: { content: string }) => m.content)).toEqual(['{"count":3,"total":6.5}', '{"report":"ready"}']);
  expect(messages[6].content).toBe(FINAL_ANSWER);
});

it('openai-responses: function_call items answered with function_call_output items', () => {
  const { input, text } = runExample('openai-responses');
  expect(input.map((item: { type?: string; role?: string }) => item.type ?? item.role)).toEqual([
    'user',
    'function_call',
    'function_call_output',
    'function_call',
    'function_call',
    'function_call_output',
    'function_call_output',
  ]);
  expect(input[2]).toEqual({ type: 'function_call_output', call_id: input[1].call_id, output: ARGUMENT_ERROR });
  expect(input.slice(5).map((item: { output: string }) => item.output)).toEqual(['{"count":3,"total":6.5}', '{"report":"ready"}']);
  expect(text).toBe(FINAL_ANSWER);
});

it('anthropic-messages: tool_use blocks answered with tool_result blocks, is_error on the mistake', () => {
  const messages = runExample('anthropic-messages');
  expect(messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
  const mistake = messages[1].content[0];
  expect(mistake).toMatchObject({ type: 'tool_use', name: 'batch_sum', input: { numbers: '1, 2, 3.5' } });
  expect(messages[2].content).toEqual([{ type: 'tool_result', tool_use_id: mistake.id, content: ARGUMENT_ERROR, is_error: true }]);
  expect(messages[4].content.map((block: { content: string; is_error: boolean }) => [block.content, block.is_error])).toEqual([
    ['{"count":3,"total":6.5}', false],
    ['{"report":"ready"}', false],
  ]);
  expect(messages[5].content).toEqual([{ type: 'text', text: FINAL_ANSWER, citations: null }]);
});
