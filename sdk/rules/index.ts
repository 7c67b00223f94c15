/**
 * The vault's rules without a network: the pure policy mirror (`checkInstant`, `checkQueue`, packed words),
 * enums and constants, and typed `ChangeKind` parameters.
 */
export * as policy from "./policy";
export type {
  Clock,
  ExecuteInput,
  InstantCheck,
  InstantInput,
  OperatorWord,
  QueueCheck,
  QueueInput,
  QueuedWithdrawalData,
  Rejection,
  TokenWord,
  WithdrawalInput,
} from "./policy";
export * from "./constants";
export { CHANGE_PARAM_TYPES, decodeChange, encodeChange } from "./changes";
export type { ChangeInput, ChangeOf, ChangeParams } from "./changes";
export {
  APPROVAL_DOMAIN_NAME,
  APPROVAL_DOMAIN_VERSION,
  APPROVAL_TYPES,
  approvalDigest,
  approvalDomain,
  approvalFromJson,
  approvalMatches,
  approvalMismatches,
  approvalStruct,
  approvalToJson,
  approvalTypedData,
  checkCosigned,
  checkEarly,
  cosignedView,
  normalizeApprovalRequest,
  recoverApprover,
} from "./approval";
export type {
  ApprovalFacts,
  ApprovalMessage,
  ApprovalRequest,
  CosignedCheck,
  CosignedInput,
  EarlyCheck,
  EarlyInput,
  SignedApproval,
  SignedApprovalJson,
} from "./approval";
