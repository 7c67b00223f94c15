import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  balanceOf,
  balances,
  ChangeKind,
  deployVaultFixture,
  encodeChange,
  KEYS,
  NATIVE,
  POLICY,
  proposeAndExecute,
  proposeOnly,
  Status,
  tokenOf,
  TripReason,
  type Key,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";

/** A small amount of each token, well inside every limit. */
const small = (k: Key): bigint => POLICY[k].instant / 10n;

describe("destination whitelist", () => {
  it("starts with the deployment's approvals, kept per operator", async () => {
    const f = await loadFixture(deployVaultFixture);
    expect(await f.vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(true);
    expect(await f.vault.isApproved(f.bot1.address, f.exchange2.address)).to.equal(false);
    expect(await f.vault.isApproved(f.bot2.address, f.exchange.address)).to.equal(true);
    expect(await f.vault.isApproved(f.bot2.address, f.exchange2.address)).to.equal(true);
    expect(await f.vault.isApproved(f.bot1.address, f.attacker.address)).to.equal(false);
    expect(await f.vault.isApproved(f.stranger.address, f.exchange.address)).to.equal(false);
  });

  for (const k of KEYS) {
    it(`approved destinations receive ${k} from each operator`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = tokenOf(f, k);
      const amount = small(k);
      const routes = [
        { bot: f.bot1, to: f.exchange },
        { bot: f.bot2, to: f.exchange },
        { bot: f.bot2, to: f.exchange2 },
      ];
      for (const { bot, to } of routes) {
        const vaultBefore = await balanceOf(f, k, f.vaultAddr);
        const toBefore = await balanceOf(f, k, to.address);
        expect(await f.vault.connect(bot).withdrawInstant.staticCall(token, to.address, amount)).to.equal(true);
        await expect(f.vault.connect(bot).withdrawInstant(token, to.address, amount))
          .to.emit(f.vault, "Withdrawn")
          .withArgs(bot.address, token, to.address, amount);
        expect(await balanceOf(f, k, f.vaultAddr)).to.equal(vaultBefore - amount);
        expect(await balanceOf(f, k, to.address)).to.equal(toBefore + amount);
      }
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    });
  }

  it("bot2's destination is not bot1's: sending there trips the tripwire and moves nothing", async () => {
    const f = await loadFixture(deployVaultFixture);
    const amount = small("usdt");
    const who = [f.vaultAddr, f.exchange2.address, f.exchange.address];
    const before = await balances(f, who);

    expect(await f.vault.connect(f.bot1).withdrawInstant.staticCall(f.usdtAddr, f.exchange2.address, amount)).to.equal(false);
    const tx = f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange2.address, amount);
    await expect(tx)
      .to.emit(f.vault, "TripwireFired")
      .withArgs(f.bot1.address, f.usdtAddr, TripReason.DestinationNotApproved, f.exchange2.address, amount);
    await expect(tx).to.emit(f.vault, "OperatorSuspended").withArgs(f.bot1.address, f.vaultAddr);
    await expect(tx).not.to.emit(f.vault, "Withdrawn");

    expect(await balances(f, who)).to.deep.equal(before);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
    expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).used).to.equal(0n);
    expect((await f.lens.tokenState(f.vault, f.usdtAddr)).used).to.equal(0n);
    // Only the offending operator is suspended; bot2 still reaches the same destination.
    expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange2.address, amount))
      .to.emit(f.vault, "Withdrawn")
      .withArgs(f.bot2.address, f.usdtAddr, f.exchange2.address, amount);
  });

  for (const k of KEYS) {
    it(`an unapproved destination trips on ${k} withdrawals with exact event args`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = tokenOf(f, k);
      const amount = small(k);
      const who = [f.vaultAddr, f.attacker.address];
      const before = await balances(f, who);

      const tx = f.vault.connect(f.bot2).withdrawInstant(token, f.attacker.address, amount);
      await expect(tx)
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot2.address, token, TripReason.DestinationNotApproved, f.attacker.address, amount);
      await expect(tx).to.emit(f.vault, "OperatorSuspended").withArgs(f.bot2.address, f.vaultAddr);

      expect(await balances(f, who)).to.deep.equal(before);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(true);
      await expect(f.vault.connect(f.bot2).withdrawInstant(token, f.exchange.address, amount))
        .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
        .withArgs(f.bot2.address);
    });
  }

  it("an unapproved destination trips on queueWithdrawal, which queues nothing", async () => {
    const f = await loadFixture(deployVaultFixture);
    const amount = POLICY.dai.instant * 2n;
    const before = await balances(f, [f.vaultAddr, f.attacker.address]);

    expect(await f.vault.connect(f.bot1).queueWithdrawal.staticCall(f.daiAddr, f.attacker.address, amount)).to.equal(0n);
    const tx = f.vault.connect(f.bot1).queueWithdrawal(f.daiAddr, f.attacker.address, amount);
    await expect(tx)
      .to.emit(f.vault, "TripwireFired")
      .withArgs(f.bot1.address, f.daiAddr, TripReason.DestinationNotApproved, f.attacker.address, amount);
    await expect(tx).to.emit(f.vault, "OperatorSuspended").withArgs(f.bot1.address, f.vaultAddr);
    await expect(tx).not.to.emit(f.vault, "WithdrawalQueued");

    expect(await f.vault.withdrawalCount()).to.equal(0n);
    expect((await f.lens.operatorState(f.vault, f.bot1.address, f.daiAddr)).pendingQueued).to.equal(0n);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
    expect(await balances(f, [f.vaultAddr, f.attacker.address])).to.deep.equal(before);
  });

  it("an operator opted out of the tripwire gets DestinationNotApproved reverts instead", async () => {
    const f = await loadFixture(deployVaultFixture);
    await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot1.address, true));
    expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(true);
    const before = await balances(f, [f.vaultAddr, f.exchange2.address]);

    for (const k of KEYS) {
      const token = tokenOf(f, k);
      await expect(f.vault.connect(f.bot1).withdrawInstant(token, f.exchange2.address, small(k)))
        .to.be.revertedWithCustomError(f.vault, "DestinationNotApproved")
        .withArgs(f.bot1.address, f.exchange2.address);
      await expect(f.vault.connect(f.bot1).queueWithdrawal(token, f.exchange2.address, POLICY[k].instant * 2n))
        .to.be.revertedWithCustomError(f.vault, "DestinationNotApproved")
        .withArgs(f.bot1.address, f.exchange2.address);
    }

    expect(await balances(f, [f.vaultAddr, f.exchange2.address])).to.deep.equal(before);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    expect(await f.vault.withdrawalCount()).to.equal(0n);
    // Not suspended: its approved destination still works.
    await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, small("usdt")))
      .to.emit(f.vault, "Withdrawn")
      .withArgs(f.bot1.address, f.usdtAddr, f.exchange.address, small("usdt"));
  });

  describe("revocation", () => {
    for (const by of ["guardian", "guardian2", "admin"] as const) {
      it(`${by} revokes a destination at once, for that operator only`, async () => {
        const f = await loadFixture(deployVaultFixture);
        await expect(f.vault.connect(f[by]).revokeDestination(f.bot2.address, f.exchange.address))
          .to.emit(f.vault, "DestinationRevoked")
          .withArgs(f.bot2.address, f.exchange.address);
        expect(await f.vault.isApproved(f.bot2.address, f.exchange.address)).to.equal(false);
        // bot1's approval of the same address and bot2's other destination are untouched.
        expect(await f.vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(true);
        expect(await f.vault.isApproved(f.bot2.address, f.exchange2.address)).to.equal(true);
        const amount = small("usdt");
        await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, amount)).to.emit(f.vault, "Withdrawn");
        await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange2.address, amount)).to.emit(f.vault, "Withdrawn");

        // In the very next block, bot2 sending to the revoked destination trips.
        const before = await balances(f, [f.vaultAddr, f.exchange.address]);
        await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, amount))
          .to.emit(f.vault, "TripwireFired")
          .withArgs(f.bot2.address, f.usdtAddr, TripReason.DestinationNotApproved, f.exchange.address, amount);
        expect(await balances(f, [f.vaultAddr, f.exchange.address])).to.deep.equal(before);
        expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(true);
      });
    }

    it("operators and strangers cannot revoke destinations", async () => {
      const f = await loadFixture(deployVaultFixture);
      for (const who of [f.bot1, f.bot2, f.stranger, f.recovery, f.exchange]) {
        await expect(f.vault.connect(who).revokeDestination(f.bot2.address, f.exchange2.address))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
      expect(await f.vault.isApproved(f.bot2.address, f.exchange2.address)).to.equal(true);
    });

    it("a revoked destination blocks executing a withdrawal queued to it; funds stay until it is approved again", async () => {
      const f = await loadFixture(deployVaultFixture);
      const amount = POLICY.usdt.instant * 2n;
      await f.vault.connect(f.bot2).queueWithdrawal(f.usdtAddr, f.exchange2.address, amount);
      const id = await f.vault.withdrawalCount();
      await f.vault.connect(f.guardian).revokeDestination(f.bot2.address, f.exchange2.address);
      await time.increaseTo((await views.getWithdrawal(f.vault, id)).eta);

      const before = await balances(f, [f.vaultAddr, f.exchange2.address]);
      await expect(f.vault.connect(f.bot2).executeWithdrawal(id))
        .to.be.revertedWithCustomError(f.vault, "DestinationNotApproved")
        .withArgs(f.bot2.address, f.exchange2.address);
      expect(await balances(f, [f.vaultAddr, f.exchange2.address])).to.deep.equal(before);
      expect((await views.getWithdrawal(f.vault, id)).status).to.equal(Status.Pending);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, f.usdtAddr)).pendingQueued).to.equal(amount);
      // A failed execution is a revert, not a tripwire.
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);

      // Approval is checked at execution time: once approved again, the same withdrawal goes through.
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot2.address, f.exchange2.address));
      await expect(f.vault.connect(f.bot2).executeWithdrawal(id))
        .to.emit(f.vault, "WithdrawalExecuted")
        .withArgs(id, f.bot2.address, f.usdtAddr, f.exchange2.address, amount);
      expect(await f.usdtToken.balanceOf(f.exchange2.address)).to.equal(before[1] + amount);
    });
  });

  describe("approval", () => {
    it("takes a proposal and the change delay", async () => {
      const f = await loadFixture(deployVaultFixture);
      const params = encodeChange.approveDestination(f.bot1.address, f.exchange2.address);
      const t = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(t);
      const eta = t + (await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.ApproveDestination, params))
        .to.emit(f.vault, "ChangeProposed")
        .withArgs(1n, ChangeKind.ApproveDestination, params, eta);
      const id = await f.vault.changeCount();
      expect(await f.vault.isApproved(f.bot1.address, f.exchange2.address)).to.equal(false);

      await time.setNextBlockTimestamp(eta - 1n);
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "ChangeNotReady")
        .withArgs(id, eta);
      expect(await f.vault.isApproved(f.bot1.address, f.exchange2.address)).to.equal(false);

      await time.setNextBlockTimestamp(eta);
      const tx = f.vault.connect(f.admin).executeChange(id);
      await expect(tx).to.emit(f.vault, "DestinationApproved").withArgs(f.bot1.address, f.exchange2.address);
      await expect(tx).to.emit(f.vault, "ChangeExecuted").withArgs(id, ChangeKind.ApproveDestination);
      expect(await f.vault.isApproved(f.bot1.address, f.exchange2.address)).to.equal(true);

      const amount = small("dai");
      const before = await f.daiToken.balanceOf(f.exchange2.address);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.daiAddr, f.exchange2.address, amount))
        .to.emit(f.vault, "Withdrawn")
        .withArgs(f.bot1.address, f.daiAddr, f.exchange2.address, amount);
      expect(await f.daiToken.balanceOf(f.exchange2.address)).to.equal(before + amount);
    });

    it("cannot be proposed or executed by guardians or operators", async () => {
      const f = await loadFixture(deployVaultFixture);
      const params = encodeChange.approveDestination(f.bot1.address, f.attacker.address);
      const adminRole = await f.vault.DEFAULT_ADMIN_ROLE();
      for (const who of [f.guardian, f.bot1, f.attacker]) {
        await expect(f.vault.connect(who).proposeChange(ChangeKind.ApproveDestination, params))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, adminRole);
      }
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.ApproveDestination, params);
      await time.increase(await f.vault.changeDelay());
      for (const who of [f.guardian, f.bot1, f.attacker]) {
        await expect(f.vault.connect(who).executeChange(id))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, adminRole);
      }
      expect(await f.vault.isApproved(f.bot1.address, f.attacker.address)).to.equal(false);
    });

    it("a guardian can cancel a pending approval, which then never takes effect", async () => {
      const f = await loadFixture(deployVaultFixture);
      const id = await proposeOnly(
        f.vault,
        f.admin,
        ChangeKind.ApproveDestination,
        encodeChange.approveDestination(f.bot1.address, f.attacker.address),
      );
      await expect(f.vault.connect(f.guardian2).cancelChange(id))
        .to.emit(f.vault, "ChangeCancelled")
        .withArgs(id, f.guardian2.address);
      await time.increase(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
        .withArgs(id, Status.Cancelled);
      expect(await f.vault.isApproved(f.bot1.address, f.attacker.address)).to.equal(false);
      expect((await views.getChange(f.vault, id)).status).to.equal(Status.Cancelled);

      const before = await balances(f, [f.vaultAddr, f.attacker.address]);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, small("usdt")))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.DestinationNotApproved, f.attacker.address, small("usdt"));
      expect(await balances(f, [f.vaultAddr, f.attacker.address])).to.deep.equal(before);
    });

    it("operators and strangers cannot cancel a pending approval", async () => {
      const f = await loadFixture(deployVaultFixture);
      const id = await proposeOnly(
        f.vault,
        f.admin,
        ChangeKind.ApproveDestination,
        encodeChange.approveDestination(f.bot1.address, f.exchange2.address),
      );
      for (const who of [f.bot1, f.stranger]) {
        await expect(f.vault.connect(who).cancelChange(id))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
      expect((await views.getChange(f.vault, id)).status).to.equal(Status.Pending);
    });
  });
});
