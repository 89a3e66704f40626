import { runCli } from '../support/cli';

const NAMES = ['batch_sum', 'cancel_job', 'list_tools', 'poll_job', 'server_identity', 'start_long_task'];
/** What a model is shown: the protocol tools are the host's business. */
const MODEL_NAMES = ['batch_sum', 'start_long_task'];

async function tools(format?: string, ...extra: string[]): Promise<any[]> {
  const run = await runCli([...(format === undefined ? ['tools'] : ['tools', '--format', format]), ...extra]);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

describe('toolseal tools', () => {
  it('json-schema (the default) is the list_tools shape', async () => {
    const list = await tools();
    expect(await tools('json-schema')).toEqual(list);
    expect(list.map((t) => t.name).sort()).toEqual(NAMES);
    for (const tool of list) {
      expect(Object.keys(tool).sort()).toEqual(['async', 'description', 'input_schema', 'name', 'output_schema']);
      expect(tool.input_schema).toMatchObject({ type: 'object' });
      expect(tool.input_schema).not.toHaveProperty('$id');
    }
    expect(list.find((t) => t.name === 'start_long_task').async).toBe(true);
  });

  it('openai: {type: "function", function: {name, description, parameters}}', async () => {
    const list = await tools('openai');
    expect(list.map((t) => t.function.name).sort()).toEqual(MODEL_NAMES);
    for (const tool of list) {
      expect(tool.type).toBe('function');
      expect(Object.keys(tool.function).sort()).toEqual(['description', 'name', 'parameters']);
      expect(tool.function.parameters.type).toBe('object');
    }
  });

  it('openai-responses: {type: "function", name, description, parameters, strict: false}', async () => {
    const list = await tools('openai-responses');
    expect(list.map((t) => t.name).sort()).toEqual(MODEL_NAMES);
    for (const tool of list) {
      expect(Object.keys(tool).sort()).toEqual(['description', 'name', 'parameters', 'strict', 'type']);
      expect(tool).toMatchObject({ type: 'function', strict: false, parameters: { type: 'object' } });
    }
  });

  it('the model formats say which tools run as jobs', async () => {
    const job = (await tools('anthropic')).find((t) => t.name === 'start_long_task');
    expect(job.description).toMatch(/\(Runs as a background job: the call returns when the job ends\.\)$/);
    expect((await tools('openai-responses')).find((t) => t.name === 'start_long_task').description).toBe(job.description);
  });

  it('anthropic: {name, description, input_schema}', async () => {
    const list = await tools('anthropic');
    expect(list.map((t) => t.name).sort()).toEqual(MODEL_NAMES);
    for (const tool of list) expect(Object.keys(tool).sort()).toEqual(['description', 'input_schema', 'name']);
  });

  it('LLM formats list the protocol tools only with --include-protocol-tools', async () => {
    expect((await tools('openai', '--include-protocol-tools')).map((t) => t.function.name).sort()).toEqual(NAMES);
    expect((await tools('anthropic', '--include-protocol-tools')).map((t) => t.name).sort()).toEqual(NAMES);
    expect((await tools('openai-responses', '--include-protocol-tools')).map((t) => t.name).sort()).toEqual(NAMES);
  });

  it('mcp: as the MCP front end lists them (output schemas only where results always match them, task support for jobs)', async () => {
    const list = await tools('mcp');
    expect(list.map((t) => t.name).sort()).toEqual(NAMES);
    for (const tool of list) expect(tool.inputSchema.type).toBe('object');
    const byName = new Map(list.map((t) => [t.name, t]));
    expect(byName.get('batch_sum')).toMatchObject({ outputSchema: { type: 'object' } });
    expect(byName.get('start_long_task')).toMatchObject({ execution: { taskSupport: 'optional' } });
    expect(byName.get('start_long_task')).not.toHaveProperty('outputSchema');
    expect(byName.get('poll_job')).not.toHaveProperty('outputSchema');
  });

  it('exits 2 on an unknown format', async () => {
    const run = await runCli(['tools', '--format', 'yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--format must be one of/);
  });
});
