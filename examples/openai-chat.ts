/**
 * A whole OpenAI Chat Completions tool-calling loop over toolseal: the model
 * is offered the server's tools, each tool call it makes is run as a signed
 * call (a job is followed to its end), and what came of it goes back as a
 * `tool` message, errors included, for the model to act on.
 *
 *   npm run example:openai-chat            (a scripted model: no network, no key)
 *
 * With a real model, pass `new OpenAI().chat.completions` as `model`.
 */
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { generateKeyring, runToolCall, toOpenAiToolMessage, ToolClient, toolsFor } from 'toolseal';
import { nextStep, PROMPT } from './scripted';

/** What the loop needs of a model: `new OpenAI().chat.completions` is one. */
export interface ChatModel {
  create(body: ChatCompletionCreateParamsNonStreaming): Promise<ChatCompletion>;
}

/** Runs the conversation until the model answers without tool calls; returns every message. */
export async function chat(model: ChatModel, client: ToolClient, prompt: string, maxTurns = 8): Promise<ChatCompletionMessageParam[]> {
  const tools = await toolsFor(client, 'openai');
  const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: prompt }];
  for (let turn = 0; turn < maxTurns; turn++) {
    const { message } = (await model.create({ model: 'gpt-4.1-mini', messages, tools })).choices[0];
    messages.push(message);
    const calls = (message.tool_calls ?? []).filter((call) => call.type === 'function'); // only function tools are offered
    if (calls.length === 0) break;
    const outcomes = await Promise.all(calls.map((call) => runToolCall(client, call.function.name, call.function.arguments)));
    calls.forEach((call, i) => messages.push(toOpenAiToolMessage(call.id, outcomes[i])));
  }
  return messages;
}

/** A stand-in for the API that follows scripted.ts, reading the tool messages it is sent. */
export class ScriptedChatModel implements ChatModel {
  readonly requests: ChatCompletionCreateParamsNonStreaming[] = [];

  async create(body: ChatCompletionCreateParamsNonStreaming): Promise<ChatCompletion> {
    this.requests.push(structuredClone(body));
    const offered = (body.tools ?? []).flatMap((tool) => (tool.type === 'function' ? [tool.function.name] : []));
    const results = body.messages.flatMap((message) => (message.role === 'tool' && typeof message.content === 'string' ? [message.content] : []));
    const step = nextStep(offered, results);
    const turn = this.requests.length;
    return {
      id: `chatcmpl-${turn}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          finish_reason: step.kind === 'tools' ? 'tool_calls' : 'stop',
          logprobs: null,
          message:
            step.kind === 'tools'
              ? {
                  role: 'assistant',
                  content: null,
                  refusal: null,
                  tool_calls: step.calls.map((call, i) => ({
                    id: `call_${turn}_${i}`,
                    type: 'function',
                    function: { name: call.name, arguments: JSON.stringify(call.input) },
                  })),
                }
              : { role: 'assistant', content: step.text, refusal: null },
        },
      ],
    };
  }
}

async function main(): Promise<void> {
  // An ephemeral keyring: it reaches the server through its environment, never the disk.
  const client = await ToolClient.spawn({ keyring: generateKeyring() });
  try {
    const messages = await chat(new ScriptedChatModel(), client, PROMPT);
    if (process.argv.includes('--json')) console.log(JSON.stringify(messages));
    else for (const message of messages) console.log(describe(message));
  } finally {
    await client.close();
  }
}

function describe(message: ChatCompletionMessageParam): string {
  if (message.role === 'assistant' && message.tool_calls?.length) {
    return `assistant calls ${message.tool_calls.map((call) => (call.type === 'function' ? `${call.function.name}(${call.function.arguments})` : call.type)).join(', ')}`;
  }
  if (message.role === 'tool') return `tool ${message.tool_call_id}: ${String(message.content)}`;
  return `${message.role}: ${String(message.content)}`;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
