// @ts-check
/**
 * Baseline "peer": the official MCP TypeScript SDK serving `batch_sum` over
 * stdio, written the way its README does it: an McpServer, one registerTool
 * with a zod input schema, a result with both text content and
 * structuredContent. The summation is the real tool's, so the two servers do
 * the same work per call and differ only in what surrounds it.
 */
'use strict';

const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { z } = require('zod');
const { exactSum } = require('../../dist/tools/exactSum');

const server = new McpServer({ name: 'bench-mcp-sdk', version: '1.0.0' });

server.registerTool(
  'batch_sum',
  {
    description: 'Adds numbers exactly (like Python math.fsum). Returns the count and the total.',
    inputSchema: { numbers: z.array(z.number()) },
  },
  async ({ numbers }) => {
    const result = { count: numbers.length, total: exactSum(numbers) };
    return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
  },
);

// Nothing else holds the event loop: when stdin ends the process exits.
server.connect(new StdioServerTransport()).catch((err) => {
  process.stderr.write(`mcp-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
