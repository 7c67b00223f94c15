import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  ChangeKind,
  NATIVE,
  POLICY,
  Status,
  TripReason,
  deployVaultFixture,
  encodeChange,
  proposeAndExecute,
  proposeOnly,
  vaultStart,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";

async function balanceOf(token: string, who: string): Promise<bigint> {
  if (token === NATIVE) return ethers.provider.getBalance(who);
  return (await ethers.getContractAt("MockERC20", token)).balanceOf(who);
}

async function balances(tokens: string[], who: string[]): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const t of tokens) for (const w of who) out.push(await balanceOf(t, w));
  return out;
}

const small = POLICY.usdt.instant / 10n;
const maxCount = POLICY.tripwireMaxCount;

/** Start of the tripwire period after the current one (periods are aligned to the vault's start). */
async function nextPeriodStart(f: VaultFixture): Promise<bigint> {
  const start = await vaultStart(f.vault);
  const [, periodN] = await views.tripwire(f.vault);
  const period = BigInt(periodN);
  const now = BigInt(await time.latest());
  return start + ((now - start) / period + 1n) * period;
}

/** Sends an instant USDT withdrawal of `small` to `exchange` in a block at time `ts`. */
async function withdrawAt(f: VaultFixture, bot: HardhatEthersSigner, ts: bigint, token = f.usdtAddr) {
  await time.setNextBlockTimestamp(ts);
  return f.vault.connect(bot).withdrawInstant(token, f.exchange.address, small);
}

/** Makes `count` instant withdrawals by `bot`, one a second from `from`, asserting each one moved funds. */
async function withdrawMany(f: VaultFixture, bot: HardhatEthersSigner, from: bigint, count: number, token = f.usdtAddr) {
  for (let i = 0; i < count; i++) {
    await expect(withdrawAt(f, bot, from + BigInt(i), token))
      .to.emit(f.vault, "Withdrawn")
      .withArgs(bot.address, token, f.exchange.address, small);
  }
}

async function optOut(f: VaultFixture, bot: HardhatEthersSigner): Promise<void> {
  await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(bot.address, true));
  expect(await views.isTripwireOptedOut(f.vault, bot.address)).to.equal(true);
}

async function listNewToken(f: VaultFixture): Promise<string> {
  const token = await ethers.deployContract("MockERC20", ["New (mock)", "NEW", 18]);
  const addr = await token.getAddress();
  await proposeAndExecute(f.vault, f.admin, ChangeKind.ListToken, encodeChange.listToken(addr, POLICY.dai.unitDecimals, POLICY.dai.vaultCap));
  await token.mint(f.vaultAddr, POLICY.funding.dai);
  return addr;
}

/** One policy break by bot1, prepared on the chain. */
interface Offence {
  method: "withdraw" | "queue";
  token: string;
  to: string;
  amount: bigint;
  /** Timestamp the offending call must run at, if it matters. */
  at?: bigint;
  error: string;
  errorArgs: unknown[];
}

interface TripCase {
  reason: TripReason;
  prepare: (f: VaultFixture) => Promise<Offence>;
}

const CASES: TripCase[] = [
  {
    reason: TripReason.DestinationNotApproved,
    prepare: async (f) => ({
      method: "withdraw",
      token: f.usdtAddr,
      to: f.attacker.address,
      amount: small,
      error: "DestinationNotApproved",
      errorArgs: [f.bot1.address, f.attacker.address],
    }),
  },
  {
    reason: TripReason.TokenNotAllowed,
    prepare: async (f) => {
      const token = await listNewToken(f);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, token)).cap).to.equal(0n);
      return {
        method: "withdraw",
        token,
        to: f.exchange.address,
        amount: POLICY.dai.instant / 10n,
        error: "TokenNotAllowed",
        errorArgs: [f.bot1.address, token],
      };
    },
  },
  {
    reason: TripReason.InstantLimitExceeded,
    prepare: async (f) => {
      const amount = POLICY.usdt.instant + 1n;
      return {
        method: "withdraw",
        token: f.usdtAddr,
        to: f.exchange.address,
        amount,
        error: "InstantLimitExceeded",
        errorArgs: [f.bot1.address, f.usdtAddr, amount, POLICY.usdt.instant],
      };
    },
  },
  {
    reason: TripReason.CapExceeded,
    prepare: async (f) => {
      // Use the cap with instant-limit withdrawals until less than one instant limit is left.
      const { cap, instant } = POLICY.usdt;
      const full = cap / instant - 1n;
      for (let i = 0n; i < full; i++) await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, instant);
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, instant / 2n);
      const available = (await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).available;
      expect(available).to.be.greaterThan(0n);
      expect(available).to.be.lessThan(instant);
      return {
        method: "withdraw",
        token: f.usdtAddr,
        to: f.exchange.address,
        amount: instant,
        error: "CapExceeded",
        errorArgs: [f.bot1.address, f.usdtAddr, instant, available],
      };
    },
  },
  {
    reason: TripReason.RateExceeded,
    prepare: async (f) => {
      const t0 = await nextPeriodStart(f);
      await withdrawMany(f, f.bot1, t0, maxCount);
      return {
        method: "withdraw",
        token: f.usdtAddr,
        to: f.exchange.address,
        amount: small,
        at: t0 + BigInt(maxCount),
        error: "RateExceeded",
        errorArgs: [f.bot1.address, f.usdtAddr, BigInt(maxCount) + 1n, BigInt(maxCount)],
      };
    },
  },
  {
    reason: TripReason.QueueCapExceeded,
    prepare: async (f) => {
      const amount = POLICY.usdt.queueCap + 1n;
      return {
        method: "queue",
        token: f.usdtAddr,
        to: f.exchange.address,
        amount,
        error: "QueueCapExceeded",
        errorArgs: [f.bot1.address, f.usdtAddr, amount, POLICY.usdt.queueCap],
      };
    },
  },
];

function offend(f: VaultFixture, o: Offence) {
  const v = f.vault.connect(f.bot1);
  return o.method === "withdraw" ? v.withdrawInstant(o.token, o.to, o.amount) : v.queueWithdrawal(o.token, o.to, o.amount);
}

async function offendStatic(f: VaultFixture, o: Offence): Promise<unknown> {
  const v = f.vault.connect(f.bot1);
  return o.method === "withdraw" ? v.withdrawInstant.staticCall(o.token, o.to, o.amount) : v.queueWithdrawal.staticCall(o.token, o.to, o.amount);
}

describe("tripwire", () => {
  for (const c of CASES) {
    const name = TripReason[c.reason];

    describe(name, () => {
      it("fires with exact args, suspends the operator and moves nothing", async () => {
        const f = await loadFixture(deployVaultFixture);
        const o = await c.prepare(f);
        const tokens = [f.usdtAddr, f.daiAddr, NATIVE, ...(o.token === f.usdtAddr ? [] : [o.token])];
        const who = [f.vaultAddr, o.to, f.exchange.address];
        const before = await balances(tokens, who);
        const stateBefore = await f.lens.operatorState(f.vault, f.bot1.address, o.token);
        const countBefore = await f.vault.withdrawalCount();

        expect(await offendStatic(f, o)).to.equal(o.method === "withdraw" ? false : 0n);
        if (o.at !== undefined) await time.setNextBlockTimestamp(o.at);
        const tx = offend(f, o);
        await expect(tx).to.emit(f.vault, "TripwireFired").withArgs(f.bot1.address, o.token, c.reason, o.to, o.amount);
        await expect(tx).to.emit(f.vault, "OperatorSuspended").withArgs(f.bot1.address, f.vaultAddr);
        await expect(tx).not.to.emit(f.vault, "Withdrawn");
        await expect(tx).not.to.emit(f.vault, "WithdrawalQueued");

        expect(await balances(tokens, who)).to.deep.equal(before);
        const stateAfter = await f.lens.operatorState(f.vault, f.bot1.address, o.token);
        expect(stateAfter.used).to.equal(stateBefore.used);
        expect(stateAfter.pendingQueued).to.equal(stateBefore.pendingQueued);
        expect(stateAfter.suspended).to.equal(true);
        expect(await f.vault.withdrawalCount()).to.equal(countBefore);
        expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
        expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
      });

      it("afterwards every call of the operator reverts OperatorIsSuspended", async () => {
        const f = await loadFixture(deployVaultFixture);
        const o = await c.prepare(f);
        if (o.at !== undefined) await time.setNextBlockTimestamp(o.at);
        await offend(f, o);
        const before = await balances([f.usdtAddr, f.daiAddr, NATIVE], [f.vaultAddr]);

        await expect(offend(f, o)).to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended").withArgs(f.bot1.address);
        for (const token of [f.usdtAddr, f.daiAddr, NATIVE]) {
          const amount = token === f.usdtAddr ? small : token === f.daiAddr ? POLICY.dai.instant / 10n : POLICY.eth.instant / 10n;
          await expect(f.vault.connect(f.bot1).withdrawInstant(token, f.exchange.address, amount))
            .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
            .withArgs(f.bot1.address);
          await expect(f.vault.connect(f.bot1).queueWithdrawal(token, f.exchange.address, amount))
            .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
            .withArgs(f.bot1.address);
        }
        expect(await balances([f.usdtAddr, f.daiAddr, NATIVE], [f.vaultAddr])).to.deep.equal(before);
      });

      it(`an opted-out operator gets the ${name} revert instead and stays active`, async () => {
        const f = await loadFixture(deployVaultFixture);
        await optOut(f, f.bot1);
        const o = await c.prepare(f);
        const before = await balances([f.usdtAddr, f.daiAddr, NATIVE, o.token], [f.vaultAddr, o.to]);
        const countBefore = await f.vault.withdrawalCount();

        if (o.at !== undefined) await time.setNextBlockTimestamp(o.at);
        await expect(offend(f, o))
          .to.be.revertedWithCustomError(f.vault, o.error)
          .withArgs(...o.errorArgs);

        expect(await balances([f.usdtAddr, f.daiAddr, NATIVE, o.token], [f.vaultAddr, o.to])).to.deep.equal(before);
        expect(await f.vault.withdrawalCount()).to.equal(countBefore);
        expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
        // Still active: a compliant DAI withdrawal goes through.
        await expect(f.vault.connect(f.bot1).withdrawInstant(f.daiAddr, f.exchange.address, POLICY.dai.instant / 10n)).to.emit(f.vault, "Withdrawn");
      });
    });
  }

  it("a trip also blocks executing the operator's earlier queued withdrawals", async () => {
    const f = await loadFixture(deployVaultFixture);
    const amount = POLICY.dai.instant * 2n;
    await f.vault.connect(f.bot1).queueWithdrawal(f.daiAddr, f.exchange.address, amount);
    const id = await f.vault.withdrawalCount();
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, small);
    await time.increaseTo((await views.getWithdrawal(f.vault, id)).eta);
    const before = await f.daiToken.balanceOf(f.vaultAddr);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
      .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
      .withArgs(f.bot1.address);
    expect(await f.daiToken.balanceOf(f.vaultAddr)).to.equal(before);
    expect((await views.getWithdrawal(f.vault, id)).status).to.equal(Status.Pending);
  });

  it("limits lowered to zero make the token not allowed", async () => {
    const f = await loadFixture(deployVaultFixture);
    await f.vault.connect(f.guardian).lowerOperatorLimits({ operator: f.bot1.address, token: f.daiAddr, cap: 0n, instantLimit: 0n, queueCap: 0n });
    const amount = POLICY.dai.instant / 10n;
    const before = await f.daiToken.balanceOf(f.vaultAddr);
    await expect(f.vault.connect(f.bot1).withdrawInstant(f.daiAddr, f.exchange.address, amount))
      .to.emit(f.vault, "TripwireFired")
      .withArgs(f.bot1.address, f.daiAddr, TripReason.TokenNotAllowed, f.exchange.address, amount);
    expect(await f.daiToken.balanceOf(f.vaultAddr)).to.equal(before);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
  });

  it("queueing a token the operator has no limits for trips and queues nothing", async () => {
    const f = await loadFixture(deployVaultFixture);
    const token = await listNewToken(f);
    const amount = POLICY.dai.instant;
    await expect(f.vault.connect(f.bot1).queueWithdrawal(token, f.exchange.address, amount))
      .to.emit(f.vault, "TripwireFired")
      .withArgs(f.bot1.address, token, anyValue, f.exchange.address, amount);
    expect(await f.vault.withdrawalCount()).to.equal(0n);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
  });

  it("non-operators get NotOperator, not the tripwire", async () => {
    const f = await loadFixture(deployVaultFixture);
    for (const who of [f.stranger, f.attacker, f.guardian]) {
      await expect(f.vault.connect(who).withdrawInstant(f.usdtAddr, who.address, small))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(who.address, f.usdtAddr);
      await expect(f.vault.connect(who).queueWithdrawal(NATIVE, who.address, POLICY.eth.instant))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(who.address, NATIVE);
    }
  });

  describe("rate rule", () => {
    it("tripwireMaxCount withdrawals in one period pass, the next one trips", async () => {
      const f = await loadFixture(deployVaultFixture);
      const [count, period] = await views.tripwire(f.vault);
      expect(count).to.equal(BigInt(POLICY.tripwireMaxCount));
      expect(period).to.equal(POLICY.tripwirePeriod);
      const t0 = await nextPeriodStart(f);
      await withdrawMany(f, f.bot1, t0, maxCount);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      // The last second of the same period.
      await expect(withdrawAt(f, f.bot1, t0 + POLICY.tripwirePeriod - 1n))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.RateExceeded, f.exchange.address, small);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
    });

    it("availableNow is 0 while one more withdrawal in the period would trip, and back in the next period", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t0 = await nextPeriodStart(f);
      await withdrawMany(f, f.bot1, t0, maxCount - 1);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr)).to.equal(POLICY.usdt.instant);
      await withdrawMany(f, f.bot1, t0 + BigInt(maxCount - 1), 1);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr)).to.equal(0n);
      // Other tokens and other operators are counted on their own.
      expect(await f.lens.availableNow(f.vault, f.bot1.address, f.daiAddr)).to.equal(POLICY.dai.instant);
      expect(await f.lens.availableNow(f.vault, f.bot2.address, f.usdtAddr)).to.equal(POLICY.usdt.instant);
      await time.setNextBlockTimestamp(t0 + POLICY.tripwirePeriod);
      await ethers.provider.send("evm_mine", []);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr)).to.equal(POLICY.usdt.instant);
    });

    it("counts reset at the next aligned period, not a sliding period later", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t0 = await nextPeriodStart(f);
      const boundary = t0 + POLICY.tripwirePeriod;
      // maxCount in the last seconds of one period, maxCount in the first seconds of the next.
      await withdrawMany(f, f.bot1, boundary - BigInt(maxCount), maxCount);
      await withdrawMany(f, f.bot1, boundary, maxCount);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      await expect(withdrawAt(f, f.bot1, boundary + BigInt(maxCount)))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.RateExceeded, f.exchange.address, small);
    });

    it("is counted per operator and per token", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t0 = await nextPeriodStart(f);
      await withdrawMany(f, f.bot1, t0, maxCount);
      let t = t0 + BigInt(maxCount);
      // Other token of the same operator, same token of another operator: both still pass.
      await expect(withdrawAt(f, f.bot1, t++, f.daiAddr)).to.emit(f.vault, "Withdrawn");
      await expect(withdrawAt(f, f.bot2, t++)).to.emit(f.vault, "Withdrawn");
      await expect(withdrawAt(f, f.bot1, t++))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.RateExceeded, f.exchange.address, small);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    });

    it("queueing does not count towards it", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t0 = await nextPeriodStart(f);
      for (let i = 0; i <= maxCount; i++) {
        await time.setNextBlockTimestamp(t0 + BigInt(i));
        await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, small);
      }
      await withdrawMany(f, f.bot1, t0 + BigInt(maxCount) + 1n, maxCount);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await f.vault.withdrawalCount()).to.equal(BigInt(maxCount) + 1n);
    });
  });

  describe("tightenTripwire", () => {
    it("a guardian lowers the count at once", async () => {
      const f = await loadFixture(deployVaultFixture);
      const lower = maxCount - 1;
      await expect(f.vault.connect(f.guardian).tightenTripwire(lower, POLICY.tripwirePeriod))
        .to.emit(f.vault, "TripwireSet")
        .withArgs(lower, POLICY.tripwirePeriod);
      const [count, period] = await views.tripwire(f.vault);
      expect(count).to.equal(BigInt(lower));
      expect(period).to.equal(POLICY.tripwirePeriod);

      await optOut(f, f.bot2);
      const t0 = await nextPeriodStart(f);
      await withdrawMany(f, f.bot2, t0, lower);
      await time.setNextBlockTimestamp(t0 + BigInt(lower));
      await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, small))
        .to.be.revertedWithCustomError(f.vault, "RateExceeded")
        .withArgs(f.bot2.address, f.usdtAddr, BigInt(lower) + 1n, BigInt(lower));
    });

    it("the admin lengthens the period at once; withdrawals across the old boundary then count together", async () => {
      const f = await loadFixture(deployVaultFixture);
      const longer = POLICY.tripwirePeriod * 2n;
      await expect(f.vault.connect(f.admin).tightenTripwire(maxCount, longer)).to.emit(f.vault, "TripwireSet").withArgs(maxCount, longer);
      expect((await views.tripwire(f.vault))[1]).to.equal(longer);
      const t0 = await nextPeriodStart(f);
      // Straddle the old period's boundary inside one new period.
      const from = t0 + POLICY.tripwirePeriod - BigInt(maxCount) / 2n;
      await withdrawMany(f, f.bot1, from, maxCount);
      await expect(withdrawAt(f, f.bot1, from + BigInt(maxCount)))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.RateExceeded, f.exchange.address, small);
    });

    it("refuses anything that is not a tightening with NotATightening", async () => {
      const f = await loadFixture(deployVaultFixture);
      const p = POLICY.tripwirePeriod;
      for (const [count, period] of [
        [maxCount + 1, p],
        [maxCount, p - 1n],
        [maxCount - 1, p - 1n],
        [0, p],
        [0, p * 2n],
      ] as const) {
        await expect(f.vault.connect(f.guardian).tightenTripwire(count, period)).to.be.revertedWithCustomError(f.vault, "NotATightening");
      }
      const [count, period] = await views.tripwire(f.vault);
      expect(count).to.equal(BigInt(maxCount));
      expect(period).to.equal(p);
    });

    it("operators and strangers cannot tighten", async () => {
      const f = await loadFixture(deployVaultFixture);
      for (const who of [f.bot1, f.stranger]) {
        await expect(f.vault.connect(who).tightenTripwire(maxCount - 1, POLICY.tripwirePeriod))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
    });

    it("loosening goes through a SetTripwire proposal and takes effect only after the delay", async () => {
      const f = await loadFixture(deployVaultFixture);
      const looser = maxCount * 2;
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.SetTripwire, encodeChange.setTripwire(looser, POLICY.tripwirePeriod));
      expect((await views.tripwire(f.vault))[0]).to.equal(BigInt(maxCount));
      const eta = (await views.getChange(f.vault, id)).eta;
      await time.setNextBlockTimestamp(eta - 1n);
      await expect(f.vault.connect(f.admin).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady").withArgs(id, eta);
      await time.setNextBlockTimestamp(eta);
      await expect(f.vault.connect(f.admin).executeChange(id)).to.emit(f.vault, "TripwireSet").withArgs(looser, POLICY.tripwirePeriod);
      expect((await views.tripwire(f.vault))[0]).to.equal(BigInt(looser));

      const t0 = await nextPeriodStart(f);
      await withdrawMany(f, f.bot1, t0, maxCount + 1);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    });

    it("switching the rate rule off takes a proposal; then there is no count limit", async () => {
      const f = await loadFixture(deployVaultFixture);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwire, encodeChange.setTripwire(0, POLICY.tripwirePeriod));
      expect((await views.tripwire(f.vault))[0]).to.equal(0n);
      const t0 = await nextPeriodStart(f);
      await withdrawMany(f, f.bot1, t0, maxCount + 2);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    });

    it("a guardian can cancel a loosening", async () => {
      const f = await loadFixture(deployVaultFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.SetTripwire, encodeChange.setTripwire(maxCount * 2, POLICY.tripwirePeriod));
      await expect(f.vault.connect(f.guardian).cancelChange(id)).to.emit(f.vault, "ChangeCancelled").withArgs(id, f.guardian.address);
      await time.increase(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
        .withArgs(id, Status.Cancelled);
      expect((await views.tripwire(f.vault))[0]).to.equal(BigInt(maxCount));
    });
  });

  describe("opt-out", () => {
    it("takes a SetTripwireOptOut proposal and the change delay", async () => {
      const f = await loadFixture(deployVaultFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot1.address, true));
      expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(false);
      const eta = (await views.getChange(f.vault, id)).eta;
      await time.setNextBlockTimestamp(eta - 1n);
      await expect(f.vault.connect(f.admin).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady").withArgs(id, eta);
      await time.setNextBlockTimestamp(eta);
      await expect(f.vault.connect(f.admin).executeChange(id)).to.emit(f.vault, "TripwireOptOutSet").withArgs(f.bot1.address, true);
      expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(true);
      expect(await views.isTripwireOptedOut(f.vault, f.bot2.address)).to.equal(false);
    });

    it("a guardian can cancel an opt-out, and the operator keeps tripping", async () => {
      const f = await loadFixture(deployVaultFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot1.address, true));
      await f.vault.connect(f.guardian2).cancelChange(id);
      await time.increase(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeNotPending");
      expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(false);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, small))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.DestinationNotApproved, f.attacker.address, small);
    });

    for (const by of ["guardian", "admin"] as const) {
      it(`optIntoTripwire by the ${by} is instant and makes breaks trip again`, async () => {
        const f = await loadFixture(deployVaultFixture);
        await optOut(f, f.bot1);
        await expect(f.vault.connect(f[by]).optIntoTripwire(f.bot1.address))
          .to.emit(f.vault, "TripwireOptOutSet")
          .withArgs(f.bot1.address, false);
        expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(false);
        const amount = POLICY.usdt.instant + 1n;
        await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, amount))
          .to.emit(f.vault, "TripwireFired")
          .withArgs(f.bot1.address, f.usdtAddr, TripReason.InstantLimitExceeded, f.exchange.address, amount);
        expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      });
    }

    it("optIntoTripwire of an operator already under it changes nothing; of the zero address reverts ZeroAddress", async () => {
      const f = await loadFixture(deployVaultFixture);
      await expect(f.vault.connect(f.guardian).optIntoTripwire(f.bot2.address)).to.not.emit(f.vault, "TripwireOptOutSet");
      expect(await views.isTripwireOptedOut(f.vault, f.bot2.address)).to.equal(false);
      await expect(f.vault.connect(f.guardian).optIntoTripwire(ethers.ZeroAddress)).to.be.revertedWithCustomError(f.vault, "ZeroAddress");
    });

    it("operators and strangers cannot opt anyone into or out of the tripwire", async () => {
      const f = await loadFixture(deployVaultFixture);
      await optOut(f, f.bot1);
      for (const who of [f.bot1, f.bot2, f.stranger]) {
        await expect(f.vault.connect(who).optIntoTripwire(f.bot1.address))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
      const adminRole = await f.vault.DEFAULT_ADMIN_ROLE();
      await expect(
        f.vault.connect(f.guardian).proposeChange(ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot2.address, true)),
      )
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.guardian.address, adminRole);
      expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(true);
      expect(await views.isTripwireOptedOut(f.vault, f.bot2.address)).to.equal(false);
    });
  });
});
