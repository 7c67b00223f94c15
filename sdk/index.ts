/**
 * TypeScript SDK of the guarded treasury vault (ethers v6). Public surface:
 *
 * - `OperatorClient` (bots): preflighted withdrawals from an event-fed policy cache;
 * - `GuardianClient` / `GuardianTransactions`: pause, suspend, cancel, evacuate, lower limits, revoke;
 * - `AdminClient` / `AdminTransactions`: timelocked changes and the whole policy;
 * - `readExposure` / `formatExposureTable`: what stolen keys could move per horizon;
 * - `VaultWatcher`: typed events and anomalies;
 * - the pure policy mirror (`checkInstant`, `decodeOperatorWord`, ...), typed errors, constants;
 * - vault config files (`parseVaultConfig`, `toInitConfig`) and deterministic deployment (`syncVault`,
 *   `diffVaultConfig`, ...).
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
export { DEFAULT_HORIZONS, formatAmount, formatExposureTable, readExposure } from "./exposure";
export { RISK_HORIZON, RISK_MAX_SHARE_BPS, lintRisk } from "./risk";
export type { RiskFinding, RiskFindingKind, RiskLintInput } from "./risk";
export type { ExposureBound, ExposureOptions, ExposureReport, TokenExposure } from "./exposure";
export { VaultWatcher, fetchVaultEvents } from "./watcher";
export type { Anomaly, WatchedEvent, WatcherOptions } from "./watcher";
export { decodeVaultLog } from "./events";
export type { EventPosition, VaultEvent, VaultEventArgs, VaultEventName, VaultEventOf } from "./events";
export { CHANGE_PARAM_TYPES, decodeChange, encodeChange } from "./changes";
export type { ChangeInput, ChangeOf, ChangeParams } from "./changes";
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
} from "./policy";
export * from "./errors";
export * from "./errors.generated";
export { decodeVaultError, toSdkError, vaultError, vaultErrorFromData } from "./revert";
export * from "./constants";
export { findDeploymentBlock } from "./deployment";
export {
  InvalidConfigError,
  configHash,
  configLabels,
  deploymentSalt,
  encodeInitConfig,
  formatDuration,
  parseAmount,
  parseDuration,
  parseVaultConfig,
  toInitConfig,
  vaultConfigJsonSchema,
} from "./config";
export type { ConfigIssue, DestinationSpec, InitConfig, OperatorLimitSpec, OperatorSpec, TokenSpec, VaultConfig } from "./config";
export {
  DETERMINISTIC_DEPLOYER,
  DETERMINISTIC_DEPLOYER_CODE,
  DeploymentError,
  DeploymentVerificationError,
  DeterministicDeployerMissingError,
  FACTORY_SALT,
  ImmutableSettingError,
  MAX_INIT_CODE_SIZE,
  MissingRoleError,
  TokenCheckError,
  applyVaultDiff,
  checkTokens,
  deployVault,
  diffHasWork,
  diffIsEmpty,
  diffVaultConfig,
  ensureDeterministicDeployer,
  ensureFactory,
  factoryAddress,
  formatVaultDiff,
  parseDeploymentRecord,
  predictVaultAddress,
  syncVault,
  vaultDeploymentBlock,
  vaultInitCode,
  vaultsWithSalt,
  verifyVault,
} from "./deploy";
export { changeFromHuman, findToken, readListedTokens, readTokenMeta } from "./human";
export type { TokenMeta } from "./human";
export { formatTable, formatVaultEvent, formatVaultStatus, readVaultStatus } from "./status";
export type { PendingQueuedWithdrawal, VaultStatus } from "./status";
export type {
  AppliedStep,
  BlockedStep,
  DeploymentRecord,
  InstantAction,
  PlannedInstant,
  PlannedProposal,
  SyncVaultOptions,
  SyncVaultResult,
  TokenProblem,
  VaultConfigDiff,
} from "./deploy";
export { vaultInterface } from "./transport";
export type { SendOverrides, SentTransaction, UnsignedTransaction } from "./transport";
export {
  SAFE_TX_TYPES,
  deploySafe,
  execSafeTransaction,
  packSignatures,
  safeTransactionHash,
  safeTypedData,
  signSafeTransaction,
  toSafeTransaction,
} from "./safe";
export type { SafeTransaction } from "./safe";
export {
  TX_BUILDER_FILE_VERSION,
  TX_BUILDER_VERSION,
  buildTxBuilderBatch,
  decodeMultiSend,
  describeVaultCall,
  execSignedSafeTransaction,
  formatTxBuilderBatch,
  multiSendTransaction,
  safeSigningRequest,
  txBuilderChecksum,
  txBuilderSerialize,
  verifyTxBuilderBatch,
} from "./tx-builder";
export type {
  SafeSigningRequest,
  SafeTypedDataJson,
  TxBuilderBatchFile,
  TxBuilderContractInput,
  TxBuilderContractMethod,
  TxBuilderMeta,
  TxBuilderTransaction,
  TxBuilderVerification,
} from "./tx-builder";
export { Responder, ResponderRulesError, formatResponderLog, matchesChange, matchesWithdrawal, parseResponderRules } from "./responder";
export type {
  ChangePattern,
  Finding,
  FreshDestinationAction,
  PlannedAction,
  QueuedWithdrawalFacts,
  ResponderAction,
  ResponderLogEntry,
  ResponderOptions,
  ResponderRound,
  ResponderRule,
  ResponderRules,
  Trigger,
  UnexpectedAction,
  WithdrawalPattern,
} from "./responder";
