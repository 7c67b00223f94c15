/**
 * The one place the monitor and the console import the SDK from, so that a change in the SDK's layout is
 * a change to this file only.
 */
export {
  AdminClient,
  GuardianTransactions,
  DEFAULT_HORIZONS,
  InvalidInputError,
  VaultSdkError,
  RpcError,
  NATIVE,
  GRACE_PERIOD,
  buildTxBuilderBatch,
  changeKindOf,
  decodeChange,
  fetchVaultEvents,
  formatAmount,
  formatTxBuilderBatch,
  matchesChange,
  matchesWithdrawal,
  parseResponderRules,
  policy,
  readExposure,
  readVaultStatus,
  tripReasonOf,
  verifyTxBuilderBatch,
  Responder,
} from "../sdk";
export type {
  ChangeParams,
  ChangePattern,
  ExposureReport,
  ResponderAction,
  ResponderLogEntry,
  ResponderRules,
  TokenMeta,
  TxBuilderBatchFile,
  UnsignedTransaction,
  VaultEvent,
  VaultStatus,
  WithdrawalPattern,
} from "../sdk";
export { requireAddress } from "../sdk/validate";
export { connectVault, read } from "../sdk/transport";
