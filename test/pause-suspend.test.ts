import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
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
  type Key,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";

const small = (k: Key): bigint => POLICY[k].instant / 10n;
const big = (k: Key): bigint => POLICY[k].instant * 2n;

/** Queues one withdrawal of every token for `bot`; returns the ids in KEYS order. */
async function queueEveryToken(f: VaultFixture, bot: HardhatEthersSigner): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (const k of KEYS) {
    await f.vault.connect(bot).queueWithdrawal(tokenOf(f, k), f.exchange.address, big(k));
    ids.push(await f.vault.withdrawalCount());
  }
  return ids;
}

/** Lists a fresh 18-decimal token with DAI's policy, funds the vault with it and returns it. */
async function listNewToken(f: VaultFixture) {
  const token = await ethers.deployContract("MockERC20", ["New (mock)", "NEW", 18]);
  const addr = await token.getAddress();
  await proposeAndExecute(f.vault, f.admin, ChangeKind.ListToken, encodeChange.listToken(addr, POLICY.dai.unitDecimals, POLICY.dai.vaultCap));
  await token.mint(f.vaultAddr, POLICY.funding.dai);
  return { token, addr };
}

async function grantDaiLikeLimits(f: VaultFixture, bot: HardhatEthersSigner, token: string): Promise<void> {
  await proposeAndExecute(
    f.vault,
    f.admin,
    ChangeKind.SetOperatorLimits,
    encodeChange.setOperatorLimits({
      operator: bot.address,
      token,
      cap: POLICY.dai.cap,
      instantLimit: POLICY.dai.instant,
      queueCap: POLICY.dai.queueCap,
    }),
  );
}

describe("pause and suspension", () => {
  describe("pause", () => {
    for (const by of ["guardian", "guardian2", "admin"] as const) {
      it(`${by} can pause at once`, async () => {
        const f = await loadFixture(deployVaultFixture);
        await expect(f.vault.connect(f[by]).pause()).to.emit(f.vault, "VaultPaused").withArgs(f[by].address);
        expect(await f.vault.paused()).to.equal(true);
        await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, small("usdt"))).to.be.revertedWithCustomError(
          f.vault,
          "VaultIsPaused",
        );
      });
    }

    it("operators, strangers and the recovery address cannot pause", async () => {
      const f = await loadFixture(deployVaultFixture);
      for (const who of [f.bot1, f.bot2, f.stranger, f.attacker, f.recovery, f.exchange]) {
        await expect(f.vault.connect(who).pause()).to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian").withArgs(who.address);
      }
      expect(await f.vault.paused()).to.equal(false);
    });

    it("stops every operator path for every token, without suspending anyone", async () => {
      const f = await loadFixture(deployVaultFixture);
      const ids1 = await queueEveryToken(f, f.bot1);
      const ids2 = await queueEveryToken(f, f.bot2);
      await f.vault.connect(f.guardian).pause();
      await time.increase(await f.vault.withdrawalDelay());
      const who = [f.vaultAddr, f.exchange.address, f.exchange2.address];
      const before = await balances(f, who);
      const countBefore = await f.vault.withdrawalCount();

      for (const [bot, ids] of [
        [f.bot1, ids1],
        [f.bot2, ids2],
      ] as const) {
        for (const [i, k] of KEYS.entries()) {
          const token = tokenOf(f, k);
          await expect(f.vault.connect(bot).withdrawInstant(token, f.exchange.address, small(k))).to.be.revertedWithCustomError(
            f.vault,
            "VaultIsPaused",
          );
          await expect(f.vault.connect(bot).queueWithdrawal(token, f.exchange.address, big(k))).to.be.revertedWithCustomError(
            f.vault,
            "VaultIsPaused",
          );
          await expect(f.vault.connect(bot).executeWithdrawal(ids[i])).to.be.revertedWithCustomError(f.vault, "VaultIsPaused");
          expect((await views.getWithdrawal(f.vault, ids[i])).status).to.equal(Status.Pending);
          expect(await f.lens.availableNow(f.vault, bot.address, token)).to.equal(0n);
        }
      }
      // Even a policy-breaking call is stopped by the pause before the tripwire looks at it.
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, small("usdt"))).to.be.revertedWithCustomError(
        f.vault,
        "VaultIsPaused",
      );

      expect(await balances(f, who)).to.deep.equal(before);
      expect(await f.vault.withdrawalCount()).to.equal(countBefore);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    });

    it("is idempotent: pausing again changes nothing and one unpause change lifts it", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).pause();
      await expect(f.vault.connect(f.guardian2).pause()).not.to.emit(f.vault, "VaultPaused");
      await expect(f.vault.connect(f.admin).pause()).not.to.emit(f.vault, "VaultPaused");
      expect(await f.vault.paused()).to.equal(true);

      await proposeAndExecute(f.vault, f.admin, ChangeKind.Unpause, encodeChange.unpause());
      expect(await f.vault.paused()).to.equal(false);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.daiAddr, f.exchange.address, small("dai")))
        .to.emit(f.vault, "Withdrawn")
        .withArgs(f.bot1.address, f.daiAddr, f.exchange.address, small("dai"));
    });

    it("unpauses only through an executed change after the change delay", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).pause();
      const t = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(t);
      const eta = t + BigInt(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.Unpause, "0x"))
        .to.emit(f.vault, "ChangeProposed")
        .withArgs(1n, ChangeKind.Unpause, "0x", eta);
      const id = await f.vault.changeCount();

      await time.setNextBlockTimestamp(eta - 2n);
      await expect(f.vault.connect(f.bot1).withdrawInstant(NATIVE, f.exchange.address, small("eth"))).to.be.revertedWithCustomError(
        f.vault,
        "VaultIsPaused",
      );
      await time.setNextBlockTimestamp(eta - 1n);
      await expect(f.vault.connect(f.admin).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady").withArgs(id, eta);
      expect(await f.vault.paused()).to.equal(true);

      await time.setNextBlockTimestamp(eta);
      const tx = f.vault.connect(f.admin).executeChange(id);
      await expect(tx).to.emit(f.vault, "VaultUnpaused");
      await expect(tx).to.emit(f.vault, "ChangeExecuted").withArgs(id, ChangeKind.Unpause);
      expect(await f.vault.paused()).to.equal(false);
      for (const k of KEYS) {
        await expect(f.vault.connect(f.bot1).withdrawInstant(tokenOf(f, k), f.exchange.address, small(k))).to.emit(f.vault, "Withdrawn");
      }
    });

    it("guardians and operators cannot propose or execute an unpause", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).pause();
      const adminRole = await f.vault.DEFAULT_ADMIN_ROLE();
      for (const who of [f.guardian, f.bot1]) {
        await expect(f.vault.connect(who).proposeChange(ChangeKind.Unpause, "0x"))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, adminRole);
      }
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.Unpause, "0x");
      await time.increase(await f.vault.changeDelay());
      await expect(f.vault.connect(f.guardian).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.guardian.address, adminRole);
      expect(await f.vault.paused()).to.equal(true);
    });

    it("a guardian can cancel a pending unpause, keeping the vault paused", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.admin).pause();
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.Unpause, "0x");
      await expect(f.vault.connect(f.guardian).cancelChange(id)).to.emit(f.vault, "ChangeCancelled").withArgs(id, f.guardian.address);
      await time.increase(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
        .withArgs(id, Status.Cancelled);
      expect(await f.vault.paused()).to.equal(true);
      await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, small("usdt"))).to.be.revertedWithCustomError(
        f.vault,
        "VaultIsPaused",
      );
    });

    it("a spare Unpause proposed during an earlier pause cannot lift a later one (ChangeOutdated)", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).pause();
      const first = await proposeOnly(f.vault, f.admin, ChangeKind.Unpause, encodeChange.unpause());
      const spare = await proposeOnly(f.vault, f.admin, ChangeKind.Unpause, encodeChange.unpause());
      await time.increase(POLICY.changeDelay);
      await f.vault.connect(f.admin).executeChange(first);
      expect(await f.vault.paused()).to.equal(false);
      // A new emergency: the guardian pauses again; the spare must not end it at once.
      await f.vault.connect(f.guardian).pause();
      await expect(f.vault.connect(f.admin).executeChange(spare))
        .to.be.revertedWithCustomError(f.vault, "ChangeOutdated").withArgs(spare);
      expect(await f.vault.paused()).to.equal(true);
      expect((await views.getChange(f.vault, spare)).status).to.equal(BigInt(Status.Pending));
      // Lifting this pause takes a new proposal and its full delay.
      const fresh = await proposeOnly(f.vault, f.admin, ChangeKind.Unpause, encodeChange.unpause());
      await expect(f.vault.connect(f.admin).executeChange(fresh)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady");
      await time.increase(POLICY.changeDelay);
      await f.vault.connect(f.admin).executeChange(fresh);
      expect(await f.vault.paused()).to.equal(false);
    });

    it("a spare UnsuspendOperator proposed during an earlier suspension cannot lift a later one (ChangeOutdated)", async () => {
      const f = await loadFixture(deployVaultFixture);
      // The stolen key trips, the admin (or whoever holds its key) proposes the unsuspension twice.
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, 1n);
      const arg = encodeChange.address(f.bot1.address);
      const first = await proposeOnly(f.vault, f.admin, ChangeKind.UnsuspendOperator, arg);
      const spare = await proposeOnly(f.vault, f.admin, ChangeKind.UnsuspendOperator, arg);
      await time.increase(POLICY.changeDelay);
      await f.vault.connect(f.admin).executeChange(first);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      // It trips again; the spare must not end the new suspension at once.
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, 1n);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      await expect(f.vault.connect(f.admin).executeChange(spare))
        .to.be.revertedWithCustomError(f.vault, "ChangeOutdated").withArgs(spare);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      // Another operator's suspension history is its own.
      await f.vault.connect(f.guardian).suspendOperator(f.bot2.address);
      const bot2 = await proposeOnly(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot2.address));
      await time.increase(POLICY.changeDelay);
      await f.vault.connect(f.admin).executeChange(bot2);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    });

    it("an Unpause proposal while not paused reverts NotPaused", async () => {
      const f = await loadFixture(deployVaultFixture);
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.Unpause, "0x")).to.be.revertedWithCustomError(f.vault, "NotPaused");
      expect(await f.vault.changeCount()).to.equal(0n);
    });

    it("evacuation still works while paused", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).pause();
      const amount = big("usdt");
      await expect(f.vault.connect(f.guardian).evacuate(f.usdtAddr, amount)).to.changeTokenBalances(
        f.usdtToken,
        [f.vaultAddr, f.recovery.address],
        [-amount, amount],
      );
    });

    it("a token listed while paused is paused too", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).pause();
      const { token, addr } = await listNewToken(f);
      await grantDaiLikeLimits(f, f.bot1, addr);
      const amount = small("dai");
      const before = await token.balanceOf(f.vaultAddr);

      await expect(f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, amount)).to.be.revertedWithCustomError(f.vault, "VaultIsPaused");
      await expect(f.vault.connect(f.bot1).queueWithdrawal(addr, f.exchange.address, amount)).to.be.revertedWithCustomError(
        f.vault,
        "VaultIsPaused",
      );
      // bot2 has no limits for it: still the pause, not the tripwire, answers.
      await expect(f.vault.connect(f.bot2).withdrawInstant(addr, f.exchange.address, amount)).to.be.revertedWithCustomError(f.vault, "VaultIsPaused");
      expect(await token.balanceOf(f.vaultAddr)).to.equal(before);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);

      await proposeAndExecute(f.vault, f.admin, ChangeKind.Unpause, "0x");
      await expect(f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, amount)).to.changeTokenBalances(
        token,
        [f.vaultAddr, f.exchange.address],
        [-amount, amount],
      );
    });
  });

  describe("suspension", () => {
    for (const by of ["guardian", "guardian2", "admin"] as const) {
      it(`${by} can suspend an operator at once, and only that operator`, async () => {
        const f = await loadFixture(deployVaultFixture);
        await expect(f.vault.connect(f[by]).suspendOperator(f.bot1.address))
          .to.emit(f.vault, "OperatorSuspended")
          .withArgs(f.bot1.address, f[by].address);
        expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
        expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
        for (const k of KEYS) {
          expect((await f.lens.operatorState(f.vault, f.bot1.address, tokenOf(f, k))).suspended).to.equal(true);
          expect(await f.lens.availableNow(f.vault, f.bot1.address, tokenOf(f, k))).to.equal(0n);
          expect(await f.lens.availableNow(f.vault, f.bot2.address, tokenOf(f, k))).to.be.greaterThan(0n);
        }
        await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, small("usdt"))).to.emit(f.vault, "Withdrawn");
      });
    }

    it("operators and strangers cannot suspend", async () => {
      const f = await loadFixture(deployVaultFixture);
      for (const who of [f.bot1, f.bot2, f.stranger, f.recovery]) {
        await expect(f.vault.connect(who).suspendOperator(f.bot2.address))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    });

    it("suspending an account that is not an operator reverts NotOperator", async () => {
      const f = await loadFixture(deployVaultFixture);
      await expect(f.vault.connect(f.guardian).suspendOperator(f.stranger.address))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(f.stranger.address, ethers.ZeroAddress);
    });

    it("stops every path of the operator for every token", async () => {
      const f = await loadFixture(deployVaultFixture);
      const ids = await queueEveryToken(f, f.bot1);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      await time.increase(await f.vault.withdrawalDelay());
      const who = [f.vaultAddr, f.exchange.address];
      const before = await balances(f, who);
      const countBefore = await f.vault.withdrawalCount();

      for (const [i, k] of KEYS.entries()) {
        const token = tokenOf(f, k);
        await expect(f.vault.connect(f.bot1).withdrawInstant(token, f.exchange.address, small(k)))
          .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
          .withArgs(f.bot1.address);
        await expect(f.vault.connect(f.bot1).queueWithdrawal(token, f.exchange.address, big(k)))
          .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
          .withArgs(f.bot1.address);
        await expect(f.vault.connect(f.bot1).executeWithdrawal(ids[i]))
          .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
          .withArgs(f.bot1.address);
        expect((await views.getWithdrawal(f.vault, ids[i])).status).to.equal(Status.Pending);
      }
      expect(await balances(f, who)).to.deep.equal(before);
      expect(await f.vault.withdrawalCount()).to.equal(countBefore);
    });

    it("holds for an operator with limits for a later-listed token only, and for limits granted while suspended", async () => {
      const f = await loadFixture(deployVaultFixture);
      const bot3 = f.stranger;
      // Limits for DAI (the second listed token) only: suspension writes DAI's word and skips USDT's.
      await grantDaiLikeLimits(f, bot3, f.daiAddr);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(bot3.address, f.exchange.address));
      await f.vault.connect(f.guardian).suspendOperator(bot3.address);
      for (const token of [f.daiAddr, f.usdtAddr]) {
        await expect(f.vault.connect(bot3).withdrawInstant(token, f.exchange.address, 1n))
          .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
          .withArgs(bot3.address);
      }
      // USDT limits granted while it is suspended arrive suspended.
      await proposeAndExecute(
        f.vault,
        f.admin,
        ChangeKind.SetOperatorLimits,
        encodeChange.setOperatorLimits({ operator: bot3.address, token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap }),
      );
      await expect(f.vault.connect(bot3).withdrawInstant(f.usdtAddr, f.exchange.address, small("usdt")))
        .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
        .withArgs(bot3.address);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(bot3.address));
      for (const k of ["usdt", "dai"] as const) {
        await expect(f.vault.connect(bot3).withdrawInstant(tokenOf(f, k), f.exchange.address, small(k))).to.emit(f.vault, "Withdrawn");
      }
    });

    it("is idempotent", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).suspendOperator(f.bot2.address);
      await expect(f.vault.connect(f.admin).suspendOperator(f.bot2.address)).not.to.emit(f.vault, "OperatorSuspended");
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(true);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot2.address));
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    });

    it("is lifted only by an executed UnsuspendOperator change after the delay", async () => {
      const f = await loadFixture(deployVaultFixture);
      const [id1] = await queueEveryToken(f, f.bot1);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      const params = encodeChange.address(f.bot1.address);
      const t = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(t);
      const eta = t + BigInt(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.UnsuspendOperator, params))
        .to.emit(f.vault, "ChangeProposed")
        .withArgs(1n, ChangeKind.UnsuspendOperator, params, eta);

      await time.setNextBlockTimestamp(eta - 1n);
      await expect(f.vault.connect(f.admin).executeChange(1n)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady").withArgs(1n, eta);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);

      await time.setNextBlockTimestamp(eta);
      const tx = f.vault.connect(f.admin).executeChange(1n);
      await expect(tx).to.emit(f.vault, "OperatorUnsuspended").withArgs(f.bot1.address);
      await expect(tx).to.emit(f.vault, "ChangeExecuted").withArgs(1n, ChangeKind.UnsuspendOperator);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);

      for (const k of KEYS) {
        await expect(f.vault.connect(f.bot1).withdrawInstant(tokenOf(f, k), f.exchange.address, small(k))).to.emit(f.vault, "Withdrawn");
      }
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id1)).to.emit(f.vault, "WithdrawalExecuted");
    });

    it("a guardian can cancel an unsuspension; proposing one for an active operator reverts NotSuspended", async () => {
      const f = await loadFixture(deployVaultFixture);
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.UnsuspendOperator, encodeChange.address(f.bot1.address)))
        .to.be.revertedWithCustomError(f.vault, "NotSuspended")
        .withArgs(f.bot1.address);

      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot1.address));
      await expect(f.vault.connect(f.guardian2).cancelChange(id)).to.emit(f.vault, "ChangeCancelled").withArgs(id, f.guardian2.address);
      await time.increase(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
        .withArgs(id, Status.Cancelled);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, small("usdt")))
        .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
        .withArgs(f.bot1.address);
    });

    it("a token listed while an operator is suspended is suspended for that operator", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      const { token, addr } = await listNewToken(f);
      const amount = small("dai");
      const before = await token.balanceOf(f.vaultAddr);

      // Without limits for it, the suspension answers (not the tripwire's TokenNotAllowed).
      await expect(f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, amount))
        .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
        .withArgs(f.bot1.address);

      await grantDaiLikeLimits(f, f.bot1, addr);
      await grantDaiLikeLimits(f, f.bot2, addr);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, addr)).suspended).to.equal(true);
      await expect(f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, amount))
        .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
        .withArgs(f.bot1.address);
      await expect(f.vault.connect(f.bot1).queueWithdrawal(addr, f.exchange.address, amount))
        .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
        .withArgs(f.bot1.address);
      expect(await token.balanceOf(f.vaultAddr)).to.equal(before);

      // The other operator is not affected.
      await expect(f.vault.connect(f.bot2).withdrawInstant(addr, f.exchange.address, amount)).to.changeTokenBalance(token, f.exchange.address, amount);

      await proposeAndExecute(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot1.address));
      await expect(f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, amount)).to.changeTokenBalance(token, f.exchange.address, amount);
    });
  });
});
