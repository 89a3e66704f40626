// @ts-check
/**
 * Baseline "bare transport": our newline framing on a vscode-jsonrpc
 * connection, answering `batch_sum` with the same summation as the real tool,
 * and nothing else: no envelope, no signing, no schema validation. It is the
 * ceiling of what toolseal's transport can carry. Like `toolseal serve`, it
 * lets vscode-jsonrpc take queued messages in bursts (installBurstDispatch).
 *
 * Request: `{"jsonrpc":"2.0","id":N,"method":"batch_sum","params":{"numbers":[...]}}`
 * Result:  `{"count":N,"total":X}`
 */
'use strict';

const { createMessageConnection } = require('vscode-jsonrpc/node');
const { NewlineMessageReader, NewlineMessageWriter, installBurstDispatch } = require('../../dist/transport');
const { exactSum } = require('../../dist/tools/exactSum');

/** The same line limit as `toolseal serve` (1 MiB). */
const MAX_LINE_BYTES = 1024 * 1024;

installBurstDispatch();
const reader = new NewlineMessageReader(process.stdin, { maxLineBytes: MAX_LINE_BYTES });
// Default writer options, as the issue asks: no hold-while-pending batching.
const writer = new NewlineMessageWriter(process.stdout);
const connection = createMessageConnection(reader, writer);

connection.onRequest('batch_sum', (/** @type {{numbers: number[]}} */ params) => ({
  count: params.numbers.length,
  total: exactSum(params.numbers),
}));

// stdin EOF: let vscode-jsonrpc dispatch what it already read, flush, exit.
reader.onEnd(() => {
  setTimeout(() => {
    writer.end().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  }, 20);
});

connection.listen();
