import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  balanceOf,
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

/** A part of the funding of each token: a quarter. */
const part = (k: Key): bigint => POLICY.funding[k] / 4n;

describe("evacuation", () => {
  for (const k of KEYS) {
    it(`a guardian evacuates an amount of ${k} to the recovery address`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = tokenOf(f, k);
      const amount = part(k);
      const vaultBefore = await balanceOf(f, k, f.vaultAddr);
      const recoveryBefore = await balanceOf(f, k, f.recovery.address);
      await expect(f.vault.connect(f.guardian).evacuate(token, amount))
        .to.emit(f.vault, "Evacuated")
        .withArgs(token, f.recovery.address, amount, f.guardian.address);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(vaultBefore - amount);
      expect(await balanceOf(f, k, f.recovery.address)).to.equal(recoveryBefore + amount);
    });

    it(`type(uint256).max evacuates the whole ${k} balance, and then there is nothing left (ZeroAmount)`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = tokenOf(f, k);
      const all = await balanceOf(f, k, f.vaultAddr);
      expect(all).to.equal(POLICY.funding[k]);
      const recoveryBefore = await balanceOf(f, k, f.recovery.address);
      await expect(f.vault.connect(f.guardian2).evacuate(token, ethers.MaxUint256))
        .to.emit(f.vault, "Evacuated")
        .withArgs(token, f.recovery.address, all, f.guardian2.address);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(0n);
      expect(await balanceOf(f, k, f.recovery.address)).to.equal(recoveryBefore + all);

      await expect(f.vault.connect(f.guardian).evacuate(token, ethers.MaxUint256)).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
    });

    it(`evacuating more ${k} than the vault holds reverts InsufficientBalance`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = tokenOf(f, k);
      const balance = await balanceOf(f, k, f.vaultAddr);
      await expect(f.vault.connect(f.guardian).evacuate(token, balance + 1n))
        .to.be.revertedWithCustomError(f.vault, "InsufficientBalance")
        .withArgs(token, balance + 1n, balance);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(balance);
    });
  }

  it("a zero amount reverts ZeroAmount", async () => {
    const f = await loadFixture(deployVaultFixture);
    for (const k of KEYS) {
      await expect(f.vault.connect(f.guardian).evacuate(tokenOf(f, k), 0n)).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
    }
  });

  it("works while paused and while operators are suspended, for every token", async () => {
    const f = await loadFixture(deployVaultFixture);
    await f.vault.connect(f.guardian).pause();
    await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
    for (const k of KEYS) {
      const token = tokenOf(f, k);
      const all = await balanceOf(f, k, f.vaultAddr);
      const recoveryBefore = await balanceOf(f, k, f.recovery.address);
      await expect(f.vault.connect(f.guardian).evacuate(token, ethers.MaxUint256))
        .to.emit(f.vault, "Evacuated")
        .withArgs(token, f.recovery.address, all, f.guardian.address);
      expect(await balanceOf(f, k, f.vaultAddr)).to.equal(0n);
      expect(await balanceOf(f, k, f.recovery.address)).to.equal(recoveryBefore + all);
    }
    expect(await f.vault.paused()).to.equal(true);
  });

  it("non-guardians cannot evacuate, the admin included", async () => {
    const f = await loadFixture(deployVaultFixture);
    const role = await f.vault.GUARDIAN_ROLE();
    for (const who of [f.admin, f.bot1, f.recovery, f.stranger]) {
      for (const k of KEYS) {
        await expect(f.vault.connect(who).evacuate(tokenOf(f, k), part(k)))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, role);
      }
    }
    for (const k of KEYS) expect(await balanceOf(f, k, f.vaultAddr)).to.equal(POLICY.funding[k]);
  });

  it("a guardian removed by a change can no longer evacuate", async () => {
    const f = await loadFixture(deployVaultFixture);
    await proposeAndExecute(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address));
    await expect(f.vault.connect(f.guardian2).evacuate(f.usdtAddr, part("usdt")))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.guardian2.address, await f.vault.GUARDIAN_ROLE());
    await expect(f.vault.connect(f.guardian).evacuate(f.usdtAddr, part("usdt"))).to.emit(f.vault, "Evacuated");
  });

  it("also sweeps a token that is not listed", async () => {
    const f = await loadFixture(deployVaultFixture);
    const token = await ethers.deployContract("MockERC20", ["Stray (mock)", "STRAY", 18]);
    const addr = await token.getAddress();
    await expect(f.vault.connect(f.guardian).evacuate(addr, ethers.MaxUint256)).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
    await token.mint(f.vaultAddr, POLICY.funding.dai);
    expect((await f.lens.tokenState(f.vault, addr)).listed).to.equal(false);
    await expect(f.vault.connect(f.guardian).evacuate(addr, ethers.MaxUint256))
      .to.emit(f.vault, "Evacuated")
      .withArgs(addr, f.recovery.address, POLICY.funding.dai, f.guardian.address);
    expect(await token.balanceOf(f.recovery.address)).to.equal(POLICY.funding.dai);
  });

  it("does not use the operators' or the vault's withdrawal caps", async () => {
    const f = await loadFixture(deployVaultFixture);
    const amount = POLICY.usdt.vaultCap * 2n;
    expect(amount).to.be.lessThanOrEqual(POLICY.funding.usdt);
    await f.vault.connect(f.guardian).evacuate(f.usdtAddr, amount);
    const tok = await f.lens.tokenState(f.vault, f.usdtAddr);
    expect(tok.used).to.equal(0n);
    expect(tok.available).to.equal(POLICY.usdt.vaultCap);
    expect(tok.balance).to.equal(POLICY.funding.usdt - amount);
    expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).used).to.equal(0n);
  });

  describe("recovery address", () => {
    it("changes only through an executed SetRecovery change; evacuations follow it only after execution", async () => {
      const f = await loadFixture(deployVaultFixture);
      const newRecovery = ethers.Wallet.createRandom().address;
      const params = encodeChange.address(newRecovery);
      const t = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(t);
      const eta = t + BigInt(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.SetRecovery, params))
        .to.emit(f.vault, "ChangeProposed")
        .withArgs(1n, ChangeKind.SetRecovery, params, eta);
      expect(await f.vault.recovery()).to.equal(f.recovery.address);

      // During the delay, evacuation still goes to the old address.
      const amount = part("eth");
      await time.setNextBlockTimestamp(eta - 2n);
      await expect(f.vault.connect(f.guardian).evacuate(NATIVE, amount)).to.changeEtherBalances(
        [f.vaultAddr, f.recovery.address, newRecovery],
        [-amount, amount, 0n],
      );
      await time.setNextBlockTimestamp(eta - 1n);
      await expect(f.vault.connect(f.admin).executeChange(1n)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady").withArgs(1n, eta);

      await time.setNextBlockTimestamp(eta);
      const tx = f.vault.connect(f.admin).executeChange(1n);
      await expect(tx).to.emit(f.vault, "RecoverySet").withArgs(newRecovery);
      await expect(tx).to.emit(f.vault, "ChangeExecuted").withArgs(1n, ChangeKind.SetRecovery);
      expect(await f.vault.recovery()).to.equal(newRecovery);

      await expect(f.vault.connect(f.guardian).evacuate(NATIVE, amount)).to.changeEtherBalances(
        [f.vaultAddr, f.recovery.address, newRecovery],
        [-amount, 0n, amount],
      );
      const dai = part("dai");
      await expect(f.vault.connect(f.guardian).evacuate(f.daiAddr, dai))
        .to.emit(f.vault, "Evacuated")
        .withArgs(f.daiAddr, newRecovery, dai, f.guardian.address);
      expect(await f.daiToken.balanceOf(newRecovery)).to.equal(dai);
    });

    it("a guardian can cancel a recovery change; evacuation keeps going to the old address", async () => {
      const f = await loadFixture(deployVaultFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.SetRecovery, encodeChange.address(f.attacker.address));
      await expect(f.vault.connect(f.guardian).cancelChange(id)).to.emit(f.vault, "ChangeCancelled").withArgs(id, f.guardian.address);
      await time.increase(await f.vault.changeDelay());
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
        .withArgs(id, Status.Cancelled);
      expect(await f.vault.recovery()).to.equal(f.recovery.address);
      const amount = part("usdt");
      await expect(f.vault.connect(f.guardian).evacuate(f.usdtAddr, amount)).to.changeTokenBalances(
        f.usdtToken,
        [f.recovery.address, f.attacker.address],
        [amount, 0n],
      );
    });

    it("only the admin can propose it, and never the zero address", async () => {
      const f = await loadFixture(deployVaultFixture);
      const params = encodeChange.address(f.attacker.address);
      const adminRole = await f.vault.DEFAULT_ADMIN_ROLE();
      for (const who of [f.guardian, f.bot1, f.recovery]) {
        await expect(f.vault.connect(who).proposeChange(ChangeKind.SetRecovery, params))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, adminRole);
      }
      await expect(
        f.vault.connect(f.admin).proposeChange(ChangeKind.SetRecovery, encodeChange.address(ethers.ZeroAddress)),
      ).to.be.revertedWithCustomError(f.vault, "ZeroAddress");
      expect(await f.vault.changeCount()).to.equal(0n);
    });
  });
});
