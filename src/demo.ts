/**
 * The reference flow, end to end through ToolClient: `npm start`.
 * An ephemeral keyring (random secrets, handed to the server through its
 * environment, never written to disk), one readable line per step.
 */
import { ToolClient } from './client/toolClient';
import { ToolsealError } from './protocol/errors';
import { generateKeyring } from './protocol/keyring';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function demo(): Promise<void> {
  const client = await ToolClient.spawn({
    keyring: generateKeyring({ serverId: 'demo-server' }),
    onSecurityEvent: (event) => say(`!! rejected a ${event.kind} from the server: ${event.message}`),
  });
  say(`started a toolseal server (pid ${client.process?.pid}) as ${client.clientId}`);

  const identity = await client.call('server_identity');
  const { server_id, fingerprint, capabilities } = identity.result as { server_id: string; fingerprint: string; capabilities: Record<string, unknown> };
  say(`server_identity -> ${server_id}, key fingerprint ${fingerprint}, capabilities ${JSON.stringify(capabilities)}`);

  const sum = await client.call('batch_sum', { numbers: [1, 2, 3] });
  say(`batch_sum [1, 2, 3] -> total ${String(sum.result?.total)} (count ${String(sum.result?.count)})`);

  try {
    await client.call('batch_sum', { numbers: [] });
    say('batch_sum [] -> unexpectedly accepted');
  } catch (err) {
    if (!(err instanceof ToolsealError)) throw err;
    // A verified error's message is the server's signed text, which names the first problem.
    say(`batch_sum [] -> error ${err.code} ${err.message}`);
  }

  const job = await client.startJob('start_long_task', { seconds: 2, payload: { task: 'demo' } });
  say(`start_long_task 2 s -> job ${job.id} accepted (poll every ${job.pollIntervalMs} ms if notifications stop)`);
  for await (const status of job) {
    const progress = status.progress === undefined ? '' : ` progress ${Math.round(status.progress * 100)}%`;
    const result = status.result === undefined ? '' : ` result ${JSON.stringify(status.result)}`;
    say(`  job/status seq ${status.seq}: ${status.status}${progress}${result}`);
  }
  say(`job ${job.id} -> ${JSON.stringify(await job.result())}`);

  const exit = await client.close();
  say(`closed: the server exited with code ${exit.code ?? `null (signal ${exit.signal})`}`);
}

demo().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
