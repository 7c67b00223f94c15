/**
 * Watching a vault: typed events and anomalies (`VaultWatcher`), the automatic guardian responder, and what
 * stolen keys could move per horizon (`readExposure`).
 */
export { VaultWatcher, fetchVaultEvents } from "./watcher";
export type { Anomaly, WatchedEvent, WatcherOptions } from "./watcher";
export { decodeVaultLog } from "./events";
export type { EventPosition, VaultEvent, VaultEventArgs, VaultEventName, VaultEventOf } from "./events";
export { DEFAULT_HORIZONS, formatAmount, formatExposureTable, readExposure } from "./exposure";
export type { ExposureBound, ExposureOptions, ExposureReport, TokenExposure } from "./exposure";
export { RISK_HORIZON, RISK_MAX_SHARE_BPS, lintRisk } from "./risk";
export type { RiskFinding, RiskFindingKind, RiskLintInput } from "./risk";
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
