/**
 * The one place the monitor and the console import the SDK from, so that a change in the SDK's layout is
 * a change to this file only.
 */
export { AdminClient, GuardianTransactions, readOperatorWords } from "../sdk/clients";
export { InvalidInputError, RpcError, VaultSdkError } from "../sdk/errors";
export { APPROVER_ROLE, GRACE_PERIOD, GUARDIAN_ROLE, NATIVE, changeKindOf, decodeChange, policy, tripReasonOf } from "../sdk/rules";
export {
  DEFAULT_HORIZONS,
  LogReader,
  Responder,
  fetchVaultEvents,
  formatAmount,
  matchesChange,
  matchesWithdrawal,
  parseResponderRules,
  readExposure,
} from "../sdk/monitor";
export { readVaultStatus } from "../sdk/format";
export { buildTxBuilderBatch, formatTxBuilderBatch, verifyTxBuilderBatch } from "../sdk/safe";
export type { UnsignedTransaction } from "../sdk/clients";
export type { ChangeParams } from "../sdk/rules";
export type { KnownHead, LogConsumer, ReadRound, Reorg, LogReaderAlert } from "../sdk/monitor";
export type { ChangePattern, ExposureReport, ResponderAction, ResponderLogEntry, ResponderRules, VaultEvent, WithdrawalPattern } from "../sdk/monitor";
export type { TokenMeta, VaultStatus } from "../sdk/format";
export type { TxBuilderBatchFile } from "../sdk/safe";
export { requireAddress } from "../sdk/errors/validate";
export { connectVault, read } from "../sdk/clients/transport";
export { sleep } from "../sdk/monitor/sleep";
