/**
 * What every client shares: the typed vault contract, unsigned transactions, and sending them through any
 * ethers v6 `Signer` with errors mapped to SDK classes.
 */
import type { ContractRunner, Provider, Signer, TransactionReceipt, TransactionRequest, TransactionResponse } from "ethers";
import { connectGuardedVault, guardedVaultInterface, type GuardedVault } from "../abi";
import { InvalidInputError, RevertWithoutDataError, VaultSdkError } from "../errors/base";
import { toSdkError } from "../errors/revert";

/** The vault's ABI interface (typed by TypeChain), for encoding calls and decoding logs without a network. */
export const vaultInterface = guardedVaultInterface;

/** A transaction as a multisig (e.g. a Safe) or any external signer needs it: target, calldata, value. */
export interface UnsignedTransaction {
  readonly to: string;
  readonly data: string;
  readonly value: bigint;
}

/** Transaction fields a caller may set when sending (gas, fees, nonce); `to`, `data` and `value` come from the SDK. */
export type SendOverrides = Omit<TransactionRequest, "to" | "data" | "value" | "from">;

/** A broadcast transaction. */
export interface SentTransaction<R = TransactionReceipt> {
  readonly hash: string;
  readonly response: TransactionResponse;
  /**
   * Waits until the transaction is mined (reads the chain) and returns its typed result. Throws
   * `RevertWithoutDataError` if it was mined but failed, `RpcError` if the provider fails.
   */
  wait(confirmations?: number): Promise<R>;
}

/** The typed TypeChain contract for a vault address. */
export const connectVault = (address: string, runner: ContractRunner): GuardedVault =>
  connectGuardedVault(address, runner);

/** Runs a chain read, mapping failures to SDK errors. */
export async function read<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toSdkError(e);
  }
}

/**
 * One `eth_call` at the latest block, straight to the node on a provider that passes JSON-RPC through
 * (no `eth_chainId` check before it, unlike a Contract call on a JsonRpcProvider); returns the raw result.
 * Failures are SDK errors (a revert is a revert error, a node failure an `RpcError`).
 */
export async function rawCall(provider: Provider, to: string, data: string): Promise<string> {
  const p = provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
  return read(async () => (typeof p.send === "function" ? ((await p.send("eth_call", [{ to, data }, "latest"])) as string) : provider.call({ to, data })));
}

/** The provider of a signer, or an error if it has none. */
export function providerOf(signer: Signer, provider?: Provider): Provider {
  const p = provider ?? signer.provider;
  if (!p) throw new InvalidInputError("signer", "the signer has no provider; connect it or pass `provider`");
  return p;
}

/** Signs and broadcasts `tx` with `signer` (any ethers v6 Signer: a Wallet, a JSON-RPC account, a KMS or HSM signer). */
export async function send<R>(
  signer: Signer,
  tx: UnsignedTransaction,
  parse: (receipt: TransactionReceipt) => R,
  overrides: SendOverrides = {},
): Promise<SentTransaction<R>> {
  let response: TransactionResponse;
  try {
    response = await signer.sendTransaction({ ...overrides, to: tx.to, data: tx.data, value: tx.value });
  } catch (e) {
    throw toSdkError(e);
  }
  return sentTransaction(response, parse);
}

/** Wraps a transaction response so that waiting maps errors and parses the receipt. */
export function sentTransaction<R>(response: TransactionResponse, parse: (receipt: TransactionReceipt) => R): SentTransaction<R> {
  return {
    hash: response.hash,
    response,
    async wait(confirmations = 1): Promise<R> {
      let receipt: TransactionReceipt | null;
      try {
        receipt = await response.wait(confirmations);
      } catch (e) {
        throw toSdkError(e);
      }
      if (!receipt) throw new VaultSdkError(`transaction ${response.hash} is not mined yet (waited for ${confirmations} confirmations)`);
      if (receipt.status !== 1) throw new RevertWithoutDataError("transaction reverted", { transactionHash: response.hash });
      return parse(receipt);
    },
  };
}

/** The receipt itself, for transactions whose result needs no parsing. */
export const asReceipt = (receipt: TransactionReceipt): TransactionReceipt => receipt;
