import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type {
  FalseReturningToken,
  FeeOnTransferToken,
  MockERC20,
  RebasingToken,
  RevertOnZeroToken,
} from "../typechain-types";
import {
  ChangeKind,
  NATIVE,
  POLICY,
  Status,
  TripReason,
  VaultFixture,
  dai,
  deployVaultFixture,
  encodeChange,
  eth,
  proposeAndExecute,
  proposeOnly,
  usdt,
} from "./helpers/fixture";
import { MAX_UNIT_DECIMALS } from "../sdk/rules/constants";
import { views } from "./helpers/views";

const DEAD = "0x000000000000000000000000000000000000dEaD";
const BPS = 10_000n;

/** Listing and bot1 limits used for every token this file lists itself. */
interface Listing {
  unitDecimals: number;
  vaultCap: bigint;
  cap: bigint;
  instant: bigint;
  queueCap: bigint;
  funding: bigint;
}

const whole18 = (n: bigint) => n * 10n ** 18n;
const whole6 = (n: bigint) => n * 10n ** 6n;

/** An 18-decimal token accounted in whole tokens. */
const HOSTILE: Listing = {
  unitDecimals: 18,
  vaultCap: whole18(1_000n),
  cap: whole18(500n),
  instant: whole18(100n),
  queueCap: whole18(1_000n),
  funding: whole18(2_000n),
};
/** A 6-decimal token accounted in whole tokens (unlike USDT in the fixture, accounted in 0.01). */
const SIX: Listing = {
  unitDecimals: 6,
  vaultCap: whole6(1_000_000n),
  cap: whole6(100_000n),
  instant: whole6(10_000n),
  queueCap: whole6(1_000_000n),
  funding: whole6(2_000_000n),
};
/** An 18-decimal token accounted in whole tokens (unlike DAI in the fixture, accounted in 0.01). */
const EIGHTEEN: Listing = {
  unitDecimals: 18,
  vaultCap: whole18(1_000n),
  cap: whole18(100n),
  instant: whole18(10n),
  queueCap: whole18(1_000n),
  funding: whole18(2_000n),
};
const REBASING: Listing = {
  unitDecimals: 18,
  vaultCap: whole18(1_000n),
  cap: whole18(100n),
  instant: whole18(50n),
  queueCap: whole18(1_000n),
  funding: whole18(400n),
};
const FEE_BPS = 100n;

/** Lists tokens through ListToken, then gives bot1 limits through SetOperatorLimits, each waiting the delay. */
async function listWithLimits(f: VaultFixture, entries: { token: string; listing: Listing }[]): Promise<void> {
  const listIds: bigint[] = [];
  for (const { token, listing } of entries) {
    listIds.push(
      await proposeOnly(f.vault, f.admin, ChangeKind.ListToken, encodeChange.listToken(token, listing.unitDecimals, listing.vaultCap)),
    );
  }
  await time.increase(await f.vault.changeDelay());
  for (const id of listIds) await f.vault.connect(f.admin).executeChange(id);
  const limitIds: bigint[] = [];
  for (const { token, listing } of entries) {
    limitIds.push(
      await proposeOnly(
        f.vault,
        f.admin,
        ChangeKind.SetOperatorLimits,
        encodeChange.setOperatorLimits({
          operator: f.bot1.address,
          token,
          cap: listing.cap,
          instantLimit: listing.instant,
          queueCap: listing.queueCap,
        }),
      ),
    );
  }
  await time.increase(await f.vault.changeDelay());
  for (const id of limitIds) await f.vault.connect(f.admin).executeChange(id);
}

interface Balances {
  balanceOf(account: string): Promise<bigint>;
}

function holders(f: VaultFixture): string[] {
  return [
    f.vaultAddr, f.exchange.address, f.exchange2.address, f.recovery.address, f.stranger.address, f.bot1.address,
    f.admin.address, f.guardian.address, DEAD,
  ];
}

/** Sum of the balances of every account the tests touch. */
async function held(token: Balances, accounts: string[]): Promise<bigint> {
  let sum = 0n;
  for (const a of accounts) sum += await token.balanceOf(a);
  return sum;
}

async function snapshot(token: Balances, accounts: string[]): Promise<Map<string, bigint>> {
  const m = new Map<string, bigint>();
  for (const a of accounts) m.set(a, await token.balanceOf(a));
  return m;
}

/** Asserts each account's balance moved by exactly `deltas` (missing accounts: unchanged). */
async function expectDeltas(token: Balances, before: Map<string, bigint>, deltas: Record<string, bigint>): Promise<void> {
  for (const [account, was] of before) {
    expect(await token.balanceOf(account), `balance of ${account}`).to.equal(was + (deltas[account] ?? 0n));
  }
}

describe("tokens", () => {
  describe("USDT-style token (no return values)", () => {
    it("withdraw, queued withdrawal, evacuation and deposit move exact amounts and lose nothing", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = f.usdtToken;
      const accts = holders(f);
      await t.mint(f.stranger.address, usdt(1_000));
      const supply = await t.totalSupply();
      expect(await held(t, accts)).to.equal(supply);

      let before = await snapshot(t, accts);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant))
        .to.emit(f.vault, "Withdrawn")
        .withArgs(f.bot1.address, f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      await expectDeltas(t, before, { [f.vaultAddr]: -POLICY.usdt.instant, [f.exchange.address]: POLICY.usdt.instant });

      const queued = POLICY.usdt.instant * 3n;
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, queued);
      const id = await f.vault.withdrawalCount();
      await time.increase(POLICY.withdrawalDelay);
      before = await snapshot(t, accts);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
        .to.emit(f.vault, "WithdrawalExecuted")
        .withArgs(id, f.bot1.address, f.usdtAddr, f.exchange.address, queued);
      await expectDeltas(t, before, { [f.vaultAddr]: -queued, [f.exchange.address]: queued });

      before = await snapshot(t, accts);
      await f.vault.connect(f.guardian).evacuate(f.usdtAddr, usdt(7));
      await expectDeltas(t, before, { [f.vaultAddr]: -usdt(7), [f.recovery.address]: usdt(7) });

      before = await snapshot(t, accts);
      await t.connect(f.stranger).approve(f.vaultAddr, usdt(1_000));
      await expect(f.vault.connect(f.stranger).deposit(f.usdtAddr, usdt(1_000)))
        .to.emit(f.vault, "Deposited")
        .withArgs(f.usdtAddr, f.stranger.address, usdt(1_000));
      await expectDeltas(t, before, { [f.vaultAddr]: usdt(1_000), [f.stranger.address]: -usdt(1_000) });

      expect(await held(t, accts)).to.equal(supply);
      expect(await t.totalSupply()).to.equal(supply);
      expect((await f.lens.tokenState(f.vault, f.usdtAddr)).balance).to.equal(await t.balanceOf(f.vaultAddr));
    });

    it("a transfer the token refuses (more than the vault holds) reverts InsufficientBalance", async () => {
      const f = await loadFixture(deployVaultFixture);
      const rest = usdt(1_000);
      await f.vault.connect(f.guardian).evacuate(f.usdtAddr, POLICY.funding.usdt - rest);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, rest + 1n))
        .to.be.revertedWithCustomError(f.vault, "InsufficientBalance")
        .withArgs(f.usdtAddr, rest + 1n, rest);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).used).to.equal(0n);
      expect(await f.usdtToken.balanceOf(f.vaultAddr)).to.equal(rest);
    });
  });

  describe("decimals and unit decimals", () => {
    interface DecimalsFixture extends VaultFixture {
      six: MockERC20;
      eighteen: MockERC20;
      sixAddr: string;
      eighteenAddr: string;
    }

    async function decimalsFixture(): Promise<DecimalsFixture> {
      const f = await deployVaultFixture();
      const six = await ethers.deployContract("MockERC20", ["Six", "SIX", 6]);
      const eighteen = await ethers.deployContract("MockERC20", ["Eighteen", "EIGHTEEN", 18]);
      const sixAddr = await six.getAddress();
      const eighteenAddr = await eighteen.getAddress();
      await listWithLimits(f, [
        { token: sixAddr, listing: SIX },
        { token: eighteenAddr, listing: EIGHTEEN },
      ]);
      await six.mint(f.vaultAddr, SIX.funding);
      await eighteen.mint(f.vaultAddr, EIGHTEEN.funding);
      return { ...f, six, eighteen, sixAddr, eighteenAddr };
    }

    type Case = { name: string; token: (f: DecimalsFixture) => string; erc20: (f: DecimalsFixture) => Balances; decimals: bigint; unitDecimals: number; instant: bigint };
    const CASES: Case[] = [
      { name: "USDT (6 decimals, unitDecimals 4)", token: (f) => f.usdtAddr, erc20: (f) => f.usdtToken, decimals: 6n, unitDecimals: POLICY.usdt.unitDecimals, instant: POLICY.usdt.instant },
      { name: "DAI (18 decimals, unitDecimals 16)", token: (f) => f.daiAddr, erc20: (f) => f.daiToken, decimals: 18n, unitDecimals: POLICY.dai.unitDecimals, instant: POLICY.dai.instant },
      { name: "SIX (6 decimals, unitDecimals 6)", token: (f) => f.sixAddr, erc20: (f) => f.six, decimals: 6n, unitDecimals: SIX.unitDecimals, instant: SIX.instant },
      { name: "EIGHTEEN (18 decimals, unitDecimals 18)", token: (f) => f.eighteenAddr, erc20: (f) => f.eighteen, decimals: 18n, unitDecimals: EIGHTEEN.unitDecimals, instant: EIGHTEEN.instant },
    ];

    it("the listed tokens report their decimals and unit decimals", async () => {
      const f = await loadFixture(decimalsFixture);
      for (const c of CASES) {
        const s = await f.lens.tokenState(f.vault, c.token(f));
        expect(s.listed, c.name).to.equal(true);
        expect(s.unitDecimals, c.name).to.equal(BigInt(c.unitDecimals));
      }
      expect(await f.six.decimals()).to.equal(6n);
      expect(await f.eighteen.decimals()).to.equal(18n);
    });

    for (const c of CASES) {
      it(`${c.name}: one base unit moves exactly one base unit and counts as one whole unit`, async () => {
        const f = await loadFixture(decimalsFixture);
        const token = c.token(f);
        const erc20 = c.erc20(f);
        const accts = holders(f);
        const total = await held(erc20, accts);
        const before = await snapshot(erc20, accts);
        await f.vault.connect(f.bot1).withdrawInstant(token, f.exchange.address, 1n);
        await expectDeltas(erc20, before, { [f.vaultAddr]: -1n, [f.exchange.address]: 1n });
        const unit = 10n ** BigInt(c.unitDecimals);
        expect((await f.lens.operatorState(f.vault, f.bot1.address, token)).used).to.equal(unit);
        expect((await f.lens.tokenState(f.vault, token)).used).to.equal(unit);
        expect(await held(erc20, accts)).to.equal(total);
      });

      it(`${c.name}: the instant limit is exact in base units once amounts round up to units`, async () => {
        const f = await loadFixture(decimalsFixture);
        const token = c.token(f);
        const erc20 = c.erc20(f);
        await f.vault.connect(f.bot1).withdrawInstant(token, f.exchange.address, c.instant);
        expect(await erc20.balanceOf(f.exchange.address)).to.equal(c.instant);
        // One base unit above the instant limit is one unit above it.
        const before = await erc20.balanceOf(f.vaultAddr);
        await expect(f.vault.connect(f.bot1).withdrawInstant(token, f.exchange.address, c.instant + 1n))
          .to.emit(f.vault, "TripwireFired")
          .withArgs(f.bot1.address, token, TripReason.InstantLimitExceeded, f.exchange.address, c.instant + 1n);
        expect(await erc20.balanceOf(f.vaultAddr)).to.equal(before);
      });
    }

    it("limits must be whole units of each token's unit decimals", async () => {
      const f = await loadFixture(decimalsFixture);
      const limits = (token: string, cap: bigint) =>
        encodeChange.setOperatorLimits({ operator: f.bot2.address, token, cap, instantLimit: 0n, queueCap: 0n });
      // The same amount (1.5 tokens) is whole for DAI's 0.01 units but not for EIGHTEEN's whole-token units.
      const oneAndHalf = whole18(3n) / 2n;
      await f.vault.connect(f.admin).proposeChange(ChangeKind.SetOperatorLimits, limits(f.daiAddr, oneAndHalf));
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.SetOperatorLimits, limits(f.eighteenAddr, oneAndHalf)))
        .to.be.revertedWithCustomError(f.vault, "LimitNotRepresentable")
        .withArgs(oneAndHalf, 10n ** 18n);
      const halfUsdt = usdt(1) / 2n;
      await f.vault.connect(f.admin).proposeChange(ChangeKind.SetOperatorLimits, limits(f.usdtAddr, halfUsdt));
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.SetOperatorLimits, limits(f.sixAddr, halfUsdt)))
        .to.be.revertedWithCustomError(f.vault, "LimitNotRepresentable")
        .withArgs(halfUsdt, 10n ** 6n);
    });

    it("an 18-decimal token accounted in wei can only have limits below 2**36 wei", async () => {
      const f = await loadFixture(decimalsFixture);
      const wei = await ethers.deployContract("MockERC20", ["Wei", "WEI", 18]);
      const weiAddr = await wei.getAddress();
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.ListToken, encodeChange.listToken(weiAddr, 0, dai(1))))
        .to.be.revertedWithCustomError(f.vault, "LimitNotRepresentable")
        .withArgs(dai(1), 1n);
      const maxCap = 2n ** 36n - 1n;
      await f.vault.connect(f.admin).proposeChange(ChangeKind.ListToken, encodeChange.listToken(weiAddr, 0, maxCap));
    });
  });

  describe("the largest units: queue caps and unitDecimals agree", () => {
    const MAX_UNITS = 2n ** 36n - 1n;
    /** A token of `decimals` decimals listed at `unitDecimals`, bot1 given `queueCap`, the vault funded with it. */
    async function listedWithQueueCap(decimals: number, unitDecimals: number, queueCap: bigint) {
      const f = await deployVaultFixture();
      const token = await ethers.deployContract("MockERC20", [`D${decimals}`, `D${decimals}`, decimals]);
      const addr = await token.getAddress();
      const listing: Listing = { unitDecimals, vaultCap: 0n, cap: 0n, instant: 0n, queueCap, funding: queueCap };
      await listWithLimits(f, [{ token: addr, listing }]);
      await token.mint(f.vaultAddr, queueCap);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.exchange2.address));
      return { f, token, addr };
    }

    it("a 50-decimal token gets a queue cap of whole tokens, queues it and executes it", async () => {
      const one = 10n ** 50n;
      const { f, token, addr } = await listedWithQueueCap(50, 50, 1_000n * one);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, addr)).queueCap).to.equal(1_000n * one);
      await f.vault.connect(f.bot1).queueWithdrawal(addr, f.exchange2.address, 1_000n * one);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, addr)).pendingQueued).to.equal(1_000n * one);
      await time.increase(POLICY.withdrawalDelay);
      await f.vault.connect(f.bot1).executeWithdrawal(await f.vault.withdrawalCount());
      expect(await token.balanceOf(f.exchange2.address)).to.equal(1_000n * one);
    });

    it("at MAX_UNIT_DECIMALS (54) the largest queue cap, 2**36 - 1 units, can be queued in full; one base unit more trips", async () => {
      const unit = 10n ** BigInt(MAX_UNIT_DECIMALS);
      const max = MAX_UNITS * unit;
      const { f, addr } = await listedWithQueueCap(60, MAX_UNIT_DECIMALS, max);
      await expect(f.vault.connect(f.bot1).queueWithdrawal(addr, f.exchange2.address, max)).to.emit(f.vault, "WithdrawalQueued");
      const s = await f.lens.operatorState(f.vault, f.bot1.address, addr);
      expect([s.queueCap, s.pendingQueued]).to.deep.equal([max, max]);
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, addr, 0n)).queued).to.equal(max);
      // The queue is full: one more base unit trips QueueCapExceeded (room 0), it does not overflow.
      await expect(f.vault.connect(f.bot1).queueWithdrawal(addr, f.exchange2.address, 1n))
        .to.emit(f.vault, "TripwireFired").withArgs(f.bot1.address, addr, TripReason.QueueCapExceeded, f.exchange2.address, 1n);
    });

    it("unitDecimals above 54, and queue caps that are not whole units or above 2**36 - 1 units, are refused", async () => {
      const f = await loadFixture(deployVaultFixture);
      const extra = await (await ethers.deployContract("MockERC20", ["E", "E", 18])).getAddress();
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.ListToken, encodeChange.listToken(extra, MAX_UNIT_DECIMALS + 1, 0n)))
        .to.be.revertedWithCustomError(f.vault, "InvalidUnitDecimals").withArgs(MAX_UNIT_DECIMALS + 1);
      const unit = 10n ** BigInt(POLICY.dai.unitDecimals);
      const limits = (queueCap: bigint) => encodeChange.setOperatorLimits({ operator: f.bot1.address, token: f.daiAddr, cap: POLICY.dai.cap, instantLimit: POLICY.dai.instant, queueCap });
      for (const queueCap of [unit + 1n, (MAX_UNITS + 1n) * unit]) {
        await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.SetOperatorLimits, limits(queueCap)))
          .to.be.revertedWithCustomError(f.vault, "LimitNotRepresentable").withArgs(queueCap, unit);
      }
      await f.vault.connect(f.admin).proposeChange(ChangeKind.SetOperatorLimits, limits(MAX_UNITS * unit));
    });
  });

  describe("fee-on-transfer token", () => {
    interface FeeFixture extends VaultFixture {
      fee: FeeOnTransferToken;
      feeAddr: string;
    }

    async function feeFixture(): Promise<FeeFixture> {
      const f = await deployVaultFixture();
      const fee = await ethers.deployContract("FeeOnTransferToken", [FEE_BPS]);
      const feeAddr = await fee.getAddress();
      await listWithLimits(f, [{ token: feeAddr, listing: HOSTILE }]);
      await fee.mint(f.vaultAddr, HOSTILE.funding);
      await fee.mint(f.stranger.address, HOSTILE.funding);
      return { ...f, fee, feeAddr };
    }

    const feeOf = (amount: bigint) => (amount * FEE_BPS) / BPS;

    it("withdraw: the limiter counts what the vault sends, the recipient gets that less the fee", async () => {
      const f = await loadFixture(feeFixture);
      expect(await f.fee.FEE_BPS()).to.equal(FEE_BPS);
      const accts = holders(f);
      const supply = await f.fee.totalSupply();
      const before = await snapshot(f.fee, accts);
      const amount = HOSTILE.instant;
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.feeAddr, f.exchange.address, amount))
        .to.emit(f.vault, "Withdrawn")
        .withArgs(f.bot1.address, f.feeAddr, f.exchange.address, amount);
      await expectDeltas(f.fee, before, {
        [f.vaultAddr]: -amount,
        [f.exchange.address]: amount - feeOf(amount),
        [DEAD]: feeOf(amount),
      });
      expect(feeOf(amount)).to.be.greaterThan(0n);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.feeAddr)).used).to.equal(amount);
      expect((await f.lens.tokenState(f.vault, f.feeAddr)).used).to.equal(amount);
      expect(await held(f.fee, accts)).to.equal(supply);
    });

    it("queued withdrawal: the vault's balance drops by exactly the queued amount", async () => {
      const f = await loadFixture(feeFixture);
      const accts = holders(f);
      const supply = await f.fee.totalSupply();
      const amount = HOSTILE.instant * 3n;
      await f.vault.connect(f.bot1).queueWithdrawal(f.feeAddr, f.exchange.address, amount);
      const id = await f.vault.withdrawalCount();
      await time.increase(await f.vault.withdrawalDelay());
      const before = await snapshot(f.fee, accts);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
        .to.emit(f.vault, "WithdrawalExecuted")
        .withArgs(id, f.bot1.address, f.feeAddr, f.exchange.address, amount);
      await expectDeltas(f.fee, before, {
        [f.vaultAddr]: -amount,
        [f.exchange.address]: amount - feeOf(amount),
        [DEAD]: feeOf(amount),
      });
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.feeAddr)).pendingQueued).to.equal(0n);
      expect(await held(f.fee, accts)).to.equal(supply);
    });

    it("deposit reports the amount that arrived", async () => {
      const f = await loadFixture(feeFixture);
      const accts = holders(f);
      const supply = await f.fee.totalSupply();
      const amount = HOSTILE.instant;
      await f.fee.connect(f.stranger).approve(f.vaultAddr, amount);
      const before = await snapshot(f.fee, accts);
      await expect(f.vault.connect(f.stranger).deposit(f.feeAddr, amount))
        .to.emit(f.vault, "Deposited")
        .withArgs(f.feeAddr, f.stranger.address, amount - feeOf(amount));
      await expectDeltas(f.fee, before, {
        [f.stranger.address]: -amount,
        [f.vaultAddr]: amount - feeOf(amount),
        [DEAD]: feeOf(amount),
      });
      expect((await f.lens.tokenState(f.vault, f.feeAddr)).balance).to.equal(HOSTILE.funding + amount - feeOf(amount));
      expect(await held(f.fee, accts)).to.equal(supply);
    });

    it("evacuation sends exactly the amount, and sweeping takes exactly the balance", async () => {
      const f = await loadFixture(feeFixture);
      const accts = holders(f);
      const supply = await f.fee.totalSupply();
      const amount = HOSTILE.instant;
      let before = await snapshot(f.fee, accts);
      await expect(f.vault.connect(f.guardian).evacuate(f.feeAddr, amount))
        .to.emit(f.vault, "Evacuated")
        .withArgs(f.feeAddr, f.recovery.address, amount, f.guardian.address);
      await expectDeltas(f.fee, before, {
        [f.vaultAddr]: -amount,
        [f.recovery.address]: amount - feeOf(amount),
        [DEAD]: feeOf(amount),
      });
      const rest = HOSTILE.funding - amount;
      before = await snapshot(f.fee, accts);
      await expect(f.vault.connect(f.guardian).evacuate(f.feeAddr, ethers.MaxUint256))
        .to.emit(f.vault, "Evacuated")
        .withArgs(f.feeAddr, f.recovery.address, rest, f.guardian.address);
      await expectDeltas(f.fee, before, { [f.vaultAddr]: -rest, [f.recovery.address]: rest - feeOf(rest), [DEAD]: feeOf(rest) });
      expect(await held(f.fee, accts)).to.equal(supply);
    });
  });

  describe("rebasing token", () => {
    interface RebaseFixture extends VaultFixture {
      reb: RebasingToken;
      rebAddr: string;
    }

    async function rebaseFixture(): Promise<RebaseFixture> {
      const f = await deployVaultFixture();
      const reb = await ethers.deployContract("RebasingToken");
      const rebAddr = await reb.getAddress();
      await listWithLimits(f, [{ token: rebAddr, listing: REBASING }]);
      await reb.mint(f.vaultAddr, REBASING.funding);
      return { ...f, reb, rebAddr };
    }

    /** The token's shares are what a rebase cannot change: their sum over all holders is conserved. */
    async function totalShares(f: RebaseFixture): Promise<bigint> {
      let sum = 0n;
      for (const a of holders(f)) sum += await f.reb.shares(a);
      return sum;
    }

    it("limits count the amounts sent, not balances: a rebase changes neither used nor available", async () => {
      const f = await loadFixture(rebaseFixture);
      const one = 10n ** 18n;
      const shares = await totalShares(f);
      const { instant, cap } = REBASING;
      await f.vault.connect(f.bot1).withdrawInstant(f.rebAddr, f.exchange.address, instant);
      expect(await f.reb.balanceOf(f.exchange.address)).to.equal(instant);
      const index = 2n * one;
      await f.reb.rebase(index);
      // Balances doubled, the amounts counted did not.
      expect(await f.reb.balanceOf(f.exchange.address)).to.equal(instant * 2n);
      expect(await f.reb.balanceOf(f.vaultAddr)).to.equal((REBASING.funding - instant) * 2n);
      let s = await f.lens.operatorState(f.vault, f.bot1.address, f.rebAddr);
      expect([s.used, s.available]).to.deep.equal([instant, cap - instant]);
      expect((await f.lens.tokenState(f.vault, f.rebAddr)).used).to.equal(instant);

      await f.vault.connect(f.bot1).withdrawInstant(f.rebAddr, f.exchange.address, cap - instant);
      expect(await f.reb.balanceOf(f.exchange.address)).to.equal(instant * 2n + cap - instant);
      s = await f.lens.operatorState(f.vault, f.bot1.address, f.rebAddr);
      expect([s.used, s.available]).to.deep.equal([cap, 0n]);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, f.rebAddr)).to.equal(0n);
      // The vault holds far more than the cap, yet the cap binds.
      const vaultBalance = await f.reb.balanceOf(f.vaultAddr);
      expect(vaultBalance).to.be.greaterThan(cap);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.rebAddr, f.exchange.address, one))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.rebAddr, TripReason.CapExceeded, f.exchange.address, one);
      expect(await f.reb.balanceOf(f.vaultAddr)).to.equal(vaultBalance);

      expect(await totalShares(f)).to.equal(shares);
      expect(await held(f.reb, holders(f))).to.equal((shares * index) / one);
    });

    it("a negative rebase makes a queued withdrawal fail with InsufficientBalance; it stays pending", async () => {
      const f = await loadFixture(rebaseFixture);
      const one = 10n ** 18n;
      const shares = await totalShares(f);
      const amount = (REBASING.funding * 3n) / 4n;
      await f.vault.connect(f.bot1).queueWithdrawal(f.rebAddr, f.exchange.address, amount);
      const id = await f.vault.withdrawalCount();
      await f.reb.rebase(one / 2n);
      const shrunk = REBASING.funding / 2n;
      expect(await f.reb.balanceOf(f.vaultAddr)).to.equal(shrunk);
      await time.increase(await f.vault.withdrawalDelay());
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
        .to.be.revertedWithCustomError(f.vault, "InsufficientBalance")
        .withArgs(f.rebAddr, amount, shrunk);
      const w = await views.getWithdrawal(f.vault, id);
      expect(w.status).to.equal(BigInt(Status.Pending));
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.rebAddr)).pendingQueued).to.equal(amount);
      expect(await f.reb.balanceOf(f.exchange.address)).to.equal(0n);
      expect(await totalShares(f)).to.equal(shares);

      // Once the balance is back, the same withdrawal executes.
      await f.reb.rebase(one);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
        .to.emit(f.vault, "WithdrawalExecuted")
        .withArgs(id, f.bot1.address, f.rebAddr, f.exchange.address, amount);
      expect(await f.reb.balanceOf(f.exchange.address)).to.equal(amount);
      expect(await f.reb.balanceOf(f.vaultAddr)).to.equal(REBASING.funding - amount);
      expect(await totalShares(f)).to.equal(shares);
    });

    it("sweeping after a negative rebase takes exactly the current balance", async () => {
      const f = await loadFixture(rebaseFixture);
      await f.reb.rebase(10n ** 18n / 4n);
      const balance = await f.reb.balanceOf(f.vaultAddr);
      await expect(f.vault.connect(f.guardian).evacuate(f.rebAddr, ethers.MaxUint256))
        .to.emit(f.vault, "Evacuated")
        .withArgs(f.rebAddr, f.recovery.address, balance, f.guardian.address);
      expect(await f.reb.balanceOf(f.vaultAddr)).to.equal(0n);
      expect(await f.reb.balanceOf(f.recovery.address)).to.equal(balance);
    });
  });

  describe("token that reverts on zero transfers", () => {
    interface ZeroFixture extends VaultFixture {
      zero: RevertOnZeroToken;
      zeroAddr: string;
    }

    async function zeroFixture(): Promise<ZeroFixture> {
      const f = await deployVaultFixture();
      const zero = await ethers.deployContract("RevertOnZeroToken");
      const zeroAddr = await zero.getAddress();
      await listWithLimits(f, [{ token: zeroAddr, listing: HOSTILE }]);
      await zero.mint(f.vaultAddr, HOSTILE.funding);
      await zero.mint(f.stranger.address, HOSTILE.funding);
      return { ...f, zero, zeroAddr };
    }

    it("the token itself rejects zero transfers (control)", async () => {
      const f = await loadFixture(zeroFixture);
      await expect(f.zero.connect(f.stranger).transfer(f.exchange.address, 0n)).to.be.revertedWith("zero transfer");
    });

    it("zero amounts revert ZeroAmount before any transfer is attempted", async () => {
      const f = await loadFixture(zeroFixture);
      const accts = holders(f);
      const before = await snapshot(f.zero, accts);
      await f.zero.connect(f.stranger).approve(f.vaultAddr, HOSTILE.funding);
      const calls = [
        () => f.vault.connect(f.bot1).withdrawInstant(f.zeroAddr, f.exchange.address, 0n),
        () => f.vault.connect(f.bot1).queueWithdrawal(f.zeroAddr, f.exchange.address, 0n),
        () => f.vault.connect(f.stranger).deposit(f.zeroAddr, 0n),
        () => f.vault.connect(f.guardian).evacuate(f.zeroAddr, 0n),
      ];
      for (const call of calls) await expect(call()).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
      await expectDeltas(f.zero, before, {});
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await f.vault.withdrawalCount()).to.equal(0n);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.zeroAddr)).used).to.equal(0n);
    });

    it("sweeping an empty balance reverts ZeroAmount instead of transferring zero", async () => {
      const f = await loadFixture(zeroFixture);
      await f.vault.connect(f.guardian).evacuate(f.zeroAddr, ethers.MaxUint256);
      expect(await f.zero.balanceOf(f.vaultAddr)).to.equal(0n);
      expect(await f.zero.balanceOf(f.recovery.address)).to.equal(HOSTILE.funding);
      await expect(f.vault.connect(f.guardian).evacuate(f.zeroAddr, ethers.MaxUint256)).to.be.revertedWithCustomError(
        f.vault,
        "ZeroAmount",
      );
    });

    it("non-zero amounts move normally and lose nothing", async () => {
      const f = await loadFixture(zeroFixture);
      const accts = holders(f);
      const supply = await f.zero.totalSupply();
      const before = await snapshot(f.zero, accts);
      await f.vault.connect(f.bot1).withdrawInstant(f.zeroAddr, f.exchange.address, HOSTILE.instant);
      await f.zero.connect(f.stranger).approve(f.vaultAddr, HOSTILE.instant);
      await expect(f.vault.connect(f.stranger).deposit(f.zeroAddr, HOSTILE.instant))
        .to.emit(f.vault, "Deposited")
        .withArgs(f.zeroAddr, f.stranger.address, HOSTILE.instant);
      await expectDeltas(f.zero, before, { [f.exchange.address]: HOSTILE.instant, [f.stranger.address]: -HOSTILE.instant });
      expect(await held(f.zero, accts)).to.equal(supply);
    });
  });

  describe("token that returns false", () => {
    interface FalseFixture extends VaultFixture {
      fls: FalseReturningToken;
      flsAddr: string;
    }

    async function falseFixture(): Promise<FalseFixture> {
      const f = await deployVaultFixture();
      const fls = await ethers.deployContract("FalseReturningToken");
      const flsAddr = await fls.getAddress();
      await listWithLimits(f, [{ token: flsAddr, listing: HOSTILE }]);
      await fls.mint(f.vaultAddr, HOSTILE.funding);
      return { ...f, fls, flsAddr };
    }

    it("a false return on withdraw reverts TokenTransferFailed and rolls the accounting back", async () => {
      const f = await loadFixture(falseFixture);
      const accts = holders(f);
      const before = await snapshot(f.fls, accts);
      const availableBefore = await f.lens.availableNow(f.vault, f.bot1.address, f.flsAddr);
      await f.fls.setFail(true);
      const amount = HOSTILE.instant;
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.flsAddr, f.exchange.address, amount))
        .to.be.revertedWithCustomError(f.vault, "TokenTransferFailed")
        .withArgs(f.flsAddr, f.exchange.address, amount);
      await expectDeltas(f.fls, before, {});
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.flsAddr);
      expect([s.used, s.available]).to.deep.equal([0n, HOSTILE.cap]);
      expect((await f.lens.tokenState(f.vault, f.flsAddr)).used).to.equal(0n);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, f.flsAddr)).to.equal(availableBefore);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);

      // Once the token works again, the same withdrawal goes through and counts once.
      await f.fls.setFail(false);
      await f.vault.connect(f.bot1).withdrawInstant(f.flsAddr, f.exchange.address, amount);
      await expectDeltas(f.fls, before, { [f.vaultAddr]: -amount, [f.exchange.address]: amount });
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.flsAddr)).used).to.equal(amount);
    });

    it("a false return on a queued withdrawal reverts and leaves it pending", async () => {
      const f = await loadFixture(falseFixture);
      const amount = HOSTILE.instant * 2n;
      await f.vault.connect(f.bot1).queueWithdrawal(f.flsAddr, f.exchange.address, amount);
      const id = await f.vault.withdrawalCount();
      await time.increase(await f.vault.withdrawalDelay());
      await f.fls.setFail(true);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(id))
        .to.be.revertedWithCustomError(f.vault, "TokenTransferFailed")
        .withArgs(f.flsAddr, f.exchange.address, amount);
      expect((await views.getWithdrawal(f.vault, id)).status).to.equal(BigInt(Status.Pending));
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.flsAddr)).pendingQueued).to.equal(amount);
      expect(await f.fls.balanceOf(f.vaultAddr)).to.equal(HOSTILE.funding);
      await f.fls.setFail(false);
      await f.vault.connect(f.bot1).executeWithdrawal(id);
      expect(await f.fls.balanceOf(f.exchange.address)).to.equal(amount);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.flsAddr)).pendingQueued).to.equal(0n);
    });

    it("a false return on evacuation reverts TokenTransferFailed", async () => {
      const f = await loadFixture(falseFixture);
      await f.fls.setFail(true);
      await expect(f.vault.connect(f.guardian).evacuate(f.flsAddr, HOSTILE.funding))
        .to.be.revertedWithCustomError(f.vault, "TokenTransferFailed")
        .withArgs(f.flsAddr, f.recovery.address, HOSTILE.funding);
      expect(await f.fls.balanceOf(f.vaultAddr)).to.equal(HOSTILE.funding);
      expect(await f.fls.balanceOf(f.recovery.address)).to.equal(0n);
    });
  });

  describe("deposits", () => {
    it("deposit() of listed tokens emits Deposited with the amount received", async () => {
      const f = await loadFixture(deployVaultFixture);
      const amounts = { dai: dai(1_234), usdt: usdt(5_678) };
      await f.daiToken.mint(f.stranger.address, amounts.dai);
      await f.usdtToken.mint(f.stranger.address, amounts.usdt);
      await f.daiToken.connect(f.stranger).approve(f.vaultAddr, amounts.dai);
      await f.usdtToken.connect(f.stranger).approve(f.vaultAddr, amounts.usdt);
      await expect(f.vault.connect(f.stranger).deposit(f.daiAddr, amounts.dai))
        .to.emit(f.vault, "Deposited")
        .withArgs(f.daiAddr, f.stranger.address, amounts.dai);
      await expect(f.vault.connect(f.stranger).deposit(f.usdtAddr, amounts.usdt))
        .to.emit(f.vault, "Deposited")
        .withArgs(f.usdtAddr, f.stranger.address, amounts.usdt);
      expect(await f.daiToken.balanceOf(f.vaultAddr)).to.equal(POLICY.funding.dai + amounts.dai);
      expect(await f.usdtToken.balanceOf(f.vaultAddr)).to.equal(POLICY.funding.usdt + amounts.usdt);
      expect(await f.daiToken.balanceOf(f.stranger.address)).to.equal(0n);
      expect(await f.usdtToken.balanceOf(f.stranger.address)).to.equal(0n);
    });

    it("deposit() of an unlisted token or of NATIVE reverts UnknownToken; zero reverts ZeroAmount", async () => {
      const f = await loadFixture(deployVaultFixture);
      const other = await ethers.deployContract("MockERC20", ["Other", "OTH", 18]);
      const otherAddr = await other.getAddress();
      await other.mint(f.stranger.address, dai(1));
      await other.connect(f.stranger).approve(f.vaultAddr, dai(1));
      await expect(f.vault.connect(f.stranger).deposit(otherAddr, dai(1)))
        .to.be.revertedWithCustomError(f.vault, "UnknownToken")
        .withArgs(otherAddr);
      await expect(f.vault.connect(f.stranger).deposit(NATIVE, eth(1)))
        .to.be.revertedWithCustomError(f.vault, "UnknownToken")
        .withArgs(NATIVE);
      await expect(f.vault.connect(f.stranger).deposit(f.daiAddr, 0n)).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
      expect(await other.balanceOf(f.stranger.address)).to.equal(dai(1));
    });

    it("ETH sent directly emits Deposited(NATIVE, sender, amount) and is held", async () => {
      const f = await loadFixture(deployVaultFixture);
      const before = await ethers.provider.getBalance(f.vaultAddr);
      const amount = eth(3);
      await expect(f.stranger.sendTransaction({ to: f.vaultAddr, value: amount }))
        .to.emit(f.vault, "Deposited")
        .withArgs(NATIVE, f.stranger.address, amount);
      expect(await ethers.provider.getBalance(f.vaultAddr)).to.equal(before + amount);
      expect((await f.lens.tokenState(f.vault, NATIVE)).balance).to.equal(POLICY.funding.eth + amount);
    });

    it("ETH sent with zero value emits nothing: nobody fills the vault's logs for free", async () => {
      const f = await loadFixture(deployVaultFixture);
      const tx = await f.stranger.sendTransaction({ to: f.vaultAddr, value: 0n });
      const receipt = await tx.wait();
      expect(receipt!.status).to.equal(1);
      expect(receipt!.logs).to.have.length(0);
    });

    it("tokens sent directly are held like deposits and can be withdrawn", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).evacuate(f.daiAddr, ethers.MaxUint256);
      expect((await f.lens.tokenState(f.vault, f.daiAddr)).balance).to.equal(0n);
      await f.daiToken.mint(f.stranger.address, POLICY.dai.instant);
      await f.daiToken.connect(f.stranger).transfer(f.vaultAddr, POLICY.dai.instant);
      expect((await f.lens.tokenState(f.vault, f.daiAddr)).balance).to.equal(POLICY.dai.instant);
      await f.vault.connect(f.bot1).withdrawInstant(f.daiAddr, f.exchange.address, POLICY.dai.instant);
      expect(await f.daiToken.balanceOf(f.exchange.address)).to.equal(POLICY.dai.instant);
    });
  });
});

