/**
 * For people: token symbols and decimal amounts, change parameters from text, and the vault's status and
 * events as text.
 */
export { changeFromHuman, findToken, readListedTokens, readTokenMeta } from "./human";
export type { TokenMeta } from "./human";
export { formatTable, formatVaultEvent, formatVaultStatus, readVaultStatus } from "./status";
export type { PendingQueuedWithdrawal, VaultStatus } from "./status";
