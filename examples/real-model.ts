/**
 * The same loops with a real model, through the official SDKs:
 *
 *   npm run example:real -- openai-chat          (needs OPENAI_API_KEY)
 *   npm run example:real -- openai-responses     (needs OPENAI_API_KEY)
 *   npm run example:real -- anthropic-messages   (needs ANTHROPIC_API_KEY)
 *
 * The SDK objects are passed as the `model` of each loop unchanged: that
 * they fit is checked when the examples compile.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { generateKeyring, ToolClient } from 'toolseal';
import { converse } from './anthropic-messages';
import { chat } from './openai-chat';
import { respond } from './openai-responses';

const PROMPT = process.argv[3] ?? 'What is 1.5 + 2.25 + 3? Then run the long task for 2 seconds with the payload {"report": "ready"}.';

async function main(runtime: string | undefined): Promise<void> {
  const client = await ToolClient.spawn({ keyring: generateKeyring() });
  try {
    if (runtime === 'openai-chat') {
      const messages = await chat(new OpenAI().chat.completions, client, PROMPT);
      console.log(JSON.stringify(messages, null, 2));
    } else if (runtime === 'openai-responses') {
      const { text } = await respond(new OpenAI().responses, client, PROMPT);
      console.log(text);
    } else if (runtime === 'anthropic-messages') {
      const messages = await converse(new Anthropic().messages, client, PROMPT);
      console.log(JSON.stringify(messages, null, 2));
    } else {
      console.error('usage: npm run example:real -- openai-chat|openai-responses|anthropic-messages [PROMPT]');
      process.exitCode = 2;
    }
  } finally {
    await client.close();
  }
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
