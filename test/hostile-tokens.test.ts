import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChangeKind,
  POLICY,
  deployVaultFixture,
  encodeChange,
  proposeAndExecute,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";

/** The token surface the matrix needs; every mock under contracts/test has it. */
interface TestToken {
  getAddress(): Promise<string>;
  mint(to: string, amount: bigint): Promise<unknown>;
  balanceOf(account: string): Promise<bigint>;
}

interface Kind {
  name: string;
  decimals: number;
  /** Limits are kept in units of 10**unitDecimals. */
  unitDecimals: number;
  deploy(f: VaultFixture): Promise<TestToken>;
  /** What a recipient gets when the vault sends `amount`. */
  received(amount: bigint): bigint;
  /** Whether the token has approve/transferFrom, so deposit() can pull it. */
  pullable: boolean;
  /** Addresses besides the parties that may hold the token (fee sinks). */
  sinks: string[];
}

const FEE_BPS = 100n;
const DEAD = "0x000000000000000000000000000000000000dEaD";

const KINDS: Kind[] = [
  { name: "USDT-style, no return values", decimals: 6, unitDecimals: 4, pullable: true, sinks: [], received: (a) => a,
    deploy: async () => ethers.deployContract("MockUSDT") },
  { name: "returns false on failure (working)", decimals: 18, unitDecimals: 16, pullable: true, sinks: [], received: (a) => a,
    deploy: async () => ethers.deployContract("FalseReturningToken") },
  { name: "fee on transfer (1%)", decimals: 18, unitDecimals: 16, pullable: true, sinks: [DEAD], received: (a) => a - (a * FEE_BPS) / 10_000n,
    deploy: async () => ethers.deployContract("FeeOnTransferToken", [FEE_BPS]) },
  { name: "rebasing", decimals: 18, unitDecimals: 16, pullable: false, sinks: [], received: (a) => a,
    deploy: async () => ethers.deployContract("RebasingToken") },
  { name: "reverts on zero transfers", decimals: 18, unitDecimals: 16, pullable: true, sinks: [], received: (a) => a,
    deploy: async () => ethers.deployContract("RevertOnZeroToken") },
  { name: "blocklisting (USDC-style), nobody blocked", decimals: 18, unitDecimals: 16, pullable: true, sinks: [], received: (a) => a,
    deploy: async () => ethers.deployContract("BlocklistToken") },
  { name: "re-enters the vault on every transfer out (hook)", decimals: 18, unitDecimals: 16, pullable: true, sinks: [], received: (a) => a,
    deploy: async (f) => {
      const t = await ethers.deployContract("ReentrantToken");
      // On every transfer out of the vault, the token calls back: withdraw again.
      const payload = f.vault.interface.encodeFunctionData("withdrawInstant", [await t.getAddress(), f.exchange.address, 1n]);
      await t.arm(f.vaultAddr, payload);
      return t;
    } },
  ...[6, 8, 18, 24].map((decimals): Kind => ({
    name: `${decimals} decimals`, decimals, unitDecimals: Math.max(0, decimals - 2), pullable: true, sinks: [], received: (a) => a,
    deploy: async () => ethers.deployContract("MockERC20", [`D${decimals}`, `D${decimals}`, decimals]),
  })),
];

/** Lists `token` with limits for bot1 scaled to its decimals and funds the vault. */
async function listed(f: VaultFixture, kind: Kind, token: TestToken) {
  const one = 10n ** BigInt(kind.decimals);
  const addr = await token.getAddress();
  const limits = { cap: 1_000_000n * one, instant: 100_000n * one, queueCap: 5_000_000n * one, vaultCap: 2_000_000n * one };
  await proposeAndExecute(f.vault, f.admin, ChangeKind.ListToken, encodeChange.listToken(addr, kind.unitDecimals, limits.vaultCap));
  await proposeAndExecute(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({
    operator: f.bot1.address, token: addr, cap: limits.cap, instantLimit: limits.instant, queueCap: limits.queueCap,
  }));
  const funding = 10_000_000n * one;
  await token.mint(f.vaultAddr, funding);
  await token.mint(f.stranger.address, funding);
  return { addr, one, limits, minted: 2n * funding };
}

/** Sum over everyone who can hold the token: it never changes, so nothing was lost or made. */
async function held(f: VaultFixture, kind: Kind, token: TestToken): Promise<bigint> {
  let total = 0n;
  for (const who of [f.vaultAddr, f.exchange.address, f.recovery.address, f.stranger.address, ...kind.sinks]) {
    total += await token.balanceOf(who);
  }
  return total;
}

describe("hostile tokens on every transfer path", () => {
  for (const kind of KINDS) {
    describe(kind.name, () => {
      async function fixture() {
        const f = await deployVaultFixture();
        const token = await kind.deploy(f);
        return { f, token, ...(await listed(f, kind, token)) };
      }

      it("instant withdrawal: the vault loses exactly the amount, the limiter counts it, nothing is lost", async () => {
        const { f, token, addr, one, minted } = await loadFixture(fixture);
        const amount = 12_345n * one + 1n;
        const vaultBefore = await token.balanceOf(f.vaultAddr);
        const exchangeBefore = await token.balanceOf(f.exchange.address);
        await expect(f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, amount))
          .to.emit(f.vault, "Withdrawn").withArgs(f.bot1.address, addr, f.exchange.address, amount);
        expect(vaultBefore - (await token.balanceOf(f.vaultAddr))).to.equal(amount);
        expect((await token.balanceOf(f.exchange.address)) - exchangeBefore).to.equal(kind.received(amount));
        const unit = 10n ** BigInt(kind.unitDecimals);
        expect((await f.lens.operatorState(f.vault, f.bot1.address, addr)).used).to.equal(((amount + unit - 1n) / unit) * unit);
        expect(await held(f, kind, token)).to.equal(minted);
      });

      it("queued withdrawal: executes after the delay for exactly the amount, nothing is lost", async () => {
        const { f, token, addr, one, minted } = await loadFixture(fixture);
        const amount = 2_000_000n * one;
        await f.vault.connect(f.bot1).queueWithdrawal(addr, f.exchange.address, amount);
        const id = await f.vault.withdrawalCount();
        await time.increase(POLICY.withdrawalDelay);
        const vaultBefore = await token.balanceOf(f.vaultAddr);
        const exchangeBefore = await token.balanceOf(f.exchange.address);
        await f.vault.connect(f.bot1).executeWithdrawal(id);
        expect(vaultBefore - (await token.balanceOf(f.vaultAddr))).to.equal(amount);
        expect((await token.balanceOf(f.exchange.address)) - exchangeBefore).to.equal(kind.received(amount));
        expect(await held(f, kind, token)).to.equal(minted);
      });

      it("evacuation: a part, then everything, to the recovery address; nothing is lost", async () => {
        const { f, token, addr, one, minted } = await loadFixture(fixture);
        const part = 777n * one;
        await f.vault.connect(f.guardian).evacuate(addr, part);
        expect(await token.balanceOf(f.recovery.address)).to.equal(kind.received(part));
        const rest = await token.balanceOf(f.vaultAddr);
        await f.vault.connect(f.guardian).evacuate(addr, ethers.MaxUint256);
        expect(await token.balanceOf(f.vaultAddr)).to.equal(0n);
        expect(await token.balanceOf(f.recovery.address)).to.equal(kind.received(part) + kind.received(rest));
        expect(await held(f, kind, token)).to.equal(minted);
      });

      if (kind.pullable) {
        it("deposit: reports what arrived and holds it; nothing is lost", async () => {
          const { f, token, addr, one, minted } = await loadFixture(fixture);
          const amount = 5_000n * one;
          const t = (await ethers.getContractAt("MockERC20", addr)).connect(f.stranger);
          await t.approve(f.vaultAddr, amount);
          const vaultBefore = await token.balanceOf(f.vaultAddr);
          await expect(f.vault.connect(f.stranger).deposit(addr, amount))
            .to.emit(f.vault, "Deposited").withArgs(addr, f.stranger.address, kind.received(amount));
          expect((await token.balanceOf(f.vaultAddr)) - vaultBefore).to.equal(kind.received(amount));
          expect(await held(f, kind, token)).to.equal(minted);
        });
      }
    });
  }

  describe("a token whose transfer returns false without reverting: the real cause is reported", () => {
    async function fixture() {
      const f = await deployVaultFixture();
      const kind = KINDS[1];
      const token = await ethers.deployContract("FalseReturningToken");
      const listing = await listed(f, kind, token);
      await token.setFail(true);
      return { f, token, ...listing };
    }

    it("evacuating everything reverts TokenTransferFailed for the vault's real balance, not InsufficientBalance(0)", async () => {
      const { f, token, addr } = await loadFixture(fixture);
      const balance = await token.balanceOf(f.vaultAddr);
      expect(balance).to.be.greaterThan(0n);
      await expect(f.vault.connect(f.guardian).evacuate(addr, ethers.MaxUint256))
        .to.be.revertedWithCustomError(f.vault, "TokenTransferFailed").withArgs(addr, f.recovery.address, balance);
      await expect(f.vault.connect(f.guardian).evacuate(addr, balance / 2n))
        .to.be.revertedWithCustomError(f.vault, "TokenTransferFailed").withArgs(addr, f.recovery.address, balance / 2n);
      expect(await token.balanceOf(f.vaultAddr)).to.equal(balance);
    });

    it("more than the vault holds reverts InsufficientBalance with the real balance", async () => {
      const { f, token, addr } = await loadFixture(fixture);
      const balance = await token.balanceOf(f.vaultAddr);
      await expect(f.vault.connect(f.guardian).evacuate(addr, balance + 1n))
        .to.be.revertedWithCustomError(f.vault, "InsufficientBalance").withArgs(addr, balance + 1n, balance);
    });

    it("an instant withdrawal reverts TokenTransferFailed and charges nothing", async () => {
      const { f, addr, one } = await loadFixture(fixture);
      await expect(f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, one))
        .to.be.revertedWithCustomError(f.vault, "TokenTransferFailed").withArgs(addr, f.exchange.address, one);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, addr)).used).to.equal(0n);
    });
  });

  describe("a blocklisting token (USDC-style) with a blocked destination", () => {
    async function fixture() {
      const f = await deployVaultFixture();
      const kind = KINDS.find((k) => k.name.startsWith("blocklisting"))!;
      const token = await ethers.deployContract("BlocklistToken");
      const base = await listed(f, kind, token);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({
        operator: f.bot2.address, token: base.addr, cap: base.limits.cap, instantLimit: base.limits.instant, queueCap: base.limits.queueCap,
      }));
      await token.setBlocked(f.exchange2.address, true);
      return { f, token, ...base };
    }

    it("fails only the withdrawal to the blocked address, with nothing counted; others go through", async () => {
      const { f, token, addr, one } = await loadFixture(fixture);
      const amount = 1_000n * one;
      await expect(f.vault.connect(f.bot2).withdrawInstant(addr, f.exchange2.address, amount))
        .to.be.revertedWithCustomError(f.vault, "TokenTransferFailed").withArgs(addr, f.exchange2.address, amount);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, addr)).used).to.equal(0n);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
      await f.vault.connect(f.bot2).withdrawInstant(addr, f.exchange.address, amount);
      await f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, amount);
      expect(await token.balanceOf(f.exchange.address)).to.equal(2n * amount);
    });

    it("a queued withdrawal to the blocked address stays pending and is cancelled; the queue keeps working", async () => {
      const { f, token, addr, one } = await loadFixture(fixture);
      const amount = 300_000n * one;
      await f.vault.connect(f.bot2).queueWithdrawal(addr, f.exchange2.address, amount);
      const blockedId = await f.vault.withdrawalCount();
      await f.vault.connect(f.bot2).queueWithdrawal(addr, f.exchange.address, amount);
      const okId = await f.vault.withdrawalCount();
      await time.increase(POLICY.withdrawalDelay);
      await expect(f.vault.connect(f.bot2).executeWithdrawal(blockedId)).to.be.revertedWithCustomError(f.vault, "TokenTransferFailed");
      expect((await views.getWithdrawal(f.vault, blockedId)).status).to.equal(1n);
      await f.vault.connect(f.bot2).executeWithdrawal(okId);
      await f.vault.connect(f.guardian).cancelWithdrawal(blockedId);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, addr)).pendingQueued).to.equal(0n);
      expect(await token.balanceOf(f.exchange.address)).to.equal(amount);
    });

    it("if the vault itself is blocked, its transfers of that token fail but every other token still moves", async () => {
      const { f, token, addr, one } = await loadFixture(fixture);
      await token.setBlocked(f.vaultAddr, true);
      await expect(f.vault.connect(f.bot1).withdrawInstant(addr, f.exchange.address, one))
        .to.be.revertedWithCustomError(f.vault, "TokenTransferFailed");
      await expect(f.vault.connect(f.guardian).evacuate(addr, one)).to.be.revertedWithCustomError(f.vault, "TokenTransferFailed");
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      await f.vault.connect(f.guardian).evacuate(f.daiAddr, POLICY.dai.instant);
      expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(POLICY.usdt.instant);
    });
  });
});
