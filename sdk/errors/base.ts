/**
 * The SDK's error classes. Every error the SDK throws is a `VaultSdkError`:
 *
 * - `InvalidInputError`: a bad argument, rejected before any network call;
 * - `VaultRevertError` subclasses (one per custom error of the vault, generated from the ABI in
 *   `generated.ts`, e.g. `CapExceededError`): the vault reverted, or the local preflight knows it
 *   would (`source` says which), with the decoded arguments in `args`;
 * - `RevertWithoutDataError`: a revert that carries no data (out of gas, a call the vault has no function
 *   for, a mined transaction whose receipt says it failed);
 * - `UnrecognizedRevertError`: revert data that is not one of the vault's errors (`Error(string)`,
 *   `Panic(uint256)`, or a selector the ABI does not know);
 * - `NotAVaultError`: no vault at the address on the provider's chain (no code, or a read returned no data);
 * - `RpcError`: the provider, the node or the signer failed; nothing is known about the vault's state.
 */
import type { VaultErrorArgs } from "./generated";

export type { VaultErrorArgs };

/** Name of a custom error of the vault. */
export type VaultErrorName = keyof VaultErrorArgs;

/** A vault error as plain data: its name and its decoded arguments. */
export type VaultErrorData = { [N in VaultErrorName]: { readonly name: N; readonly args: VaultErrorArgs[N] } }[VaultErrorName];

/** Base class of every error the SDK throws. */
export class VaultSdkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument was rejected before any network call. */
export class InvalidInputError extends VaultSdkError {
  /** The offending argument, e.g. `to` or `amount`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`invalid ${field}: ${message}`);
    this.field = field;
  }
}

/** The provider, node or signer failed (connection, rate limit, rejected transaction, ...). */
export class RpcError extends VaultSdkError {
  /** The ethers error code (e.g. `NETWORK_ERROR`, `UNKNOWN_ERROR`) or JSON-RPC code, when there is one. */
  readonly code: string | number | undefined;
  constructor(message: string, options: { cause: unknown; code?: string | number }) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/** Where a revert error comes from: the chain, or the SDK's local preflight predicting it. */
export interface RevertContext {
  readonly source?: "chain" | "preflight";
  /** The raw revert data, when it came from the chain. */
  readonly data?: string;
  readonly transactionHash?: string;
  readonly cause?: unknown;
}

/** A call reverted (or would revert) without revert data. */
export class RevertWithoutDataError extends VaultSdkError {
  readonly transactionHash: string | undefined;
  constructor(message: string, context: { transactionHash?: string; cause?: unknown } = {}) {
    super(message, { cause: context.cause });
    this.transactionHash = context.transactionHash;
  }
}

/** Revert data that is not a custom error of the vault. */
export class UnrecognizedRevertError extends VaultSdkError {
  readonly data: string;
  /** The decoded `Error(string)` reason or `Panic(uint256)` code, if the data is one of those. */
  readonly reason: string | null;
  constructor(data: string, reason: string | null, cause?: unknown) {
    super(`reverted with unrecognized data ${data.slice(0, 74)}${reason ? ` (${reason})` : ""}`, { cause });
    this.data = data;
    this.reason = reason;
  }
}

/** A custom error of the vault, decoded. Subclasses (generated from the ABI) exist for every error. */
export abstract class VaultRevertError<N extends VaultErrorName = VaultErrorName> extends VaultSdkError {
  /** The Solidity error name, e.g. `CapExceeded`. */
  readonly errorName: N;
  /** The error's arguments by parameter name. */
  readonly args: VaultErrorArgs[N];
  /** `chain` when the vault reverted; `preflight` when the SDK refused to send because it would. */
  readonly source: "chain" | "preflight";
  /** The raw revert data, when it came from the chain. */
  readonly data: string | undefined;
  readonly transactionHash: string | undefined;

  protected constructor(errorName: N, args: VaultErrorArgs[N], notice: string, context: RevertContext = {}) {
    const source = context.source ?? "chain";
    const shown = Object.entries(args as Record<string, unknown>)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    super(`${source === "chain" ? "reverted" : "would revert"}: ${errorName}(${shown})${notice ? `: ${notice}` : ""}`, {
      cause: context.cause,
    });
    this.errorName = errorName;
    this.args = args;
    this.source = source;
    this.data = context.data;
    this.transactionHash = context.transactionHash;
  }

  /** The error as plain data. */
  toData(): VaultErrorData {
    return { name: this.errorName, args: this.args } as VaultErrorData;
  }
}

/**
 * The address given as a vault has no vault there: no code, or code that does not answer as a GuardedVault.
 * `address` is null when the error was recognised from a read that returned no data (ethers does not say
 * which address it called).
 */
export class NotAVaultError extends VaultSdkError {
  readonly address: string | null;
  constructor(address: string | null, reason: string, cause?: unknown) {
    super(`${address ?? "the vault address"} is not a GuardedVault: ${reason}`, { cause });
    this.address = address;
  }
}

/** The signer's address is not one of the vault's operators. */
export class NotAnOperatorError extends VaultSdkError {
  readonly vault: string;
  readonly operator: string;
  constructor(vault: string, operator: string) {
    super(`${operator} is not an operator of the vault ${vault}: the vault lists no limits for it`);
    this.vault = vault;
    this.operator = operator;
  }
}
