/**
 * Compile-time checks of defineTool's types, compiled by `npm test`
 * (`tsc -p test/tsconfig.json`): every line marked `@ts-expect-error` must
 * fail to compile, or the build fails. test/types/typeErrors.test.ts also
 * compiles this file with the markers removed and checks each marked line
 * reports its error.
 */
import { defineTool, type Tool } from '../../src';

const inputSchema = {
  type: 'object',
  properties: { text: { type: 'string' } },
  required: ['text'],
  additionalProperties: false,
} as const;
const outputSchema = {
  type: 'object',
  properties: { words: { type: 'integer' } },
  required: ['words'],
  additionalProperties: false,
} as const;

// Inferred from the schemas: args is { text: string }, the result { words: number }.
export const wordCount = defineTool({
  name: 'word_count',
  description: 'Counts the words of a text.',
  inputSchema,
  outputSchema,
  run: ({ text }) => ({ words: text.split(/\s+/).filter(Boolean).length }),
});
export const typed: Tool<{ text: string }, { words: number }> = wordCount;

// Inline schemas infer too, and an async run is checked the same way.
export const inline = defineTool({
  name: 'inline',
  description: 'x',
  inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  outputSchema: { type: 'object', properties: { double: { type: 'number' } }, required: ['double'] },
  run: async ({ n }, ctx) => {
    ctx.log.info('doubling', { n });
    return { double: n * 2 };
  },
});

// A wrong return type is a compile error.
// @ts-expect-error words must be an integer, not a string
export const wrongReturn = defineTool({
  name: 'word_count',
  description: 'Counts the words of a text.',
  inputSchema,
  outputSchema,
  run: () => ({ words: 'x' }),
});

// A missing required result field too.
// @ts-expect-error words is required
export const missingField = defineTool({ name: 'w', description: 'x', inputSchema, outputSchema, run: () => ({}) });

// And so is a wrong async result.
// @ts-expect-error the promise resolves to the wrong shape
export const wrongAsync = defineTool({ name: 'w', description: 'x', inputSchema, outputSchema, run: async () => ({ words: true }) });

// Arguments are typed: text is a string, so it has no toFixed.
export const wrongArgs = defineTool({
  name: 'w',
  description: 'x',
  inputSchema,
  outputSchema,
  // @ts-expect-error text is a string
  run: ({ text }) => ({ words: text.toFixed() }),
});

// Named types for schemas from files: defineTool<In, Out>.
interface Args {
  text: string;
}
interface Result {
  words: number;
}
const fromFile: Record<string, unknown> = { type: 'object' };
export const explicit = defineTool<Args, Result>({
  name: 'explicit',
  description: 'x',
  inputSchema: fromFile,
  outputSchema: fromFile,
  run: ({ text }) => ({ words: text.length }),
});
// @ts-expect-error the explicit result type is checked
export const explicitWrong = defineTool<Args, Result>({ name: 'e', description: 'x', inputSchema: fromFile, outputSchema: fromFile, run: () => ({ words: '1' }) });
