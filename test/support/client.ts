import { ToolClient, type ClientOptions, type SecurityEvent } from '../../src/client/toolClient';
import type { ProcessOptions } from '../../src/client/spawn';
import type { TestKeys } from './keys';
import { CLI } from './serverProcess';
import * as path from 'node:path';

/** Plain-JS helper processes (spawned with node). */
export const SUPPORT = {
  lossyProxy: path.join(__dirname, 'lossyProxy.js'),
  stubbornServer: path.join(__dirname, 'stubbornServer.js'),
  forgingServer: path.join(__dirname, 'forgingServer.js'),
};

/** A client on a spawned built server, with its stderr and security events collected. */
export interface TestClient {
  client: ToolClient;
  stderr: string[];
  securityEvents: SecurityEvent[];
}

/** Spawns the built server (dist/) as `alice` with the test keyring file. */
export async function spawnTestClient(keys: TestKeys, options: ClientOptions & ProcessOptions = {}): Promise<TestClient> {
  const stderr: string[] = [];
  const securityEvents: SecurityEvent[] = [];
  const client = await ToolClient.spawn({
    keysFile: keys.file,
    clientId: 'alice',
    serverScript: CLI,
    stderr: (line) => stderr.push(line),
    onSecurityEvent: (event) => securityEvents.push(event),
    ...options,
  });
  return { client, stderr, securityEvents };
}

/** Spawns `script` (a plain-JS file) with node, as a "server" that is not ours; credentials are alice's. */
export async function spawnScriptClient(keys: TestKeys, script: string, args: string[] = [], options: ClientOptions & ProcessOptions = {}): Promise<TestClient> {
  const stderr: string[] = [];
  const securityEvents: SecurityEvent[] = [];
  const client = await ToolClient.spawn({
    clientId: 'alice',
    clientSecret: keys.clients.alice![0]!,
    serverId: keys.serverId,
    serverSecret: keys.serverSecret,
    command: process.execPath,
    args: [script, ...args],
    stderr: (line) => stderr.push(line),
    onSecurityEvent: (event) => securityEvents.push(event),
    ...options,
  });
  return { client, stderr, securityEvents };
}

/** Resolves once `predicate` holds, checking every 20 ms; rejects after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
