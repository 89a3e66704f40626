/** A JSON-RPC request id (this framing accepts no null ids on requests). */
export type RequestId = string | number;
