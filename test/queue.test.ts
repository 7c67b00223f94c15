import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  balanceOf,
  ChangeKind,
  deployVaultFixture,
  encodeChange,
  KEYS,
  NATIVE,
  POLICY,
  proposeAndExecute,
  Status,
  tokenOf,
  TripReason,
  type Key,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";
import { GRACE_PERIOD } from "../sdk/rules/constants";

/** An amount that must be queued: twice the instant limit. */
const big = (k: Key): bigint => POLICY[k].instant * 2n;

/** Queues as `bot` in a block at a known time; returns the id and eta. */
async function queue(
  f: VaultFixture,
  bot: HardhatEthersSigner,
  token: string,
  to: string,
  amount: bigint,
): Promise<{ id: bigint; eta: bigint }> {
  const t = BigInt(await time.latest()) + 1n;
  await time.setNextBlockTimestamp(t);
  await f.vault.connect(bot).queueWithdrawal(token, to, amount);
  return { id: await f.vault.withdrawalCount(), eta: t + BigInt(await f.vault.withdrawalDelay()) };
}

const pending = async (f: VaultFixture, bot: HardhatEthersSigner, token: string): Promise<bigint> =>
  (await f.lens.operatorState(f.vault, bot.address, token)).pendingQueued;

describe("withdrawal queue", () => {
  for (const k of KEYS) {
    it(`queues ${k} above the instant limit, then executes it after the delay and not before`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = tokenOf(f, k);
      const amount = big(k);
      expect(amount).to.be.greaterThan(POLICY[k].instant);
      const vaultBefore = await balanceOf(f, k, f.vaultAddr);
      const toBefore = await balanceOf(f, k, f.exchange.address);

      expect(await f.vault.connect(f.bot1).queueWithdrawal.staticCall(token, f.exchange.address, amount)).to.equal(1n);
      const t = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(t);
      const eta = t + BigInt(await f.vault.withdrawalDelay());
      await expect(f.vault.connect(f.bot1).queueWithdrawal(token, f.exchange.address, amount))
        .to.emit(f.vault, "WithdrawalQueued")
        .withArgs(1n, f.bot1.address, token, f.exchange.address, amount, eta);
      expect(await f.vault.withdrawalCount()).to.equal(1n);
      expect(await pending(f, f.bot1, token)).to.equal(amount);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(vaultBefore);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);

      await time.setNextBlockTimestamp(eta - 1n);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(1n))
        .to.be.revertedWithCustomError(f.vault, "WithdrawalNotReady")
        .withArgs(1n, eta);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(vaultBefore);

      await time.setNextBlockTimestamp(eta);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(1n))
        .to.emit(f.vault, "WithdrawalExecuted")
        .withArgs(1n, f.bot1.address, token, f.exchange.address, amount);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(vaultBefore - amount);
      expect(await balanceOf(f, k, f.exchange.address)).to.equal(toBefore + amount);
      expect(await pending(f, f.bot1, token)).to.equal(0n);
      expect((await views.getWithdrawal(f.vault, 1n)).status).to.equal(Status.Executed);
    });
  }

  it("getWithdrawal reports every field, and ids run from 1", async () => {
    const f = await loadFixture(deployVaultFixture);
    const a = await queue(f, f.bot1, f.daiAddr, f.exchange.address, big("dai"));
    const b = await queue(f, f.bot2, NATIVE, f.exchange2.address, big("eth"));
    expect([a.id, b.id]).to.deep.equal([1n, 2n]);
    const w = await views.getWithdrawal(f.vault, b.id);
    expect(w.operator).to.equal(f.bot2.address);
    expect(w.eta).to.equal(b.eta);
    expect(w.status).to.equal(Status.Pending);
    expect(w.token).to.equal(NATIVE);
    expect(w.to).to.equal(f.exchange2.address);
    expect(w.amount).to.equal(big("eth"));
    const none = await views.getWithdrawal(f.vault, b.id + 1n);
    expect(none.status).to.equal(Status.None);
    expect(none.operator).to.equal(ethers.ZeroAddress);
    expect(none.amount).to.equal(0n);
  });

  it("accepts any amount up to the queue cap, even above the window cap", async () => {
    const f = await loadFixture(deployVaultFixture);
    expect(POLICY.usdt.queueCap).to.be.greaterThan(POLICY.usdt.cap);
    const { id, eta } = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
    expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(POLICY.usdt.queueCap);
    await time.increaseTo(eta);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(id)).to.changeTokenBalances(
      f.usdtToken,
      [f.vaultAddr, f.exchange.address],
      [-POLICY.usdt.queueCap, POLICY.usdt.queueCap],
    );
  });

  it("cannot execute a withdrawal twice", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { id, eta } = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, big("usdt"));
    await time.increaseTo(eta);
    await f.vault.connect(f.bot1).executeWithdrawal(id);
    const before = await f.usdtToken.balanceOf(f.vaultAddr);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
      .to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending")
      .withArgs(id, Status.Executed);
    await expect(f.vault.connect(f.bot1).cancelWithdrawal(id))
      .to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending")
      .withArgs(id, Status.Executed);
    expect(await f.usdtToken.balanceOf(f.vaultAddr)).to.equal(before);
  });

  it("cannot execute a cancelled withdrawal, nor cancel it again", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { id, eta } = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, big("usdt"));
    await f.vault.connect(f.guardian).cancelWithdrawal(id);
    await time.increaseTo(eta);
    const before = await f.usdtToken.balanceOf(f.vaultAddr);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
      .to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending")
      .withArgs(id, Status.Cancelled);
    await expect(f.vault.connect(f.guardian).cancelWithdrawal(id))
      .to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending")
      .withArgs(id, Status.Cancelled);
    expect(await f.usdtToken.balanceOf(f.vaultAddr)).to.equal(before);
  });

  it("executes up to GRACE_PERIOD after eta, then expires and can only be cancelled", async () => {
    const f = await loadFixture(deployVaultFixture);
    const grace = GRACE_PERIOD;
    const a = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, big("usdt"));
    const b = await queue(f, f.bot1, f.daiAddr, f.exchange.address, big("dai"));

    await time.setNextBlockTimestamp(a.eta + grace);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(a.id))
      .to.emit(f.vault, "WithdrawalExecuted")
      .withArgs(a.id, f.bot1.address, f.usdtAddr, f.exchange.address, big("usdt"));

    await time.setNextBlockTimestamp(b.eta + grace + 1n);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(b.id))
      .to.be.revertedWithCustomError(f.vault, "WithdrawalExpired")
      .withArgs(b.id, b.eta + grace);
    expect((await views.getWithdrawal(f.vault, b.id)).status).to.equal(Status.Pending);
    expect(await pending(f, f.bot1, f.daiAddr)).to.equal(big("dai"));

    await expect(f.vault.connect(f.bot1).cancelWithdrawal(b.id))
      .to.emit(f.vault, "WithdrawalCancelled")
      .withArgs(b.id, f.bot1.address);
    expect(await pending(f, f.bot1, f.daiAddr)).to.equal(0n);
  });

  it("only the queuing operator can execute", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { id, eta } = await queue(f, f.bot2, f.usdtAddr, f.exchange.address, big("usdt"));
    await time.increaseTo(eta);
    for (const who of [f.bot1, f.guardian, f.admin, f.exchange, f.stranger]) {
      await expect(f.vault.connect(who).executeWithdrawal(id))
        .to.be.revertedWithCustomError(f.vault, "NotWithdrawalOperator")
        .withArgs(id, who.address);
    }
    expect((await views.getWithdrawal(f.vault, id)).status).to.equal(Status.Pending);
    await expect(f.vault.connect(f.bot2).executeWithdrawal(id)).to.changeTokenBalance(f.usdtToken, f.exchange.address, big("usdt"));
  });

  it("unknown ids revert UnknownWithdrawal on execute and cancel", async () => {
    const f = await loadFixture(deployVaultFixture);
    await queue(f, f.bot1, f.usdtAddr, f.exchange.address, big("usdt"));
    const next = (await f.vault.withdrawalCount()) + 1n;
    for (const id of [0n, next, ethers.MaxUint256]) {
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
        .to.be.revertedWithCustomError(f.vault, "UnknownWithdrawal")
        .withArgs(id);
      await expect(f.vault.connect(f.guardian).cancelWithdrawal(id))
        .to.be.revertedWithCustomError(f.vault, "UnknownWithdrawal")
        .withArgs(id);
    }
  });

  describe("cancellation", () => {
    for (const by of ["guardian", "guardian2", "admin", "bot1"] as const) {
      it(`${by} can cancel, which frees the pending amount and moves nothing`, async () => {
        const f = await loadFixture(deployVaultFixture);
        const { id, eta } = await queue(f, f.bot1, f.daiAddr, f.exchange.address, big("dai"));
        expect(await pending(f, f.bot1, f.daiAddr)).to.equal(big("dai"));
        await expect(f.vault.connect(f[by]).cancelWithdrawal(id))
          .to.emit(f.vault, "WithdrawalCancelled")
          .withArgs(id, f[by].address);
        expect((await views.getWithdrawal(f.vault, id)).status).to.equal(Status.Cancelled);
        expect(await pending(f, f.bot1, f.daiAddr)).to.equal(0n);
        await time.increaseTo(eta);
        const before = await f.daiToken.balanceOf(f.vaultAddr);
        await expect(f.vault.connect(f.bot1).executeWithdrawal(id)).to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending");
        expect(await f.daiToken.balanceOf(f.vaultAddr)).to.equal(before);
      });
    }

    it("strangers and other operators cannot cancel", async () => {
      const f = await loadFixture(deployVaultFixture);
      const { id } = await queue(f, f.bot1, f.daiAddr, f.exchange.address, big("dai"));
      for (const who of [f.bot2, f.stranger, f.exchange, f.recovery]) {
        await expect(f.vault.connect(who).cancelWithdrawal(id))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
      expect((await views.getWithdrawal(f.vault, id)).status).to.equal(Status.Pending);
      expect(await pending(f, f.bot1, f.daiAddr)).to.equal(big("dai"));
    });
  });

  describe("queue cap", () => {
    it("pending may reach the queue cap exactly; execution and cancellation free room", async () => {
      const f = await loadFixture(deployVaultFixture);
      const cap = POLICY.usdt.queueCap;
      const first = cap / 2n;
      const second = cap - first;
      const a = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, first);
      const b = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, second);
      expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(cap);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).queueCap).to.equal(cap);

      await time.increaseTo(a.eta);
      await f.vault.connect(f.bot1).executeWithdrawal(a.id);
      expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(second);
      // The freed room is exactly the executed amount.
      const c = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, first);
      expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(cap);

      await f.vault.connect(f.guardian).cancelWithdrawal(b.id);
      expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(first);
      await queue(f, f.bot1, f.usdtAddr, f.exchange.address, second);
      expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(cap);

      await f.vault.connect(f.bot1).cancelWithdrawal(c.id);
      expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(second);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    });

    for (const k of KEYS) {
      it(`queueing ${k} over the queue cap trips with QueueCapExceeded and queues nothing`, async () => {
        const f = await loadFixture(deployVaultFixture);
        const token = tokenOf(f, k);
        const unit = 10n ** BigInt(POLICY[k].unitDecimals);
        const first = POLICY[k].queueCap - unit;
        await queue(f, f.bot1, token, f.exchange.address, first);
        const countBefore = await f.vault.withdrawalCount();
        const vaultBefore = await balanceOf(f, k, f.vaultAddr);
        // One base unit more than the room left.
        const amount = unit + 1n;

        expect(await f.vault.connect(f.bot1).queueWithdrawal.staticCall(token, f.exchange.address, amount)).to.equal(0n);
        const tx = f.vault.connect(f.bot1).queueWithdrawal(token, f.exchange.address, amount);
        await expect(tx)
          .to.emit(f.vault, "TripwireFired")
          .withArgs(f.bot1.address, token, TripReason.QueueCapExceeded, f.exchange.address, amount);
        await expect(tx).to.emit(f.vault, "OperatorSuspended").withArgs(f.bot1.address, f.vaultAddr);
        await expect(tx).not.to.emit(f.vault, "WithdrawalQueued");

        expect(await f.vault.withdrawalCount()).to.equal(countBefore);
        expect(await pending(f, f.bot1, token)).to.equal(first);
        expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
        expect(await balanceOf(f, k, f.vaultAddr)).to.equal(vaultBefore);
      });
    }

    it("a queue cap lowered below what is pending leaves no room: the next queue trips, it does not panic", async () => {
      const f = await loadFixture(deployVaultFixture);
      const amount = POLICY.usdt.queueCap / 2n;
      await queue(f, f.bot1, f.usdtAddr, f.exchange.address, amount);
      await f.vault.connect(f.guardian).lowerOperatorLimits({
        operator: f.bot1.address, token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: amount / 2n,
      });
      const extra = POLICY.usdt.instant;
      await expect(f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, extra))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.QueueCapExceeded, f.exchange.address, extra);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(amount);
    });

    it("queueing a token the operator has no limits for trips with TokenNotAllowed", async () => {
      const f = await loadFixture(deployVaultFixture);
      const tok = await ethers.deployContract("MockERC20", ["New", "NEW", 18]);
      const addr = await tok.getAddress();
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ListToken, encodeChange.listToken(addr, POLICY.dai.unitDecimals, POLICY.dai.vaultCap));
      await tok.mint(f.vaultAddr, POLICY.funding.dai);
      const amount = POLICY.dai.instant;
      await expect(f.vault.connect(f.bot1).queueWithdrawal(addr, f.exchange.address, amount))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, addr, TripReason.TokenNotAllowed, f.exchange.address, amount);
      expect(await f.vault.withdrawalCount()).to.equal(0n);
    });

    it("a single amount above the queue cap trips even with an empty queue", async () => {
      const f = await loadFixture(deployVaultFixture);
      const amount = POLICY.eth.queueCap + 1n;
      await expect(f.vault.connect(f.bot2).queueWithdrawal(NATIVE, f.exchange2.address, amount))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot2.address, NATIVE, TripReason.QueueCapExceeded, f.exchange2.address, amount);
      expect(await f.vault.withdrawalCount()).to.equal(0n);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(true);
    });

    it("is kept per operator and per token", async () => {
      const f = await loadFixture(deployVaultFixture);
      await queue(f, f.bot1, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
      // bot1's other tokens and bot2's USDT still have their whole queue cap.
      await queue(f, f.bot1, f.daiAddr, f.exchange.address, POLICY.dai.queueCap);
      await queue(f, f.bot2, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
      expect(await pending(f, f.bot1, f.usdtAddr)).to.equal(POLICY.usdt.queueCap);
      expect(await pending(f, f.bot1, f.daiAddr)).to.equal(POLICY.dai.queueCap);
      expect(await pending(f, f.bot2, f.usdtAddr)).to.equal(POLICY.usdt.queueCap);
      expect(await pending(f, f.bot2, f.daiAddr)).to.equal(0n);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    });
  });

  it("executing a queued withdrawal does not consume the instant window caps", async () => {
    const f = await loadFixture(deployVaultFixture);
    const amount = POLICY.usdt.cap;
    const { id, eta } = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, amount);
    await time.increaseTo(eta);
    await f.vault.connect(f.bot1).executeWithdrawal(id);

    const op = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
    expect(op.used).to.equal(0n);
    expect(op.available).to.equal(POLICY.usdt.cap);
    const tok = await f.lens.tokenState(f.vault, f.usdtAddr);
    expect(tok.used).to.equal(0n);
    expect(tok.available).to.equal(POLICY.usdt.vaultCap);
    expect(await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr)).to.equal(POLICY.usdt.instant);
    await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant))
      .to.emit(f.vault, "Withdrawn")
      .withArgs(f.bot1.address, f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
  });

  it("execution is blocked while the vault is paused and works after the unpause change", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { id, eta } = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, big("usdt"));
    await f.vault.connect(f.guardian).pause();
    await time.increaseTo(eta);
    const before = await f.usdtToken.balanceOf(f.vaultAddr);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(id)).to.be.revertedWithCustomError(f.vault, "VaultIsPaused");
    expect(await f.usdtToken.balanceOf(f.vaultAddr)).to.equal(before);
    expect((await views.getWithdrawal(f.vault, id)).status).to.equal(Status.Pending);

    await proposeAndExecute(f.vault, f.admin, ChangeKind.Unpause, encodeChange.unpause());
    await expect(f.vault.connect(f.bot1).executeWithdrawal(id)).to.changeTokenBalances(
      f.usdtToken,
      [f.vaultAddr, f.exchange.address],
      [-big("usdt"), big("usdt")],
    );
  });

  it("execution is blocked while the operator is suspended; a guardian can still cancel", async () => {
    const f = await loadFixture(deployVaultFixture);
    const a = await queue(f, f.bot1, NATIVE, f.exchange.address, big("eth"));
    const b = await queue(f, f.bot2, NATIVE, f.exchange.address, big("eth"));
    await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
    await time.increaseTo(b.eta);
    const before = await ethers.provider.getBalance(f.vaultAddr);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(a.id))
      .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
      .withArgs(f.bot1.address);
    expect(await ethers.provider.getBalance(f.vaultAddr)).to.equal(before);
    expect((await views.getWithdrawal(f.vault, a.id)).status).to.equal(Status.Pending);
    // Another operator's queued withdrawal is unaffected.
    await expect(f.vault.connect(f.bot2).executeWithdrawal(b.id)).to.changeEtherBalances(
      [f.vaultAddr, f.exchange.address],
      [-big("eth"), big("eth")],
    );
    await expect(f.vault.connect(f.guardian).cancelWithdrawal(a.id))
      .to.emit(f.vault, "WithdrawalCancelled")
      .withArgs(a.id, f.guardian.address);
    expect(await pending(f, f.bot1, NATIVE)).to.equal(0n);
  });

  for (const k of KEYS) {
    it(`executing ${k} reverts InsufficientBalance once the vault holds too little, and stays pending`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = tokenOf(f, k);
      const amount = big(k);
      const { id, eta } = await queue(f, f.bot1, token, f.exchange.address, amount);
      // Evacuate all but half of the queued amount.
      const leave = amount / 2n;
      await f.vault.connect(f.guardian).evacuate(token, (await balanceOf(f, k, f.vaultAddr)) - leave);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(leave);
      await time.increaseTo(eta);

      await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
        .to.be.revertedWithCustomError(f.vault, "InsufficientBalance")
        .withArgs(token, amount, leave);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(leave);
      expect((await views.getWithdrawal(f.vault, id)).status).to.equal(Status.Pending);
      expect(await pending(f, f.bot1, token)).to.equal(amount);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    });
  }

  it("InsufficientBalance after a full evacuation; executes once the vault is refunded", async () => {
    const f = await loadFixture(deployVaultFixture);
    const amount = big("dai");
    const { id, eta } = await queue(f, f.bot1, f.daiAddr, f.exchange.address, amount);
    await f.vault.connect(f.guardian).evacuate(f.daiAddr, ethers.MaxUint256);
    await time.increaseTo(eta);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
      .to.be.revertedWithCustomError(f.vault, "InsufficientBalance")
      .withArgs(f.daiAddr, amount, 0n);
    await f.daiToken.mint(f.vaultAddr, amount);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
      .to.emit(f.vault, "WithdrawalExecuted")
      .withArgs(id, f.bot1.address, f.daiAddr, f.exchange.address, amount);
    expect(await f.daiToken.balanceOf(f.vaultAddr)).to.equal(0n);
  });

  it("non-operators cannot queue; zero amounts and unlisted tokens revert", async () => {
    const f = await loadFixture(deployVaultFixture);
    for (const who of [f.stranger, f.guardian, f.admin]) {
      await expect(f.vault.connect(who).queueWithdrawal(f.usdtAddr, f.exchange.address, big("usdt")))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(who.address, f.usdtAddr);
    }
    await expect(f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, 0n)).to.be.revertedWithCustomError(
      f.vault,
      "ZeroAmount",
    );
    await expect(f.vault.connect(f.bot1).queueWithdrawal(f.stranger.address, f.exchange.address, big("usdt")))
      .to.be.revertedWithCustomError(f.vault, "UnknownToken")
      .withArgs(f.stranger.address);
    expect(await f.vault.withdrawalCount()).to.equal(0n);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
  });
});
