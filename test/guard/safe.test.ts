import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Contract } from "ethers";
import { ChangeKind, POLICY, Status, encodeChange } from "../helpers/fixture";
import { AdminTransactions, GuardianTransactions, type UnsignedTransaction } from "../../sdk/clients";
import { NotAdminOrGuardianError, UnrecognizedRevertError } from "../../sdk/errors";
import { GUARDIAN_ROLE } from "../../sdk/rules";
import {
  deploySafe,
  execSafeTransaction,
  execSignedSafeTransaction,
  safeSigningRequest,
  signSafeTransaction,
} from "../../sdk/safe";
import { safeGuardedFixture, vaultSnapshot, type SafeGuardedFixture } from "./helpers";
import { views } from "../helpers/views";

/** The vault with a queued withdrawal (id 1, bot1) and a change proposed by the admin Safe (the last id). */
async function withPendingItems(): Promise<SafeGuardedFixture & { withdrawalId: bigint; changeId: bigint }> {
  const f = await loadFixture(safeGuardedFixture);
  await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.instant * 2n);
  const withdrawalId = await f.vault.withdrawalCount();
  const admin = new AdminTransactions(f.vaultAddr);
  await execSafeTransaction({ safe: f.adminSafe, tx: admin.propose.approveDestination({ operator: f.bot1.address, destination: f.attacker.address }), owners: [f.adminOwners[1], f.adminOwners[2]] });
  return { ...f, withdrawalId, changeId: await f.vault.changeCount() };
}

/** Each guardian action as an unsigned transaction, with what it must have changed once executed. */
function actions(f: SafeGuardedFixture & { withdrawalId: bigint; changeId: bigint }) {
  const g = new GuardianTransactions(f.vaultAddr);
  return [
    { name: "pause", tx: g.pause(), check: async () => expect(await f.vault.paused()).to.equal(true) },
    { name: "cancel a queued withdrawal", tx: g.cancelWithdrawal(f.withdrawalId), check: async () => expect((await views.getWithdrawal(f.vault, f.withdrawalId)).status).to.equal(BigInt(Status.Cancelled)) },
    { name: "cancel a proposed change", tx: g.cancelChange(f.changeId), check: async () => expect((await views.getChange(f.vault, f.changeId)).status).to.equal(BigInt(Status.Cancelled)) },
    { name: "suspend", tx: g.suspendOperator(f.bot2.address), check: async () => expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(true) },
    {
      name: "evacuate",
      tx: g.evacuate({ token: f.usdtAddr, amount: "all" }),
      check: async () => {
        expect(await f.usdtToken.balanceOf(f.vaultAddr)).to.equal(0n);
        expect(await f.usdtToken.balanceOf(f.recovery.address)).to.equal(POLICY.funding.usdt);
      },
    },
  ] satisfies { name: string; tx: UnsignedTransaction; check: () => Promise<unknown> }[];
}

describe("guardian and admin roles held by real Safes", () => {
  it("a 2-of-3 Safe holds the guardian role through an executed AddGuardian change, another the admin role it accepted", async () => {
    const f = await loadFixture(safeGuardedFixture);
    expect(await f.vault.hasRole(GUARDIAN_ROLE, f.guardianSafeAddr)).to.equal(true);
    expect(await f.guardianSafe.getThreshold()).to.equal(2n);
    expect(await f.guardianSafe.getOwners()).to.deep.equal(f.guardianOwners.map((o) => o.address));
    expect(await f.vault.admin()).to.equal(f.adminSafeAddr);
    expect(await f.vault.pendingAdmin()).to.equal(ethers.ZeroAddress);
    const transferred = await f.vault.queryFilter(f.vault.filters.AdminTransferred());
    expect(transferred.map((e) => [e.args.previousAdmin, e.args.newAdmin])).to.deep.equal([[f.admin.address, f.adminSafeAddr]]);
    // The deployer's key is no longer the admin: only the Safe proposes now.
    await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.SetRecovery, encodeChange.address(f.admin.address)))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount");
    // No owner of either Safe holds a role on the vault by itself.
    for (const owner of [...f.guardianOwners, ...f.adminOwners]) {
      await expect(f.vault.connect(owner).pause()).to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian");
    }
  });

  for (const pair of [[0, 1], [1, 2], [2, 0]]) {
    it(`owners ${pair.join(" and ")} pause, cancel a withdrawal and a change, suspend and evacuate through execTransaction`, async () => {
      const f = await withPendingItems();
      const owners = pair.map((i) => f.guardianOwners[i]);
      for (const a of actions(f)) {
        const nonce = await f.guardianSafe.nonce();
        const receipt = await execSafeTransaction({ safe: f.guardianSafe, tx: a.tx, owners });
        expect(receipt.status, a.name).to.equal(1);
        expect(await f.guardianSafe.nonce(), a.name).to.equal(nonce + 1n);
        await a.check();
      }
      // The vault saw the Safe, not an owner, as the guardian that acted.
      const [paused] = await f.vault.queryFilter(f.vault.filters.VaultPaused());
      expect(paused.args.by).to.equal(f.guardianSafeAddr);
      const [cancelledW] = await f.vault.queryFilter(f.vault.filters.WithdrawalCancelled());
      expect(cancelledW.args.by).to.equal(f.guardianSafeAddr);
      const [cancelledC] = await f.vault.queryFilter(f.vault.filters.ChangeCancelled());
      expect(cancelledC.args.by).to.equal(f.guardianSafeAddr);
      const [evacuated] = await f.vault.queryFilter(f.vault.filters.Evacuated());
      expect([evacuated.args.to, evacuated.args.by]).to.deep.equal([f.recovery.address, f.guardianSafeAddr]);
    });
  }

  it("one owner alone cannot act: the Safe reverts GS020 and nothing changes on the vault", async () => {
    const f = await withPendingItems();
    const before = await vaultSnapshot(f);
    const nonce = await f.guardianSafe.nonce();
    for (const a of actions(f)) {
      for (const owner of f.guardianOwners) {
        await expect(execSafeTransaction({ safe: f.guardianSafe, tx: a.tx, owners: [owner] }), a.name).to.be.revertedWith("GS020");
      }
    }
    expect(await vaultSnapshot(f)).to.deep.equal(before);
    expect(await f.guardianSafe.nonce()).to.equal(nonce);
  });

  it("two signatures still need two distinct owners: a repeated owner or an outsider's signature is refused (GS026)", async () => {
    const f = await withPendingItems();
    const before = await vaultSnapshot(f);
    const tx = new GuardianTransactions(f.vaultAddr).pause();
    const request = safeSigningRequest({ chainId: f.chainId, safe: f.guardianSafeAddr, nonce: await f.guardianSafe.nonce(), tx });
    const sign = (s: HardhatEthersSigner) => signSafeTransaction(s, { chainId: f.chainId, safe: f.guardianSafeAddr, tx: request.safeTx });
    const owner = await sign(f.guardianOwners[0]);
    const outsider = await sign(f.attacker);
    for (const signatures of [[owner, owner], [owner, outsider]]) {
      const err = await execSignedSafeTransaction({ safe: f.guardianSafeAddr, safeTx: request.safeTx, signatures, executor: f.stranger }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(UnrecognizedRevertError);
      expect((err as UnrecognizedRevertError).reason).to.equal("Error(GS026)");
    }
    expect(await vaultSnapshot(f)).to.deep.equal(before);
  });

  it("a Safe that is not a guardian is refused by the vault even with every signature, and the typed error comes through the Safe", async () => {
    const f = await withPendingItems();
    const before = await vaultSnapshot(f);
    const rogue: Contract = await deploySafe({ deployer: f.stranger, owners: f.guardianOwners.map((o) => o.address), threshold: 2, saltNonce: 9n });
    const rogueAddr = await rogue.getAddress();
    const tx = new GuardianTransactions(f.vaultAddr).pause();
    const request = safeSigningRequest({ chainId: f.chainId, safe: rogueAddr, nonce: 0n, tx });
    const signatures = await Promise.all(f.guardianOwners.map((o) => signSafeTransaction(o, { chainId: f.chainId, safe: rogueAddr, tx: request.safeTx })));
    const err = await execSignedSafeTransaction({ safe: rogueAddr, safeTx: request.safeTx, signatures, executor: f.stranger }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NotAdminOrGuardianError);
    expect(err).to.have.nested.property("args.account", rogueAddr);
    expect(await vaultSnapshot(f)).to.deep.equal(before);
  });
});
