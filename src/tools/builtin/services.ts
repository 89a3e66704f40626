import type { JobService } from '../../jobs';
import type { ToolDescriptor } from '../tool';

/** What the protocol tools read of the server that serves them. */
export interface ProtocolServices {
  readonly serverId: string;
  /** 16 hex chars identifying the server key without revealing it. */
  readonly fingerprint: string;
  readonly jobs: JobService;
  /** The tools a client may call, as list_tools lists them. */
  toolsFor(clientId: string): readonly ToolDescriptor[];
}
