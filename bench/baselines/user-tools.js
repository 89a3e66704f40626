// @ts-check
/**
 * The tools the bench serves with `toolseal serve --tools`: 50 user tools
 * defined through the public `defineTool`, as a user's module would. The
 * workloads call `batch_sum`, declared with a timeout and run with its
 * context (which it does not use, like most tools); the other 49 have
 * schemas of the usual kinds (formats, enums, bounds, nested objects) and
 * are there so that start-up pays for a realistic tool set.
 */
'use strict';

const { defineTool } = require('../../dist');
const { exactSum } = require('../../dist/tools/exactSum');

const batchSum = defineTool({
  name: 'batch_sum',
  description: 'Adds numbers exactly (like Python math.fsum). Returns the count and the total.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['numbers'],
    properties: { numbers: { type: 'array', minItems: 1, maxItems: 100_000, items: { type: 'number' } } },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['count', 'total'],
    properties: { count: { type: 'integer', minimum: 0 }, total: { type: 'number' } },
  },
  timeoutMs: 30_000,
  run: ({ numbers }, _ctx) => ({ count: numbers.length, total: exactSum(numbers) }),
});

/** A typical record-keeping tool, numbered so that no two schemas are the same object or text. */
function recordTool(/** @type {number} */ i) {
  return defineTool({
    name: `record_${String(i).padStart(2, '0')}`,
    description: `Stores record kind ${i} and answers its id.`,
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name', 'kind'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        name: { type: 'string', minLength: 1, maxLength: 200 },
        kind: { enum: ['alpha', 'beta', 'gamma', `kind-${i}`] },
        email: { type: 'string', format: 'email' },
        when: { type: 'string', format: 'date-time' },
        tags: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 32, uniqueItems: true },
        size: { type: 'integer', minimum: 0, maximum: 1_000_000 + i },
        location: {
          type: 'object',
          additionalProperties: false,
          required: ['lat', 'lon'],
          properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, lon: { type: 'number', minimum: -180, maximum: 180 } },
        },
      },
    },
    outputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'stored'],
      properties: { id: { type: 'string' }, stored: { type: 'boolean' }, revision: { type: 'integer', minimum: i } },
    },
    run: (/** @type {any} */ args) => ({ id: args.id, stored: true }),
  });
}

module.exports = [batchSum, ...Array.from({ length: 49 }, (_, i) => recordTool(i + 1))];
