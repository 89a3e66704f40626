/**
 * "No input, however malformed, crashes the server" (docs/protocol.md section 6),
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

/** How one call ended: the response it answered, or what it threw. */
type Outcome = { answered: unknown } | { threw: unknown };

/** Runs one call; nothing is checked here. */
async function run(params: unknown): Promise<Outcome> {
  try {
    return { answered: await server.pipeline.handle(params) };
  } catch (err) {
    return { threw: err };
  }
}

/** The code a call ended with: 0 for a response, the error's code, or null for a throw that is not a protocol error. */
function codeOf(outcome: Outcome): number | null {
  if ('answered' in outcome) return 0;
  return outcome.threw instanceof ToolsealError ? outcome.threw.code : null;
}

/** What is wrong with a signed response, in words ([] when nothing). */
function responseProblems(what: string, response: unknown): string[] {
  const issues = schemas.response.check(response);
  if (issues.length > 0) return [`${what} fails the response schema: ${JSON.stringify(issues)}`];
  if (!verifySigned([keyring.serverKey], response as { signature: string })) return [`${what} does not verify with the server key`];
  return [];
}

/**
 * What keeps an outcome from being a protocol answer, in words ([] when
 * nothing): a response must pass its schema and verify; an error must be a
 * ToolsealError with a protocol code other than -32603, and after
 * authentication carry a signed data.response.
 */
function problems(outcome: Outcome): string[] {
  if ('answered' in outcome) return responseProblems('the response', outcome.answered);
  const err = outcome.threw;
  if (!(err instanceof ToolsealError)) return [`threw something that is not a protocol error: ${err instanceof Error ? err.stack : String(err)}`];
  if (!KNOWN_CODES.has(err.code)) return [`error code ${err.code} is not a protocol code (${err.message})`];
  if (err.code === ErrorCode.InternalError) return [`failed internally (-32603): ${err.message}`];
  if (!AFTER_AUTH.has(err.code)) return [];
  const response = err.data?.response;
  if (response === undefined) return [`error ${err.code} (after authentication) carries no data.response`];
  return responseProblems(`the data.response of error ${err.code}`, response);
}

let sequence = 0;

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
        const outcome = await run(params);
        expect(problems(outcome)).toEqual([]);
        // No JSON value is a whole signed envelope: each one is refused as invalid params.
        expect(codeOf(outcome)).toBe(ErrorCode.InvalidParams);
      }),
      RUNS,
    );
  });

  it('validly signed envelopes with arbitrary tools and args: a signed response or a protocol error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.tuple(tools, fc.option(args, { nil: undefined })), nearlyValid), async ([tool, toolArgs]) => {
        const unsigned: Record<string, unknown> = {
          v: 'mcp/0.1',
          request_id: `r-${++sequence}`,
          ts_ms: Date.now(),
          client_id: 'alice',
          server_id: keys.serverId,
          tool,
          nonce: `nonce-${sequence}`,
        };
        if (toolArgs !== undefined) unsigned.args = toolArgs;
        const envelope = JSON.parse(JSON.stringify(sign(clientKey, unsigned)));
        expect(problems(await run(envelope))).toEqual([]);
      }),
      RUNS,
    );
  });
});
