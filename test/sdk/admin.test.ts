import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChangeKind as FixtureKind,
  DAY,
  NATIVE,
  POLICY,
  deployVaultFixture,
  threeGuardianFixture,
  encodeChange as fixtureEncode,
  vaultLens,
} from "../helpers/fixture";
import { AdminClient, AdminTransactions, GuardianClient, vaultInterface } from "../../sdk/clients";
import {
  AccessControlUnauthorizedAccountError,
  ChangeNotReadyError,
  DelayOutOfRangeError,
  InvalidInputError,
  NotPendingAdminError,
  UnknownChangeError,
} from "../../sdk/errors";
import { CHANGE_KINDS, GUARDIAN_ROLE, decodeChange, encodeChange, type ChangeParams } from "../../sdk/rules";
import { deployBlock, recordedSigner } from "./helpers";
import { views } from "../helpers/views";

describe("SDK AdminClient", () => {
  async function setup() {
    const f = await loadFixture(threeGuardianFixture);
    const extra = (await ethers.getSigners()).slice(10);
    const newToken = await ethers.deployContract("MockERC20", ["New (mock)", "NEW", 8]);
    const newTokenAddr = await newToken.getAddress();
    const [newGuardian, newRecovery, newAdmin, bot3, dest3] = extra;
    // Every kind of change, with parameters valid both now and after the others ran.
    const changes: ChangeParams[] = [
      { kind: "SetOperatorLimits", operator: bot3.address, token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: 123n * 10n ** BigInt(POLICY.usdt.unitDecimals) },
      { kind: "ApproveDestination", operator: bot3.address, destination: dest3.address },
      { kind: "ListToken", token: newTokenAddr, unitDecimals: 6, vaultCap: 10n ** 12n },
      { kind: "SetVaultCap", token: f.daiAddr, vaultCap: POLICY.dai.vaultCap * 2n },
      { kind: "Unpause" },
      { kind: "UnsuspendOperator", operator: f.bot1.address },
      { kind: "SetRecovery", recovery: newRecovery.address },
      { kind: "SetDelays", changeDelay: 2n * DAY, withdrawalDelay: 3n * DAY },
      { kind: "AddGuardian", guardian: newGuardian.address },
      { kind: "RemoveGuardian", guardian: f.guardian2.address },
      { kind: "TransferAdmin", newAdmin: newAdmin.address },
      { kind: "SetTripwire", maxCount: 20, period: 120n },
      { kind: "SetTripwireOptOut", operator: f.bot2.address, optOut: true },
    ];
    return { f, changes, newToken: newTokenAddr, newGuardian, newRecovery, newAdmin, bot3, dest3 };
  }

  it("encodes every ChangeKind exactly as the NatSpec (and the existing test helpers) say, and decodes it back", async () => {
    const { f, changes } = await setup();
    expect(changes.map((c) => c.kind)).to.deep.equal([...CHANGE_KINDS]);
    const fixture = (c: ChangeParams): string => {
      switch (c.kind) {
        case "SetOperatorLimits":
          return fixtureEncode.setOperatorLimits(c);
        case "ApproveDestination":
          return fixtureEncode.approveDestination(c.operator, c.destination);
        case "ListToken":
          return fixtureEncode.listToken(c.token, c.unitDecimals, c.vaultCap);
        case "SetVaultCap":
          return fixtureEncode.setVaultCap(c.token, c.vaultCap);
        case "Unpause":
          return fixtureEncode.unpause();
        case "UnsuspendOperator":
          return fixtureEncode.address(c.operator);
        case "SetRecovery":
          return fixtureEncode.address(c.recovery);
        case "SetDelays":
          return fixtureEncode.setDelays(c.changeDelay, c.withdrawalDelay);
        case "AddGuardian":
        case "RemoveGuardian":
          return fixtureEncode.address(c.guardian);
        case "TransferAdmin":
          return fixtureEncode.address(c.newAdmin);
        case "SetTripwire":
          return fixtureEncode.setTripwire(c.maxCount, c.period);
        case "SetTripwireOptOut":
          return fixtureEncode.setTripwireOptOut(c.operator, c.optOut);
      }
    };
    for (const c of changes) {
      const e = encodeChange(c);
      expect(e.params, c.kind).to.equal(fixture(c));
      expect(e.kindIndex).to.equal(FixtureKind[c.kind as keyof typeof FixtureKind]);
      expect(decodeChange(e.kind, e.params)).to.deep.equal(c);
      expect(decodeChange(e.kindIndex, e.params)).to.deep.equal(c);
    }
    // The unsigned proposal carries the same bytes.
    const tx = new AdminTransactions(f.vaultAddr).propose.setVaultCap({ token: f.daiAddr, vaultCap: 5n });
    const parsed = vaultInterface.parseTransaction({ data: tx.data })!;
    expect(parsed.name).to.equal("proposeChange");
    expect(parsed.args[0]).to.equal(BigInt(FixtureKind.SetVaultCap));
    expect(parsed.args[1]).to.equal(fixtureEncode.setVaultCap(f.daiAddr, 5n));
  });

  it("proposes every kind through its typed helper, lists them, executes them with the intended effect", async () => {
    const { f, changes, newToken, newGuardian, newRecovery, newAdmin, bot3, dest3 } = await setup();
    const g = new GuardianClient({ vault: f.vaultAddr, signer: f.guardian });
    await (await g.pause()).wait(); // Unpause and UnsuspendOperator are only valid when there is something to lift.
    await (await g.suspendOperator(f.bot1.address)).wait();
    const admin = new AdminClient({ vault: f.vaultAddr, signer: f.admin });

    const proposed = [];
    for (const c of changes) {
      const { kind, ...input } = c;
      const helper = admin.propose[(kind[0].toLowerCase() + kind.slice(1)) as keyof typeof admin.propose] as (i?: object) => ReturnType<AdminClient["proposeChange"]>;
      const result = await (await helper(input)).wait();
      expect(result.change).to.deep.equal(c);
      proposed.push(result);
    }
    expect(proposed.map((p) => p.id)).to.deep.equal(changes.map((_, i) => BigInt(i + 1)));

    const listed = await admin.readChanges({ status: "Pending" });
    expect(listed.map((c) => c.change)).to.deep.equal(changes);
    expect(listed[0].eta).to.equal(proposed[0].eta);
    expect(listed[0].expiresAt).to.equal(proposed[0].eta + 14n * DAY);
    expect(await admin.readChanges({ status: "Executed" })).to.deep.equal([]);

    const early = await admin.execute(1n).catch((e: unknown) => e);
    expect(early).to.be.instanceOf(ChangeNotReadyError);
    expect((early as ChangeNotReadyError).args).to.deep.equal({ id: 1n, eta: proposed[0].eta });

    await time.increaseTo(proposed[proposed.length - 1].eta);
    for (const p of proposed) await (await admin.execute(p.id)).wait();
    expect((await admin.readChanges({ status: "Executed" })).length).to.equal(changes.length);
    expect((await admin.readChange(4n)).status).to.equal("Executed");

    const v = f.vault;
    const s3 = await (await vaultLens()).operatorState(v, bot3.address, f.usdtAddr);
    expect([s3.cap, s3.instantLimit, s3.queueCap]).to.deep.equal([POLICY.usdt.cap, POLICY.usdt.instant, 123n * 10n ** BigInt(POLICY.usdt.unitDecimals)]);
    expect(await v.isApproved(bot3.address, dest3.address)).to.equal(true);
    expect(await views.tokens(v)).to.include(newToken);
    expect((await (await vaultLens()).tokenState(v, newToken)).unitDecimals).to.equal(6n);
    expect((await (await vaultLens()).tokenState(v, f.daiAddr)).vaultCap).to.equal(POLICY.dai.vaultCap * 2n);
    expect(await v.paused()).to.equal(false);
    expect(await views.isSuspended(v, f.bot1.address)).to.equal(false);
    expect(await v.recovery()).to.equal(newRecovery.address);
    expect([await v.changeDelay(), await v.withdrawalDelay()]).to.deep.equal([2n * DAY, 3n * DAY]);
    expect(await v.hasRole(GUARDIAN_ROLE, newGuardian.address)).to.equal(true);
    expect(await v.hasRole(GUARDIAN_ROLE, f.guardian2.address)).to.equal(false);
    expect(await v.pendingAdmin()).to.equal(newAdmin.address);
    expect(await views.tripwire(v)).to.deep.equal([20n, 120n]);
    expect(await views.isTripwireOptedOut(v, f.bot2.address)).to.equal(true);

    // The named account accepts the admin role; nobody else can.
    await expect(new AdminClient({ vault: f.vaultAddr, signer: f.stranger }).acceptAdmin()).to.be.rejectedWith(NotPendingAdminError);
    await (await new AdminClient({ vault: f.vaultAddr, signer: newAdmin }).acceptAdmin()).wait();
    expect(await v.admin()).to.equal(newAdmin.address);
  });

  it("cancels a pending change; only the admin executes", async () => {
    const { f } = await setup();
    const admin = new AdminClient({ vault: f.vaultAddr, signer: f.admin });
    const { id } = await (await admin.propose.approveDestination({ operator: f.bot1.address, destination: f.attacker.address })).wait();
    const stranger = new AdminClient({ vault: f.vaultAddr, signer: f.stranger });
    await time.increase(DAY);
    const err = await stranger.execute(id).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AccessControlUnauthorizedAccountError);
    expect((err as AccessControlUnauthorizedAccountError).args.account).to.equal(f.stranger.address);
    await (await admin.cancel(id)).wait();
    expect((await admin.readChange(id)).status).to.equal("Cancelled");
    expect(await f.vault.isApproved(f.bot1.address, f.attacker.address)).to.equal(false);
    const gone = await admin.readChange(99n).catch((e: unknown) => e);
    expect(gone).to.be.instanceOf(UnknownChangeError);
    expect((gone as UnknownChangeError).args).to.deep.equal({ id: 99n });
  });

  it("lengthens delays at once; shortening is refused with DelayOutOfRange", async () => {
    const { f } = await setup();
    const admin = new AdminClient({ vault: f.vaultAddr, signer: f.admin });
    await (await admin.lengthenDelays({ changeDelay: 2n * DAY, withdrawalDelay: 2n * DAY })).wait();
    expect(await f.vault.changeDelay()).to.equal(2n * DAY);
    const err = await admin.lengthenDelays({ changeDelay: DAY, withdrawalDelay: 2n * DAY }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DelayOutOfRangeError);
    expect((err as DelayOutOfRangeError).args).to.deep.equal({ delay: DAY });
    const tx = admin.tx.lengthenDelays({ changeDelay: 3n * DAY, withdrawalDelay: 3n * DAY });
    await (await f.admin.sendTransaction(tx)).wait();
    expect(await f.vault.withdrawalDelay()).to.equal(3n * DAY);
  });

  it("reads the whole policy, with guardians and destinations replayed from logs", async () => {
    const { f } = await setup();
    const admin = new AdminClient({ vault: f.vaultAddr, provider: ethers.provider });
    await (await new AdminClient({ vault: f.vaultAddr, signer: f.admin }).propose.setVaultCap({ token: f.usdtAddr, vaultCap: POLICY.usdt.vaultCap * 2n })).wait();
    await f.vault.connect(f.guardian).revokeDestination(f.bot2.address, f.exchange2.address);
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
    const p = await admin.readPolicy({ fromBlock: await deployBlock(f) });
    expect(p.blockNumber).to.equal(await ethers.provider.getBlockNumber());
    expect(p).to.include({ admin: f.admin.address, recovery: f.recovery.address, paused: false, window: POLICY.window, changeDelay: DAY, withdrawalDelay: DAY });
    expect(p.pendingAdmin).to.equal(ethers.ZeroAddress);
    expect(p.clockStart).to.equal(await f.vault.clockStart());
    const signers = await ethers.getSigners();
    expect(p.guardians).to.have.members([f.guardian.address, f.guardian2.address, signers[signers.length - 1].address]);
    expect(p.tripwire).to.deep.equal({ maxCount: POLICY.tripwireMaxCount, period: POLICY.tripwirePeriod });
    expect(p.tokens.map((t) => [t.token, t.unitDecimals, t.vaultCap])).to.deep.equal([
      [f.usdtAddr, POLICY.usdt.unitDecimals, POLICY.usdt.vaultCap],
      [f.daiAddr, POLICY.dai.unitDecimals, POLICY.dai.vaultCap],
      [NATIVE, POLICY.eth.unitDecimals, POLICY.eth.vaultCap],
    ]);
    expect(p.tokens[0].used).to.equal(POLICY.usdt.instant);
    expect(p.tokens[0].balance).to.equal(POLICY.funding.usdt - POLICY.usdt.instant);
    const [b1, b2] = p.operators;
    expect(b1).to.include({ operator: f.bot1.address, suspended: false, tripwireOptedOut: false });
    expect(b1.destinations).to.deep.equal([f.exchange.address]);
    expect(b2.destinations).to.deep.equal([f.exchange.address]);
    expect(b1.limits[0]).to.include({ token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap, used: POLICY.usdt.instant });
    expect(p.pendingChanges.map((c) => c.change)).to.deep.equal([{ kind: "SetVaultCap", token: f.usdtAddr, vaultCap: POLICY.usdt.vaultCap * 2n }]);
  });

  it("rejects bad parameters before any network call, and needs a signer only to send", async () => {
    const { f } = await setup();
    const { signer, calls } = await recordedSigner(f.admin.address);
    const admin = new AdminClient({ vault: f.vaultAddr, signer });
    calls.length = 0;
    const bad: [() => Promise<unknown>, string][] = [
      [() => admin.propose.approveDestination({ operator: f.bot1.address, destination: "0x0" }), "destination"],
      [() => admin.propose.setDelays({ changeDelay: 1n << 32n, withdrawalDelay: DAY }), "changeDelay"],
      [() => admin.propose.setTripwire({ maxCount: 256, period: 60n }), "maxCount"],
      [() => admin.propose.listToken({ token: f.usdtAddr, unitDecimals: -1, vaultCap: 1n }), "unitDecimals"],
      [() => admin.propose.setOperatorLimits({ operator: f.bot1.address, token: f.usdtAddr, cap: -1n, instantLimit: 0n, queueCap: 0n }), "cap"],
      [() => admin.propose.setTripwireOptOut({ operator: f.bot1.address, optOut: "yes" as unknown as boolean }), "optOut"],
      [() => admin.proposeChange({ kind: "Nope" } as unknown as ChangeParams), "kind"],
      [() => admin.execute(-2n), "id"],
      [() => admin.readChange(-2n), "id"],
    ];
    for (const [call, field] of bad) {
      const err = await call().catch((e: unknown) => e);
      expect(err, field).to.be.instanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).to.equal(field);
    }
    expect(calls).to.deep.equal([]);

    const readOnly = new AdminClient({ vault: f.vaultAddr, provider: ethers.provider });
    await expect(readOnly.propose.unpause()).to.be.rejectedWith(InvalidInputError, /signer/);
    expect(await readOnly.readChanges()).to.deep.equal([]);
    expect(() => new AdminClient({ vault: f.vaultAddr })).to.throw(InvalidInputError, /provider/);
  });
});
