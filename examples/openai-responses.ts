/**
 * A whole OpenAI Responses API tool-calling loop over toolseal: the model is
 * offered the server's tools, each `function_call` item is run as a signed
 * call (a job is followed to its end), and what came of it goes back as a
 * `function_call_output` item, errors included, for the model to act on.
 *
 *   npm run example:openai-responses       (a scripted model: no network, no key)
 *
 * With a real model, pass `new OpenAI().responses` as `model`.
 */
import type { Response, ResponseCreateParamsNonStreaming, ResponseInputItem } from 'openai/resources/responses/responses';
import { generateKeyring, runToolCall, toOpenAiFunctionCallOutput, ToolClient, toolsFor } from 'toolseal';
import { nextStep, PROMPT } from './scripted';

/** What the loop needs of a model: `new OpenAI().responses` is one. */
export interface ResponsesModel {
  create(body: ResponseCreateParamsNonStreaming): Promise<Pick<Response, 'output' | 'output_text'>>;
}

/** Runs the conversation until the model answers without function calls; returns every input item and the final text. */
export async function respond(model: ResponsesModel, client: ToolClient, prompt: string, maxTurns = 8): Promise<{ input: ResponseInputItem[]; text: string }> {
  const tools = await toolsFor(client, 'openai-responses');
  const input: ResponseInputItem[] = [{ role: 'user', content: prompt }];
  for (let turn = 0; turn < maxTurns; turn++) {
    const response = await model.create({ model: 'gpt-4.1-mini', input, tools });
    const calls = response.output.filter((item) => item.type === 'function_call');
    if (calls.length === 0) return { input, text: response.output_text };
    input.push(...calls);
    const outcomes = await Promise.all(calls.map((call) => runToolCall(client, call.name, call.arguments)));
    calls.forEach((call, i) => input.push(toOpenAiFunctionCallOutput(call.call_id, outcomes[i])));
  }
  return { input, text: '' };
}

/** A stand-in for the API that follows scripted.ts, reading the function call outputs it is sent. */
export class ScriptedResponsesModel implements ResponsesModel {
  readonly requests: ResponseCreateParamsNonStreaming[] = [];

  async create(body: ResponseCreateParamsNonStreaming): Promise<Pick<Response, 'output' | 'output_text'>> {
    this.requests.push(structuredClone(body));
    const offered = (body.tools ?? []).flatMap((tool) => (tool.type === 'function' ? [tool.name] : []));
    const items = typeof body.input === 'string' || body.input === undefined ? [] : body.input;
    const results = items.flatMap((item) => (item.type === 'function_call_output' && typeof item.output === 'string' ? [item.output] : []));
    const step = nextStep(offered, results);
    const turn = this.requests.length;
    if (step.kind === 'answer') {
      return {
        output_text: step.text,
        output: [{ type: 'message', id: `msg_${turn}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: step.text, annotations: [] }] }],
      };
    }
    return {
      output_text: '',
      output: step.calls.map((call, i) => ({ type: 'function_call', id: `fc_${turn}_${i}`, call_id: `call_${turn}_${i}`, name: call.name, arguments: JSON.stringify(call.input) })),
    };
  }
}

async function main(): Promise<void> {
  // An ephemeral keyring: it reaches the server through its environment, never the disk.
  const client = await ToolClient.spawn({ keyring: generateKeyring() });
  try {
    const { input, text } = await respond(new ScriptedResponsesModel(), client, PROMPT);
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify({ input, text }));
      return;
    }
    for (const item of input) console.log(describe(item));
    console.log(`assistant: ${text}`);
  } finally {
    await client.close();
  }
}

function describe(item: ResponseInputItem): string {
  if (item.type === 'function_call') return `function_call ${item.call_id}: ${item.name}(${item.arguments})`;
  if (item.type === 'function_call_output') return `function_call_output ${item.call_id}: ${String(item.output)}`;
  if ('role' in item && 'content' in item && typeof item.content === 'string') return `${item.role}: ${item.content}`;
  return String(item.type);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
