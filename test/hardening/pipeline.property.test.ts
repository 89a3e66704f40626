/**
 * "No input, however malformed, crashes the server" (PROTOCOL.md section 4),
 * as properties of the call pipeline: for arbitrary params, and for validly
 * signed envelopes carrying arbitrary tools and args, a call either answers a
 * signed response that passes its schema, or fails with one of the
 * protocol's error codes, never -32603 (an internal failure) and never a
 * thrown non-protocol error. Fixed seed, bounded runs.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { ErrorCode, ToolsealError } from '../../src/protocol/errors';
import { HmacKey } from '../../src/protocol/hmacKey';
import { decodeSecret, parseKeyring } from '../../src/protocol/keyring';
import { SchemaRegistry } from '../../src/protocol/schemas';
import { sign, verifySigned } from '../../src/protocol/signing';
import { silentLogger } from '../../src/server/logger';
import { ToolServer } from '../../src/server/server';
import { makeTestKeys } from '../support/keys';

const RUNS = { seed: 4242, numRuns: 400 } as const;
const keys = makeTestKeys();
const schemas = new SchemaRegistry();
const keyring = parseKeyring(keys.document, schemas);
const clientKey = new HmacKey(decodeSecret(keys.clients.alice![0]!, 'alice'));
const server = new ToolServer({ keyring, logger: silentLogger, schemas, settings: { maxJobs: 50 } }, { input: new PassThrough(), output: new PassThrough() });
const KNOWN_CODES = new Set<number>(Object.values(ErrorCode));
/** Codes whose error carries a signed `data.response` (the caller was authenticated). */
const AFTER_AUTH = new Set<number>([ErrorCode.UnknownTool, ErrorCode.InvalidArguments, ErrorCode.UnknownJob, ErrorCode.LimitExceeded, ErrorCode.ToolFailed]);

afterAll(async () => {
  await server.jobs.cancelAll();
  server.jobs.close();
});

/** Runs one call and checks the outcome is a protocol answer; returns the code, or 0 for a success. */
async function outcome(params: unknown): Promise<number> {
  try {
    const response = await server.pipeline.handle(params);
    expect(schemas.response.check(response)).toEqual([]);
    expect(verifySigned([keyring.serverKey], response)).toBe(true);
    return 0;
  } catch (err) {
    if (!(err instanceof ToolsealError)) throw new Error(`not a protocol error: ${String(err)}`);
    expect(KNOWN_CODES.has(err.code)).toBe(true);
    expect(err.code).not.toBe(ErrorCode.InternalError);
    if (AFTER_AUTH.has(err.code)) {
      const response = err.data?.response as { signature: string } | undefined;
      expect(response).toBeDefined();
      expect(verifySigned([keyring.serverKey], response!)).toBe(true);
      expect(schemas.response.check(response)).toEqual([]);
    }
    return err.code;
  }
}

const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' });
const tools = fc.constantFrom('server_identity', 'list_tools', 'batch_sum', 'start_long_task', 'poll_job', 'cancel_job', '__proto__', 'constructor', 'nope');

/** Args that are often close to valid: the right keys with arbitrary values, or arbitrary objects. */
const args = fc.oneof(
  fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), json, { maxKeys: 4 }),
  fc.record({ numbers: fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), json), { maxLength: 20 }) }),
  fc.record({ seconds: fc.oneof(fc.integer({ min: -5, max: 25 }), json), payload: json }, { requiredKeys: ['seconds'] }),
  fc.record({ job_id: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('__proto__', 'constructor', ''), json) }),
);

/** Calls that are valid, or nearly so, for each tool: they reach the handlers. */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const nearlyValid: fc.Arbitrary<[string, Record<string, unknown> | undefined]> = fc.oneof(
  fc.tuple(fc.constant('batch_sum'), fc.record({ numbers: fc.array(fc.oneof(finite, fc.constantFrom(1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -0)), { minLength: 1, maxLength: 50 }) })),
  fc.tuple(fc.constant('start_long_task'), fc.record({ seconds: fc.integer({ min: 1, max: 20 }), payload: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), json, { maxKeys: 4 }) }, { requiredKeys: ['seconds'] })),
  fc.tuple(fc.constantFrom('poll_job', 'cancel_job'), fc.record({ job_id: fc.oneof(fc.uuid(), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.constantFrom('__proto__', 'constructor', 'toString')) })),
  fc.tuple(fc.constantFrom('server_identity', 'list_tools'), fc.constantFrom(undefined, {})),
);

describe('the call pipeline never fails internally', () => {
  it('arbitrary params: a protocol error, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(json, async (params) => {
        const code = await outcome(params);
        expect(code).toBe(ErrorCode.InvalidParams);
      }),
      RUNS,
    );
  });

  it('validly signed envelopes with arbitrary tools and args: a signed response or a protocol error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.tuple(tools, fc.option(args, { nil: undefined })), nearlyValid), async ([tool, toolArgs]) => {
        const unsigned: Record<string, unknown> = {
          v: 'mcp/0.1',
          request_id: `r-${Math.random()}`,
          ts_ms: Date.now(),
          client_id: 'alice',
          server_id: keys.serverId,
          tool,
          nonce: `nonce-${Math.random()}`,
        };
        if (toolArgs !== undefined) unsigned.args = toolArgs;
        const envelope = JSON.parse(JSON.stringify(sign(clientKey, unsigned)));
        await outcome(envelope);
      }),
      RUNS,
    );
  });
});
