/**
 * Clients that send transactions: `OperatorClient` for bots (preflighted withdrawals from an event-fed
 * policy cache), `GuardianClient` / `GuardianTransactions` (pause, suspend, cancel, evacuate, lower limits,
 * revoke), `AdminClient` / `AdminTransactions` (timelocked changes and the whole policy).
 */
export { OperatorClient } from "./operator";
export type {
  Availability,
  OperatorClientOptions,
  PendingWithdrawal,
  WithdrawDecision,
  WithdrawOptions,
  WithdrawOutcome,
  WithdrawResult,
  WithdrawalRequest,
} from "./operator";
export type { CachePosition, OwnQueuedWithdrawal } from "./cache";
export { GuardianClient, GuardianTransactions } from "./guardian";
export type { GuardianClientOptions, LowerOperatorLimits } from "./guardian";
export { AdminClient, AdminTransactions } from "./admin";
export type { AdminClientOptions, ChangeInfo, ProposeHelpers, ProposedChange, VaultPolicy } from "./admin";
export { vaultInterface } from "./transport";
export type { SendOverrides, SentTransaction, UnsignedTransaction } from "./transport";
export {
  STORAGE_OFFSETS,
  STORAGE_SLOTS,
  mappingSlot,
  nestedSlot,
  readAvailableNow,
  readChange,
  readOperatorRecord,
  readOperatorState,
  readOperatorWords,
  readOperators,
  readTokenExposure,
  readTokenState,
  readTokenWord,
  readTokens,
  readTripwire,
  readVaultBalance,
  readWithdrawal,
  readWithdrawals,
  readWords,
  uintMappingSlot,
} from "./state";
export type { OperatorRecord, OperatorState, OperatorWords, StoredChange, StoredWithdrawal, TokenState, TripwireSettings } from "./state";
