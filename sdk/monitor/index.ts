/**
 * Watching a vault: typed events and anomalies (`VaultWatcher`), the automatic guardian responder, and what
 * stolen keys could move per horizon (`readExposure`); underneath them all, the `LogReader` (the vault's
 * events by topic, in atomic pages, retried and split, with confirmations and reorg detection).
 */
export { VaultWatcher, fetchVaultEvents } from "./watcher";
export { CHAIN_DEFAULTS, LogReader, UnreadableBlockError, chainDefaults, isRangeRefusal } from "./log-reader";
export type { ChainDefaults, KnownHead, LogBatch, LogConsumer, LogReaderAlert, LogReaderOptions, ReadRound, Reorg, RetryOptions } from "./log-reader";
export type { Anomaly, WatchedEvent, WatcherOptions } from "./watcher";
export { decodeVaultLog } from "./events";
export type { EventPosition, VaultEvent, VaultEventArgs, VaultEventName, VaultEventOf } from "./events";
export { DEFAULT_HORIZONS, formatAmount, formatExposureTable, readExposure } from "./exposure";
export type { ExposureBound, ExposureOptions, ExposureReport, TokenExposure } from "./exposure";
export { RISK_HORIZON, RISK_MAX_SHARE_BPS, lintRisk } from "./risk";
export type { RiskFinding, RiskFindingKind, RiskLintInput } from "./risk";
export { RESPONDER_EVENTS, Responder, ResponderRulesError, formatResponderLog, matchesChange, matchesWithdrawal, parseResponderRules } from "./responder";
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
  WithdrawalTotalRule,
} from "./responder";
