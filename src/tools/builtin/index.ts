/**
 * The built-in tools, each defined the way a user defines one: defineTool,
 * its schema files from schemas/tools/, its types generated from them.
 */
import type { Tool } from '../tool';
import { batchSum } from './batch_sum';
import { cancelJobTool } from './cancel_job';
import { listToolsTool } from './list_tools';
import { pollJobTool } from './poll_job';
import type { ProtocolServices } from './services';
import { serverIdentityTool } from './server_identity';
import { startLongTask } from './start_long_task';

export type { ProtocolServices } from './services';

/** Names of the tools every server serves to every client. */
export const PROTOCOL_TOOL_NAMES: readonly string[] = ['server_identity', 'list_tools', 'poll_job', 'cancel_job'];

/** The protocol tools of one server. */
export function protocolTools(server: ProtocolServices): Tool[] {
  return [serverIdentityTool(server), listToolsTool(server), pollJobTool(server), cancelJobTool(server)];
}

/** The seed's example tools: served by `toolseal serve` without `--tools`, or with `exampleTools: true`. */
export const EXAMPLE_TOOLS: readonly Tool[] = [batchSum, startLongTask];

/** Stands in for a server where tools are only listed (`toolseal tools`), never run. */
const LISTING_ONLY: ProtocolServices = {
  serverId: '',
  fingerprint: '',
  get jobs(): never {
    throw new Error('these protocol tools are for listing only');
  },
  toolsFor: () => [],
};

/** The protocol tools as listed (their `run` is not for calling). */
export function protocolToolsForListing(): Tool[] {
  return protocolTools(LISTING_ONLY);
}
