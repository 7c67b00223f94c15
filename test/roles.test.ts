import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { GuardedVault__factory } from "../typechain-types";
import type { IGuardedVault } from "../typechain-types/contracts/GuardedVault";
import {
  ChangeKind,
  NATIVE,
  POLICY,
  Status,
  VaultFixture,
  deployVaultFixture,
  encodeChange,
  proposeAndExecute,
  proposeOnly,
  usdt,
  vaultLens,
} from "./helpers/fixture";
import { views } from "./helpers/views";
import { MAX_DELAY, MAX_TRIP_COUNT, MAX_TRIP_PERIOD, MAX_UNIT_DECIMALS, MAX_WINDOW, MIN_DELAY, MIN_WINDOW } from "../sdk/rules/constants";

interface RolesFixture extends VaultFixture {
  guardianRole: string;
  adminRole: string;
}

async function rolesFixture(): Promise<RolesFixture> {
  // A third guardian, so that one can be removed or renounce and two remain (MIN_GUARDIANS).
  const third = (await ethers.getSigners())[10];
  const f = await deployVaultFixture({ extraGuardians: [third.address] });
  return { ...f, guardianRole: await f.vault.GUARDIAN_ROLE(), adminRole: await f.vault.DEFAULT_ADMIN_ROLE() };
}

/** Asserts that `who` holds none of the guardian's instant powers. */
async function expectNoGuardianPowers(f: RolesFixture, who: HardhatEthersSigner): Promise<void> {
  const v = f.vault.connect(who);
  await expect(v.pause()).to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian").withArgs(who.address);
  await expect(v.suspendOperator(f.bot1.address)).to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian").withArgs(who.address);
  await expect(v.revokeDestination(f.bot1.address, f.exchange.address))
    .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
    .withArgs(who.address);
  await expect(v.evacuate(f.daiAddr, 1n))
    .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
    .withArgs(who.address, f.guardianRole);
  expect(await f.vault.hasRole(f.guardianRole, who.address)).to.equal(false);
}

/** Asserts that `who` can use the guardian's instant powers (pause last, since it stops operators). */
async function expectGuardianPowers(f: RolesFixture, who: HardhatEthersSigner): Promise<void> {
  expect(await f.vault.hasRole(f.guardianRole, who.address)).to.equal(true);
  await expect(f.vault.connect(who).evacuate(f.daiAddr, 1n))
    .to.emit(f.vault, "Evacuated")
    .withArgs(f.daiAddr, f.recovery.address, 1n, who.address);
  await expect(f.vault.connect(who).pause()).to.emit(f.vault, "VaultPaused").withArgs(who.address);
}

describe("roles", () => {
  describe("grantRole and revokeRole", () => {
    it("always revert RoleChangeRequiresProposal, whoever calls and whatever the role", async () => {
      const f = await loadFixture(rolesFixture);
      for (const who of [f.admin, f.guardian, f.stranger]) {
        for (const role of [f.guardianRole, f.adminRole]) {
          await expect(f.vault.connect(who).grantRole(role, f.stranger.address)).to.be.revertedWithCustomError(
            f.vault,
            "RoleChangeRequiresProposal",
          );
          await expect(f.vault.connect(who).revokeRole(role, f.guardian.address)).to.be.revertedWithCustomError(
            f.vault,
            "RoleChangeRequiresProposal",
          );
        }
      }
      expect(await f.vault.hasRole(f.guardianRole, f.stranger.address)).to.equal(false);
      expect(await f.vault.hasRole(f.adminRole, f.stranger.address)).to.equal(false);
      expect(await f.vault.hasRole(f.guardianRole, f.guardian.address)).to.equal(true);
      expect(await f.vault.hasRole(f.adminRole, f.admin.address)).to.equal(true);
    });
  });

  describe("guardians through changes", () => {
    it("AddGuardian gives the guardian's powers only once executed", async () => {
      const f = await loadFixture(rolesFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(f.stranger.address));
      await expectNoGuardianPowers(f, f.stranger);
      await time.increase(POLICY.changeDelay);
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.emit(f.vault, "RoleGranted")
        .withArgs(f.guardianRole, f.stranger.address, f.admin.address);
      // The new guardian can veto a change.
      const other = await proposeOnly(f.vault, f.admin, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
      await expect(f.vault.connect(f.stranger).cancelChange(other)).to.emit(f.vault, "ChangeCancelled").withArgs(other, f.stranger.address);
      await expectGuardianPowers(f, f.stranger);
    });

    it("RemoveGuardian takes the powers away once executed, and the others keep theirs", async () => {
      const f = await loadFixture(rolesFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address));
      expect(await f.vault.hasRole(f.guardianRole, f.guardian2.address)).to.equal(true);
      await time.increase(POLICY.changeDelay);
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.emit(f.vault, "RoleRevoked")
        .withArgs(f.guardianRole, f.guardian2.address, f.admin.address);
      await expectNoGuardianPowers(f, f.guardian2);
      const other = await proposeOnly(f.vault, f.admin, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
      await expect(f.vault.connect(f.guardian2).cancelChange(other))
        .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
        .withArgs(f.guardian2.address);
      await expectGuardianPowers(f, f.guardian);
    });

    it("a removed guardian can be added back by a new change", async () => {
      const f = await loadFixture(rolesFixture);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address));
      await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(f.guardian2.address));
      await expectGuardianPowers(f, f.guardian2);
    });

    it("a guardian cannot cancel its own removal (CannotCancelOwnRemoval)", async () => {
      const f = await loadFixture(rolesFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address));
      await expect(f.vault.connect(f.guardian2).cancelChange(id))
        .to.be.revertedWithCustomError(f.vault, "CannotCancelOwnRemoval")
        .withArgs(f.guardian2.address);
      expect((await views.getChange(f.vault, id)).status).to.equal(BigInt(Status.Pending));
      await time.increase(POLICY.changeDelay);
      await f.vault.connect(f.admin).executeChange(id);
      expect(await f.vault.hasRole(f.guardianRole, f.guardian2.address)).to.equal(false);
    });

    it("another guardian can cancel a guardian's removal, which then never happens", async () => {
      const f = await loadFixture(rolesFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address));
      await expect(f.vault.connect(f.guardian).cancelChange(id)).to.emit(f.vault, "ChangeCancelled").withArgs(id, f.guardian.address);
      await time.increase(POLICY.changeDelay);
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
        .withArgs(id, Status.Cancelled);
      expect(await f.vault.hasRole(f.guardianRole, f.guardian2.address)).to.equal(true);
    });

    it("the admin can cancel a guardian's removal, and the targeted guardian can cancel others' removal", async () => {
      const f = await loadFixture(rolesFixture);
      const removeG2 = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address));
      const removeG1 = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian.address));
      await expect(f.vault.connect(f.admin).cancelChange(removeG2)).to.emit(f.vault, "ChangeCancelled").withArgs(removeG2, f.admin.address);
      await expect(f.vault.connect(f.guardian2).cancelChange(removeG1))
        .to.emit(f.vault, "ChangeCancelled")
        .withArgs(removeG1, f.guardian2.address);
    });

    it("a guardian may renounce its own role at once", async () => {
      const f = await loadFixture(rolesFixture);
      await expect(f.vault.connect(f.guardian2).renounceRole(f.guardianRole, f.guardian2.address))
        .to.emit(f.vault, "RoleRevoked")
        .withArgs(f.guardianRole, f.guardian2.address, f.guardian2.address);
      await expectNoGuardianPowers(f, f.guardian2);
      await expectGuardianPowers(f, f.guardian);
    });

    it("nobody can renounce a role for someone else", async () => {
      const f = await loadFixture(rolesFixture);
      await expect(f.vault.connect(f.guardian).renounceRole(f.guardianRole, f.guardian2.address)).to.be.revertedWithCustomError(
        f.vault,
        "AccessControlBadConfirmation",
      );
      await expect(f.vault.connect(f.admin).renounceRole(f.guardianRole, f.guardian.address)).to.be.revertedWithCustomError(
        f.vault,
        "AccessControlBadConfirmation",
      );
      expect(await f.vault.hasRole(f.guardianRole, f.guardian2.address)).to.equal(true);
      expect(await f.vault.hasRole(f.guardianRole, f.guardian.address)).to.equal(true);
    });

    it("the admin cannot renounce the admin role", async () => {
      const f = await loadFixture(rolesFixture);
      await expect(f.vault.connect(f.admin).renounceRole(f.adminRole, f.admin.address)).to.be.revertedWithCustomError(
        f.vault,
        "RoleChangeRequiresProposal",
      );
      expect(await f.vault.hasRole(f.adminRole, f.admin.address)).to.equal(true);
      expect(await f.vault.admin()).to.equal(f.admin.address);
      await f.vault.connect(f.admin).proposeChange(ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
    });

    it("a guardian can neither propose nor execute changes", async () => {
      const f = await loadFixture(rolesFixture);
      await expect(f.vault.connect(f.guardian).proposeChange(ChangeKind.AddGuardian, encodeChange.address(f.stranger.address)))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.guardian.address, f.adminRole);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(f.stranger.address));
      await time.increase(POLICY.changeDelay);
      for (const g of [f.guardian, f.guardian2]) {
        await expect(f.vault.connect(g).executeChange(id))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(g.address, f.adminRole);
      }
      expect(await f.vault.hasRole(f.guardianRole, f.stranger.address)).to.equal(false);
    });

    it("the admin is not a guardian: it cannot evacuate", async () => {
      const f = await loadFixture(rolesFixture);
      await expect(f.vault.connect(f.admin).evacuate(f.daiAddr, 1n))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.admin.address, f.guardianRole);
    });
  });

  describe("admin transfer", () => {
    async function transferred(): Promise<RolesFixture & { newAdmin: HardhatEthersSigner }> {
      const f = await loadFixture(rolesFixture);
      const newAdmin = f.stranger;
      await proposeAndExecute(f.vault, f.admin, ChangeKind.TransferAdmin, encodeChange.address(newAdmin.address));
      return { ...f, newAdmin };
    }

    it("acceptAdmin without an executed TransferAdmin reverts NotPendingAdmin", async () => {
      const f = await loadFixture(rolesFixture);
      for (const who of [f.admin, f.guardian, f.stranger]) {
        await expect(f.vault.connect(who).acceptAdmin()).to.be.revertedWithCustomError(f.vault, "NotPendingAdmin").withArgs(who.address);
      }
      // Proposed but not executed is not enough either.
      await proposeOnly(f.vault, f.admin, ChangeKind.TransferAdmin, encodeChange.address(f.stranger.address));
      await expect(f.vault.connect(f.stranger).acceptAdmin())
        .to.be.revertedWithCustomError(f.vault, "NotPendingAdmin")
        .withArgs(f.stranger.address);
    });

    it("only the named account can accept", async () => {
      const f = await transferred();
      expect(await f.vault.pendingAdmin()).to.equal(f.newAdmin.address);
      for (const who of [f.admin, f.guardian, f.bot1, f.recovery]) {
        await expect(f.vault.connect(who).acceptAdmin()).to.be.revertedWithCustomError(f.vault, "NotPendingAdmin").withArgs(who.address);
      }
      expect(await f.vault.admin()).to.equal(f.admin.address);
    });

    it("the old admin keeps its powers until the new admin accepts", async () => {
      const f = await transferred();
      const id = await proposeAndExecute(f.vault, f.admin, ChangeKind.SetRecovery, encodeChange.address(f.exchange2.address));
      expect((await views.getChange(f.vault, id)).status).to.equal(BigInt(Status.Executed));
      await expect(f.vault.connect(f.newAdmin).proposeChange(ChangeKind.SetRecovery, encodeChange.address(f.newAdmin.address)))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.newAdmin.address, f.adminRole);
    });

    it("accepting moves the role: AdminTransferred, admin(), pendingAdmin() and hasRole", async () => {
      const f = await transferred();
      const tx = f.vault.connect(f.newAdmin).acceptAdmin();
      await expect(tx).to.emit(f.vault, "AdminTransferred").withArgs(f.admin.address, f.newAdmin.address);
      await expect(tx).to.emit(f.vault, "RoleRevoked").withArgs(f.adminRole, f.admin.address, f.newAdmin.address);
      await expect(tx).to.emit(f.vault, "RoleGranted").withArgs(f.adminRole, f.newAdmin.address, f.newAdmin.address);
      expect(await f.vault.admin()).to.equal(f.newAdmin.address);
      expect(await f.vault.pendingAdmin()).to.equal(ethers.ZeroAddress);
      expect(await f.vault.hasRole(f.adminRole, f.newAdmin.address)).to.equal(true);
      expect(await f.vault.hasRole(f.adminRole, f.admin.address)).to.equal(false);
      await expect(f.vault.connect(f.newAdmin).acceptAdmin())
        .to.be.revertedWithCustomError(f.vault, "NotPendingAdmin")
        .withArgs(f.newAdmin.address);
    });

    it("the old admin loses every admin power", async () => {
      const f = await transferred();
      const pending = await proposeOnly(f.vault, f.admin, ChangeKind.SetRecovery, encodeChange.address(f.exchange2.address));
      await f.vault.connect(f.newAdmin).acceptAdmin();
      const old = f.vault.connect(f.admin);
      await expect(old.proposeChange(ChangeKind.AddGuardian, encodeChange.address(f.admin.address)))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.admin.address, f.adminRole);
      await time.increase(POLICY.changeDelay);
      await expect(old.executeChange(pending))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.admin.address, f.adminRole);
      await expect(old.cancelChange(pending)).to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian").withArgs(f.admin.address);
      await expect(old.lengthenDelays(POLICY.changeDelay * 2n, POLICY.withdrawalDelay * 2n))
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.admin.address, f.adminRole);
      await expect(
        old.lowerOperatorLimits({ operator: f.bot1.address, token: f.usdtAddr, cap: 0n, instantLimit: 0n, queueCap: 0n }),
      )
        .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
        .withArgs(f.admin.address);
      await expect(old.pause()).to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian").withArgs(f.admin.address);
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(1));
      await expect(old.cancelWithdrawal(await f.vault.withdrawalCount()))
        .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
        .withArgs(f.admin.address);
      expect(await f.vault.recovery()).to.equal(f.recovery.address);
    });

    it("the new admin gains every admin power", async () => {
      const f = await transferred();
      await f.vault.connect(f.newAdmin).acceptAdmin();
      const id = await proposeAndExecute(f.vault, f.newAdmin, ChangeKind.SetRecovery, encodeChange.address(f.exchange2.address));
      expect((await views.getChange(f.vault, id)).status).to.equal(BigInt(Status.Executed));
      expect(await f.vault.recovery()).to.equal(f.exchange2.address);
      const other = await proposeOnly(f.vault, f.newAdmin, ChangeKind.AddGuardian, encodeChange.address(f.exchange2.address));
      await expect(f.vault.connect(f.newAdmin).cancelChange(other)).to.emit(f.vault, "ChangeCancelled").withArgs(other, f.newAdmin.address);
      await expect(f.vault.connect(f.newAdmin).lengthenDelays(POLICY.changeDelay * 2n, POLICY.withdrawalDelay))
        .to.emit(f.vault, "DelaysSet")
        .withArgs(POLICY.changeDelay * 2n, POLICY.withdrawalDelay);
      await expect(f.vault.connect(f.newAdmin).pause()).to.emit(f.vault, "VaultPaused").withArgs(f.newAdmin.address);
      await expect(f.vault.connect(f.newAdmin).renounceRole(f.adminRole, f.newAdmin.address)).to.be.revertedWithCustomError(
        f.vault,
        "RoleChangeRequiresProposal",
      );
    });

    it("a later TransferAdmin replaces the pending admin", async () => {
      const f = await transferred();
      await proposeAndExecute(f.vault, f.admin, ChangeKind.TransferAdmin, encodeChange.address(f.exchange2.address));
      expect(await f.vault.pendingAdmin()).to.equal(f.exchange2.address);
      await expect(f.vault.connect(f.newAdmin).acceptAdmin())
        .to.be.revertedWithCustomError(f.vault, "NotPendingAdmin")
        .withArgs(f.newAdmin.address);
      await expect(f.vault.connect(f.exchange2).acceptAdmin())
        .to.emit(f.vault, "AdminTransferred")
        .withArgs(f.admin.address, f.exchange2.address);
    });

    it("a cancelled TransferAdmin names nobody", async () => {
      const f = await loadFixture(rolesFixture);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.TransferAdmin, encodeChange.address(f.stranger.address));
      await f.vault.connect(f.guardian).cancelChange(id);
      await time.increase(POLICY.changeDelay);
      await expect(f.vault.connect(f.admin).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeNotPending");
      expect(await f.vault.pendingAdmin()).to.equal(ethers.ZeroAddress);
      await expect(f.vault.connect(f.stranger).acceptAdmin())
        .to.be.revertedWithCustomError(f.vault, "NotPendingAdmin")
        .withArgs(f.stranger.address);
    });
  });

  describe("constructor validation", () => {
    interface DeployFixture extends RolesFixture {
      factory: GuardedVault__factory;
      consts: {
        minWindow: bigint;
        maxWindow: bigint;
        minDelay: bigint;
        maxDelay: bigint;
        maxTripCount: number;
        maxTripPeriod: bigint;
        maxUnitDecimals: number;
      };
    }

    async function deployFixture(): Promise<DeployFixture> {
      const f = await rolesFixture();
      const factory = (await ethers.getContractFactory("GuardedVault")) as unknown as GuardedVault__factory;
      return {
        ...f,
        factory,
        consts: {
          minWindow: MIN_WINDOW,
          maxWindow: MAX_WINDOW,
          minDelay: MIN_DELAY,
          maxDelay: MAX_DELAY,
          maxTripCount: MAX_TRIP_COUNT,
          maxTripPeriod: MAX_TRIP_PERIOD,
          maxUnitDecimals: MAX_UNIT_DECIMALS,
        },
      };
    }

    interface Config {
      admin: string;
      guardians: string[];
      recovery: string;
      window: bigint;
      changeDelay: bigint;
      withdrawalDelay: bigint;
      tripwireMaxCount: number;
      tripwirePeriod: bigint;
      tokens: { token: string; unitDecimals: number; vaultCap: bigint }[];
      limits: { operator: string; token: string; cap: bigint; instantLimit: bigint; queueCap: bigint }[];
      destinations: { operator: string; destination: string }[];
      tripwireOptOuts: string[];
    }

    /** The fixture's policy as an InitConfig, with bot1 opted out of the tripwire. */
    function goodConfig(f: DeployFixture): Config {
      return {
        admin: f.admin.address,
        guardians: [f.guardian.address, f.guardian2.address],
        recovery: f.recovery.address,
        window: POLICY.window,
        changeDelay: POLICY.changeDelay,
        withdrawalDelay: POLICY.withdrawalDelay,
        tripwireMaxCount: POLICY.tripwireMaxCount,
        tripwirePeriod: POLICY.tripwirePeriod,
        tokens: [
          { token: f.usdtAddr, unitDecimals: POLICY.usdt.unitDecimals, vaultCap: POLICY.usdt.vaultCap },
          { token: f.daiAddr, unitDecimals: POLICY.dai.unitDecimals, vaultCap: POLICY.dai.vaultCap },
          { token: NATIVE, unitDecimals: POLICY.eth.unitDecimals, vaultCap: POLICY.eth.vaultCap },
        ],
        limits: [
          { operator: f.bot1.address, token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap },
          { operator: f.bot1.address, token: NATIVE, cap: POLICY.eth.cap, instantLimit: POLICY.eth.instant, queueCap: POLICY.eth.queueCap },
        ],
        destinations: [{ operator: f.bot1.address, destination: f.exchange.address }],
        tripwireOptOuts: [f.bot1.address],
      };
    }

    const deploy = (f: DeployFixture, c: Config) => f.factory.deploy(c as IGuardedVault.InitConfigStruct);

    it("a valid config applies the whole policy in the deployment", async () => {
      const f = await loadFixture(deployFixture);
      const c = goodConfig(f);
      const vault = await deploy(f, c);
      await vault.waitForDeployment();
      const tx = vault.deploymentTransaction()!;
      await expect(tx).to.emit(vault, "RecoverySet").withArgs(f.recovery.address);
      await expect(tx).to.emit(vault, "DelaysSet").withArgs(POLICY.changeDelay, POLICY.withdrawalDelay);
      await expect(tx).to.emit(vault, "TripwireSet").withArgs(POLICY.tripwireMaxCount, POLICY.tripwirePeriod);
      await expect(tx).to.emit(vault, "TokenListed").withArgs(f.usdtAddr, POLICY.usdt.unitDecimals, POLICY.usdt.vaultCap);
      await expect(tx).to.emit(vault, "TripwireOptOutSet").withArgs(f.bot1.address, true);
      expect(await vault.admin()).to.equal(f.admin.address);
      expect(await vault.hasRole(f.adminRole, f.admin.address)).to.equal(true);
      expect(await vault.hasRole(f.guardianRole, f.guardian.address)).to.equal(true);
      expect(await vault.hasRole(f.guardianRole, f.guardian2.address)).to.equal(true);
      expect(await vault.recovery()).to.equal(f.recovery.address);
      expect(await vault.window()).to.equal(POLICY.window);
      expect(await vault.changeDelay()).to.equal(POLICY.changeDelay);
      expect(await vault.withdrawalDelay()).to.equal(POLICY.withdrawalDelay);
      expect(await views.tripwire(vault)).to.deep.equal([BigInt(POLICY.tripwireMaxCount), POLICY.tripwirePeriod]);
      expect(await views.tokens(vault)).to.deep.equal([f.usdtAddr, f.daiAddr, NATIVE]);
      expect(await views.operators(vault)).to.deep.equal([f.bot1.address]);
      const s = await (await vaultLens()).operatorState(vault, f.bot1.address, NATIVE);
      expect([s.cap, s.instantLimit, s.queueCap]).to.deep.equal([POLICY.eth.cap, POLICY.eth.instant, POLICY.eth.queueCap]);
      expect((await (await vaultLens()).operatorState(vault, f.bot1.address, f.daiAddr)).cap).to.equal(0n);
      expect(await vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(true);
      expect(await vault.isApproved(f.bot1.address, f.exchange2.address)).to.equal(false);
      expect(await views.isTripwireOptedOut(vault, f.bot1.address)).to.equal(true);
      expect(await vault.paused()).to.equal(false);
      expect(await vault.changeCount()).to.equal(0n);
    });

    it("accepts the window bounds MIN_WINDOW and MAX_WINDOW", async () => {
      const f = await loadFixture(deployFixture);
      for (const window of [f.consts.minWindow, f.consts.maxWindow]) {
        const vault = await deploy(f, { ...goodConfig(f), window });
        expect(await vault.window()).to.equal(window);
      }
    });

    it("rejects a window out of range or not a multiple of 3 (InvalidWindow)", async () => {
      const f = await loadFixture(deployFixture);
      const { minWindow, maxWindow } = f.consts;
      for (const window of [0n, minWindow - 3n, minWindow + 1n, minWindow + 2n, maxWindow + 3n, maxWindow - 1n]) {
        await expect(deploy(f, { ...goodConfig(f), window }))
          .to.be.revertedWithCustomError(f.factory, "InvalidWindow")
          .withArgs(window);
      }
    });

    it("rejects delays out of [MIN_DELAY, MAX_DELAY] (DelayOutOfRange)", async () => {
      const f = await loadFixture(deployFixture);
      const { minDelay, maxDelay } = f.consts;
      const cases: [bigint, bigint, bigint][] = [
        [minDelay - 1n, POLICY.withdrawalDelay, minDelay - 1n],
        [maxDelay + 1n, POLICY.withdrawalDelay, maxDelay + 1n],
        [POLICY.changeDelay, 0n, 0n],
        [POLICY.changeDelay, maxDelay + 1n, maxDelay + 1n],
      ];
      for (const [changeDelay, withdrawalDelay, bad] of cases) {
        await expect(deploy(f, { ...goodConfig(f), changeDelay, withdrawalDelay }))
          .to.be.revertedWithCustomError(f.factory, "DelayOutOfRange")
          .withArgs(bad);
      }
    });

    it("rejects zero addresses (ZeroAddress)", async () => {
      const f = await loadFixture(deployFixture);
      const Z = ethers.ZeroAddress;
      const g = goodConfig(f);
      // A zero admin with guardians is neither a complete config nor a staged one (roles come last).
      await expect(deploy(f, { ...g, admin: Z })).to.be.revertedWithCustomError(f.factory, "InitialRolesLast");
      const bad: Config[] = [
        { ...g, recovery: Z },
        { ...g, guardians: [f.guardian.address, Z] },
        { ...g, tokens: [...g.tokens, { token: Z, unitDecimals: 18, vaultCap: 0n }] },
        { ...g, limits: [...g.limits, { ...g.limits[0], operator: Z }] },
        { ...g, destinations: [{ operator: Z, destination: f.exchange.address }] },
        { ...g, destinations: [{ operator: f.bot1.address, destination: Z }] },
        { ...g, tripwireOptOuts: [Z] },
      ];
      for (const c of bad) {
        await expect(deploy(f, c)).to.be.revertedWithCustomError(f.factory, "ZeroAddress");
      }
    });

    it("rejects tripwire settings out of range (InvalidTripwire)", async () => {
      const f = await loadFixture(deployFixture);
      const { maxTripCount, maxTripPeriod } = f.consts;
      const cases: [number, bigint][] = [
        [maxTripCount + 1, POLICY.tripwirePeriod],
        [POLICY.tripwireMaxCount, 0n],
        [POLICY.tripwireMaxCount, maxTripPeriod + 1n],
      ];
      for (const [tripwireMaxCount, tripwirePeriod] of cases) {
        await expect(deploy(f, { ...goodConfig(f), tripwireMaxCount, tripwirePeriod }))
          .to.be.revertedWithCustomError(f.factory, "InvalidTripwire")
          .withArgs(tripwireMaxCount, tripwirePeriod);
      }
      const off = await deploy(f, { ...goodConfig(f), tripwireMaxCount: 0, tripwirePeriod: 1n });
      expect(await views.tripwire(off)).to.deep.equal([0n, 1n]);
    });

    it("rejects unitDecimals above MAX_UNIT_DECIMALS (InvalidUnitDecimals)", async () => {
      const f = await loadFixture(deployFixture);
      const g = goodConfig(f);
      const tokens = [{ ...g.tokens[0], unitDecimals: f.consts.maxUnitDecimals + 1, vaultCap: 0n }, ...g.tokens.slice(1)];
      await expect(deploy(f, { ...g, tokens }))
        .to.be.revertedWithCustomError(f.factory, "InvalidUnitDecimals")
        .withArgs(f.consts.maxUnitDecimals + 1);
    });

    it("rejects inconsistent tokens, limits and guardians with the same errors as the changes", async () => {
      const f = await loadFixture(deployFixture);
      const g = goodConfig(f);
      const unit = 10n ** BigInt(POLICY.usdt.unitDecimals);
      await expect(deploy(f, { ...g, guardians: [f.guardian.address, f.guardian.address] }))
        .to.be.revertedWithCustomError(f.factory, "GuardianStateUnchanged")
        .withArgs(f.guardian.address);
      await expect(deploy(f, { ...g, tokens: [...g.tokens, g.tokens[0]] }))
        .to.be.revertedWithCustomError(f.factory, "TokenAlreadyListed")
        .withArgs(f.usdtAddr);
      await expect(deploy(f, { ...g, tokens: g.tokens.slice(1) }))
        .to.be.revertedWithCustomError(f.factory, "UnknownToken")
        .withArgs(f.usdtAddr);
      await expect(deploy(f, { ...g, limits: [{ ...g.limits[0], cap: POLICY.usdt.cap + 1n }] }))
        .to.be.revertedWithCustomError(f.factory, "LimitNotRepresentable")
        .withArgs(POLICY.usdt.cap + 1n, unit);
      await expect(deploy(f, { ...g, limits: [{ ...g.limits[0], instantLimit: POLICY.usdt.cap + unit }] }))
        .to.be.revertedWithCustomError(f.factory, "InstantLimitAboveCap")
        .withArgs(POLICY.usdt.cap + unit, POLICY.usdt.cap);
      const tokens = [{ ...g.tokens[0], vaultCap: POLICY.usdt.vaultCap + 1n }, ...g.tokens.slice(1)];
      await expect(deploy(f, { ...g, tokens }))
        .to.be.revertedWithCustomError(f.factory, "LimitNotRepresentable")
        .withArgs(POLICY.usdt.vaultCap + 1n, unit);
    });
  });
});
