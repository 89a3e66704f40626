// @ts-check
/**
 * Where one call's server-side time goes, measured in this process on the
 * built modules (no child processes): each step of the pipeline on a
 * typical `batch_sum [1,2,3]` envelope, in ns per operation, median of
 * several runs.
 */
'use strict';

const { SchemaRegistry } = require('../../dist/protocol/schemas');
const { HmacKey } = require('../../dist/protocol/hmacKey');
const { canonicalize } = require('../../dist/protocol/canonical');
const { verifySigned, withoutSignature } = require('../../dist/protocol/signing');
const { parseKeyring } = require('../../dist/protocol/keyring');
const { signEnvelope, verifyResponse } = require('../../dist/client/envelopes');
const { CallPipeline } = require('../../dist/server/pipeline');
const { MemoryReplayStore } = require('../../dist/server/replayStore');
const { DEFAULT_SETTINGS } = require('../../dist/server/settings');
const { silentLogger } = require('../../dist/server/logger');
const { ToolRegistry } = require('../../dist/tools/registry');
const { EXAMPLE_TOOLS, protocolTools } = require('../../dist/tools/builtin');
const { JobManager, MemoryJobStore } = require('../../dist/jobs');
const { PassThrough } = require('node:stream');
const { createMessageConnection } = require('vscode-jsonrpc/node');
const { ToolClient } = require('../../dist/client');
const { ToolServer } = require('../../dist/server/server');
const { NewlineMessageReader, NewlineMessageWriter } = require('../../dist/transport');
const { exactSum } = require('../../dist/tools/exactSum');
const { summarize } = require('./stats');
const { ephemeralKeyring } = require('./systems');

/** Times `ops` calls of a synchronous `fn`; ns per op. */
function timeSync(/** @type {(i: number) => unknown} */ fn, /** @type {number} */ ops) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) if (fn(i)) sink++;
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink < 0) throw new Error('unreachable');
  return ns / ops;
}

/**
 * @param {{runs: number, ops: number, dispatchOps: number}} config
 */
async function costSplit(config) {
  const document = ephemeralKeyring();
  const schemas = new SchemaRegistry();
  const keyring = parseKeyring(document, schemas);
  const clientKey = /** @type {HmacKey} */ (/** @type {readonly HmacKey[]} */ (keyring.clients.get('bench-client'))[0]);
  const fields = { clientId: 'bench-client', serverId: keyring.serverId, tool: 'batch_sum', args: { numbers: [1, 2, 3] } };
  const envelope = signEnvelope(clientKey, fields);
  const unsigned = withoutSignature(envelope);
  const canonical = canonicalize(unsigned);
  const args = /** @type {object} */ (envelope.args);

  const jobs = new JobManager({ store: new MemoryJobStore(), maxJobs: 10, ttlMs: 60_000, onUpdate: () => undefined });
  /** @type {import('../../dist/server/pipeline').CallPipeline} */
  let pipeline;
  const services = { serverId: keyring.serverId, fingerprint: '0000000000000000', jobs, toolsFor: (/** @type {string} */ id) => pipeline.toolsFor(id) };
  const tools = new ToolRegistry({ protocol: protocolTools(services), tools: EXAMPLE_TOOLS }, silentLogger);
  const batchSum = /** @type {import('../../dist/tools/registry').RegisteredTool} */ (tools.get('batch_sum'));
  pipeline = new CallPipeline({
    schemas,
    keyring,
    tools,
    replay: new MemoryReplayStore(Number.MAX_SAFE_INTEGER),
    jobs,
    logger: silentLogger,
    settings: DEFAULT_SETTINGS,
  });
  const sampleResponse = await pipeline.handle(signEnvelope(clientKey, fields));
  const expectation = { serverKey: keyring.serverKey, serverId: keyring.serverId, requestId: sampleResponse.request_id, schemas };

  // Both ends in this process over PassThrough pairs: a call's whole CPU path
  // (framing, vscode-jsonrpc, and for toolseal every check on both sides) with
  // no pipes, no other process and no wake-ups.
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = new ToolServer({ keyring, logger: silentLogger, schemas }, { input: toServer, output: toClient });
  server.start();
  const client = ToolClient.connect({ readable: toClient, writable: toServer }, { keyring: document, clientId: 'bench-client', schemas });
  const bareIn = new PassThrough();
  const bareOut = new PassThrough();
  const bareServer = createMessageConnection(new NewlineMessageReader(bareIn, { maxLineBytes: 1 << 20 }), new NewlineMessageWriter(bareOut));
  bareServer.onRequest('batch_sum', (/** @type {{numbers: number[]}} */ p) => ({ count: p.numbers.length, total: exactSum(p.numbers) }));
  bareServer.listen();
  const bareClient = createMessageConnection(new NewlineMessageReader(bareOut, { maxLineBytes: 1 << 20 }), new NewlineMessageWriter(bareIn));
  bareClient.listen();
  /** ns per sequential call of `call`. */
  const roundTrips = async (/** @type {() => Promise<unknown>} */ call) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < config.dispatchOps; i++) await call();
    return Number(process.hrtime.bigint() - t0) / config.dispatchOps;
  };

  /** @type {Record<string, {describe: string, run: () => Promise<number>}>} */
  const steps = {
    canonicalize: {
      describe: 'canonicalize (RFC 8785) of the envelope without its signature: keys already in order, so JSON.stringify',
      run: async () => timeSync(() => canonicalize(unsigned), config.ops),
    },
    hmac: {
      describe: 'HmacKey.macHex over that canonical text',
      run: async () => timeSync(() => clientKey.macHex(canonical), config.ops),
    },
    verify: {
      describe: 'verifySigned of the envelope (strip signature, canonicalize, HMAC, constant-time compare)',
      run: async () => timeSync(() => verifySigned([clientKey], envelope), config.ops),
    },
    ajv: {
      describe: 'SchemaRegistry: envelope schema + batch_sum input schema',
      run: async () => timeSync(() => schemas.envelope.check(envelope).length + batchSum.input.check(args).length === 0, config.ops),
    },
    dispatch: {
      describe: 'CallPipeline.handle end to end on a fresh signed envelope (all checks, replay store, tool, output check, signed response)',
      run: async () => {
        const envelopes = Array.from({ length: config.dispatchOps }, () => signEnvelope(clientKey, fields));
        const t0 = process.hrtime.bigint();
        for (const e of envelopes) await pipeline.handle(e);
        return Number(process.hrtime.bigint() - t0) / config.dispatchOps;
      },
    },
    clientSign: {
      describe: 'client: signEnvelope (UUIDs, checkJsonValue, canonicalize, HMAC)',
      run: async () => timeSync(() => signEnvelope(clientKey, fields), config.ops),
    },
    clientVerify: {
      describe: 'client: verifyResponse of a signed batch_sum response (shape, schema, signature, ids)',
      run: async () => timeSync(() => verifyResponse(sampleResponse, expectation).ok, config.ops),
    },
    roundTrip: {
      describe: 'ToolClient.call to a ToolServer in the same process, one at a time: the whole CPU path of a call, both sides',
      run: async () => roundTrips(() => client.call('batch_sum', { numbers: [1, 2, 3] })),
    },
    bareRoundTrip: {
      describe: 'the same with the bare transport (vscode-jsonrpc and our framing at both ends, no envelope, no checks)',
      run: async () => roundTrips(() => bareClient.sendRequest('batch_sum', { numbers: [1, 2, 3] })),
    },
  };

  /** @type {Record<string, {describe: string, nsPerOp: import('./stats').Summary}>} */
  const result = {};
  // Warm every step up once so the first measured run is not the JIT's.
  for (const step of Object.values(steps)) await step.run();
  /** @type {Record<string, number[]>} */
  const samples = {};
  for (let r = 0; r < config.runs; r++) {
    // Interleave the steps, like the systems in the main workloads.
    for (const [name, step] of Object.entries(steps)) (samples[name] ??= []).push(await step.run());
  }
  for (const [name, step] of Object.entries(steps)) result[name] = { describe: step.describe, nsPerOp: summarize(/** @type {number[]} */ (samples[name])) };
  jobs.close();
  await client.close({ graceMs: 1_000 });
  await server.finished;
  bareClient.dispose();
  bareServer.dispose();
  return result;
}

module.exports = { costSplit };
