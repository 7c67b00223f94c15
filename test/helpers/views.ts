/**
 * The vault's read-only views that live in VaultLens (they decode the vault's raw storage), called with
 * the vault as first argument: `views.getWithdrawal(vault, id)`.
 */
import type { AddressLike, BigNumberish } from "ethers";
import { vaultLens } from "./fixture";

export const views = {
  getWithdrawal: async (vault: AddressLike, id: BigNumberish) => (await vaultLens()).getWithdrawal(vault, id),
  getChange: async (vault: AddressLike, id: BigNumberish) => (await vaultLens()).getChange(vault, id),
  policyWords: async (vault: AddressLike, operator: AddressLike, token: AddressLike) =>
    (await vaultLens()).policyWords(vault, operator, token),
  tokens: async (vault: AddressLike) => (await vaultLens()).tokens(vault),
  operators: async (vault: AddressLike) => (await vaultLens()).operators(vault),
  tripwire: async (vault: AddressLike) => (await vaultLens()).tripwire(vault),
  isSuspended: async (vault: AddressLike, operator: AddressLike) => (await vaultLens()).isSuspended(vault, operator),
  isTripwireOptedOut: async (vault: AddressLike, operator: AddressLike) => (await vaultLens()).isTripwireOptedOut(vault, operator),
};
