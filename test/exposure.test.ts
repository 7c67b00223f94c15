import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  deployVaultFixture,
  HOUR,
  NATIVE,
  POLICY,
  Status,
  vaultStart,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

type TokenKey = "usdt" | "dai" | "eth";
const TOKEN_KEYS: TokenKey[] = ["usdt", "dai", "eth"];
const HORIZONS: bigint[] = [1n * HOUR, 24n * HOUR, 48n * HOUR];
const PENDING = { blockTag: "pending" as const };

interface Tok {
  key: TokenKey;
  addr: string;
  unit: bigint;
  cap: bigint;
  instant: bigint;
  queueCap: bigint;
  vaultCap: bigint;
  funding: bigint;
}

function tokenOf(f: VaultFixture, key: TokenKey): Tok {
  const p = POLICY[key];
  const addr = key === "usdt" ? f.usdtAddr : key === "dai" ? f.daiAddr : NATIVE;
  return {
    key, addr, unit: 10n ** BigInt(p.unitDecimals), cap: p.cap, instant: p.instant, queueCap: p.queueCap,
    vaultCap: p.vaultCap, funding: POLICY.funding[key],
  };
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
/** Windows of `w` seconds that cover the closed interval [now, now + h]: ceil((h + 1) / w). */
const windowsIn = (h: bigint, w: bigint) => h / w + 1n;
const min = (...xs: bigint[]) => xs.reduce((a, b) => (b < a ? b : a));
const latest = async () => BigInt(await time.latest());

interface Exp {
  instant: bigint;
  queued: bigint;
  total: bigint;
}

const asExp = (e: { instant: bigint; queued: bigint; total: bigint }): Exp => ({ instant: e.instant, queued: e.queued, total: e.total });
const ZERO: Exp = { instant: 0n, queued: 0n, total: 0n };

/** The documented operator bound, from the policy numbers (window, delay, caps, queue cap, balance). */
function policyOperatorExposure(t: Tok, h: bigint, pending: bigint, balance: bigint, cap = t.cap, vaultCap = t.vaultCap): Exp {
  const W = POLICY.window;
  const d = POLICY.withdrawalDelay;
  const instant = min(cap, vaultCap) * windowsIn(h, W);
  const queued = pending + t.queueCap * (h / d);
  return { instant, queued, total: min(instant + queued, balance) };
}

/** The documented operator bound, from the state the chain reports. */
async function chainOperatorExposure(f: VaultFixture, op: string, t: Tok, h: bigint): Promise<Exp> {
  const s = await f.lens.operatorState(f.vault, op, t.addr);
  const ts = await f.lens.tokenState(f.vault, t.addr);
  if ((await f.vault.paused()) || s.suspended) return ZERO;
  const W = await f.vault.window();
  const d = BigInt(await f.vault.withdrawalDelay());
  const instant = min(s.cap, ts.vaultCap) * windowsIn(h, W);
  const queued = s.pendingQueued + s.queueCap * (h / d);
  return { instant, queued, total: min(instant + queued, ts.balance) };
}

/** The documented vault bound, built from the operators' documented bounds. */
async function chainVaultExposure(f: VaultFixture, t: Tok, h: bigint): Promise<Exp & { opSum: bigint; vaultBound: bigint }> {
  let opSum = 0n;
  let queued = 0n;
  for (const op of await views.operators(f.vault)) {
    const e = await chainOperatorExposure(f, op, t, h);
    opSum += e.instant;
    queued += e.queued;
  }
  const ts = await f.lens.tokenState(f.vault, t.addr);
  const vaultBound = ts.vaultCap * windowsIn(h, await f.vault.window());
  const instant = min(vaultBound, opSum);
  return { instant, queued, total: min(instant + queued, ts.balance), opSum, vaultBound };
}

async function withdrawOk(f: VaultFixture, op: HardhatEthersSigner, t: Tok, amount: bigint, ts?: bigint): Promise<void> {
  if (ts !== undefined) await time.setNextBlockTimestamp(ts);
  await expect(f.vault.connect(op).withdrawInstant(t.addr, f.exchange.address, amount))
    .to.emit(f.vault, "Withdrawn")
    .withArgs(op.address, t.addr, f.exchange.address, amount);
}

async function spend(f: VaultFixture, op: HardhatEthersSigner, t: Tok, total: bigint): Promise<void> {
  for (let left = total; left > 0n; ) {
    const c = min(left, t.instant);
    await withdrawOk(f, op, t, c);
    left -= c;
  }
}

async function queue(f: VaultFixture, op: HardhatEthersSigner, t: Tok, amount: bigint): Promise<bigint> {
  await expect(f.vault.connect(op).queueWithdrawal(t.addr, f.exchange.address, amount)).to.emit(f.vault, "WithdrawalQueued");
  return f.vault.withdrawalCount();
}

interface Moved {
  instant: bigint;
  queued: bigint;
}

/**
 * A greedy attacker holding the keys of `ops`: from `from` (default: the next second) until `end` (inclusive) it executes every
 * queued withdrawal as soon as it is ready, withdraws `availableNow` whenever it is positive and keeps each queue
 * full; otherwise it jumps to the next instant at which something frees up. Views are read in the
 * pending block, at the exact timestamp the next transaction will have.
 */
async function greedy(f: VaultFixture, ops: HardhatEthersSigner[], t: Tok, end: bigint, from?: bigint): Promise<Moved> {
  const delay = BigInt(await f.vault.withdrawalDelay());
  const mine = new Set(ops.map((o) => o.address));
  const pend: { op: HardhatEthersSigner; id: bigint; eta: bigint; amount: bigint }[] = [];
  for (let id = 1n; id <= (await f.vault.withdrawalCount()); id++) {
    const w = await views.getWithdrawal(f.vault, id);
    if (w.status === BigInt(Status.Pending) && w.token === t.addr && mine.has(w.operator)) {
      pend.push({ op: ops.find((o) => o.address === w.operator)!, id, eta: w.eta, amount: w.amount });
    }
  }
  const moved: Moved = { instant: 0n, queued: 0n };
  let at = from ?? (await latest()) + 1n;
  for (let guard = 0; at <= end; guard++) {
    expect(guard < 400, "greedy loop runs away").to.equal(true);
    await time.setNextBlockTimestamp(at);
    const ready = pend.findIndex((p) => p.eta <= at);
    if (ready >= 0) {
      const [p] = pend.splice(ready, 1);
      await expect(f.vault.connect(p.op).executeWithdrawal(p.id)).to.emit(f.vault, "WithdrawalExecuted");
      moved.queued += p.amount;
      at += 1n;
      continue;
    }
    let acted = false;
    // Queue first: a queue cap used now comes back one delay later, so a second lost here is lost at the end.
    for (const op of ops) {
      const s = await f.lens.operatorState(f.vault, op.address, t.addr, PENDING);
      const room = s.queueCap - s.pendingQueued;
      if (room > 0n) {
        const id = await queue(f, op, t, room);
        pend.push({ op, id, eta: at + delay, amount: room });
        acted = true;
        break;
      }
    }
    for (const op of acted ? [] : ops) {
      const a = await f.lens.availableNow(f.vault, op.address, t.addr, PENDING);
      if (a > 0n) {
        await withdrawOk(f, op, t, a, at);
        moved.instant += a;
        acted = true;
        break;
      }
    }
    if (acted) {
      at += 1n;
      continue;
    }
    const candidates = pend.map((p) => p.eta);
    for (const op of ops) candidates.push((await f.lens.operatorState(f.vault, op.address, t.addr, PENDING)).nextRelease);
    candidates.push((await f.lens.tokenState(f.vault, t.addr, PENDING)).nextRelease);
    const later = candidates.filter((c) => c > at);
    if (later.length === 0) break;
    at = min(...later);
  }
  return moved;
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

describe("GuardedVault exposure and state views", () => {
  describe("operatorState / tokenState / availableNow", () => {
    it("operatorState and tokenState report limits, rounded usage, release times and the pending queue", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const start = await vaultStart(f.vault);
      const L = (await f.vault.window()) / 3n;
      const bucketOf = (ts: bigint) => (ts - start) / L;
      const bucketStart = (b: bigint) => start + b * L;

      let s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect([s.cap, s.instantLimit, s.queueCap, s.used, s.available, s.nextRelease, s.pendingQueued, s.suspended])
        .to.deep.equal([t.cap, t.instant, t.queueCap, 0n, t.cap, 0n, 0n, false]);
      let ts = await f.lens.tokenState(f.vault, t.addr);
      expect([ts.listed, ts.unitDecimals, ts.vaultCap, ts.used, ts.available, ts.nextRelease, ts.balance])
        .to.deep.equal([true, BigInt(POLICY.usdt.unitDecimals), t.vaultCap, 0n, t.vaultCap, 0n, t.funding]);

      const b1 = bucketOf(await latest()) + 1n;
      const a1 = t.instant / 2n + 1n; // rounds up to one more unit
      await withdrawOk(f, f.bot1, t, a1, bucketStart(b1) + 5n);
      const q1 = 3n * t.unit + 7n;
      const q2 = t.queueCap / 2n;
      const id1 = await queue(f, f.bot1, t, q1);
      await queue(f, f.bot1, t, q2);
      await withdrawOk(f, f.bot2, t, 1n, bucketStart(b1 + 2n));

      const a1Counted = ceilDiv(a1, t.unit) * t.unit;
      s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect([s.used, s.available, s.nextRelease, s.pendingQueued, s.suspended])
        .to.deep.equal([a1Counted, t.cap - a1Counted, bucketStart(b1 + 4n), q1 + q2, false]);
      ts = await f.lens.tokenState(f.vault, t.addr);
      expect([ts.used, ts.available, ts.nextRelease, ts.balance])
        .to.deep.equal([a1Counted + t.unit, t.vaultCap - a1Counted - t.unit, bucketStart(b1 + 4n), t.funding - a1 - 1n]);

      // When bucket b1 leaves the ring only bot2's unit (bucket b1 + 2) is still counted.
      await time.increaseTo(bucketStart(b1 + 4n));
      s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect([s.used, s.available, s.nextRelease]).to.deep.equal([0n, t.cap, 0n]);
      ts = await f.lens.tokenState(f.vault, t.addr);
      expect([ts.used, ts.nextRelease]).to.deep.equal([t.unit, bucketStart(b1 + 6n)]);
      const s2 = await f.lens.operatorState(f.vault, f.bot2.address, t.addr);
      expect([s2.used, s2.nextRelease]).to.deep.equal([t.unit, bucketStart(b1 + 6n)]);

      await f.vault.connect(f.guardian).cancelWithdrawal(id1);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect([s.pendingQueued, s.suspended]).to.deep.equal([q2, true]);
    });

    it("an unlisted token: tokenState is empty, the other views revert UnknownToken", async () => {
      const f = await loadFixture(deployVaultFixture);
      const token = f.stranger.address;
      const ts = await f.lens.tokenState(f.vault, token);
      expect([ts.listed, ts.unitDecimals, ts.vaultCap, ts.used, ts.available, ts.nextRelease, ts.balance])
        .to.deep.equal([false, 0n, 0n, 0n, 0n, 0n, 0n]);
      await expect(f.lens.operatorState(f.vault, f.bot1.address, token)).to.be.revertedWithCustomError(f.vault, "UnknownToken").withArgs(token);
      await expect(f.lens.operatorExposure(f.vault, f.bot1.address, token, HOUR)).to.be.revertedWithCustomError(f.vault, "UnknownToken").withArgs(token);
      await expect(f.lens.vaultExposure(f.vault, token, HOUR)).to.be.revertedWithCustomError(f.vault, "UnknownToken").withArgs(token);
    });

    it("availableNow is the least of the operator's room, its instant limit, the vault's room and the balance", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const ex = f.exchange.address;
      // Instant limit binds.
      expect(await f.lens.availableNow(f.vault, f.bot1.address, t.addr)).to.equal(t.instant);
      await expect(f.vault.connect(f.bot1).withdrawInstant.staticCall(t.addr, ex, t.instant + 1n)).to.eventually.equal(false);

      // The operator's own room binds.
      await spend(f, f.bot1, t, t.cap - t.instant / 2n);
      const room1 = (await f.lens.operatorState(f.vault, f.bot1.address, t.addr)).available;
      expect(room1).to.equal(t.instant / 2n);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, t.addr)).to.equal(room1);
      expect(await f.vault.connect(f.bot1).withdrawInstant.staticCall(t.addr, ex, room1 + 1n)).to.equal(false);
      expect(await f.vault.connect(f.bot1).withdrawInstant.staticCall(t.addr, ex, room1)).to.equal(true);

      // The vault's room binds for bot2.
      const vaultRoom = (await f.lens.tokenState(f.vault, t.addr)).available;
      const x = t.instant / 4n;
      await spend(f, f.bot2, t, vaultRoom - x);
      expect((await f.lens.tokenState(f.vault, t.addr)).available).to.equal(x);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, t.addr)).available > x).to.equal(true);
      expect(await f.lens.availableNow(f.vault, f.bot2.address, t.addr)).to.equal(x);
      await expect(f.vault.connect(f.bot2).withdrawInstant(t.addr, ex, x + 1n))
        .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
        .withArgs(t.addr, x + 1n, x);
      expect(await f.vault.connect(f.bot2).withdrawInstant.staticCall(t.addr, ex, x)).to.equal(true);

      // Paused: zero for everyone; suspended: zero for that operator only.
      await f.vault.connect(f.guardian).suspendOperator(f.bot2.address);
      expect(await f.lens.availableNow(f.vault, f.bot2.address, t.addr)).to.equal(0n);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, t.addr)).to.equal(min(room1, x));
      await f.vault.connect(f.guardian).pause();
      expect(await f.lens.availableNow(f.vault, f.bot1.address, t.addr)).to.equal(0n);
    });

    it("availableNow is capped by the vault's balance", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "dai");
      const keep = t.instant / 3n + 12_345n; // not a whole number of units
      await f.vault.connect(f.guardian).evacuate(t.addr, t.funding - keep);
      expect((await f.lens.tokenState(f.vault, t.addr)).balance).to.equal(keep);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, t.addr)).to.equal(keep);
      await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, keep + 1n))
        .to.be.revertedWithCustomError(f.vault, "InsufficientBalance")
        .withArgs(t.addr, keep + 1n, keep);
      await withdrawOk(f, f.bot1, t, keep);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, t.addr)).to.equal(0n);
    });
  });

  describe("operatorExposure", () => {
    it("matches min(cap, vaultCap) * (floor(h / window) + 1) and pending + queueCap * floor(h / delay) for 1 h, 24 h, 48 h", async () => {
      const f = await loadFixture(deployVaultFixture);
      expect(await f.vault.window()).to.equal(POLICY.window);
      expect(BigInt(await f.vault.withdrawalDelay())).to.equal(POLICY.withdrawalDelay);
      for (const key of TOKEN_KEYS) {
        const t = tokenOf(f, key);
        for (const op of [f.bot1, f.bot2]) {
          for (const h of HORIZONS) {
            const got = asExp(await f.lens.operatorExposure(f.vault, op.address, t.addr, h));
            const want = policyOperatorExposure(t, h, 0n, t.funding);
            expect(got, `${key} ${op.address} h=${h}`).to.deep.equal(want);
            expect(got).to.deep.equal(await chainOperatorExposure(f, op.address, t, h));
          }
        }
        // Any horizon shorter than a window allows one whole cap; nothing queued now can execute before the delay.
        const oneHour = await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, HOUR);
        expect(oneHour.instant).to.equal(min(t.cap, t.vaultCap));
        expect(oneHour.queued).to.equal(0n);
      }
      // The closed interval [now, now + h]: the instant bound steps up at a whole window (h = W holds W + 1
      // seconds), the queued bound at a whole delay (queued now, executed at the last second).
      const W = POLICY.window;
      const d = POLICY.withdrawalDelay;
      const t = tokenOf(f, "usdt");
      for (const h of [0n, 1n, W - 1n, W, W + 1n, d - 1n, d, 2n * d - 1n, 2n * d]) {
        expect(asExp(await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, h)), `h=${h}`)
          .to.deep.equal(policyOperatorExposure(t, h, 0n, t.funding));
      }
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, 0n)).instant).to.equal(t.cap);
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, W - 1n)).instant).to.equal(t.cap);
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, W)).instant).to.equal(2n * t.cap);
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, d - 1n)).queued).to.equal(0n);
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, d)).queued).to.equal(t.queueCap);
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, 2n * d)).queued).to.equal(2n * t.queueCap);
      // A huge horizon saturates instead of reverting; the balance caps the total.
      const huge = ethers.MaxUint256;
      expect(asExp(await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, huge)))
        .to.deep.equal({ instant: ethers.MaxUint256, queued: ethers.MaxUint256, total: t.funding });
      expect((await f.lens.vaultExposure(f.vault, t.addr, huge)).total).to.equal(t.funding);
      // An account without limits has no exposure.
      expect(asExp(await f.lens.operatorExposure(f.vault, f.stranger.address, f.usdtAddr, 48n * HOUR))).to.deep.equal(ZERO);
    });

    it("counts pending queued withdrawals in full, and does not shrink with current usage", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const pending = (t.queueCap * 3n) / 5n;
      await queue(f, f.bot1, t, pending / 2n);
      await queue(f, f.bot1, t, pending - pending / 2n);
      await spend(f, f.bot1, t, t.instant);
      const balance = t.funding - t.instant;
      for (const h of [...HORIZONS, 72n * HOUR]) {
        const got = asExp(await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, h));
        expect(got, `h=${h}`).to.deep.equal(policyOperatorExposure(t, h, pending, balance));
        expect(got).to.deep.equal(await chainOperatorExposure(f, f.bot1.address, t, h));
        // bot2 has nothing pending.
        expect(asExp(await f.lens.operatorExposure(f.vault, f.bot2.address, t.addr, h))).to.deep.equal(policyOperatorExposure(t, h, 0n, balance));
      }
      // Within less than the delay only what is already pending can go out through the queue; at exactly
      // the delay a withdrawal queued now executes at the interval's last second.
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, 24n * HOUR - 1n)).queued).to.equal(pending);
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, 24n * HOUR)).queued).to.equal(pending + t.queueCap);
      expect((await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, 48n * HOUR)).queued).to.equal(pending + 2n * t.queueCap);
    });

    it("uses the vault cap when it is below the operator cap", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "eth");
      const lowered = t.cap / 2n;
      await f.vault.connect(f.guardian).lowerVaultCap(t.addr, lowered);
      for (const h of HORIZONS) {
        const got = asExp(await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, h));
        expect(got.instant).to.equal(lowered * windowsIn(h, POLICY.window));
        expect(got).to.deep.equal(policyOperatorExposure(t, h, 0n, t.funding, t.cap, lowered));
      }
    });

    it("total is capped by the vault's balance", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const keep = t.cap / 2n + 1n;
      await f.vault.connect(f.guardian).evacuate(t.addr, t.funding - keep);
      for (const h of HORIZONS) {
        const got = asExp(await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, h));
        expect(got).to.deep.equal(policyOperatorExposure(t, h, 0n, keep));
        expect(got.instant + got.queued > keep).to.equal(true);
        expect(got.total).to.equal(keep);
        expect((await f.lens.vaultExposure(f.vault, t.addr, h)).total).to.equal(keep);
      }
    });

    it("is zero while the vault is paused, and for a suspended operator, even with withdrawals pending", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "dai");
      await queue(f, f.bot1, t, t.queueCap / 2n);
      await queue(f, f.bot2, t, t.queueCap / 4n);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      for (const h of HORIZONS) {
        expect(asExp(await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, h))).to.deep.equal(ZERO);
        const e2 = asExp(await f.lens.operatorExposure(f.vault, f.bot2.address, t.addr, h));
        expect(e2).to.deep.equal(policyOperatorExposure(t, h, t.queueCap / 4n, t.funding));
        // The vault bound now comes from bot2 alone.
        const v = asExp(await f.lens.vaultExposure(f.vault, t.addr, h));
        expect(v.instant).to.equal(min(e2.instant, t.vaultCap * windowsIn(h, POLICY.window)));
        expect(v.queued).to.equal(e2.queued);
      }
      await f.vault.connect(f.guardian).pause();
      for (const key of TOKEN_KEYS) {
        const tk = tokenOf(f, key);
        for (const h of HORIZONS) {
          for (const op of [f.bot1, f.bot2]) {
            expect(asExp(await f.lens.operatorExposure(f.vault, op.address, tk.addr, h))).to.deep.equal(ZERO);
          }
          expect(asExp(await f.lens.vaultExposure(f.vault, tk.addr, h))).to.deep.equal(ZERO);
        }
      }
    });
  });

  describe("vaultExposure", () => {
    it("instant is the vault-cap bound when the operators' sum is larger (fixture policy)", async () => {
      const f = await loadFixture(deployVaultFixture);
      for (const key of TOKEN_KEYS) {
        const t = tokenOf(f, key);
        for (const h of HORIZONS) {
          const k = windowsIn(h, POLICY.window);
          const got = asExp(await f.lens.vaultExposure(f.vault, t.addr, h));
          const want = await chainVaultExposure(f, t, h);
          expect(got, `${key} h=${h}`).to.deep.equal({ instant: want.instant, queued: want.queued, total: want.total });
          // From the policy: two operators with cap each, the vault cap below their sum.
          expect(want.opSum).to.equal(2n * min(t.cap, t.vaultCap) * k);
          expect(got.instant).to.equal(t.vaultCap * k);
          expect(got.instant < want.opSum).to.equal(true);
          const d = POLICY.withdrawalDelay;
          expect(got.queued).to.equal(2n * t.queueCap * (h / d));
          expect(got.total).to.equal(min(got.instant + got.queued, t.funding));
        }
      }
    });

    it("instant is the operators' sum when that is smaller than the vault-cap bound", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const lowered = t.cap / 4n;
      for (const op of [f.bot1, f.bot2]) {
        await f.vault.connect(f.guardian).lowerOperatorLimits({
          operator: op.address, token: t.addr, cap: lowered, instantLimit: min(t.instant, lowered), queueCap: t.queueCap,
        });
      }
      for (const h of HORIZONS) {
        const k = windowsIn(h, POLICY.window);
        const got = asExp(await f.lens.vaultExposure(f.vault, t.addr, h));
        expect(got.instant).to.equal(2n * lowered * k);
        expect(got.instant < t.vaultCap * k).to.equal(true);
        const want = await chainVaultExposure(f, t, h);
        expect(got).to.deep.equal({ instant: want.instant, queued: want.queued, total: want.total });
      }
    });
  });

  describe("the bound holds for a contract that reads it in the same block as the first action", () => {
    it("execute exactly at eta, queue again in that block, execute exactly one delay later: within the queued bound", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const d = POLICY.withdrawalDelay;
      const probe = await ethers.deployContract("ExposureProbe");
      const pending = t.queueCap / 2n;
      const first = await queue(f, f.bot1, t, pending);
      const eta = (await views.getWithdrawal(f.vault, first)).eta;
      const before = await f.usdtToken.balanceOf(f.exchange.address);

      // One block at exactly eta: the probe reads the bound for horizon = delay, then the key executes the
      // ripe withdrawal and fills its whole queue cap again.
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        await probe.record(f.lens, f.vault, f.bot1.address, t.addr, d);
        await f.vault.connect(f.bot1).executeWithdrawal(first);
        await f.vault.connect(f.bot1).queueWithdrawal(t.addr, f.exchange.address, t.queueCap);
        await time.setNextBlockTimestamp(eta);
        await ethers.provider.send("evm_mine", []);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      const second = await f.vault.withdrawalCount();
      expect(second).to.equal(first + 1n);
      // Exactly one delay later, the last second of the closed interval [eta, eta + delay].
      await time.setNextBlockTimestamp(eta + d);
      await f.vault.connect(f.bot1).executeWithdrawal(second);

      const moved = (await f.usdtToken.balanceOf(f.exchange.address)) - before;
      const seen = await probe.seen();
      expect(moved).to.equal(pending + t.queueCap);
      // A bound that left out the last second (pending only, for a horizon of one delay) is beaten here;
      // the closed interval's bound is reached exactly.
      expect(moved > pending).to.equal(true);
      expect(seen.queued).to.equal(pending + t.queueCap);
      expect(moved <= seen.queued).to.equal(true);
      expect(moved <= seen.total).to.equal(true);
    });
  });

  describe("empirically: a greedy attacker never moves more than the exposure read at the start", () => {
    for (const h of HORIZONS) {
      for (const position of ["first", "last"] as const) {
        it(`one key, USDT, horizon ${h / HOUR} h, starting at the ${position} second of a bucket`, async () => {
          const f = await loadFixture(deployVaultFixture);
          const t = tokenOf(f, "usdt");
          const start = await vaultStart(f.vault);
          const L = (await f.vault.window()) / 3n;
          const b = (await latest() - start) / L + 2n;
          // The exposure is read in the block of the attacker's first transaction (its pending block).
          const t0 = position === "first" ? start + b * L : start + (b + 1n) * L - 1n;
          await time.setNextBlockTimestamp(t0);
          const exp = asExp(await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, h, PENDING));
          expect(exp).to.deep.equal(policyOperatorExposure(t, h, 0n, t.funding));
          const before = await f.usdtToken.balanceOf(f.exchange.address);
          const moved = await greedy(f, [f.bot1], t, t0 + h, t0);
          expect(await latest() <= t0 + h).to.equal(true);
          expect(await f.usdtToken.balanceOf(f.exchange.address) - before).to.equal(moved.instant + moved.queued);
          expect(moved.instant <= exp.instant, `instant ${moved.instant} > ${exp.instant}`).to.equal(true);
          expect(moved.queued <= exp.queued, `queued ${moved.queued} > ${exp.queued}`).to.equal(true);
          expect(moved.instant + moved.queued <= exp.total).to.equal(true);
          // Queued at t0 and executed at exactly t0 + delay: inside the closed interval. (Executing and
          // queueing again in the same block is the test below; this attacker sends one transaction a second.)
          expect(moved.queued >= t.queueCap * (h / POLICY.withdrawalDelay > 0n ? 1n : 0n)).to.equal(true);
          // The instant bound counts the windows that cover h + 1 seconds; the ring gives a cap back up
          // to a bucket late, so the key reaches at least one cap per started window of h.
          expect(moved.instant >= ceilDiv(h, POLICY.window) * t.cap).to.equal(true);
          expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
        });
      }
    }

    it("one key with earlier usage and withdrawals already pending, 48 h", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const d = POLICY.withdrawalDelay;
      const pending = (t.queueCap * 2n) / 5n;
      await queue(f, f.bot1, t, pending);
      await time.increase(d / 2n);
      await spend(f, f.bot1, t, (t.cap * 3n) / 4n);
      const h = 48n * HOUR;
      const t0 = await latest();
      const exp = asExp(await f.lens.operatorExposure(f.vault, f.bot1.address, t.addr, h));
      expect(exp.queued).to.equal(pending + t.queueCap * (h / d));
      const moved = await greedy(f, [f.bot1], t, t0 + h);
      expect(moved.instant <= exp.instant, `instant ${moved.instant} > ${exp.instant}`).to.equal(true);
      expect(moved.queued <= exp.queued, `queued ${moved.queued} > ${exp.queued}`).to.equal(true);
      expect(moved.instant + moved.queued <= exp.total).to.equal(true);
      // It still got a whole cap out, the pending withdrawal and two whole queue caps.
      expect(moved.instant >= t.cap).to.equal(true);
      expect(moved.queued >= pending + t.queueCap).to.equal(true);
    });

    for (const h of HORIZONS) {
      it(`all keys together, USDT, horizon ${h / HOUR} h, stay within vaultExposure`, async () => {
        const f = await loadFixture(deployVaultFixture);
        const t = tokenOf(f, "usdt");
        const t0 = await latest();
        const exp = asExp(await f.lens.vaultExposure(f.vault, t.addr, h));
        const per = await Promise.all([f.bot1, f.bot2].map(async (o) => asExp(await f.lens.operatorExposure(f.vault, o.address, t.addr, h))));
        const moved = await greedy(f, [f.bot1, f.bot2], t, t0 + h);
        expect(moved.instant <= exp.instant, `instant ${moved.instant} > ${exp.instant}`).to.equal(true);
        expect(moved.queued <= exp.queued, `queued ${moved.queued} > ${exp.queued}`).to.equal(true);
        expect(moved.instant + moved.queued <= exp.total).to.equal(true);
        expect(moved.instant + moved.queued <= per[0].total + per[1].total).to.equal(true);
        expect(moved.instant >= ceilDiv(h, POLICY.window) * t.vaultCap).to.equal(true);
      });
    }

    it("DAI (5 instant withdrawals per cap), horizon 48 h, one key", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "dai");
      const h = 48n * HOUR;
      const t0 = await latest();
      const exp = asExp(await f.lens.operatorExposure(f.vault, f.bot2.address, t.addr, h));
      const moved = await greedy(f, [f.bot2], t, t0 + h);
      expect(moved.instant <= exp.instant && moved.queued <= exp.queued).to.equal(true);
      expect(moved.instant + moved.queued <= exp.total).to.equal(true);
      expect(moved.instant >= ceilDiv(h, POLICY.window) * t.cap).to.equal(true);
      expect(await f.daiToken.balanceOf(f.exchange.address)).to.equal(moved.instant + moved.queued);
    });
  });
});
