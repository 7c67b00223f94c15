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
