import { expect } from "chai";
import { ethers } from "hardhat";
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { verifyMessage, verifyTypedData, type Signer } from "ethers";
import { ChangeKind, POLICY, deployVaultFixture, encodeChange, proposeAndExecute, type VaultFixture } from "../helpers/fixture";

/**
 * A `loadFixture` fixture: the plain fixture vault with a key-store account (`address()`, read when the
 * fixture first runs) funded for gas, a USDT operator at the fixture's limits, allowed to pay `exchange`.
 * Create it once per suite: `loadFixture` keeps a snapshot per fixture function.
 */
export function vaultWithOperatorFixture(address: () => string): () => Promise<VaultFixture> {
  return async function vaultWithKeyStoreOperator() {
    const f = await deployVaultFixture();
    const operator = address();
    await setBalance(operator, 10n ** 20n);
    await proposeAndExecute(
      f.vault,
      f.admin,
      ChangeKind.SetOperatorLimits,
      encodeChange.setOperatorLimits({ operator, token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap }),
    );
    await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(operator, f.exchange.address));
    return f;
  };
}

/** The signer's EIP-191 message and EIP-712 typed-data signatures recover, through ethers, to its address. */
export async function expectSignaturesRecover(signer: Signer & { readonly address: string }, text: string): Promise<void> {
  expect(verifyMessage(text, await signer.signMessage(text))).to.equal(signer.address);
  const domain = { name: "Vault", chainId: 31337 };
  const types = { Note: [{ name: "text", type: "string" }] };
  expect(verifyTypedData(domain, types, { text }, await signer.signTypedData(domain, types, { text }))).to.equal(signer.address);
}
