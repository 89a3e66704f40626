/** The client half: spawn or connect to a toolseal server, sign calls, verify answers, follow jobs. */
export {
  ToolClient,
  type CallOptions,
  type ClientOptions,
  type ClientStreams,
  type CloseOptions,
  type ConnectOptions,
  type SecurityEvent,
  type SpawnOptions,
} from './toolClient';
export { Job, type JobPhase } from './job';
export { ClientErrorCode, ServerError, type ClientErrorCodeValue, type ExitInfo } from './errors';
export type { Disposable, Event } from './events';
export {
  resolveCredentials,
  type ClientKeys,
  type Credentials,
  type ExplicitCredentials,
  type KeyringCredentials,
  type KeyringDocument,
  type KeysFileCredentials,
  type Secret,
} from './credentials';
export {
  DEFAULT_MAX_SKEW_MS,
  signEnvelope,
  verifyErrorAnswer,
  verifyJobStatus,
  verifyResponse,
  type EnvelopeFields,
  type ErrorAnswer,
  type ReceivedError,
  type JobStatusExpectation,
  type JobStatusUpdate,
  type ResponseExpectation,
  type Verification,
  type VerificationFailure,
  type VerificationFailureReason,
  type VerifiedResponse,
} from './envelopes';
export { DEFAULT_INHERITED_ENV, DEFAULT_SERVER_SCRIPT, type ProcessOptions } from './spawn';
