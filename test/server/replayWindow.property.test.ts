import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { ErrorCode, ToolsealError } from '../../src/protocol/errors';
import { parseKeyring } from '../../src/protocol/keyring';
import { SchemaRegistry } from '../../src/protocol/schemas';
import { createLogger } from '../../src/server/logger';
import { ToolServer } from '../../src/server/server';
import { signTestEnvelope } from '../support/envelopes';
import { makeTestKeys } from '../support/keys';

/**
 * The freshness window and the replay window must overlap: once a call was
 * accepted, the same envelope must be refused for as long as it could still
 * pass the clock check, whatever the clock does in between (steps of any
 * size, landing on whole seconds or on the window's edges).
 */
describe('replay window against freshness window', () => {
  const keys = makeTestKeys();
  const schemas = new SchemaRegistry();
  const keyring = parseKeyring(keys.document, schemas);

  /** The code a call answers at `nowMs` (0 for a success). */
  function codeOf(server: ToolServer, envelope: Record<string, unknown>): number {
    try {
      server.pipeline.handle(envelope);
      return 0;
    } catch (err) {
      if (err instanceof ToolsealError) return err.code;
      throw err;
    }
  }

  /** One server per skew (building one per run is slow); every envelope has its own nonce. */
  const servers = new Map<number, { server: ToolServer; clock: { now: number } }>();
  function serverAt(maxSkewMs: number, nowMs: number): { server: ToolServer; clock: { now: number } } {
    let found = servers.get(maxSkewMs);
    if (found === undefined) {
      const clock = { now: nowMs };
      found = { server: newServer(clock, maxSkewMs), clock };
      servers.set(maxSkewMs, found);
    }
    found.clock.now = nowMs;
    return found;
  }

  function newServer(clock: { now: number }, maxSkewMs: number): ToolServer {
    const server = new ToolServer(
      { keyring, schemas, logger: createLogger('error', () => undefined), settings: { maxSkewMs }, now: () => clock.now },
      { input: new PassThrough(), output: new PassThrough() },
    );
    server.jobs.close();
    return server;
  }

  it('refuses an accepted envelope again for as long as it is fresh, over any forward clock steps', () => {
    const edge = fc.constantFrom('ts+skew', 'ts+skew-1', 'ts+skew+1', 'window', 'window-1', 'window+1');
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(1000, 2000, 300_000), fc.integer({ min: 1, max: 5000 })),
        fc.oneof(fc.constantFrom(0, 1, 999), fc.integer({ min: 0, max: 999 })),
        fc.oneof(fc.constantFrom(-1, 0, 1), fc.double({ min: -1, max: 1, noNaN: true })),
        fc.array(fc.oneof(edge, fc.integer({ min: 0, max: 12_000 })), { minLength: 1, maxLength: 12 }),
        (skew, subsecond, where, probes) => {
          const t0 = 1_800_000_000_000 + subsecond;
          const ts = t0 + Math.round(where * skew);
          const { server, clock } = serverAt(skew, t0);
          const envelope = signTestEnvelope(keys, 'server_identity', undefined, { fields: { ts_ms: ts } });
          expect(codeOf(server, envelope)).toBe(0);
          const times = probes
            .map((probe) => {
              switch (probe) {
                case 'ts+skew': return ts + skew;
                case 'ts+skew-1': return ts + skew - 1;
                case 'ts+skew+1': return ts + skew + 1;
                case 'window': return t0 + 2 * skew;
                case 'window-1': return t0 + 2 * skew - 1;
                case 'window+1': return t0 + 2 * skew + 1;
                default: return t0 + probe;
              }
            })
            .filter((t) => t >= t0)
            .sort((a, b) => a - b);
          for (const t of times) {
            clock.now = t;
            const fresh = Math.abs(t - ts) <= skew;
            expect(codeOf(server, envelope)).toBe(fresh ? ErrorCode.ReplayedNonce : ErrorCode.StaleRequest);
          }
        },
      ),
      { seed: 20261202, numRuns: 300 },
    );
  });

  it('refuses the envelope dated t0 + skew when it comes back at t0 + 2 skew', () => {
    const clock = { now: 1_800_000_000_000 };
    const server = newServer(clock, 300_000);
    const envelope = signTestEnvelope(keys, 'server_identity', undefined, { fields: { ts_ms: clock.now + 300_000 } });
    expect(codeOf(server, envelope)).toBe(0);
    clock.now += 600_000;
    expect(codeOf(server, envelope)).toBe(ErrorCode.ReplayedNonce);
  });
});
