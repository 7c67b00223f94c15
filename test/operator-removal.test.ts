import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChangeKind,
  DAY,
  HOUR,
  NATIVE,
  POLICY,
  Status,
  deployVaultFixture,
  encodeChange,
  policyConfig,
  proposeAndExecute,
  proposeOnly,
  vaultLens,
  type VaultFixture,
} from "./helpers/fixture";
import { readOperatorRecord, readOperatorState, readWithdrawal, readWithdrawals } from "../sdk/clients/state";
import { RESPONDER_EVENTS, decodeVaultLog } from "../sdk/monitor";
import { views } from "./helpers/views";

const limitsOf = (operator: string, token: string, p: { cap: bigint; instant: bigint; queueCap: bigint }) =>
  encodeChange.setOperatorLimits({ operator, token, cap: p.cap, instantLimit: p.instant, queueCap: p.queueCap });

/** Adds `operator` again with bot1's USDT limits, through a timelocked SetOperatorLimits. */
async function readd(f: VaultFixture, operator: string): Promise<bigint> {
  return proposeAndExecute(f.vault, f.admin, ChangeKind.SetOperatorLimits, limitsOf(operator, f.usdtAddr, POLICY.usdt));
}

describe("operator removal", () => {
  describe("who may remove", () => {
    for (const role of ["guardian", "guardian2", "admin"] as const) {
      it(`the ${role} removes an operator at once: OperatorRemoved(operator, ${role})`, async () => {
        const f = await loadFixture(deployVaultFixture);
        await expect(f.vault.connect(f[role]).removeOperator(f.bot1.address))
          .to.emit(f.vault, "OperatorRemoved").withArgs(f.bot1.address, f[role].address);
        expect(await f.lens.operators(f.vault)).to.deep.equal([f.bot2.address]);
      });
    }

    for (const who of ["bot1", "bot2", "stranger", "attacker"] as const) {
      it(`${who} is refused NotAdminOrGuardian, and nothing changes`, async () => {
        const f = await loadFixture(deployVaultFixture);
        await expect(f.vault.connect(f[who]).removeOperator(f.bot1.address))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian").withArgs(f[who].address);
        expect(await f.lens.operators(f.vault)).to.deep.equal([f.bot1.address, f.bot2.address]);
      });
    }

    it("removing an account that is not an operator (never was, or already removed) reverts NotOperator", async () => {
      const f = await loadFixture(deployVaultFixture);
      await expect(f.vault.connect(f.guardian).removeOperator(f.stranger.address))
        .to.be.revertedWithCustomError(f.vault, "NotOperator").withArgs(f.stranger.address, ethers.ZeroAddress);
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      await expect(f.vault.connect(f.guardian2).removeOperator(f.bot1.address))
        .to.be.revertedWithCustomError(f.vault, "NotOperator").withArgs(f.bot1.address, ethers.ZeroAddress);
    });
  });

  describe("what a removed key can do: nothing, and it trips nothing", () => {
    it("withdrawInstant and queueWithdrawal revert NotOperator for every token; no suspension, no trip", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      for (const token of [f.usdtAddr, f.daiAddr, NATIVE]) {
        await expect(f.vault.connect(f.bot1).withdrawInstant(token, f.exchange.address, 1n))
          .to.be.revertedWithCustomError(f.vault, "NotOperator").withArgs(f.bot1.address, token);
        await expect(f.vault.connect(f.bot1).queueWithdrawal(token, f.exchange.address, 1n))
          .to.be.revertedWithCustomError(f.vault, "NotOperator").withArgs(f.bot1.address, token);
        const s = await f.lens.operatorState(f.vault, f.bot1.address, token);
        expect([s.cap, s.instantLimit, s.queueCap, s.used, s.pendingQueued, s.suspended]).to.deep.equal([0n, 0n, 0n, 0n, 0n, false]);
        expect(await f.lens.policyWords(f.vault, f.bot1.address, token).then((w) => w.opWord)).to.equal(0n);
      }
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await f.vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(false);
      expect(await readOperatorRecord(f.vault, f.bot1.address)).to.deep.equal({ registered: false, suspended: false, tripwireOptedOut: false, generation: 1n });
      // bot2 is untouched.
      await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, 1n)).to.emit(f.vault, "Withdrawn");
    });

    it("a suspended, opted-out operator is removed too: the record starts clean", async () => {
      const f = await loadFixture(deployVaultFixture);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot1.address, true));
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await f.lens.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(false);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 1n))
        .to.be.revertedWithCustomError(f.vault, "NotOperator");
      await expect(f.vault.connect(f.guardian).suspendOperator(f.bot1.address))
        .to.be.revertedWithCustomError(f.vault, "NotOperator").withArgs(f.bot1.address, ethers.ZeroAddress);
    });

    it("works while paused; after the unpause the key is still no operator", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).pause();
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.Unpause, encodeChange.unpause());
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 1n))
        .to.be.revertedWithCustomError(f.vault, "NotOperator");
      await expect(f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, 1n)).to.emit(f.vault, "Withdrawn");
    });
  });

  describe("pending queued withdrawals", () => {
    it("are cancelled at once: pending totals and exposure drop, execution reverts, cancelling again is refused", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
      await f.vault.connect(f.bot1).queueWithdrawal(f.daiAddr, f.exchange.address, 5n);
      await f.vault.connect(f.bot2).queueWithdrawal(f.usdtAddr, f.exchange.address, 7n);
      const before = await f.lens.vaultExposure(f.vault, f.usdtAddr, DAY);
      // Each: what it has pending plus one more queue cap within the day.
      expect(before.queued).to.equal(POLICY.usdt.queueCap * 3n + 7n);
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);

      for (const id of [1n, 2n]) {
        expect((await f.lens.getWithdrawal(f.vault, id)).status).to.equal(BigInt(Status.Cancelled));
        expect((await readWithdrawal(f.vault, id)).status).to.equal(BigInt(Status.Cancelled));
      }
      expect((await f.lens.getWithdrawal(f.vault, 3n)).status).to.equal(BigInt(Status.Pending));
      // Read together (an unused id too): the same as the lens, id by id, in two calls.
      const calls: unknown[] = [];
      const counting = new Proxy(f.vault, {
        get: (target, key) => (key === "extsload" ? (...args: unknown[]) => (calls.push(args), target.extsload(...(args as [string[]]))) : Reflect.get(target, key)),
      });
      const many = await readWithdrawals(counting, [1n, 2n, 3n, 4n]);
      expect(calls).to.have.length(2);
      for (const [k, w] of many.entries()) {
        const l = await f.lens.getWithdrawal(f.vault, BigInt(k + 1));
        expect([w.operator, w.eta, w.status, w.token, w.to, w.amount]).to.deep.equal([l.operator, l.eta, l.status, l.token, l.to, l.amount]);
      }
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).pendingQueued).to.equal(0n);
      const op = await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, DAY);
      expect([op.instant, op.queued]).to.deep.equal([0n, 0n]);
      const after = await f.lens.vaultExposure(f.vault, f.usdtAddr, DAY);
      // bot2 alone: its queued 7 plus one more queue cap within the day.
      expect(after.queued).to.equal(7n + POLICY.usdt.queueCap);

      await time.increase(POLICY.withdrawalDelay);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(1n))
        .to.be.revertedWithCustomError(f.vault, "NotOperator").withArgs(f.bot1.address, f.usdtAddr);
      await expect(f.vault.connect(f.guardian).cancelWithdrawal(1n))
        .to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending").withArgs(1n, Status.Cancelled);
      await expect(f.vault.connect(f.bot2).executeWithdrawal(3n)).to.emit(f.vault, "WithdrawalExecuted");
    });

    it("queued before a removal never execute after the key is added again; the new queue starts empty", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      await readd(f, f.bot1.address);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.exchange.address));
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).pendingQueued).to.equal(0n);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(1n))
        .to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending").withArgs(1n, Status.Cancelled);
      await expect(f.vault.connect(f.bot1).cancelWithdrawal(1n))
        .to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending").withArgs(1n, Status.Cancelled);
      // The whole queue cap is free again, and the new withdrawal executes.
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
      expect((await f.lens.getWithdrawal(f.vault, 2n)).status).to.equal(BigInt(Status.Pending));
      await time.increase(POLICY.withdrawalDelay);
      await expect(f.vault.connect(f.bot1).executeWithdrawal(2n)).to.emit(f.vault, "WithdrawalExecuted");
      await expect(f.vault.connect(f.bot1).executeWithdrawal(1n))
        .to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending").withArgs(1n, Status.Cancelled);
    });
  });

  describe("tightening: changes proposed before the removal are outdated", () => {
    const cases: { name: string; kind: ChangeKind; params: (f: VaultFixture) => string; setup?: (f: VaultFixture) => Promise<unknown> }[] = [
      { name: "SetOperatorLimits", kind: ChangeKind.SetOperatorLimits, params: (f) => limitsOf(f.bot1.address, f.usdtAddr, POLICY.usdt) },
      { name: "ApproveDestination", kind: ChangeKind.ApproveDestination, params: (f) => encodeChange.approveDestination(f.bot1.address, f.exchange2.address) },
      {
        name: "UnsuspendOperator",
        kind: ChangeKind.UnsuspendOperator,
        params: (f) => encodeChange.address(f.bot1.address),
        setup: (f) => f.vault.connect(f.guardian).suspendOperator(f.bot1.address),
      },
      { name: "SetTripwireOptOut", kind: ChangeKind.SetTripwireOptOut, params: (f) => encodeChange.setTripwireOptOut(f.bot1.address, true) },
    ];
    for (const c of cases) {
      it(`${c.name} of the operator proposed before reverts ChangeOutdated; proposed after, it executes`, async () => {
        const f = await loadFixture(deployVaultFixture);
        await c.setup?.(f);
        const before = await proposeOnly(f.vault, f.admin, c.kind, c.params(f));
        await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
        // Re-add first where the change needs an operator that is suspended again.
        if (c.kind === ChangeKind.UnsuspendOperator) {
          await readd(f, f.bot1.address);
          await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
        }
        await time.increase(POLICY.changeDelay);
        await expect(f.vault.connect(f.admin).executeChange(before)).to.be.revertedWithCustomError(f.vault, "ChangeOutdated").withArgs(before);
        const after = await proposeOnly(f.vault, f.admin, c.kind, c.params(f));
        await time.increase(POLICY.changeDelay);
        await expect(f.vault.connect(f.admin).executeChange(after)).to.emit(f.vault, "ChangeExecuted").withArgs(after, c.kind);
      });
    }

    it("a pending UnsuspendOperator of a removed operator reverts ChangeOutdated, not NotSuspended", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot1.address));
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      await time.increase(POLICY.changeDelay);
      await expect(f.vault.connect(f.admin).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeOutdated").withArgs(id);
    });

    it("changes of other operators and of other targets are not outdated", async () => {
      const f = await loadFixture(deployVaultFixture);
      const other = await proposeOnly(f.vault, f.admin, ChangeKind.SetOperatorLimits, limitsOf(f.bot2.address, f.usdtAddr, POLICY.usdt));
      const cap = await proposeOnly(f.vault, f.admin, ChangeKind.SetVaultCap, encodeChange.setVaultCap(f.usdtAddr, POLICY.usdt.vaultCap * 2n));
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      await time.increase(POLICY.changeDelay);
      await expect(f.vault.connect(f.admin).executeChange(other)).to.emit(f.vault, "ChangeExecuted");
      await expect(f.vault.connect(f.admin).executeChange(cap)).to.emit(f.vault, "ChangeExecuted");
    });
  });

  describe("adding the key again", () => {
    it("takes a timelocked SetOperatorLimits and starts from zero usage, unsuspended, with no destinations", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      await readd(f, f.bot1.address);
      expect(await f.lens.operators(f.vault)).to.deep.equal([f.bot2.address, f.bot1.address]);
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([s.cap, s.used, s.available, s.suspended]).to.deep.equal([POLICY.usdt.cap, 0n, POLICY.usdt.cap, false]);
      const sdk = await readOperatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([sdk.cap, sdk.used, sdk.available, sdk.suspended]).to.deep.equal([s.cap, s.used, s.available, s.suspended]);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr)).to.equal(POLICY.usdt.instant);
      // Only the token the new SetOperatorLimits names.
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.daiAddr)).cap).to.equal(0n);
      // The old destination is gone: using it trips the tripwire.
      expect(await f.vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(false);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 1n)).to.emit(f.vault, "TripwireFired");
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
    });

    it("a destination approved again works; suspension and unsuspension of the new key behave as before", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      await readd(f, f.bot1.address);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.exchange.address));
      expect(await f.vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(true);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 10n)).to.emit(f.vault, "Withdrawn");
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 10n))
        .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended").withArgs(f.bot1.address);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(f.bot1.address));
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 10n)).to.emit(f.vault, "Withdrawn");
      // Revoking works on the new generation's approval.
      await expect(f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange.address))
        .to.emit(f.vault, "DestinationRevoked").withArgs(f.bot1.address, f.exchange.address);
      expect(await f.vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(false);
    });

    it("revoking a destination voided by the removal is a no-op without an event", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).removeOperator(f.bot2.address);
      await expect(f.vault.connect(f.guardian).revokeDestination(f.bot2.address, f.exchange2.address)).not.to.emit(f.vault, "DestinationRevoked");
    });

    it("a destination approved for the key while it is removed is the new key's", async () => {
      const f = await loadFixture(deployVaultFixture);
      await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.exchange2.address));
      await readd(f, f.bot1.address);
      expect(await f.vault.isApproved(f.bot1.address, f.exchange2.address)).to.equal(true);
      await expect(f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange2.address, 10n)).to.emit(f.vault, "WithdrawalQueued");
    });
  });

  it("an operator with limits for a later-listed token only: its one word and queue account are cleared", async () => {
    const f = await loadFixture(deployVaultFixture);
    // Limits for DAI (the second listed token) only: the removal skips USDT's word.
    await proposeAndExecute(f.vault, f.admin, ChangeKind.SetOperatorLimits, limitsOf(f.stranger.address, f.daiAddr, POLICY.dai));
    await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.stranger.address, f.exchange.address));
    await f.vault.connect(f.stranger).queueWithdrawal(f.daiAddr, f.exchange.address, 5n);
    await f.vault.connect(f.admin).removeOperator(f.stranger.address);
    for (const token of [f.usdtAddr, f.daiAddr, NATIVE]) {
      const s = await f.lens.operatorState(f.vault, f.stranger.address, token);
      expect([s.cap, s.queueCap, s.pendingQueued]).to.deep.equal([0n, 0n, 0n]);
    }
    expect(await f.lens.operators(f.vault)).to.deep.equal([f.bot1.address, f.bot2.address]);
  });

  describe("slots: MAX_OPERATORS counts current operators", () => {
    it("the 65th operator fits once one is removed; removal from any position keeps the list exact", async () => {
      const [admin, guardian, g2, , , , , , recovery] = await ethers.getSigners();
      const max = 64;
      const operators = Array.from({ length: max }, () => ethers.Wallet.createRandom().address);
      const config = policyConfig(
        { admin: admin.address, guardians: [guardian.address, g2.address], recovery: recovery.address },
        {
          tokens: [{ token: NATIVE, unitDecimals: 12, vaultCap: 10n ** 18n }],
          limits: operators.map((operator) => ({ operator, token: NATIVE, cap: 10n ** 12n, instantLimit: 10n ** 12n, queueCap: 0n })),
        },
      );
      const vault = await ethers.deployContract("GuardedVault", [config]);
      const lens = await vaultLens();
      const newKey = ethers.Wallet.createRandom().address;
      const limits = encodeChange.setOperatorLimits({ operator: newKey, token: NATIVE, cap: 10n ** 12n, instantLimit: 10n ** 12n, queueCap: 0n });
      await expect(vault.connect(admin).proposeChange(ChangeKind.SetOperatorLimits, limits))
        .to.be.revertedWithCustomError(vault, "TooManyOperators").withArgs(max);
      // One removal frees a slot for a new key.
      const expected = [...operators];
      const remove = async (index: number) => {
        const removed = expected[index];
        await vault.connect(guardian).removeOperator(removed);
        const last = expected.pop()!;
        if (last !== removed) expected[index] = last;
        expect(await lens.operators(vault)).to.deep.equal(expected);
      };
      await remove(0);
      const id = await proposeOnly(vault, admin, ChangeKind.SetOperatorLimits, limits);
      // Middle and last positions, and an operator that was moved by an earlier removal.
      await remove(31);
      await remove(expected.length - 1);
      await remove(0);
      await time.increase(POLICY.changeDelay);
      await vault.connect(admin).executeChange(id);
      expect((await lens.operators(vault)).length).to.equal(max - 3);
      expect(await lens.operators(vault)).to.deep.equal([...expected, newKey]);
    });
  });

  it("the SDK decodes OperatorRemoved, and the responder reads it (the removed key's queue is not its to cancel)", async () => {
    const f = await loadFixture(deployVaultFixture);
    const receipt = await (await f.vault.connect(f.guardian).removeOperator(f.bot1.address)).wait();
    const events = receipt!.logs.map((l) => decodeVaultLog(l)).filter((e) => e !== null);
    expect(events.map((e) => e.name)).to.deep.equal(["OperatorRemoved"]);
    const e = events[0];
    if (e.name !== "OperatorRemoved") throw new Error("expected OperatorRemoved");
    expect([e.args.operator, e.args.by]).to.deep.equal([f.bot1.address, f.guardian.address]);
    expect(RESPONDER_EVENTS).to.include("OperatorRemoved");
  });

  it("the lens's views stay exact: an hour after a removal, exposure counts only current operators", async () => {
    const f = await loadFixture(deployVaultFixture);
    const both = await f.lens.vaultExposure(f.vault, f.daiAddr, HOUR);
    await f.vault.connect(f.admin).removeOperator(f.bot2.address);
    const one = await f.lens.vaultExposure(f.vault, f.daiAddr, HOUR);
    const bot1 = await f.lens.operatorExposure(f.vault, f.bot1.address, f.daiAddr, HOUR);
    expect(one.queued).to.equal(bot1.queued);
    expect(one.instant).to.equal(bot1.instant < both.instant ? bot1.instant : both.instant);
  });
});
