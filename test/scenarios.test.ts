import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChangeKind,
  DAY,
  HOUR,
  NATIVE,
  POLICY,
  TripReason,
  deployVaultFixture,
  encodeChange,
  proposeAndExecute,
  proposeOnly,
  warpToNextBucket,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";
import { AdminClient, GuardianClient } from "../sdk/clients";

/** Vault balances of every asset, to measure what left. */
async function balances(f: VaultFixture) {
  return {
    usdt: await f.usdtToken.balanceOf(f.vaultAddr),
    dai: await f.daiToken.balanceOf(f.vaultAddr),
    eth: await ethers.provider.getBalance(f.vaultAddr),
  };
}

/** What the attacker's own address holds of every asset. */
async function attackerHoldings(f: VaultFixture) {
  return {
    usdt: await f.usdtToken.balanceOf(f.attacker.address),
    dai: await f.daiToken.balanceOf(f.attacker.address),
  };
}

describe("stolen-key scenarios", () => {
  describe("a stolen operator key (the Kronos case)", () => {
    it("draining to the attacker's own address moves nothing and trips the wire on the first call", async () => {
      const f = await loadFixture(deployVaultFixture);
      const before = await balances(f);
      // The attacker replays the bot's own withdrawal path with the stolen key, to itself.
      const tx = f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, POLICY.usdt.instant);
      await expect(tx)
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.DestinationNotApproved, f.attacker.address, POLICY.usdt.instant);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      // Every further attempt, on every path and asset, is refused.
      for (const token of [f.usdtAddr, f.daiAddr, NATIVE]) {
        await expect(f.vault.connect(f.bot1).withdrawInstant(token, f.exchange.address, 1n))
          .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended");
        await expect(f.vault.connect(f.bot1).queueWithdrawal(token, f.exchange.address, 1n))
          .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended");
      }
      expect(await balances(f)).to.deep.equal(before);
      expect(await attackerHoldings(f)).to.deep.equal({ usdt: 0n, dai: 0n });
    });

    it("many small withdrawals to an approved address: the rate tripwire stops it, and the outflow stays within the cap", async () => {
      const f = await loadFixture(deployVaultFixture);
      // Instant only: within [now, now + 24 h) at most one window of the cap (the queued bound is apart).
      const bound = (await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, DAY - 1n)).instant;
      expect(bound).to.equal(POLICY.usdt.cap);
      const before = await balances(f);
      const small = POLICY.usdt.cap / 100n;
      let moved = 0n;
      let trippedAt = -1;
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        // A scripted burst: 30 withdrawals in the same few seconds.
        const sent = [];
        for (let i = 0; i < 30; i++) {
          sent.push(await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, small, { gasLimit: 500_000 }));
        }
        await ethers.provider.send("evm_mine", []);
        let reverted = 0;
        for (let i = 0; i < sent.length; i++) {
          // Calls after the trip revert (the key is suspended): read receipts without throwing.
          const receipt = await ethers.provider.getTransactionReceipt(sent[i].hash);
          if (receipt!.status === 0) {
            reverted++;
            continue;
          }
          const names = receipt!.logs.map((l) => f.vault.interface.parseLog(l)?.name);
          if (names.includes("Withdrawn")) moved += small;
          if (names.includes("TripwireFired") && trippedAt < 0) trippedAt = i;
        }
        expect(reverted).to.equal(30 - POLICY.tripwireMaxCount - 1);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      expect(trippedAt).to.equal(POLICY.tripwireMaxCount);
      expect(moved).to.equal(small * BigInt(POLICY.tripwireMaxCount));
      expect(moved).to.be.lte(bound);
      expect(before.usdt - (await balances(f)).usdt).to.equal(moved);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
    });

    it("patient small withdrawals under the rate rule still never move more than the cap in any 24 h", async () => {
      const f = await loadFixture(deployVaultFixture);
      const bound = (await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, DAY)).total;
      const before = (await balances(f)).usdt;
      const start = await time.latest();
      const small = POLICY.usdt.instant;
      let moved = 0n;
      // One withdrawal every 61 s, as long as the vault lets it through without tripping.
      for (;;) {
        const available = await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr);
        if (available < small) break;
        await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, small);
        moved += small;
        await time.increase(61);
      }
      // The next one trips: over the cap.
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, small))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.CapExceeded, f.exchange.address, small);
      expect((await time.latest()) - start).to.be.lt(Number(DAY));
      expect(moved).to.equal(POLICY.usdt.cap);
      expect(moved).to.be.lte(bound);
      expect(before - (await balances(f)).usdt).to.equal(moved);
    });

    it("racing the window boundary gets no second cap: an opted-out key spends the cap before a bucket edge and is refused after it", async () => {
      const f = await loadFixture(deployVaultFixture);
      // An operator that prefers reverts: the attacker can keep trying without being suspended.
      await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot1.address, true));
      const before = (await balances(f)).usdt;
      const bucket = (await f.vault.window()) / 3n;
      await warpToNextBucket(f.vault, bucket - 8n * 62n);
      for (let i = 0; i < 4; i++) {
        await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
        await time.increase(61);
      }
      const firstSpend = BigInt(await time.latest()) - 4n * 61n;
      // Every later attempt within the window, right after each bucket edge, is refused.
      let t = BigInt(await time.latest());
      while (t < firstSpend + DAY - 2n) {
        await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant))
          .to.be.revertedWithCustomError(f.vault, "CapExceeded");
        await warpToNextBucket(f.vault, 1n);
        await ethers.provider.send("evm_mine", []);
        t = BigInt(await time.latest());
      }
      expect(before - (await balances(f)).usdt).to.equal(POLICY.usdt.cap);
    });

    it("queueing a large withdrawal is visible for a full day and a guardian cancels it: nothing moves", async () => {
      const f = await loadFixture(deployVaultFixture);
      const before = await balances(f);
      const amount = POLICY.usdt.queueCap;
      const tx = await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, amount);
      const receipt = await tx.wait();
      const queued = receipt!.logs.map((l) => f.vault.interface.parseLog(l)).find((l) => l?.name === "WithdrawalQueued");
      expect(queued!.args.amount).to.equal(amount);
      const id = queued!.args.id as bigint;
      // The key cannot execute early.
      await time.increase(POLICY.withdrawalDelay - 60n);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id)).to.be.revertedWithCustomError(f.vault, "WithdrawalNotReady");
      await f.vault.connect(f.guardian).cancelWithdrawal(id);
      await time.increase(120);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id)).to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending");
      expect(await balances(f)).to.deep.equal(before);
    });

    it("everything at once over 48 h, with no guardian action, stays within the exposure read beforehand", async () => {
      const f = await loadFixture(deployVaultFixture);
      const horizon = 2n * DAY;
      const bound = (await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, horizon)).total;
      const before = (await balances(f)).usdt;
      const start = BigInt(await time.latest());
      // Fill the queue at once, spend the cap, and keep doing both whenever the vault allows.
      const ids: bigint[] = [];
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
      ids.push(await f.vault.withdrawalCount());
      while (BigInt(await time.latest()) < start + horizon - HOUR) {
        const available = await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr);
        if (available > 0n) await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, available);
        for (const id of [...ids]) {
          const w = await views.getWithdrawal(f.vault, id);
          if (w.status === 1n && BigInt(await time.latest()) >= w.eta) {
            await f.vault.connect(f.bot1).executeWithdrawal(id);
            await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
            ids.push(await f.vault.withdrawalCount());
          }
        }
        await time.increase(HOUR);
      }
      const moved = before - (await balances(f)).usdt;
      expect(moved).to.be.gt(0n);
      expect(moved).to.be.lte(bound);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    });
  });

  describe("rotating an operator key (the README's runbook)", () => {
    it("propose the new key, remove the old one at once: the old key moves nothing from that block on", async () => {
      const f = await loadFixture(deployVaultFixture);
      // bot1's key is suspected: it had a large withdrawal queued.
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
      const newKey = f.stranger;
      const admin = new AdminClient({ vault: f.vaultAddr, signer: f.admin });
      const guardian = new GuardianClient({ vault: f.vaultAddr, signer: f.guardian });
      // 1. The admin proposes the new key's limits and destination.
      const limits = await (await admin.propose.setOperatorLimits({ operator: newKey.address, token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap })).wait();
      const destination = await (await admin.propose.approveDestination({ operator: newKey.address, destination: f.exchange.address })).wait();
      // 2. At once, a guardian removes the old key: its queued withdrawal is cancelled, its calls refused.
      await (await guardian.removeOperator(f.bot1.address)).wait();
      expect((await views.getWithdrawal(f.vault, 1n)).status).to.equal(3n);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 1n))
        .to.be.revertedWithCustomError(f.vault, "NotOperator");
      const exposure = await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, 7n * DAY);
      expect(exposure.total).to.equal(0n);
      // Nothing of the new key works before its delay.
      await expect(admin.execute(limits.id)).to.be.rejected;
      // 3. After the change delay, the admin executes; the bot switches to the new key.
      await time.increase(POLICY.changeDelay);
      await (await admin.execute(limits.id)).wait();
      await (await admin.execute(destination.id)).wait();
      await expect(f.vault.connect(newKey).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant))
        .to.emit(f.vault, "Withdrawn").withArgs(newKey.address, f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      expect(await views.operators(f.vault)).to.deep.equal([f.bot2.address, newKey.address]);
      await time.increase(POLICY.withdrawalDelay);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(1n)).to.be.revertedWithCustomError(f.vault, "NotOperator");
    });
  });

  describe("a stolen guardian key", () => {
    it("can pause, cancel, suspend and evacuate, and every fund it moves lands at the recovery address", async () => {
      const f = await loadFixture(deployVaultFixture);
      const before = await balances(f);
      const g = f.vault.connect(f.guardian);
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.instant * 2n);
      await g.cancelWithdrawal(await f.vault.withdrawalCount());
      await g.suspendOperator(f.bot2.address);
      await g.pause();
      await g.evacuate(f.usdtAddr, ethers.MaxUint256);
      await g.evacuate(NATIVE, POLICY.funding.eth);
      expect(await f.usdtToken.balanceOf(f.recovery.address)).to.equal(before.usdt);
      expect(await ethers.provider.getBalance(f.vaultAddr)).to.equal(before.eth - POLICY.funding.eth);
      expect(await attackerHoldings(f)).to.deep.equal({ usdt: 0n, dai: 0n });
    });

    it("cannot move funds anywhere else, change the recovery address, or give itself other powers", async () => {
      const f = await loadFixture(deployVaultFixture);
      const before = await balances(f);
      const g = f.vault.connect(f.guardian);
      await expect(g.withdrawInstant(f.usdtAddr, f.attacker.address, 1n)).to.be.revertedWithCustomError(f.vault, "NotOperator");
      await expect(g.queueWithdrawal(f.usdtAddr, f.attacker.address, 1n)).to.be.revertedWithCustomError(f.vault, "NotOperator");
      await expect(g.proposeChange(ChangeKind.SetRecovery, encodeChange.address(f.attacker.address)))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount");
      await expect(g.proposeChange(ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.attacker.address)))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount");
      await expect(g.grantRole(await f.vault.DEFAULT_ADMIN_ROLE(), f.attacker.address))
        .to.be.revertedWithCustomError(f.vault, "RoleChangeRequiresProposal");
      await expect(g.lengthenDelays(Number(DAY), Number(DAY))).to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount");
      // Lowering limits is allowed (safety-increasing) but raising is not.
      await expect(g.lowerOperatorLimits({
        operator: f.bot1.address, token: f.usdtAddr, cap: POLICY.usdt.cap * 2n, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap,
      })).to.be.revertedWithCustomError(f.vault, "NotALowering");
      expect(await f.vault.recovery()).to.equal(f.recovery.address);
      expect(await balances(f)).to.deep.equal(before);
      expect(await attackerHoldings(f)).to.deep.equal({ usdt: 0n, dai: 0n });
    });
  });

  describe("a stolen admin key", () => {
    it("every risk-increasing change waits for the delay, a guardian cancels them all, and nothing leaves beyond the operators' bounds", async () => {
      const f = await loadFixture(deployVaultFixture);
      const before = await balances(f);
      const botBound = (await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, DAY)).total
        + (await f.lens.operatorExposure(f.vault, f.bot2.address, f.usdtAddr, DAY)).total;
      const a = f.admin;
      // The attacker tries every path towards the funds.
      const ids = [
        await proposeOnly(f.vault, a, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.attacker.address)),
        await proposeOnly(f.vault, a, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({
          operator: f.attacker.address, token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: 0n,
        })),
        await proposeOnly(f.vault, a, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.attacker.address, f.attacker.address)),
        await proposeOnly(f.vault, a, ChangeKind.SetRecovery, encodeChange.address(f.attacker.address)),
        await proposeOnly(f.vault, a, ChangeKind.SetVaultCap, encodeChange.setVaultCap(f.usdtAddr, POLICY.usdt.vaultCap * 10n)),
        await proposeOnly(f.vault, a, ChangeKind.SetDelays, encodeChange.setDelays(HOUR, HOUR)),
        await proposeOnly(f.vault, a, ChangeKind.TransferAdmin, encodeChange.address(f.attacker.address)),
      ];
      // Removing a guardian would leave one: refused outright, so two guardians can veto everything above.
      await expect(f.vault.connect(a).proposeChange(ChangeKind.RemoveGuardian, encodeChange.address(f.guardian.address)))
        .to.be.revertedWithCustomError(f.vault, "TooFewGuardians").withArgs(2);
      // Nothing takes effect early.
      for (const id of ids) {
        await expect(f.vault.connect(a).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady");
      }
      // The admin has no function that moves funds; the bots keep working within their bounds meanwhile.
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange2.address, POLICY.usdt.instant);
      // Guardians cancel everything; guardian2 cancels guardian's removal (guardian may not).
      for (const id of ids) {
        const change = await views.getChange(f.vault, id);
        const canceller = change.kind === BigInt(ChangeKind.RemoveGuardian) ? f.guardian2 : f.guardian;
        await f.vault.connect(canceller).cancelChange(id);
      }
      await time.increase(DAY + HOUR);
      for (const id of ids) {
        await expect(f.vault.connect(a).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeNotPending");
      }
      await expect(f.vault.connect(f.attacker).withdrawInstant(f.usdtAddr, f.attacker.address, 1n))
        .to.be.revertedWithCustomError(f.vault, "NotOperator");
      expect(await f.vault.recovery()).to.equal(f.recovery.address);
      expect(await f.vault.pendingAdmin()).to.equal(ethers.ZeroAddress);
      const left = before.usdt - (await balances(f)).usdt;
      expect(left).to.equal(POLICY.usdt.instant * 2n);
      expect(left).to.be.lte(botBound);
      expect(await attackerHoldings(f)).to.deep.equal({ usdt: 0n, dai: 0n });
    });

    it("cannot unpause or unsuspend at once after guardians froze the vault", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).pause();
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      const unpause = await proposeOnly(f.vault, f.admin, ChangeKind.Unpause, encodeChange.unpause());
      const unsuspend = await proposeOnly(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot1.address));
      await expect(f.vault.connect(f.admin).executeChange(unpause)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady");
      await f.vault.connect(f.guardian).cancelChange(unpause);
      await f.vault.connect(f.guardian).cancelChange(unsuspend);
      await time.increase(DAY + 1n);
      await expect(f.vault.connect(f.admin).executeChange(unpause)).to.be.revertedWithCustomError(f.vault, "ChangeNotPending");
      expect(await f.vault.paused()).to.equal(true);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
    });
  });
});
