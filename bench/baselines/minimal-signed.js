// @ts-check
/**
 * Baseline "minimal signed": the floor of toolseal's design, written only
 * for measurement. Both ends speak toolseal's wire format (a `call` whose
 * params are a signed envelope, answered with a signed response) and do the
 * least that a signed call needs:
 *
 * - server: our newline framing on a vscode-jsonrpc connection with burst
 *   dispatch (as `bench/baselines/bare-server.js`); per call, one HMAC
 *   verify over `JSON.stringify` of the envelope rebuilt in canonical key
 *   order, the server id and freshness compared, the nonce remembered in a
 *   Map (dropped once it cannot be fresh again), Ajv on the arguments
 *   (batch_sum's input schema file), the same summation, and one HMAC over
 *   the response, whose signed text is sent as it is (withJsonText);
 * - client (`MinimalSignedClient`): the mirror image, one HMAC to sign and one to
 *   verify, request id compared.
 *
 * Nothing else: no envelope schema, no duplicate-key or depth checks, no
 * RFC 8785 fallback for objects out of order, no output schema, no replay
 * cache limits, no jobs, no logging. Not part of the package.
 *
 * `node bench/baselines/minimal-signed.js` runs the server; the keyring
 * comes in TOOLSEAL_KEYS_JSON, as for `toolseal serve`.
 */
'use strict';

const crypto = require('node:crypto');
const Ajv = require('ajv').default;
const { createMessageConnection, ResponseError } = require('vscode-jsonrpc/node');
const { NewlineMessageReader, NewlineMessageWriter, installBurstDispatch, withJsonText } = require('../../dist/transport');
const { exactSum } = require('../../dist/tools/exactSum');

/** The same line limit as `toolseal serve` (1 MiB). */
const MAX_LINE_BYTES = 1024 * 1024;
/** The same default as `toolseal serve`. */
const MAX_SKEW_MS = 300_000;

/** A `hex:`/`base64:`/UTF-8 secret as a KeyObject. */
function keyOf(/** @type {string} */ text) {
  const bytes = text.startsWith('hex:') ? Buffer.from(text.slice(4), 'hex') : text.startsWith('base64:') ? Buffer.from(text.slice(7), 'base64') : Buffer.from(text, 'utf8');
  return crypto.createSecretKey(bytes);
}

function macHex(/** @type {crypto.KeyObject} */ key, /** @type {string} */ text) {
  return crypto.createHmac('sha256', key).update(text).digest('hex');
}

const expected = Buffer.alloc(64);
const received = Buffer.alloc(64);
/** Constant-time comparison of two 64-digit hex strings. */
function sameHex(/** @type {string} */ a, /** @type {unknown} */ b) {
  if (typeof b !== 'string' || b.length !== 64) return false;
  expected.write(a, 'latin1');
  received.write(b, 'latin1');
  return crypto.timingSafeEqual(expected, received);
}

/** Signs `unsigned` (built in canonical key order); the object goes out as the text that was signed. */
function signed(/** @type {crypto.KeyObject} */ key, /** @type {Record<string, unknown>} */ unsigned) {
  const text = JSON.stringify(unsigned);
  const signature = macHex(key, text);
  return withJsonText(Object.assign(unsigned, { signature }), `${text.slice(0, -1)},"signature":"${signature}"}`);
}

function runServer() {
  const keyring = JSON.parse(process.env.TOOLSEAL_KEYS_JSON ?? '');
  const serverId = keyring.server.id;
  const serverKey = keyOf(keyring.server.secret);
  /** @type {Map<string, crypto.KeyObject>} */
  const clientKeys = new Map(Object.entries(keyring.clients).map(([id, entry]) => [id, keyOf(/** @type {any} */ (entry).secrets[0])]));
  const validateArgs = new Ajv().compile(require('../../schemas/tools/batch_sum.input.schema.json'));
  /** nonce -> when it can no longer be fresh, Unix ms */
  const nonces = new Map();
  let nextSweep = Date.now() + MAX_SKEW_MS;

  installBurstDispatch();
  const reader = new NewlineMessageReader(process.stdin, { maxLineBytes: MAX_LINE_BYTES });
  const writer = new NewlineMessageWriter(process.stdout);
  const connection = createMessageConnection(reader, writer);

  connection.onRequest('call', (/** @type {any} */ e) => {
    const key = clientKeys.get(e.client_id);
    const text = JSON.stringify({ args: e.args, client_id: e.client_id, nonce: e.nonce, request_id: e.request_id, server_id: e.server_id, tool: e.tool, ts_ms: e.ts_ms, v: e.v });
    if (key === undefined || !sameHex(macHex(key, text), e.signature)) throw new ResponseError(-32001, 'unauthenticated');
    if (e.server_id !== serverId) throw new ResponseError(-32004, 'wrong server');
    const now = Date.now();
    if (Math.abs(now - e.ts_ms) > MAX_SKEW_MS) throw new ResponseError(-32002, 'stale request');
    if (nonces.has(e.nonce)) throw new ResponseError(-32003, 'replayed nonce');
    nonces.set(e.nonce, now + 2 * MAX_SKEW_MS);
    if (now >= nextSweep) {
      for (const [nonce, until] of nonces) if (until < now) nonces.delete(nonce);
      nextSweep = now + MAX_SKEW_MS;
    }
    if (e.tool !== 'batch_sum') throw new ResponseError(-32010, 'unknown tool');
    if (!validateArgs(e.args)) throw new ResponseError(-32011, 'invalid arguments', { errors: validateArgs.errors });
    const numbers = e.args.numbers;
    const result = { count: numbers.length, total: exactSum(numbers) };
    return signed(serverKey, { error: null, ok: true, request_id: e.request_id, result, server_id: serverId, status: 'ok', ts_ms: now, v: 'mcp/0.1' });
  });

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
}

/** The lean client: signs each call and checks each answer's signature and request id. */
class MinimalSignedClient {
  /**
   * @param {import('vscode-jsonrpc/node').MessageConnection} connection
   * @param {{clientId: string, clientSecret: string, serverId: string, serverSecret: string}} keys
   */
  constructor(connection, keys) {
    this.connection = connection;
    this.clientId = keys.clientId;
    this.serverId = keys.serverId;
    this.clientKey = keyOf(keys.clientSecret);
    this.serverKey = keyOf(keys.serverSecret);
  }

  /** One signed `call`; resolves with the verified result. */
  async call(/** @type {string} */ tool, /** @type {Record<string, unknown>} */ args) {
    const requestId = crypto.randomUUID();
    const envelope = signed(this.clientKey, {
      args,
      client_id: this.clientId,
      nonce: crypto.randomUUID(),
      request_id: requestId,
      server_id: this.serverId,
      tool,
      ts_ms: Date.now(),
      v: 'mcp/0.1',
    });
    const r = await this.connection.sendRequest('call', envelope);
    const text = JSON.stringify({ error: r.error, ok: r.ok, request_id: r.request_id, result: r.result, server_id: r.server_id, status: r.status, ts_ms: r.ts_ms, v: r.v });
    if (!sameHex(macHex(this.serverKey, text), r.signature)) throw new Error('response signature does not verify');
    if (r.request_id !== requestId || r.server_id !== this.serverId) throw new Error('response answers another request');
    return r.result;
  }
}

module.exports = { MinimalSignedClient };

if (require.main === module) runServer();
