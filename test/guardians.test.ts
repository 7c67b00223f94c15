import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ChangeKind, deployVaultFixture, encodeChange, proposeAndExecute, proposeOnly } from "./helpers/fixture";

describe("at least two guardians, always", () => {
  it("the constructor refuses fewer than two", async () => {
    const [admin, g1, recovery] = await ethers.getSigners();
    const base = {
      admin: admin.address, recovery: recovery.address, window: 86_400, changeDelay: 3_600, withdrawalDelay: 3_600,
      tripwireMaxCount: 0, tripwirePeriod: 60, tokens: [], limits: [], destinations: [], tripwireOptOuts: [],
    };
    const factory = await ethers.getContractFactory("GuardedVault");
    for (const guardians of [[], [g1.address]]) {
      await expect(factory.deploy({ ...base, guardians })).to.be.revertedWithCustomError(factory, "TooFewGuardians").withArgs(2);
    }
  });

  it("RemoveGuardian is refused at proposal when it would leave one", async () => {
    const f = await loadFixture(deployVaultFixture);
    await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address)))
      .to.be.revertedWithCustomError(f.vault, "TooFewGuardians").withArgs(2);
  });

  it("with three, two removals may be proposed but only the first executes", async () => {
    const f = await loadFixture(deployVaultFixture);
    await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(f.stranger.address));
    const a = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian.address));
    const b = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address));
    await time.increase(await f.vault.changeDelay());
    await f.vault.connect(f.admin).executeChange(a);
    await expect(f.vault.connect(f.admin).executeChange(b)).to.be.revertedWithCustomError(f.vault, "TooFewGuardians").withArgs(2);
    const role = await f.vault.GUARDIAN_ROLE();
    expect([await f.vault.hasRole(role, f.guardian2.address), await f.vault.hasRole(role, f.stranger.address)]).to.deep.equal([true, true]);
  });

  it("a guardian may renounce only while at least two others remain", async () => {
    const f = await loadFixture(deployVaultFixture);
    const role = await f.vault.GUARDIAN_ROLE();
    await expect(f.vault.connect(f.guardian).renounceRole(role, f.guardian.address)).to.be.revertedWithCustomError(f.vault, "TooFewGuardians").withArgs(2);
    await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(f.stranger.address));
    await expect(f.vault.connect(f.guardian).renounceRole(role, f.guardian.address)).to.emit(f.vault, "RoleRevoked");
    await expect(f.vault.connect(f.guardian2).renounceRole(role, f.guardian2.address)).to.be.revertedWithCustomError(f.vault, "TooFewGuardians");
  });
});
