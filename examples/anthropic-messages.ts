/**
 * A whole Anthropic Messages tool-calling loop over toolseal: the model is
 * offered the server's tools, each `tool_use` block is run as a signed call
 * (a job is followed to its end), and what came of it goes back as a
 * `tool_result` block (`is_error` set for a failure) for the model to act on.
 *
 *   npm run example:anthropic-messages     (a scripted model: no network, no key)
 *
 * With a real model, pass `new Anthropic().messages` as `model`.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { generateKeyring, runToolCall, toAnthropicToolResult, ToolClient, toolsFor } from 'toolseal';
import { nextStep, PROMPT } from './scripted';

/** What the loop needs of a model: `new Anthropic().messages` is one. */
export interface MessagesModel {
  create(body: Anthropic.MessageCreateParamsNonStreaming): Promise<Anthropic.Message>;
}

/** Runs the conversation until the model stops asking for tools; returns every message. */
export async function converse(model: MessagesModel, client: ToolClient, prompt: string, maxTurns = 8): Promise<Anthropic.MessageParam[]> {
  const tools = await toolsFor(client, 'anthropic');
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: prompt }];
  for (let turn = 0; turn < maxTurns; turn++) {
    const reply = await model.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages, tools });
    messages.push({ role: 'assistant', content: reply.content });
    const uses = reply.content.filter((block) => block.type === 'tool_use');
    if (uses.length === 0) break;
    const results = await Promise.all(uses.map(async (use) => toAnthropicToolResult(use.id, await runToolCall(client, use.name, use.input))));
    messages.push({ role: 'user', content: results });
  }
  return messages;
}

/** A stand-in for the API that follows scripted.ts, reading the tool results it is sent. */
export class ScriptedMessagesModel implements MessagesModel {
  readonly requests: Anthropic.MessageCreateParamsNonStreaming[] = [];

  async create(body: Anthropic.MessageCreateParamsNonStreaming): Promise<Anthropic.Message> {
    this.requests.push(structuredClone(body));
    const offered = (body.tools ?? []).flatMap((tool) => ('name' in tool && 'input_schema' in tool ? [tool.name] : []));
    const results = body.messages.flatMap((message) =>
      typeof message.content === 'string' ? [] : message.content.flatMap((block) => (block.type === 'tool_result' && typeof block.content === 'string' ? [block.content] : [])),
    );
    const step = nextStep(offered, results);
    const turn = this.requests.length;
    const content: Anthropic.ContentBlock[] =
      step.kind === 'tools'
        ? step.calls.map((call, i) => ({ type: 'tool_use', id: `toolu_${turn}_${i}`, name: call.name, input: call.input, caller: { type: 'direct' } }))
        : [{ type: 'text', text: step.text, citations: null }];
    return {
      id: `msg_${turn}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      container: null,
      diagnostics: null,
      stop_details: null,
      stop_reason: step.kind === 'tools' ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: {
        cache_creation: null,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        inference_geo: null,
        input_tokens: 0,
        output_tokens: 0,
        output_tokens_details: null,
        server_tool_use: null,
        service_tier: null,
        speed: null,
      },
    };
  }
}

async function main(): Promise<void> {
  // An ephemeral keyring: it reaches the server through its environment, never the disk.
  const client = await ToolClient.spawn({ keyring: generateKeyring() });
  try {
    const messages = await converse(new ScriptedMessagesModel(), client, PROMPT);
    if (process.argv.includes('--json')) console.log(JSON.stringify(messages));
    else for (const message of messages) console.log(describe(message));
  } finally {
    await client.close();
  }
}

function describe(message: Anthropic.MessageParam): string {
  if (typeof message.content === 'string') return `${message.role}: ${message.content}`;
  const parts = message.content.map((block) => {
    if (block.type === 'text') return block.text;
    if (block.type === 'tool_use') return `calls ${block.name}(${JSON.stringify(block.input)})`;
    if (block.type === 'tool_result') return `${block.is_error ? 'error' : 'result'} for ${block.tool_use_id}: ${String(block.content)}`;
    return block.type;
  });
  return `${message.role}: ${parts.join('\n  ')}`;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
