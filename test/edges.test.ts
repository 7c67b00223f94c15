import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChangeKind,
  DAY,
  NATIVE,
  POLICY,
  deployVaultFixture,
  encodeChange,
  proposeAndExecute,
  vaultStart,
} from "./helpers/fixture";
import { views } from "./helpers/views";
import { MAX_OPERATORS, MAX_TOKENS } from "../sdk/rules/constants";

const randomAddress = () => ethers.Wallet.createRandom().address;

/** A config like the fixture's, with `tokens` and `limits` replaced. */
async function baseConfig() {
  const [admin, guardian, , , , , , , recovery] = await ethers.getSigners();
  return {
    admin: admin.address,
    guardians: [guardian.address, (await ethers.getSigners())[11].address],
    recovery: recovery.address,
    window: POLICY.window,
    changeDelay: POLICY.changeDelay,
    withdrawalDelay: POLICY.withdrawalDelay,
    tripwireMaxCount: POLICY.tripwireMaxCount,
    tripwirePeriod: POLICY.tripwirePeriod,
    tokens: [] as { token: string; unitDecimals: number; vaultCap: bigint }[],
    limits: [] as { operator: string; token: string; cap: bigint; instantLimit: bigint; queueCap: bigint }[],
    destinations: [],
    tripwireOptOuts: [],
  };
}

describe("edges and limits", () => {
  describe("views for off-chain mirrors", () => {
    it("clockStart is the deployment block's timestamp", async () => {
      const f = await loadFixture(deployVaultFixture);
      expect(await f.vault.clockStart()).to.equal(await vaultStart(f.vault));
    });

    it("policyWords packs the limits, usage and flags that the views report", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      const [opWord, tokenWord] = await views.policyWords(f.vault, f.bot1.address, f.usdtAddr);
      const unit = 10n ** BigInt(POLICY.usdt.unitDecimals);
      const field = (w: bigint, from: bigint, bits: bigint) => (w >> from) & ((1n << bits) - 1n);
      expect(field(opWord, 176n, 36n) * unit).to.equal(POLICY.usdt.cap);
      expect(field(opWord, 212n, 36n) * unit).to.equal(POLICY.usdt.instant);
      expect(field(opWord, 0n, 36n) * unit).to.equal(POLICY.usdt.instant);
      expect(field(opWord, 248n, 7n)).to.equal(1n);
      expect(field(opWord, 255n, 1n)).to.equal(0n);
      expect(field(tokenWord, 176n, 36n) * unit).to.equal(POLICY.usdt.vaultCap);
      expect(field(tokenWord, 212n, 7n)).to.equal(BigInt(POLICY.usdt.unitDecimals));
      expect(field(tokenWord, 219n, 7n)).to.equal(BigInt(POLICY.tripwireMaxCount));
      expect(field(tokenWord, 226n, 28n)).to.equal(POLICY.tripwirePeriod);
      expect(field(tokenWord, 254n, 2n)).to.equal(2n); // listed, not paused
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      await f.vault.connect(f.guardian).pause();
      const [opAfter, tokenAfter] = await views.policyWords(f.vault, f.bot1.address, f.usdtAddr);
      expect(field(opAfter, 255n, 1n)).to.equal(1n);
      expect(field(tokenAfter, 254n, 2n)).to.equal(3n);
    });
  });

  describe("re-entry into the other guarded entry points", () => {
    for (const entry of ["queueWithdrawal", "deposit"] as const) {
      it(`a token hook cannot re-enter ${entry} during a withdrawal`, async () => {
        const f = await loadFixture(deployVaultFixture);
        const hook = await ethers.deployContract("ReentrantToken");
        const hookAddr = await hook.getAddress();
        await proposeAndExecute(f.vault, f.admin, ChangeKind.ListToken, encodeChange.listToken(hookAddr, 16, 10n ** 24n));
        await proposeAndExecute(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({
          operator: f.bot1.address, token: hookAddr, cap: 10n ** 23n, instantLimit: 10n ** 22n, queueCap: 10n ** 23n,
        }));
        await hook.mint(f.vaultAddr, 10n ** 24n);
        const payload = entry === "deposit"
          ? f.vault.interface.encodeFunctionData("deposit", [hookAddr, 1n])
          : f.vault.interface.encodeFunctionData("queueWithdrawal", [hookAddr, f.exchange.address, 1n]);
        await hook.arm(f.vaultAddr, payload);
        await f.vault.connect(f.bot1).withdrawInstant(hookAddr, f.exchange.address, 10n ** 18n);
        expect(await hook.lastCallOk()).to.equal(false);
        expect((await hook.lastReturn()).slice(0, 10)).to.equal(f.vault.interface.getError("ReentrancyGuardReentrantCall")!.selector);
        expect(await f.vault.withdrawalCount()).to.equal(0n);
      });
    }
  });

  describe("instant safety actions on things that are not there", () => {
    it("lowering the limits of an account that is not an operator reverts NotOperator", async () => {
      const f = await loadFixture(deployVaultFixture);
      await expect(f.vault.connect(f.guardian).lowerOperatorLimits({
        operator: f.stranger.address, token: f.usdtAddr, cap: 0n, instantLimit: 0n, queueCap: 0n,
      })).to.be.revertedWithCustomError(f.vault, "NotOperator").withArgs(f.stranger.address, f.usdtAddr);
    });

    it("revoking a destination that is not approved changes nothing and emits nothing", async () => {
      const f = await loadFixture(deployVaultFixture);
      await expect(f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.attacker.address))
        .not.to.emit(f.vault, "DestinationRevoked");
      expect(await f.vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(true);
    });

    it("lowering the vault cap of an unlisted token reverts UnknownToken", async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = randomAddress();
      await expect(f.vault.connect(f.guardian).lowerVaultCap(token, 0n))
        .to.be.revertedWithCustomError(f.vault, "UnknownToken").withArgs(token);
    });

    it("sweeping an address that is not a token finds no balance: ZeroAmount, nothing moves", async () => {
      const f = await loadFixture(deployVaultFixture);
      const eoa = randomAddress();
      await expect(f.vault.connect(f.guardian).evacuate(eoa, ethers.MaxUint256)).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
      const notAToken = await ethers.deployContract("RevertingReceiver");
      await expect(f.vault.connect(f.guardian).evacuate(await notAToken.getAddress(), ethers.MaxUint256))
        .to.be.revertedWithCustomError(f.vault, "ZeroAmount");
    });
  });

  describe("bounded sets", () => {
    it("lists at most MAX_TOKENS tokens", async () => {
      const config = await baseConfig();
      const max = 32;
      for (let i = 0; i < max; i++) config.tokens.push({ token: randomAddress(), unitDecimals: 0, vaultCap: 1n });
      const vault = await ethers.deployContract("GuardedVault", [config]);
      expect(MAX_TOKENS).to.equal(max);
      expect((await views.tokens(vault)).length).to.equal(max);
      const [admin] = await ethers.getSigners();
      await expect(vault.connect(admin).proposeChange(ChangeKind.ListToken, encodeChange.listToken(randomAddress(), 0, 1n)))
        .to.be.revertedWithCustomError(vault, "TooManyTokens").withArgs(max);
    });

    it("has at most MAX_OPERATORS operators; an existing one can still get new limits", async () => {
      const config = await baseConfig();
      const max = 64;
      config.tokens.push({ token: NATIVE, unitDecimals: 12, vaultCap: 10n ** 18n });
      const operators = Array.from({ length: max }, randomAddress);
      for (const operator of operators) {
        config.limits.push({ operator, token: NATIVE, cap: 10n ** 12n, instantLimit: 10n ** 12n, queueCap: 0n });
      }
      const vault = await ethers.deployContract("GuardedVault", [config]);
      expect(MAX_OPERATORS).to.equal(max);
      const [admin] = await ethers.getSigners();
      const limits = (operator: string) => encodeChange.setOperatorLimits({
        operator, token: NATIVE, cap: 2n * 10n ** 12n, instantLimit: 10n ** 12n, queueCap: 0n,
      });
      await expect(vault.connect(admin).proposeChange(ChangeKind.SetOperatorLimits, limits(randomAddress())))
        .to.be.revertedWithCustomError(vault, "TooManyOperators").withArgs(max);
      await expect(vault.connect(admin).proposeChange(ChangeKind.SetOperatorLimits, limits(operators[0])))
        .to.emit(vault, "ChangeProposed");
    });
  });

  describe("exposure over a horizon of 0 s: the closed interval [now, now], this block", () => {
    it("is one window of the cap plus everything pending, for an operator and for the vault", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
      const op = await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, 0n);
      // A contract acting in this block could still withdraw a whole cap, and execute whatever is ripe.
      expect([op.instant, op.queued, op.total]).to.deep.equal([POLICY.usdt.cap, POLICY.usdt.queueCap, POLICY.usdt.cap + POLICY.usdt.queueCap]);
      const all = await f.lens.vaultExposure(f.vault, f.usdtAddr, 0n);
      expect([all.instant, all.queued, all.total]).to.deep.equal([POLICY.usdt.vaultCap, POLICY.usdt.queueCap, POLICY.usdt.vaultCap + POLICY.usdt.queueCap]);
      // One delay later, a queue cap queued now could execute too.
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, DAY)).queued).to.equal(2n * POLICY.usdt.queueCap);
    });
  });
});
