import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChangeKind,
  deployVaultFixture,
  encodeChange,
  POLICY,
  proposeOnly,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";

/**
 * One row per target a guardian can tighten at once: the loosening proposal for that target, and the
 * instant tightening. Each row runs in both orders: proposed before the tightening (executing it reverts
 * ChangeOutdated), and proposed after it (it waits its full delay, then executes).
 */
interface Row {
  target: string;
  loosen: (f: VaultFixture) => { kind: ChangeKind; params: string };
  tighten: (f: VaultFixture) => Promise<unknown>;
  /** What the executed late proposal changed, read from the vault. */
  applied: (f: VaultFixture) => Promise<unknown>;
  expected: (f: VaultFixture) => unknown;
}

const raisedUsdt = (f: VaultFixture) => ({
  operator: f.bot1.address, token: f.usdtAddr, cap: POLICY.usdt.cap * 2n, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap,
});

const ROWS: Row[] = [
  {
    target: "operator x token limits (lowerOperatorLimits vs SetOperatorLimits)",
    loosen: (f) => ({ kind: ChangeKind.SetOperatorLimits, params: encodeChange.setOperatorLimits(raisedUsdt(f)) }),
    tighten: (f) => f.vault.connect(f.guardian).lowerOperatorLimits({ ...raisedUsdt(f), cap: POLICY.usdt.cap / 2n, instantLimit: POLICY.usdt.instant / 2n }),
    applied: async (f) => (await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).cap,
    expected: () => POLICY.usdt.cap * 2n,
  },
  {
    target: "operator x destination (revokeDestination vs ApproveDestination)",
    loosen: (f) => ({ kind: ChangeKind.ApproveDestination, params: encodeChange.approveDestination(f.bot1.address, f.exchange2.address) }),
    tighten: (f) => f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange2.address),
    applied: (f) => f.vault.isApproved(f.bot1.address, f.exchange2.address),
    expected: () => true,
  },
  {
    target: "token vault cap (lowerVaultCap vs SetVaultCap)",
    loosen: (f) => ({ kind: ChangeKind.SetVaultCap, params: encodeChange.setVaultCap(f.usdtAddr, POLICY.usdt.vaultCap * 2n) }),
    tighten: (f) => f.vault.connect(f.guardian).lowerVaultCap(f.usdtAddr, POLICY.usdt.vaultCap / 2n),
    applied: async (f) => (await f.lens.tokenState(f.vault, f.usdtAddr)).vaultCap,
    expected: () => POLICY.usdt.vaultCap * 2n,
  },
  {
    target: "tripwire settings (tightenTripwire vs SetTripwire)",
    loosen: () => ({ kind: ChangeKind.SetTripwire, params: encodeChange.setTripwire(0, 60) }),
    tighten: (f) => f.vault.connect(f.guardian).tightenTripwire(POLICY.tripwireMaxCount - 5, Number(POLICY.tripwirePeriod) * 2),
    applied: async (f) => (await views.tripwire(f.vault)).maxCount,
    expected: () => 0n,
  },
  {
    target: "operator opt-out (optIntoTripwire vs SetTripwireOptOut)",
    loosen: (f) => ({ kind: ChangeKind.SetTripwireOptOut, params: encodeChange.setTripwireOptOut(f.bot1.address, true) }),
    tighten: (f) => f.vault.connect(f.guardian).optIntoTripwire(f.bot1.address),
    applied: (f) => views.isTripwireOptedOut(f.vault, f.bot1.address),
    expected: () => true,
  },
  {
    target: "delays (lengthenDelays vs SetDelays)",
    loosen: () => ({ kind: ChangeKind.SetDelays, params: encodeChange.setDelays(3600, 3600) }),
    tighten: (f) => f.vault.connect(f.admin).lengthenDelays(Number(POLICY.changeDelay), Number(POLICY.withdrawalDelay) * 2),
    applied: (f) => f.vault.withdrawalDelay(),
    expected: () => 3600n,
  },
];

describe("instant tightenings that stick: one rule for every target", () => {
  for (const row of ROWS) {
    describe(row.target, () => {
      it("a loosening proposed before the tightening reverts ChangeOutdated when executed, even when ripe", async () => {
        const f = await loadFixture(deployVaultFixture);
        const { kind, params } = row.loosen(f);
        const id = await proposeOnly(f.vault, f.admin, kind, params);
        await time.increase(await f.vault.changeDelay());
        // Ripe, and only now tightened: the admin's next transaction must not undo it.
        await row.tighten(f);
        await expect(f.vault.connect(f.admin).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeOutdated").withArgs(id);
        expect((await views.getChange(f.vault, id)).status).to.equal(1n); // still pending; a guardian may cancel it
        expect(await row.applied(f)).to.not.deep.equal(row.expected(f));
      });

      it("a loosening proposed after the tightening waits its full delay, then executes", async () => {
        const f = await loadFixture(deployVaultFixture);
        await row.tighten(f);
        const { kind, params } = row.loosen(f);
        const id = await proposeOnly(f.vault, f.admin, kind, params);
        const eta = (await views.getChange(f.vault, id)).eta;
        await time.setNextBlockTimestamp(eta - 1n);
        await expect(f.vault.connect(f.admin).executeChange(id)).to.be.revertedWithCustomError(f.vault, "ChangeNotReady");
        await time.setNextBlockTimestamp(eta);
        await expect(f.vault.connect(f.admin).executeChange(id)).to.emit(f.vault, "ChangeExecuted").withArgs(id, kind);
        expect(await row.applied(f)).to.deep.equal(row.expected(f));
      });
    });
  }

  it("a tightening of one target leaves proposals for other targets executable", async () => {
    const f = await loadFixture(deployVaultFixture);
    const daiRaise = { operator: f.bot1.address, token: f.daiAddr, cap: POLICY.dai.cap * 2n, instantLimit: POLICY.dai.instant, queueCap: POLICY.dai.queueCap };
    const bot2Raise = { ...raisedUsdt(f), operator: f.bot2.address };
    const ids = [
      await proposeOnly(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits(daiRaise)),
      await proposeOnly(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits(bot2Raise)),
      await proposeOnly(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.stranger.address)),
    ];
    await time.increase(await f.vault.changeDelay());
    await f.vault.connect(f.guardian).lowerOperatorLimits({ ...raisedUsdt(f), cap: POLICY.usdt.cap / 2n, instantLimit: POLICY.usdt.instant / 2n });
    await f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange2.address);
    for (const id of ids) await expect(f.vault.connect(f.admin).executeChange(id)).to.emit(f.vault, "ChangeExecuted");
  });
});
