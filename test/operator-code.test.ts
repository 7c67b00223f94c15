import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployVaultFixture, POLICY } from "./helpers/fixture";
import { views } from "./helpers/views";

/** Places `code` at `account` (an EOA key of the fixture) as a delegation or a deployment would. */
async function setCode(account: string, code: string): Promise<void> {
  await ethers.provider.send("hardhat_setCode", [account, code]);
}

describe("operators are plain keys: a key with code cannot wrap the tripwire", () => {
  it("an off-policy call from the plain key trips and the suspension persists", async () => {
    const f = await loadFixture(deployVaultFixture);
    // The key's own transaction: the vault returns false instead of reverting, so the suspension stays.
    await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, 1n)).to.emit(f.vault, "TripwireFired");
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
  });

  it("wrapper code on the key (what an EIP-7702 delegation installs) is refused with OperatorHasCode on both paths", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { deployedBytecode } = await artifacts.readArtifact("TripwireUndoer");
    await setCode(f.bot1.address, deployedBytecode);
    const wrapped = await ethers.getContractAt("TripwireUndoer", f.bot1.address);
    // The thief calls the key's code from its own account; the code calls the vault as the key. Were it
    // let through, an off-policy call would trip, get `false`, and the wrapper's revert would undo the
    // suspension: the key could probe for free. It is refused before anything runs.
    for (const call of [
      () => wrapped.connect(f.attacker).withdrawOrUndo(f.vault, f.usdtAddr, f.attacker.address, 1n),
      () => wrapped.connect(f.attacker).queueOrUndo(f.vault, f.usdtAddr, f.attacker.address, 1n),
      () => wrapped.connect(f.attacker).withdrawOrUndo(f.vault, f.usdtAddr, f.exchange.address, POLICY.usdt.instant),
    ]) {
      await expect(call()).to.be.revertedWithCustomError(f.vault, "OperatorHasCode").withArgs(f.bot1.address);
    }
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(0n);
  });

  it("an EIP-7702 delegation designator (0xef0100 || address) on the key is code too", async () => {
    const f = await loadFixture(deployVaultFixture);
    const delegate = await ethers.deployContract("TripwireUndoer");
    await setCode(f.bot2.address, ethers.concat(["0xef0100", await delegate.getAddress()]));
    expect(ethers.dataLength(await ethers.provider.getCode(f.bot2.address))).to.equal(23);
    const asKey = f.vault.connect(await ethers.getImpersonatedSigner(f.bot2.address));
    await expect(asKey.withdrawInstant(f.usdtAddr, f.exchange.address, 1n)).to.be.revertedWithCustomError(f.vault, "OperatorHasCode").withArgs(f.bot2.address);
    await expect(asKey.queueWithdrawal(f.usdtAddr, f.exchange.address, 1n)).to.be.revertedWithCustomError(f.vault, "OperatorHasCode").withArgs(f.bot2.address);
    // Removing the delegation makes it a plain key again.
    await setCode(f.bot2.address, "0x");
    await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, 1n)).to.emit(f.vault, "Withdrawn");
  });
});
