import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Contract } from "ethers";
import { ChangeKind, POLICY, deployVaultFixture, encodeChange, proposeAndExecute } from "../helpers/fixture";
import { AdminTransactions, GuardianTransactions, type UnsignedTransaction } from "../../sdk/clients";
import { deploySafe, execSafeTransaction } from "../../sdk/safe";
import { views } from "../helpers/views";

/** A Safe owned by `owners` with threshold = all of them. */
async function deployAllOf(owners: HardhatEthersSigner[]): Promise<Contract> {
  const [deployer] = await ethers.getSigners();
  return deploySafe({ deployer, owners: owners.map((o) => o.address), threshold: owners.length, saltNonce: 1n });
}

/** Every owner signs the Safe transaction for `tx` (EIP-712), and the first executes it. */
async function execThroughSafe(safe: Contract, owners: HardhatEthersSigner[], tx: UnsignedTransaction): Promise<void> {
  await execSafeTransaction({ safe, tx, owners });
}

describe("SDK unsigned transactions through a Safe", () => {
  it("a 2-of-2 guardian Safe pauses the vault, and an admin Safe accepts the role and proposes a change", async () => {
    const f = await loadFixture(deployVaultFixture);
    const guardians = await deployAllOf([f.guardian, f.guardian2]);
    const guardianSafe = await guardians.getAddress();
    await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(guardianSafe));

    const g = new GuardianTransactions(f.vaultAddr);
    await execThroughSafe(guardians, [f.guardian, f.guardian2], g.suspendOperator(f.bot1.address));
    await execThroughSafe(guardians, [f.guardian, f.guardian2], g.pause());
    expect(await f.vault.paused()).to.equal(true);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
    const events = await f.vault.queryFilter(f.vault.filters.VaultPaused());
    expect(events.map((e) => e.args.by)).to.deep.equal([guardianSafe]);

    const adminSafe = await deployAllOf([f.admin, f.stranger]);
    const adminSafeAddr = await adminSafe.getAddress();
    await proposeAndExecute(f.vault, f.admin, ChangeKind.TransferAdmin, encodeChange.address(adminSafeAddr));
    const a = new AdminTransactions(f.vaultAddr);
    await execThroughSafe(adminSafe, [f.admin, f.stranger], a.acceptAdmin());
    expect(await f.vault.admin()).to.equal(adminSafeAddr);
    await execThroughSafe(adminSafe, [f.stranger, f.admin], a.propose.setVaultCap({ token: f.usdtAddr, vaultCap: POLICY.usdt.vaultCap * 2n }));
    const change = await views.getChange(f.vault, await f.vault.changeCount());
    expect(change.kind).to.equal(BigInt(ChangeKind.SetVaultCap));
    expect(change.params).to.equal(encodeChange.setVaultCap(f.usdtAddr, POLICY.usdt.vaultCap * 2n));
  });
});
