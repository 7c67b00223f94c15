import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { MockERC20 } from "../typechain-types";
import {
  ChangeKind,
  NATIVE,
  POLICY,
  Status,
  TripReason,
  VaultFixture,
  deployVaultFixture,
  encodeChange,
  proposeAndExecute,
  proposeOnly,
  usdt,
} from "./helpers/fixture";
import { views } from "./helpers/views";
import { GRACE_PERIOD, MAX_DELAY, MAX_TRIP_COUNT, MAX_TRIP_PERIOD, MAX_UNIT_DECIMALS, MIN_DELAY } from "../sdk/rules/constants";

interface TimelockFixture extends VaultFixture {
  /** A token that is not listed at deployment. */
  extra: MockERC20;
  extraAddr: string;
  guardianRole: string;
  /** Contract constants, read from the chain. */
  minDelay: bigint;
  maxDelay: bigint;
  maxTripCount: number;
  maxTripPeriod: bigint;
  maxUnitDecimals: number;
}

async function timelockFixture(): Promise<TimelockFixture> {
  // A third guardian, so that one can be removed or renounce and two remain (MIN_GUARDIANS).
  const third = (await ethers.getSigners())[10];
  const f = await deployVaultFixture({ extraGuardians: [third.address] });
  const extra = await ethers.deployContract("MockERC20", ["Extra (mock)", "EXT", 18]);
  return {
    ...f,
    extra,
    extraAddr: await extra.getAddress(),
    guardianRole: await f.vault.GUARDIAN_ROLE(),
    // The bounds of contracts/libraries/Constants.sol, as the SDK mirrors them (test/constants.test.ts).
    minDelay: MIN_DELAY,
    maxDelay: MAX_DELAY,
    maxTripCount: MAX_TRIP_COUNT,
    maxTripPeriod: MAX_TRIP_PERIOD,
    maxUnitDecimals: MAX_UNIT_DECIMALS,
  };
}

type F = TimelockFixture;

async function txTimestamp(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return BigInt(block!.timestamp);
}

/** Proposes as admin, checks the ChangeProposed event and the new id; returns id and eta. */
async function propose(f: F, kind: ChangeKind, params: string): Promise<{ id: bigint; eta: bigint }> {
  const id = (await f.vault.changeCount()) + 1n;
  const tx = await f.vault.connect(f.admin).proposeChange(kind, params);
  const eta = (await txTimestamp(tx)) + (await f.vault.changeDelay());
  await expect(tx).to.emit(f.vault, "ChangeProposed").withArgs(id, kind, params, eta);
  expect(await f.vault.changeCount()).to.equal(id);
  return { id, eta };
}

interface KindCase {
  kind: ChangeKind;
  /** Brings the vault into a state in which the change is valid. */
  prepare?: (f: F) => Promise<void>;
  params: (f: F) => string;
  /** Asserts that the change is not in effect. */
  assertBefore: (f: F) => Promise<void>;
  /** Asserts that the change is in effect. */
  assertAfter: (f: F) => Promise<void>;
  /** Asserts the kind-specific event of the executing transaction. */
  expectEvent: (f: F, tx: Promise<ContractTransactionResponse>) => Promise<void>;
}

const raisedUsdt = {
  cap: POLICY.usdt.cap * 2n,
  instant: POLICY.usdt.instant * 2n,
  queueCap: POLICY.usdt.queueCap * 2n,
};
const extraListing = { unitDecimals: 18, vaultCap: 10n ** 18n * 1_000n };

const CASES: KindCase[] = [
  {
    kind: ChangeKind.SetOperatorLimits,
    params: (f) =>
      encodeChange.setOperatorLimits({
        operator: f.bot1.address,
        token: f.usdtAddr,
        cap: raisedUsdt.cap,
        instantLimit: raisedUsdt.instant,
        queueCap: raisedUsdt.queueCap,
      }),
    assertBefore: async (f) => {
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([s.cap, s.instantLimit, s.queueCap]).to.deep.equal([POLICY.usdt.cap, POLICY.usdt.instant, POLICY.usdt.queueCap]);
    },
    assertAfter: async (f) => {
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([s.cap, s.instantLimit, s.queueCap]).to.deep.equal([raisedUsdt.cap, raisedUsdt.instant, raisedUsdt.queueCap]);
      // bot2 is untouched.
      expect((await f.lens.operatorState(f.vault, f.bot2.address, f.usdtAddr)).cap).to.equal(POLICY.usdt.cap);
    },
    expectEvent: (f, tx) =>
      expect(tx)
        .to.emit(f.vault, "OperatorLimitsSet")
        .withArgs(f.bot1.address, f.usdtAddr, raisedUsdt.cap, raisedUsdt.instant, raisedUsdt.queueCap),
  },
  {
    kind: ChangeKind.ApproveDestination,
    params: (f) => encodeChange.approveDestination(f.bot1.address, f.exchange2.address),
    assertBefore: async (f) => {
      expect(await f.vault.isApproved(f.bot1.address, f.exchange2.address)).to.equal(false);
    },
    assertAfter: async (f) => {
      expect(await f.vault.isApproved(f.bot1.address, f.exchange2.address)).to.equal(true);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange2.address, usdt(1)))
        .to.emit(f.vault, "Withdrawn")
        .withArgs(f.bot1.address, f.usdtAddr, f.exchange2.address, usdt(1));
    },
    expectEvent: (f, tx) => expect(tx).to.emit(f.vault, "DestinationApproved").withArgs(f.bot1.address, f.exchange2.address),
  },
  {
    kind: ChangeKind.ListToken,
    params: (f) => encodeChange.listToken(f.extraAddr, extraListing.unitDecimals, extraListing.vaultCap),
    assertBefore: async (f) => {
      expect((await f.lens.tokenState(f.vault, f.extraAddr)).listed).to.equal(false);
      expect(await views.tokens(f.vault)).to.not.include(f.extraAddr);
      await expect(f.vault.connect(f.stranger).deposit(f.extraAddr, 1n))
        .to.be.revertedWithCustomError(f.vault, "UnknownToken")
        .withArgs(f.extraAddr);
    },
    assertAfter: async (f) => {
      const s = await f.lens.tokenState(f.vault, f.extraAddr);
      expect(s.listed).to.equal(true);
      expect(s.unitDecimals).to.equal(BigInt(extraListing.unitDecimals));
      expect(s.vaultCap).to.equal(extraListing.vaultCap);
      expect(await views.tokens(f.vault)).to.include(f.extraAddr);
    },
    expectEvent: (f, tx) =>
      expect(tx).to.emit(f.vault, "TokenListed").withArgs(f.extraAddr, extraListing.unitDecimals, extraListing.vaultCap),
  },
  {
    kind: ChangeKind.SetVaultCap,
    params: (f) => encodeChange.setVaultCap(f.daiAddr, POLICY.dai.vaultCap * 2n),
    assertBefore: async (f) => {
      expect((await f.lens.tokenState(f.vault, f.daiAddr)).vaultCap).to.equal(POLICY.dai.vaultCap);
    },
    assertAfter: async (f) => {
      expect((await f.lens.tokenState(f.vault, f.daiAddr)).vaultCap).to.equal(POLICY.dai.vaultCap * 2n);
    },
    expectEvent: (f, tx) => expect(tx).to.emit(f.vault, "VaultCapSet").withArgs(f.daiAddr, POLICY.dai.vaultCap * 2n),
  },
  {
    kind: ChangeKind.Unpause,
    prepare: async (f) => {
      await f.vault.connect(f.guardian).pause();
    },
    params: () => encodeChange.unpause(),
    assertBefore: async (f) => {
      expect(await f.vault.paused()).to.equal(true);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1))).to.be.revertedWithCustomError(
        f.vault,
        "VaultIsPaused",
      );
    },
    assertAfter: async (f) => {
      expect(await f.vault.paused()).to.equal(false);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1))).to.emit(f.vault, "Withdrawn");
    },
    expectEvent: (f, tx) => expect(tx).to.emit(f.vault, "VaultUnpaused"),
  },
  {
    kind: ChangeKind.UnsuspendOperator,
    prepare: async (f) => {
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
    },
    params: (f) => encodeChange.address(f.bot1.address),
    assertBefore: async (f) => {
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1)))
        .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
        .withArgs(f.bot1.address);
    },
    assertAfter: async (f) => {
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1))).to.emit(f.vault, "Withdrawn");
    },
    expectEvent: (f, tx) => expect(tx).to.emit(f.vault, "OperatorUnsuspended").withArgs(f.bot1.address),
  },
  {
    kind: ChangeKind.SetRecovery,
    params: (f) => encodeChange.address(f.stranger.address),
    assertBefore: async (f) => {
      expect(await f.vault.recovery()).to.equal(f.recovery.address);
    },
    assertAfter: async (f) => {
      expect(await f.vault.recovery()).to.equal(f.stranger.address);
      await expect(f.vault.connect(f.guardian).evacuate(f.daiAddr, 1n))
        .to.emit(f.vault, "Evacuated")
        .withArgs(f.daiAddr, f.stranger.address, 1n, f.guardian.address);
    },
    expectEvent: (f, tx) => expect(tx).to.emit(f.vault, "RecoverySet").withArgs(f.stranger.address),
  },
  {
    kind: ChangeKind.SetDelays,
    params: (f) => encodeChange.setDelays(f.minDelay, f.minDelay * 2n),
    assertBefore: async (f) => {
      expect(await f.vault.changeDelay()).to.equal(POLICY.changeDelay);
      expect(await f.vault.withdrawalDelay()).to.equal(POLICY.withdrawalDelay);
    },
    assertAfter: async (f) => {
      expect(await f.vault.changeDelay()).to.equal(f.minDelay);
      expect(await f.vault.withdrawalDelay()).to.equal(f.minDelay * 2n);
    },
    expectEvent: (f, tx) => expect(tx).to.emit(f.vault, "DelaysSet").withArgs(f.minDelay, f.minDelay * 2n),
  },
  {
    kind: ChangeKind.AddGuardian,
    params: (f) => encodeChange.address(f.stranger.address),
    assertBefore: async (f) => {
      expect(await f.vault.hasRole(f.guardianRole, f.stranger.address)).to.equal(false);
      await expect(f.vault.connect(f.stranger).pause())
        .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
        .withArgs(f.stranger.address);
    },
    assertAfter: async (f) => {
      expect(await f.vault.hasRole(f.guardianRole, f.stranger.address)).to.equal(true);
      await expect(f.vault.connect(f.stranger).pause()).to.emit(f.vault, "VaultPaused").withArgs(f.stranger.address);
    },
    expectEvent: (f, tx) =>
      expect(tx).to.emit(f.vault, "RoleGranted").withArgs(f.guardianRole, f.stranger.address, f.admin.address),
  },
  {
    kind: ChangeKind.RemoveGuardian,
    params: (f) => encodeChange.address(f.guardian2.address),
    assertBefore: async (f) => {
      expect(await f.vault.hasRole(f.guardianRole, f.guardian2.address)).to.equal(true);
    },
    assertAfter: async (f) => {
      expect(await f.vault.hasRole(f.guardianRole, f.guardian2.address)).to.equal(false);
      await expect(f.vault.connect(f.guardian2).pause())
        .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
        .withArgs(f.guardian2.address);
    },
    expectEvent: (f, tx) =>
      expect(tx).to.emit(f.vault, "RoleRevoked").withArgs(f.guardianRole, f.guardian2.address, f.admin.address),
  },
  {
    kind: ChangeKind.TransferAdmin,
    params: (f) => encodeChange.address(f.stranger.address),
    assertBefore: async (f) => {
      expect(await f.vault.pendingAdmin()).to.equal(ethers.ZeroAddress);
      expect(await f.vault.admin()).to.equal(f.admin.address);
      await expect(f.vault.connect(f.stranger).acceptAdmin())
        .to.be.revertedWithCustomError(f.vault, "NotPendingAdmin")
        .withArgs(f.stranger.address);
    },
    assertAfter: async (f) => {
      expect(await f.vault.pendingAdmin()).to.equal(f.stranger.address);
      // Nothing moves until the new admin accepts.
      expect(await f.vault.admin()).to.equal(f.admin.address);
    },
    expectEvent: (f, tx) => expect(tx).to.emit(f.vault, "AdminTransferStarted").withArgs(f.stranger.address),
  },
  {
    kind: ChangeKind.SetTripwire,
    params: () => encodeChange.setTripwire(POLICY.tripwireMaxCount * 2, POLICY.tripwirePeriod / 2n),
    assertBefore: async (f) => {
      expect(await views.tripwire(f.vault)).to.deep.equal([BigInt(POLICY.tripwireMaxCount), POLICY.tripwirePeriod]);
    },
    assertAfter: async (f) => {
      expect(await views.tripwire(f.vault)).to.deep.equal([BigInt(POLICY.tripwireMaxCount * 2), POLICY.tripwirePeriod / 2n]);
    },
    expectEvent: (f, tx) =>
      expect(tx).to.emit(f.vault, "TripwireSet").withArgs(POLICY.tripwireMaxCount * 2, POLICY.tripwirePeriod / 2n),
  },
  {
    kind: ChangeKind.SetTripwireOptOut,
    params: (f) => encodeChange.setTripwireOptOut(f.bot1.address, true),
    assertBefore: async (f) => {
      expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(false);
    },
    assertAfter: async (f) => {
      expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(true);
      // An opted-out operator gets a plain revert instead of a suspension.
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange2.address, usdt(1)))
        .to.be.revertedWithCustomError(f.vault, "DestinationNotApproved")
        .withArgs(f.bot1.address, f.exchange2.address);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    },
    expectEvent: (f, tx) => expect(tx).to.emit(f.vault, "TripwireOptOutSet").withArgs(f.bot1.address, true),
  },
];

const ALL_KINDS = Object.values(ChangeKind).filter((v): v is ChangeKind => typeof v === "number");

/** Guards the tables below: each must name every ChangeKind. */
function requireEveryKind(table: string, kinds: ChangeKind[]): void {
  const missing = ALL_KINDS.filter((k) => !kinds.includes(k));
  if (missing.length > 0) throw new Error(`${table} misses ${missing.map((k) => ChangeKind[k]).join(", ")}`);
}
requireEveryKind("CASES", CASES.map((c) => c.kind));

describe("timelock", () => {

  for (const c of CASES) {
    describe(ChangeKind[c.kind], () => {
      async function proposed(): Promise<F & { id: bigint; eta: bigint; grace: bigint }> {
        const f = await loadFixture(timelockFixture);
        if (c.prepare) await c.prepare(f);
        const { id, eta } = await propose(f, c.kind, c.params(f));
        return { ...f, id, eta, grace: GRACE_PERIOD };
      }

      it("has no effect before eta, where execution reverts ChangeNotReady", async () => {
        const f = await proposed();
        await c.assertBefore(f);
        await time.setNextBlockTimestamp(f.eta - 1n);
        await expect(f.vault.connect(f.admin).executeChange(f.id))
          .to.be.revertedWithCustomError(f.vault, "ChangeNotReady")
          .withArgs(f.id, f.eta);
        await c.assertBefore(f);
        const change = await views.getChange(f.vault, f.id);
        expect(change.status).to.equal(BigInt(Status.Pending));
        expect(change.kind).to.equal(BigInt(c.kind));
        expect(change.eta).to.equal(f.eta);
        expect(change.params).to.equal(c.params(f));
      });

      it("takes effect at eta with its event", async () => {
        const f = await proposed();
        await time.setNextBlockTimestamp(f.eta);
        const tx = f.vault.connect(f.admin).executeChange(f.id);
        await c.expectEvent(f, tx);
        await expect(tx).to.emit(f.vault, "ChangeExecuted").withArgs(f.id, c.kind);
        expect((await views.getChange(f.vault, f.id)).status).to.equal(BigInt(Status.Executed));
        await c.assertAfter(f);
      });

      it("cannot be executed twice", async () => {
        const f = await proposed();
        await time.increaseTo(f.eta);
        await f.vault.connect(f.admin).executeChange(f.id);
        await expect(f.vault.connect(f.admin).executeChange(f.id))
          .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
          .withArgs(f.id, Status.Executed);
        await expect(f.vault.connect(f.guardian).cancelChange(f.id))
          .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
          .withArgs(f.id, Status.Executed);
      });

      it("never takes effect once cancelled by a guardian", async () => {
        const f = await proposed();
        await expect(f.vault.connect(f.guardian).cancelChange(f.id))
          .to.emit(f.vault, "ChangeCancelled")
          .withArgs(f.id, f.guardian.address);
        expect((await views.getChange(f.vault, f.id)).status).to.equal(BigInt(Status.Cancelled));
        await time.increaseTo(f.eta + 1n);
        await expect(f.vault.connect(f.admin).executeChange(f.id))
          .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
          .withArgs(f.id, Status.Cancelled);
        await expect(f.vault.connect(f.admin).cancelChange(f.id))
          .to.be.revertedWithCustomError(f.vault, "ChangeNotPending")
          .withArgs(f.id, Status.Cancelled);
        await c.assertBefore(f);
      });

      it("expires after GRACE_PERIOD and can then only be cancelled", async () => {
        const f = await proposed();
        await time.setNextBlockTimestamp(f.eta + f.grace + 1n);
        await expect(f.vault.connect(f.admin).executeChange(f.id))
          .to.be.revertedWithCustomError(f.vault, "ChangeExpired")
          .withArgs(f.id, f.eta + f.grace);
        await c.assertBefore(f);
        expect((await views.getChange(f.vault, f.id)).status).to.equal(BigInt(Status.Pending));
        await expect(f.vault.connect(f.admin).cancelChange(f.id)).to.emit(f.vault, "ChangeCancelled").withArgs(f.id, f.admin.address);
      });

      it("still executes at the last second of the grace period", async () => {
        const f = await proposed();
        await time.setNextBlockTimestamp(f.eta + f.grace);
        await expect(f.vault.connect(f.admin).executeChange(f.id)).to.emit(f.vault, "ChangeExecuted").withArgs(f.id, c.kind);
        await c.assertAfter(f);
      });
    });
  }

  describe("ids and permissions", () => {
    it("rejects unknown ids on execute and cancel with UnknownChange", async () => {
      const f = await loadFixture(timelockFixture);
      const { id } = await propose(f, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
      for (const unknown of [0n, id + 1n, 2n ** 256n - 1n]) {
        await expect(f.vault.connect(f.admin).executeChange(unknown))
          .to.be.revertedWithCustomError(f.vault, "UnknownChange")
          .withArgs(unknown);
        await expect(f.vault.connect(f.guardian).cancelChange(unknown))
          .to.be.revertedWithCustomError(f.vault, "UnknownChange")
          .withArgs(unknown);
      }
      const none = await views.getChange(f.vault, id + 1n);
      expect(none.status).to.equal(BigInt(Status.None));
      expect(none.eta).to.equal(0n);
      expect(none.params).to.equal("0x");
    });

    it("only the admin proposes", async () => {
      const f = await loadFixture(timelockFixture);
      for (const who of [f.guardian, f.bot1, f.stranger, f.recovery]) {
        await expect(f.vault.connect(who).proposeChange(ChangeKind.SetRecovery, encodeChange.address(who.address)))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, ethers.ZeroHash);
      }
      expect(await f.vault.changeCount()).to.equal(0n);
    });

    it("only the admin executes", async () => {
      const f = await loadFixture(timelockFixture);
      const { id, eta } = await propose(f, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
      await time.increaseTo(eta);
      for (const who of [f.guardian, f.bot1, f.stranger, f.recovery]) {
        await expect(f.vault.connect(who).executeChange(id))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, ethers.ZeroHash);
      }
      expect(await f.vault.recovery()).to.equal(f.recovery.address);
      await f.vault.connect(f.admin).executeChange(id);
      expect(await f.vault.recovery()).to.equal(f.stranger.address);
    });

    it("only guardians and the admin cancel", async () => {
      const f = await loadFixture(timelockFixture);
      const a = await propose(f, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
      const b = await propose(f, ChangeKind.AddGuardian, encodeChange.address(f.stranger.address));
      const c = await propose(f, ChangeKind.SetDelays, encodeChange.setDelays(f.minDelay, f.minDelay));
      for (const who of [f.bot1, f.stranger, f.exchange, f.recovery]) {
        await expect(f.vault.connect(who).cancelChange(a.id))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
      expect((await views.getChange(f.vault, a.id)).status).to.equal(BigInt(Status.Pending));
      await expect(f.vault.connect(f.admin).cancelChange(a.id)).to.emit(f.vault, "ChangeCancelled").withArgs(a.id, f.admin.address);
      await expect(f.vault.connect(f.guardian).cancelChange(b.id)).to.emit(f.vault, "ChangeCancelled").withArgs(b.id, f.guardian.address);
      await expect(f.vault.connect(f.guardian2).cancelChange(c.id)).to.emit(f.vault, "ChangeCancelled").withArgs(c.id, f.guardian2.address);
    });

    it("records kind, status, eta and params in getChange, with ids counting up from 1", async () => {
      const f = await loadFixture(timelockFixture);
      const p1 = encodeChange.approveDestination(f.bot1.address, f.exchange2.address);
      const p2 = encodeChange.setVaultCap(f.usdtAddr, POLICY.usdt.vaultCap * 2n);
      const c1 = await propose(f, ChangeKind.ApproveDestination, p1);
      const c2 = await propose(f, ChangeKind.SetVaultCap, p2);
      expect([c1.id, c2.id]).to.deep.equal([1n, 2n]);
      const g1 = await views.getChange(f.vault, c1.id);
      expect([g1.kind, g1.status, g1.eta, g1.params]).to.deep.equal([
        BigInt(ChangeKind.ApproveDestination),
        BigInt(Status.Pending),
        c1.eta,
        p1,
      ]);
      await f.vault.connect(f.guardian).cancelChange(c2.id);
      await time.increaseTo(c1.eta);
      await f.vault.connect(f.admin).executeChange(c1.id);
      const e1 = await views.getChange(f.vault, c1.id);
      const e2 = await views.getChange(f.vault, c2.id);
      expect([e1.kind, e1.status, e1.eta, e1.params]).to.deep.equal([
        BigInt(ChangeKind.ApproveDestination),
        BigInt(Status.Executed),
        c1.eta,
        p1,
      ]);
      expect([e2.kind, e2.status, e2.eta, e2.params]).to.deep.equal([
        BigInt(ChangeKind.SetVaultCap),
        BigInt(Status.Cancelled),
        c2.eta,
        p2,
      ]);
    });

    it("rejects a kind past the enum's end and params that do not decode", async () => {
      const f = await loadFixture(timelockFixture);
      await expect(f.vault.connect(f.admin).proposeChange(ALL_KINDS.length, encodeChange.address(f.stranger.address))).to.be
        .revertedWithoutReason();
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.SetRecovery, "0x")).to.be.revertedWithoutReason();
      await expect(
        f.vault.connect(f.admin).proposeChange(ChangeKind.SetOperatorLimits, encodeChange.address(f.bot1.address)),
      ).to.be.revertedWithoutReason();
      expect(await f.vault.changeCount()).to.equal(0n);
    });
  });

  describe("params are validated at proposal", () => {
    interface BadCase {
      name: string;
      kind: ChangeKind;
      prepare?: (f: F) => Promise<void>;
      params: (f: F) => string;
      error: string;
      args: (f: F) => unknown[];
    }
    const usdtUnit = 10n ** BigInt(POLICY.usdt.unitDecimals);
    const maxUnits = 2n ** 36n - 1n;
    const limits = (f: F, over: Partial<{ operator: string; token: string; cap: bigint; instantLimit: bigint; queueCap: bigint }>) =>
      encodeChange.setOperatorLimits({
        operator: f.bot1.address,
        token: f.usdtAddr,
        cap: POLICY.usdt.cap,
        instantLimit: POLICY.usdt.instant,
        queueCap: POLICY.usdt.queueCap,
        ...over,
      });
    const BAD: BadCase[] = [
      { name: "limits for the zero operator", kind: ChangeKind.SetOperatorLimits, params: (f) => limits(f, { operator: ethers.ZeroAddress }), error: "ZeroAddress", args: () => [] },
      { name: "limits for an unlisted token", kind: ChangeKind.SetOperatorLimits, params: (f) => limits(f, { token: f.extraAddr }), error: "UnknownToken", args: (f) => [f.extraAddr] },
      { name: "a cap that is not whole units", kind: ChangeKind.SetOperatorLimits, params: (f) => limits(f, { cap: POLICY.usdt.cap + 1n }), error: "LimitNotRepresentable", args: () => [POLICY.usdt.cap + 1n, usdtUnit] },
      { name: "an instant limit that is not whole units", kind: ChangeKind.SetOperatorLimits, params: (f) => limits(f, { instantLimit: POLICY.usdt.instant - 1n }), error: "LimitNotRepresentable", args: () => [POLICY.usdt.instant - 1n, usdtUnit] },
      { name: "a cap above 36 bits of units", kind: ChangeKind.SetOperatorLimits, params: (f) => limits(f, { cap: (maxUnits + 1n) * usdtUnit }), error: "LimitNotRepresentable", args: () => [(maxUnits + 1n) * usdtUnit, usdtUnit] },
      { name: "an instant limit above the cap", kind: ChangeKind.SetOperatorLimits, params: (f) => limits(f, { instantLimit: POLICY.usdt.cap + usdtUnit }), error: "InstantLimitAboveCap", args: () => [POLICY.usdt.cap + usdtUnit, POLICY.usdt.cap] },
      { name: "a queue cap that is not whole units", kind: ChangeKind.SetOperatorLimits, params: (f) => limits(f, { queueCap: POLICY.usdt.queueCap + 1n }), error: "LimitNotRepresentable", args: () => [POLICY.usdt.queueCap + 1n, usdtUnit] },
      { name: "a queue cap above 36 bits of units", kind: ChangeKind.SetOperatorLimits, params: (f) => limits(f, { queueCap: (maxUnits + 1n) * usdtUnit }), error: "LimitNotRepresentable", args: () => [(maxUnits + 1n) * usdtUnit, usdtUnit] },
      { name: "approving for the zero operator", kind: ChangeKind.ApproveDestination, params: (f) => encodeChange.approveDestination(ethers.ZeroAddress, f.exchange.address), error: "ZeroAddress", args: () => [] },
      { name: "approving the zero destination", kind: ChangeKind.ApproveDestination, params: (f) => encodeChange.approveDestination(f.bot1.address, ethers.ZeroAddress), error: "ZeroAddress", args: () => [] },
      { name: "listing the zero address", kind: ChangeKind.ListToken, params: () => encodeChange.listToken(ethers.ZeroAddress, 18, 0n), error: "ZeroAddress", args: () => [] },
      { name: "listing a listed token", kind: ChangeKind.ListToken, params: (f) => encodeChange.listToken(f.usdtAddr, POLICY.usdt.unitDecimals, POLICY.usdt.vaultCap), error: "TokenAlreadyListed", args: (f) => [f.usdtAddr] },
      { name: "listing NATIVE again", kind: ChangeKind.ListToken, params: () => encodeChange.listToken(NATIVE, POLICY.eth.unitDecimals, POLICY.eth.vaultCap), error: "TokenAlreadyListed", args: () => [NATIVE] },
      { name: "listing with unitDecimals above the maximum", kind: ChangeKind.ListToken, params: (f) => encodeChange.listToken(f.extraAddr, f.maxUnitDecimals + 1, 0n), error: "InvalidUnitDecimals", args: (f) => [f.maxUnitDecimals + 1] },
      { name: "listing with a vault cap that is not whole units", kind: ChangeKind.ListToken, params: (f) => encodeChange.listToken(f.extraAddr, 18, 10n ** 18n + 1n), error: "LimitNotRepresentable", args: () => [10n ** 18n + 1n, 10n ** 18n] },
      { name: "a vault cap for an unlisted token", kind: ChangeKind.SetVaultCap, params: (f) => encodeChange.setVaultCap(f.extraAddr, 0n), error: "UnknownToken", args: (f) => [f.extraAddr] },
      { name: "a vault cap that is not whole units", kind: ChangeKind.SetVaultCap, params: (f) => encodeChange.setVaultCap(f.usdtAddr, POLICY.usdt.vaultCap + 1n), error: "LimitNotRepresentable", args: () => [POLICY.usdt.vaultCap + 1n, usdtUnit] },
      { name: "unpausing a vault that is not paused", kind: ChangeKind.Unpause, params: () => encodeChange.unpause(), error: "NotPaused", args: () => [] },
      { name: "unsuspending an operator that is not suspended", kind: ChangeKind.UnsuspendOperator, params: (f) => encodeChange.address(f.bot1.address), error: "NotSuspended", args: (f) => [f.bot1.address] },
      { name: "the zero recovery address", kind: ChangeKind.SetRecovery, params: () => encodeChange.address(ethers.ZeroAddress), error: "ZeroAddress", args: () => [] },
      { name: "a change delay below MIN_DELAY", kind: ChangeKind.SetDelays, params: (f) => encodeChange.setDelays(f.minDelay - 1n, f.minDelay), error: "DelayOutOfRange", args: (f) => [f.minDelay - 1n] },
      { name: "a zero withdrawal delay", kind: ChangeKind.SetDelays, params: (f) => encodeChange.setDelays(f.minDelay, 0), error: "DelayOutOfRange", args: () => [0] },
      { name: "a change delay above MAX_DELAY", kind: ChangeKind.SetDelays, params: (f) => encodeChange.setDelays(f.maxDelay + 1n, f.minDelay), error: "DelayOutOfRange", args: (f) => [f.maxDelay + 1n] },
      { name: "a withdrawal delay above MAX_DELAY", kind: ChangeKind.SetDelays, params: (f) => encodeChange.setDelays(f.minDelay, f.maxDelay + 1n), error: "DelayOutOfRange", args: (f) => [f.maxDelay + 1n] },
      { name: "adding an existing guardian", kind: ChangeKind.AddGuardian, params: (f) => encodeChange.address(f.guardian.address), error: "GuardianStateUnchanged", args: (f) => [f.guardian.address] },
      { name: "adding the zero address as guardian", kind: ChangeKind.AddGuardian, params: () => encodeChange.address(ethers.ZeroAddress), error: "ZeroAddress", args: () => [] },
      { name: "removing a non-guardian", kind: ChangeKind.RemoveGuardian, params: (f) => encodeChange.address(f.stranger.address), error: "GuardianStateUnchanged", args: (f) => [f.stranger.address] },
      { name: "removing the zero address", kind: ChangeKind.RemoveGuardian, params: () => encodeChange.address(ethers.ZeroAddress), error: "ZeroAddress", args: () => [] },
      { name: "transferring admin to the zero address", kind: ChangeKind.TransferAdmin, params: () => encodeChange.address(ethers.ZeroAddress), error: "ZeroAddress", args: () => [] },
      { name: "a tripwire count above MAX_TRIP_COUNT", kind: ChangeKind.SetTripwire, params: (f) => encodeChange.setTripwire(f.maxTripCount + 1, POLICY.tripwirePeriod), error: "InvalidTripwire", args: (f) => [f.maxTripCount + 1, POLICY.tripwirePeriod] },
      { name: "a zero tripwire period", kind: ChangeKind.SetTripwire, params: () => encodeChange.setTripwire(POLICY.tripwireMaxCount, 0), error: "InvalidTripwire", args: () => [POLICY.tripwireMaxCount, 0] },
      { name: "a tripwire period above MAX_TRIP_PERIOD", kind: ChangeKind.SetTripwire, params: (f) => encodeChange.setTripwire(POLICY.tripwireMaxCount, f.maxTripPeriod + 1n), error: "InvalidTripwire", args: (f) => [POLICY.tripwireMaxCount, f.maxTripPeriod + 1n] },
      { name: "a tripwire opt-out for the zero address", kind: ChangeKind.SetTripwireOptOut, params: () => encodeChange.setTripwireOptOut(ethers.ZeroAddress, true), error: "ZeroAddress", args: () => [] },
    ];

    requireEveryKind("BAD", BAD.map((b) => b.kind));

    for (const b of BAD) {
      it(`${ChangeKind[b.kind]}: rejects ${b.name} with ${b.error}`, async () => {
        const f = await loadFixture(timelockFixture);
        if (b.prepare) await b.prepare(f);
        await expect(f.vault.connect(f.admin).proposeChange(b.kind, b.params(f)))
          .to.be.revertedWithCustomError(f.vault, b.error)
          .withArgs(...b.args(f));
        expect(await f.vault.changeCount()).to.equal(0n);
      });
    }

    it("accepts the boundary values MIN_DELAY, MAX_DELAY, MAX_TRIP_COUNT, MAX_TRIP_PERIOD and MAX_UNIT_DECIMALS", async () => {
      const f = await loadFixture(timelockFixture);
      const v = f.vault.connect(f.admin);
      await v.proposeChange(ChangeKind.SetDelays, encodeChange.setDelays(f.minDelay, f.maxDelay));
      await v.proposeChange(ChangeKind.SetTripwire, encodeChange.setTripwire(f.maxTripCount, f.maxTripPeriod));
      await v.proposeChange(ChangeKind.SetTripwire, encodeChange.setTripwire(0, 1));
      await v.proposeChange(ChangeKind.ListToken, encodeChange.listToken(f.extraAddr, f.maxUnitDecimals, 0n));
      await v.proposeChange(
        ChangeKind.SetOperatorLimits,
        encodeChange.setOperatorLimits({
          operator: f.bot1.address,
          token: f.usdtAddr,
          cap: (2n ** 36n - 1n) * 10n ** BigInt(POLICY.usdt.unitDecimals),
          instantLimit: (2n ** 36n - 1n) * 10n ** BigInt(POLICY.usdt.unitDecimals),
          queueCap: (2n ** 36n - 1n) * 10n ** BigInt(POLICY.usdt.unitDecimals),
        }),
      );
      expect(await f.vault.changeCount()).to.equal(5n);
    });
  });

  describe("params are validated again at execution", () => {
    it("a second Unpause reverts NotPaused, stays pending, and cannot lift a later pause (ChangeOutdated)", async () => {
      const f = await loadFixture(timelockFixture);
      await f.vault.connect(f.guardian).pause();
      const a = await propose(f, ChangeKind.Unpause, encodeChange.unpause());
      const b = await propose(f, ChangeKind.Unpause, encodeChange.unpause());
      await time.increaseTo(b.eta);
      await f.vault.connect(f.admin).executeChange(a.id);
      await expect(f.vault.connect(f.admin).executeChange(b.id)).to.be.revertedWithCustomError(f.vault, "NotPaused");
      expect((await views.getChange(f.vault, b.id)).status).to.equal(BigInt(Status.Pending));
      await f.vault.connect(f.guardian).pause();
      await expect(f.vault.connect(f.admin).executeChange(b.id))
        .to.be.revertedWithCustomError(f.vault, "ChangeOutdated").withArgs(b.id);
      expect(await f.vault.paused()).to.equal(true);
    });

    it("a second UnsuspendOperator reverts NotSuspended and stays pending", async () => {
      const f = await loadFixture(timelockFixture);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      const a = await propose(f, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot1.address));
      const b = await propose(f, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot1.address));
      await time.increaseTo(b.eta);
      await f.vault.connect(f.admin).executeChange(a.id);
      await expect(f.vault.connect(f.admin).executeChange(b.id))
        .to.be.revertedWithCustomError(f.vault, "NotSuspended")
        .withArgs(f.bot1.address);
      expect((await views.getChange(f.vault, b.id)).status).to.equal(BigInt(Status.Pending));
    });

    it("a second ListToken of the same token reverts TokenAlreadyListed and stays pending", async () => {
      const f = await loadFixture(timelockFixture);
      const a = await propose(f, ChangeKind.ListToken, encodeChange.listToken(f.extraAddr, 18, 0n));
      const b = await propose(f, ChangeKind.ListToken, encodeChange.listToken(f.extraAddr, 6, 0n));
      await time.increaseTo(b.eta);
      await f.vault.connect(f.admin).executeChange(a.id);
      await expect(f.vault.connect(f.admin).executeChange(b.id))
        .to.be.revertedWithCustomError(f.vault, "TokenAlreadyListed")
        .withArgs(f.extraAddr);
      expect((await views.getChange(f.vault, b.id)).status).to.equal(BigInt(Status.Pending));
      expect((await f.lens.tokenState(f.vault, f.extraAddr)).unitDecimals).to.equal(18n);
    });

    it("AddGuardian of an account that became guardian meanwhile reverts GuardianStateUnchanged", async () => {
      const f = await loadFixture(timelockFixture);
      const a = await propose(f, ChangeKind.AddGuardian, encodeChange.address(f.stranger.address));
      const b = await propose(f, ChangeKind.AddGuardian, encodeChange.address(f.stranger.address));
      await time.increaseTo(b.eta);
      await f.vault.connect(f.admin).executeChange(a.id);
      await expect(f.vault.connect(f.admin).executeChange(b.id))
        .to.be.revertedWithCustomError(f.vault, "GuardianStateUnchanged")
        .withArgs(f.stranger.address);
      expect((await views.getChange(f.vault, b.id)).status).to.equal(BigInt(Status.Pending));
    });

    it("RemoveGuardian of a guardian that renounced meanwhile reverts GuardianStateUnchanged", async () => {
      const f = await loadFixture(timelockFixture);
      const { id, eta } = await propose(f, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian2.address));
      await f.vault.connect(f.guardian2).renounceRole(f.guardianRole, f.guardian2.address);
      await time.increaseTo(eta);
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "GuardianStateUnchanged")
        .withArgs(f.guardian2.address);
      expect((await views.getChange(f.vault, id)).status).to.equal(BigInt(Status.Pending));
    });
  });

  describe("instant lowering versus timelocked raising", () => {
    const current = (f: F) => ({
      operator: f.bot1.address,
      token: f.usdtAddr,
      cap: POLICY.usdt.cap,
      instantLimit: POLICY.usdt.instant,
      queueCap: POLICY.usdt.queueCap,
    });
    const unit = 10n ** BigInt(POLICY.usdt.unitDecimals);

    it("a queue cap lowered below what is pending makes further queueing trip QueueCapExceeded", async () => {
      const f = await loadFixture(timelockFixture);
      const pending = POLICY.usdt.queueCap / 5n;
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, pending);
      await f.vault.connect(f.guardian).lowerOperatorLimits({ ...current(f), queueCap: pending / 2n });
      await expect(f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, 1n))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.QueueCapExceeded, f.exchange.address, 1n);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot2.address, true));
      await f.vault.connect(f.bot2).queueWithdrawal(f.usdtAddr, f.exchange.address, pending);
      await f.vault.connect(f.guardian).lowerOperatorLimits({ ...current(f), operator: f.bot2.address, queueCap: 0n });
      await expect(f.vault.connect(f.bot2).queueWithdrawal(f.usdtAddr, f.exchange.address, 1n))
        .to.be.revertedWithCustomError(f.vault, "QueueCapExceeded")
        .withArgs(f.bot2.address, f.usdtAddr, 1n, 0n);
    });

    it("refuses to raise any operator limit instantly (NotALowering)", async () => {
      const f = await loadFixture(timelockFixture);
      for (const who of [f.guardian, f.admin]) {
        const v = f.vault.connect(who);
        await expect(v.lowerOperatorLimits({ ...current(f), cap: POLICY.usdt.cap + unit }))
          .to.be.revertedWithCustomError(f.vault, "NotALowering")
          .withArgs(POLICY.usdt.cap, POLICY.usdt.cap + unit);
        await expect(v.lowerOperatorLimits({ ...current(f), instantLimit: POLICY.usdt.instant + unit }))
          .to.be.revertedWithCustomError(f.vault, "NotALowering")
          .withArgs(POLICY.usdt.instant, POLICY.usdt.instant + unit);
        await expect(v.lowerOperatorLimits({ ...current(f), queueCap: POLICY.usdt.queueCap + 1n }))
          .to.be.revertedWithCustomError(f.vault, "NotALowering")
          .withArgs(POLICY.usdt.queueCap, POLICY.usdt.queueCap + 1n);
        await expect(v.lowerVaultCap(f.usdtAddr, POLICY.usdt.vaultCap + unit))
          .to.be.revertedWithCustomError(f.vault, "NotALowering")
          .withArgs(POLICY.usdt.vaultCap, POLICY.usdt.vaultCap + unit);
      }
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([s.cap, s.instantLimit, s.queueCap]).to.deep.equal([POLICY.usdt.cap, POLICY.usdt.instant, POLICY.usdt.queueCap]);
      expect((await f.lens.tokenState(f.vault, f.usdtAddr)).vaultCap).to.equal(POLICY.usdt.vaultCap);
    });

    it("lets neither operators nor strangers lower limits", async () => {
      const f = await loadFixture(timelockFixture);
      for (const who of [f.bot1, f.stranger]) {
        await expect(f.vault.connect(who).lowerOperatorLimits({ ...current(f), cap: 0n, instantLimit: 0n }))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
        await expect(f.vault.connect(who).lowerVaultCap(f.usdtAddr, 0n))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
    });

    it("a lowered operator cap binds from the very next withdrawal", async () => {
      const f = await loadFixture(timelockFixture);
      const newCap = POLICY.usdt.instant + POLICY.usdt.instant / 5n;
      await expect(f.vault.connect(f.guardian).lowerOperatorLimits({ ...current(f), cap: newCap }))
        .to.emit(f.vault, "OperatorLimitsSet")
        .withArgs(f.bot1.address, f.usdtAddr, newCap, POLICY.usdt.instant, POLICY.usdt.queueCap);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).cap).to.equal(newCap);
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      const left = newCap - POLICY.usdt.instant;
      expect(await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr)).to.equal(left);
      const before = await f.usdtToken.balanceOf(f.vaultAddr);
      // Within the old cap and the instant limit, but above what the lowered cap leaves: the tripwire fires.
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, left + unit))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.CapExceeded, f.exchange.address, left + unit);
      expect(await f.usdtToken.balanceOf(f.vaultAddr)).to.equal(before);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
    });

    it("a lowered instant limit binds at once", async () => {
      const f = await loadFixture(timelockFixture);
      const newInstant = POLICY.usdt.instant / 2n;
      await f.vault.connect(f.admin).lowerOperatorLimits({ ...current(f), instantLimit: newInstant });
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, newInstant);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, newInstant + unit))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.InstantLimitExceeded, f.exchange.address, newInstant + unit);
      expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(newInstant);
    });

    it("a lowered queue cap binds at once", async () => {
      const f = await loadFixture(timelockFixture);
      const newQueueCap = POLICY.usdt.queueCap / 5n;
      await f.vault.connect(f.guardian).lowerOperatorLimits({ ...current(f), queueCap: newQueueCap });
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, newQueueCap);
      await expect(f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, 1n))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.QueueCapExceeded, f.exchange.address, 1n);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).pendingQueued).to.equal(newQueueCap);
    });

    it("a lowered vault cap binds every operator at once", async () => {
      const f = await loadFixture(timelockFixture);
      const newVaultCap = POLICY.usdt.instant + POLICY.usdt.instant / 2n;
      await expect(f.vault.connect(f.guardian2).lowerVaultCap(f.usdtAddr, newVaultCap))
        .to.emit(f.vault, "VaultCapSet")
        .withArgs(f.usdtAddr, newVaultCap);
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      const left = newVaultCap - POLICY.usdt.instant;
      expect(await f.lens.availableNow(f.vault, f.bot2.address, f.usdtAddr)).to.equal(left);
      await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, left + unit))
        .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
        .withArgs(f.usdtAddr, left + unit, left);
      await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, left);
      expect((await f.lens.tokenState(f.vault, f.usdtAddr)).available).to.equal(0n);
    });

    it("raising back needs a change that waits the delay", async () => {
      const f = await loadFixture(timelockFixture);
      await f.vault.connect(f.guardian).lowerOperatorLimits({ ...current(f), cap: POLICY.usdt.instant, queueCap: 0n });
      const { id, eta } = await propose(f, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits(current(f)));
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).cap).to.equal(POLICY.usdt.instant);
      await time.increaseTo(eta);
      await f.vault.connect(f.admin).executeChange(id);
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([s.cap, s.queueCap]).to.deep.equal([POLICY.usdt.cap, POLICY.usdt.queueCap]);
    });
  });

  describe("new operators", () => {
    it("an operator added by change can withdraw only after execution", async () => {
      const f = await loadFixture(timelockFixture);
      const newOp = f.stranger;
      const l = {
        operator: newOp.address,
        token: f.usdtAddr,
        cap: POLICY.usdt.cap,
        instantLimit: POLICY.usdt.instant,
        queueCap: POLICY.usdt.queueCap,
      };
      const a = await propose(f, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits(l));
      const b = await propose(f, ChangeKind.ApproveDestination, encodeChange.approveDestination(newOp.address, f.exchange2.address));
      await expect(f.vault.connect(newOp).withdrawInstant(f.usdtAddr, f.exchange2.address, usdt(1)))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(newOp.address, f.usdtAddr);
      await expect(f.vault.connect(newOp).queueWithdrawal(f.usdtAddr, f.exchange2.address, usdt(1)))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(newOp.address, f.usdtAddr);
      expect(await views.operators(f.vault)).to.not.include(newOp.address);
      await time.increaseTo(b.eta);
      await f.vault.connect(f.admin).executeChange(a.id);
      await f.vault.connect(f.admin).executeChange(b.id);
      expect(await views.operators(f.vault)).to.include(newOp.address);
      await expect(f.vault.connect(newOp).withdrawInstant(f.usdtAddr, f.exchange2.address, POLICY.usdt.instant))
        .to.emit(f.vault, "Withdrawn")
        .withArgs(newOp.address, f.usdtAddr, f.exchange2.address, POLICY.usdt.instant);
      expect(await f.usdtToken.balanceOf(f.exchange2.address)).to.equal(POLICY.usdt.instant);
    });

    it("limits alone do not open a destination: the new operator trips on an unapproved one", async () => {
      const f = await loadFixture(timelockFixture);
      const newOp = f.stranger;
      await proposeAndExecute(
        f.vault,
        f.admin,
        ChangeKind.SetOperatorLimits,
        encodeChange.setOperatorLimits({
          operator: newOp.address,
          token: f.usdtAddr,
          cap: POLICY.usdt.cap,
          instantLimit: POLICY.usdt.instant,
          queueCap: POLICY.usdt.queueCap,
        }),
      );
      await expect(f.vault.connect(newOp).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1)))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(newOp.address, f.usdtAddr, TripReason.DestinationNotApproved, f.exchange.address, usdt(1));
      expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(0n);
    });
  });

  describe("delays", () => {
    it("shortening delays is not instant: lengthenDelays refuses shorter values", async () => {
      const f = await loadFixture(timelockFixture);
      await expect(f.vault.connect(f.admin).lengthenDelays(POLICY.changeDelay - 1n, POLICY.withdrawalDelay))
        .to.be.revertedWithCustomError(f.vault, "DelayOutOfRange")
        .withArgs(POLICY.changeDelay - 1n);
      await expect(f.vault.connect(f.admin).lengthenDelays(POLICY.changeDelay, POLICY.withdrawalDelay - 1n))
        .to.be.revertedWithCustomError(f.vault, "DelayOutOfRange")
        .withArgs(POLICY.withdrawalDelay - 1n);
      expect(await f.vault.changeDelay()).to.equal(POLICY.changeDelay);
      expect(await f.vault.withdrawalDelay()).to.equal(POLICY.withdrawalDelay);
    });

    it("shortening goes through SetDelays and applies to later proposals and queued withdrawals", async () => {
      const f = await loadFixture(timelockFixture);
      const minDelay = f.minDelay;
      const { id, eta } = await propose(f, ChangeKind.SetDelays, encodeChange.setDelays(minDelay, minDelay));
      expect(eta - BigInt(await time.latest())).to.equal(POLICY.changeDelay);
      await time.increaseTo(eta);
      await f.vault.connect(f.admin).executeChange(id);
      const next = await propose(f, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
      expect(next.eta - BigInt(await time.latest())).to.equal(minDelay);
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(1));
      const w = await views.getWithdrawal(f.vault, await f.vault.withdrawalCount());
      expect(w.eta - BigInt(await time.latest())).to.equal(minDelay);
    });

    it("lengthening is instant and admin-only", async () => {
      const f = await loadFixture(timelockFixture);
      const longer = POLICY.changeDelay * 2n;
      for (const who of [f.guardian, f.bot1, f.stranger]) {
        await expect(f.vault.connect(who).lengthenDelays(longer, longer))
          .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, ethers.ZeroHash);
      }
      await expect(f.vault.connect(f.admin).lengthenDelays(longer, longer)).to.emit(f.vault, "DelaysSet").withArgs(longer, longer);
      expect(await f.vault.changeDelay()).to.equal(longer);
      expect(await f.vault.withdrawalDelay()).to.equal(longer);
      const { eta } = await propose(f, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
      expect(eta - BigInt(await time.latest())).to.equal(longer);
      // Keeping one delay and lengthening the other is fine; lengthening past MAX_DELAY is not.
      await f.vault.connect(f.admin).lengthenDelays(longer, longer + 1n);
      const max = f.maxDelay;
      await expect(f.vault.connect(f.admin).lengthenDelays(max + 1n, longer + 1n))
        .to.be.revertedWithCustomError(f.vault, "DelayOutOfRange")
        .withArgs(max + 1n);
    });

    it("a change proposed before lengthening keeps its eta", async () => {
      const f = await loadFixture(timelockFixture);
      const { id, eta } = await propose(f, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address));
      await f.vault.connect(f.admin).lengthenDelays(POLICY.changeDelay * 3n, POLICY.withdrawalDelay);
      expect((await views.getChange(f.vault, id)).eta).to.equal(eta);
      await time.increaseTo(eta);
      await expect(f.vault.connect(f.admin).executeChange(id)).to.emit(f.vault, "RecoverySet").withArgs(f.stranger.address);
    });
  });

  describe("proposals are independent of each other", () => {
    it("executing one change leaves the others pending", async () => {
      const f = await loadFixture(timelockFixture);
      const ids: bigint[] = [];
      ids.push(await proposeOnly(f.vault, f.admin, ChangeKind.SetRecovery, encodeChange.address(f.stranger.address)));
      ids.push(await proposeOnly(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(f.stranger.address)));
      await time.increase(POLICY.changeDelay);
      await f.vault.connect(f.admin).executeChange(ids[1]);
      expect((await views.getChange(f.vault, ids[0])).status).to.equal(BigInt(Status.Pending));
      expect(await f.vault.recovery()).to.equal(f.recovery.address);
    });
  });
});
