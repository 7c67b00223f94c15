/**
 * TypeScript SDK of the guarded treasury vault (ethers v6). The root export is what a bot or a guardian
 * needs: the clients and the base error classes. Everything else is a subpath by audience:
 *
 * - `clients`: `OperatorClient`, `GuardianClient` / `GuardianTransactions`, `AdminClient` / `AdminTransactions`;
 * - `errors`: every error class (one per custom error of the vault), `toSdkError`, `decodeVaultError`;
 * - `rules`: the pure policy mirror (`policy.checkInstant`, ...), enums and constants, change parameters;
 * - `monitor`: `VaultWatcher`, typed events, the `Responder`, `readExposure`;
 * - `safe`: Safe transactions and Transaction Builder batch files;
 * - `deploy`: vault config files and deterministic deployment;
 * - `format`: token symbols and amounts for people, status and events as text.
 */
export * from "./clients";
export {
  InvalidInputError,
  NotAVaultError,
  NotAnOperatorError,
  RevertWithoutDataError,
  RpcError,
  UnrecognizedRevertError,
  VaultRevertError,
  VaultSdkError,
} from "./errors/base";
export type { RevertContext, VaultErrorData, VaultErrorName } from "./errors/base";
