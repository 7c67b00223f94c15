/**
 * A Safe (v1.5.0, `@safe-global/safe-smart-account`) as the vault's admin or guardian: deployment from
 * that package's artifacts (carried in `abi/`), the EIP-712 data owners sign for a Safe transaction, and execution of an
 * SDK `UnsignedTransaction` through `execTransaction` with the owners' signatures.
 */
import {
  Contract,
  ContractFactory,
  TypedDataEncoder,
  ZeroAddress,
  concat,
  type Signer,
  type TransactionReceipt,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { safeAbi, safeBytecode, safeFallbackHandlerAbi, safeFallbackHandlerBytecode, safeProxyFactoryAbi, safeProxyFactoryBytecode } from "../abi";
import type { UnsignedTransaction } from "../clients/transport";

/** Every field of a Safe transaction, as its owners sign it. */
export interface SafeTransaction {
  readonly to: string;
  readonly value: bigint;
  readonly data: string;
  /** 0 = call; the vault never needs a delegatecall. */
  readonly operation: 0 | 1;
  readonly safeTxGas: bigint;
  readonly baseGas: bigint;
  readonly gasPrice: bigint;
  readonly gasToken: string;
  readonly refundReceiver: string;
  readonly nonce: bigint;
}

/** EIP-712 types of a Safe transaction (Safe v1.3+). */
export const SAFE_TX_TYPES: Record<string, TypedDataField[]> = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

/** A plain call through the Safe, no refund, at Safe nonce `nonce`. */
export function toSafeTransaction(tx: UnsignedTransaction, nonce: bigint): SafeTransaction {
  return {
    to: tx.to, value: tx.value, data: tx.data, operation: 0, safeTxGas: 0n, baseGas: 0n, gasPrice: 0n,
    gasToken: ZeroAddress, refundReceiver: ZeroAddress, nonce,
  };
}

/** The EIP-712 domain, types and message an owner signs for `tx` on the Safe at `safe`. */
export function safeTypedData(opts: { chainId: bigint; safe: string; tx: SafeTransaction }): {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  message: SafeTransaction;
} {
  return { domain: { chainId: opts.chainId, verifyingContract: opts.safe }, types: SAFE_TX_TYPES, message: opts.tx };
}

/** The Safe transaction hash (what `Safe.getTransactionHash` returns), computed offline. */
export function safeTransactionHash(opts: { chainId: bigint; safe: string; tx: SafeTransaction }): string {
  const { domain, types, message } = safeTypedData(opts);
  return TypedDataEncoder.hash(domain, types, message);
}

/** One owner's EIP-712 signature of `tx`. Works with any ethers Signer (hardware, KMS, ...). */
export async function signSafeTransaction(
  owner: Signer,
  opts: { chainId: bigint; safe: string; tx: SafeTransaction },
): Promise<{ owner: string; signature: string }> {
  const { domain, types, message } = safeTypedData(opts);
  return { owner: await owner.getAddress(), signature: await owner.signTypedData(domain, types, { ...message }) };
}

/** Concatenates owner signatures in ascending owner order, as `execTransaction` requires. */
export function packSignatures(signatures: readonly { owner: string; signature: string }[]): string {
  const sorted = [...signatures].sort((a, b) => (BigInt(a.owner) < BigInt(b.owner) ? -1 : 1));
  return concat(sorted.map((s) => s.signature));
}

/** EIP-712 types of a Safe message (what owners sign for the Safe's EIP-1271 `isValidSignature`). */
export const SAFE_MESSAGE_TYPES: Record<string, TypedDataField[]> = { SafeMessage: [{ name: "message", type: "bytes" }] };

/** The Safe message hash of `message` (for a 32-byte hash such as an approval digest: the hash itself), as the Safe computes it. */
export function safeMessageHash(opts: { chainId: bigint; safe: string; message: string }): string {
  return TypedDataEncoder.hash({ chainId: opts.chainId, verifyingContract: opts.safe }, SAFE_MESSAGE_TYPES, { message: opts.message });
}

/** One owner's EIP-712 signature of the Safe message `message` (any ethers Signer). */
export async function signSafeMessage(
  owner: Signer,
  opts: { chainId: bigint; safe: string; message: string },
): Promise<{ owner: string; signature: string }> {
  const signature = await owner.signTypedData({ chainId: opts.chainId, verifyingContract: opts.safe }, SAFE_MESSAGE_TYPES, { message: opts.message });
  return { owner: await owner.getAddress(), signature };
}

/**
 * Deploys a Safe singleton and proxy factory from the package's artifacts, then a Safe proxy owned by
 * `owners` with `threshold`. With `eip1271`, the Safe gets the compatibility fallback handler, through
 * which it answers `isValidSignature` (needed for a Safe that approves co-signed withdrawals). Reads and
 * writes the chain (for tests, demos and fresh networks).
 */
export async function deploySafe(opts: {
  deployer: Signer;
  owners: readonly string[];
  threshold: number;
  saltNonce?: bigint;
  eip1271?: boolean;
}): Promise<Contract> {
  const handler = opts.eip1271 ? await (await new ContractFactory(safeFallbackHandlerAbi, safeFallbackHandlerBytecode, opts.deployer).deploy()).getAddress() : ZeroAddress;
  const singleton = await new ContractFactory(safeAbi, safeBytecode, opts.deployer).deploy();
  const factory = (await new ContractFactory(
    safeProxyFactoryAbi,
    safeProxyFactoryBytecode,
    opts.deployer,
  ).deploy()) as Contract;
  const setup = singleton.interface.encodeFunctionData("setup", [
    opts.owners, opts.threshold, ZeroAddress, "0x", handler, ZeroAddress, 0, ZeroAddress,
  ]);
  const singletonAddr = await singleton.getAddress();
  const saltNonce = opts.saltNonce ?? 0n;
  const proxy: string = await factory.createProxyWithNonce.staticCall(singletonAddr, setup, saltNonce);
  await (await factory.createProxyWithNonce(singletonAddr, setup, saltNonce)).wait();
  return new Contract(proxy, safeAbi, opts.deployer);
}

/**
 * Executes `tx` through `safe` with EIP-712 signatures from `owners` (at least the threshold), sent by
 * `executor` (any account; defaults to the first owner). Reads the Safe's nonce and chain id, then sends.
 */
export async function execSafeTransaction(opts: {
  safe: Contract;
  tx: UnsignedTransaction;
  owners: readonly Signer[];
  executor?: Signer;
}): Promise<TransactionReceipt> {
  const safe = opts.safe;
  const safeAddr = await safe.getAddress();
  const executor = opts.executor ?? opts.owners[0];
  const provider = executor.provider;
  if (!provider) throw new Error("execSafeTransaction: the executor needs a provider");
  const chainId = (await provider.getNetwork()).chainId;
  const safeTx = toSafeTransaction(opts.tx, await safe.nonce());
  const signatures = await Promise.all(opts.owners.map((o) => signSafeTransaction(o, { chainId, safe: safeAddr, tx: safeTx })));
  const sent = await (safe.connect(executor) as Contract).execTransaction(
    safeTx.to, safeTx.value, safeTx.data, safeTx.operation, safeTx.safeTxGas, safeTx.baseGas, safeTx.gasPrice,
    safeTx.gasToken, safeTx.refundReceiver, packSignatures(signatures),
  );
  const receipt: TransactionReceipt | null = await sent.wait();
  if (!receipt) throw new Error("execSafeTransaction: no receipt");
  return receipt;
}
