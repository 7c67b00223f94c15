/**
 * Everything the SDK throws is a `VaultSdkError`: input errors, RPC errors, one generated class per custom
 * error of the vault, and the functions that classify what ethers or a node throws.
 */
export * from "./base";
export * from "./generated";
export { decodeVaultError, toSdkError, vaultError, vaultErrorFromData } from "./revert";
