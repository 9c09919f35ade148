export { LIMITS, type Limits } from './limits';
export {
  EVENT_TYPES,
  type EventType,
  type Properties,
  type EventContext,
  type ClientEvent,
  type EventBatch,
  type PulseEvent,
} from './event';
export {
  ERROR_CODES,
  type ErrorCode,
  type RejectedEvent,
  type IngestResponse,
  type ReceiptsRequest,
  type ReceiptsResponse,
  type ErrorResponse,
} from './response';
export type { DeadLetter, SinkBatch, Sink } from './sink';
export {
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  signBody,
  signedBody,
  verifyBody,
  hmacHex,
  type SignatureCheck,
  type SignedBody,
} from './signature';
export type {
  Condition,
  SegmentRule,
  SegmentDefinition,
  SegmentChange,
  IdentityLink,
  MemberEnd,
  ProfileDeletion,
  DefinitionRecord,
  DefinitionAck,
  MinuteRollup,
} from './segment';
export { pagePath } from './page-path';
export { backendDecidePath, type ClientAction, type DecideResponse } from './decide';
export {
  CUSTOMER_ID_PATTERN,
  CONTROL_CHARACTER,
  LONE_SURROGATE,
  hasControlCharacter,
  hasLoneSurrogate,
  isCustomerId,
  isOpaqueId,
} from './ids';
export { jsonShape, jsonShapeIssue, type JsonShape, type JsonShapeLimits } from './json-shape';
export { userHashOf, verifyUserHash } from './identity-proof';
export { TRACEPARENT_PATTERN, childTraceparent, traceIdOf } from './trace';
