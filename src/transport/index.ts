/**
 * Line-delimited JSON-RPC 2.0 framing for vscode-jsonrpc connections.
 * Framing only: nothing here knows about calls, envelopes or tools.
 */
export { LineBuffer, type LineBufferOptions, type LineEvent } from './lineBuffer';
export {
  FramingErrorCode,
  parseLine,
  validateMessage,
  type ParsedLine,
  type RejectedLine,
} from './messageParser';
export { NewlineMessageReader, type NewlineMessageReaderOptions } from './newlineReader';
export { NewlineMessageWriter } from './newlineWriter';
export { jsonTextOf, withJsonText } from './jsonText';
export { duplicateKeyIn, findDuplicateKey, type DuplicateKey } from './duplicateKeys';
export {
  DEFAULT_MAX_DISPATCH_BURST,
  installBurstDispatch,
  uninstallBurstDispatch,
  type BurstDispatchOptions,
} from './burstDispatch';
