/**
 * The compiled contracts the SDK talks to, carried in the package (generated from the build artifacts by
 * `npm run gen:sdk-abi`; a test fails if they drift): ABIs, creation code, the TypeChain contract types,
 * and typed contract objects for an address.
 */
import { Contract, Interface, type ContractRunner } from "ethers";
import { erc20MetadataAbi } from "./generated/erc20-metadata";
import { guardedVaultAbi } from "./generated/guarded-vault";
import { vaultFactoryAbi } from "./generated/vault-factory";
import type { GuardedVault, GuardedVaultInterface } from "./types/GuardedVault";
import type { IERC20Metadata, IERC20MetadataInterface } from "./types/IERC20Metadata";
import type { VaultFactory, VaultFactoryInterface } from "./types/VaultFactory";

export { erc20MetadataAbi } from "./generated/erc20-metadata";
export { guardedVaultAbi, guardedVaultBytecode, guardedVaultRuntimeSize } from "./generated/guarded-vault";
export { vaultFactoryAbi, vaultFactoryBytecode } from "./generated/vault-factory";
export { safeAbi, safeBytecode } from "./generated/safe";
export { safeProxyFactoryAbi, safeProxyFactoryBytecode } from "./generated/safe-proxy-factory";
export { safeFallbackHandlerAbi, safeFallbackHandlerBytecode } from "./generated/safe-fallback-handler";
export type { GuardedVault, GuardedVaultInterface, IGuardedVault } from "./types/GuardedVault";
export type { IERC20Metadata, IERC20MetadataInterface } from "./types/IERC20Metadata";
export type { VaultFactory, VaultFactoryInterface } from "./types/VaultFactory";
export type { TypedContractEvent, TypedContractMethod, TypedEventLog } from "./types/common";

/** The vault's ABI as an ethers `Interface`, for encoding calls and decoding logs without a network. */
export const guardedVaultInterface = new Interface(guardedVaultAbi) as unknown as GuardedVaultInterface;
export const vaultFactoryInterface = new Interface(vaultFactoryAbi) as unknown as VaultFactoryInterface;
export const erc20MetadataInterface = new Interface(erc20MetadataAbi) as unknown as IERC20MetadataInterface;

/** The typed vault contract at `address`. */
export const connectGuardedVault = (address: string, runner: ContractRunner | null): GuardedVault =>
  new Contract(address, guardedVaultAbi, runner) as unknown as GuardedVault;

/** The typed factory contract at `address`. */
export const connectVaultFactory = (address: string, runner: ContractRunner | null): VaultFactory =>
  new Contract(address, vaultFactoryAbi, runner) as unknown as VaultFactory;

/** An ERC-20 token with its metadata (`decimals`, `symbol`) at `address`. */
export const connectErc20 = (address: string, runner: ContractRunner | null): IERC20Metadata =>
  new Contract(address, erc20MetadataAbi, runner) as unknown as IERC20Metadata;
