import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionReceipt } from "ethers";
import {
  ChangeKind,
  deployVaultFixture,
  encodeChange,
  NATIVE,
  POLICY,
  proposeOnly,
  TripReason,
  vaultStart,
  type VaultFixture,
} from "./helpers/fixture";
import { views } from "./helpers/views";

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

type TokenKey = "usdt" | "dai" | "eth";
const TOKEN_KEYS: TokenKey[] = ["usdt", "dai", "eth"];

interface Tok {
  key: TokenKey;
  addr: string;
  unit: bigint;
  cap: bigint;
  instant: bigint;
  queueCap: bigint;
  vaultCap: bigint;
}

function tokenOf(f: VaultFixture, key: TokenKey): Tok {
  const p = POLICY[key];
  const addr = key === "usdt" ? f.usdtAddr : key === "dai" ? f.daiAddr : NATIVE;
  return { key, addr, unit: 10n ** BigInt(p.unitDecimals), cap: p.cap, instant: p.instant, queueCap: p.queueCap, vaultCap: p.vaultCap };
}

async function balanceOf(f: VaultFixture, t: Tok, who: string): Promise<bigint> {
  if (t.key === "eth") return ethers.provider.getBalance(who);
  return t.key === "usdt" ? f.usdtToken.balanceOf(who) : f.daiToken.balanceOf(who);
}

interface Clock {
  start: bigint;
  W: bigint;
  L: bigint;
}

async function clockOf(f: VaultFixture): Promise<Clock> {
  const W = await f.vault.window();
  expect(W).to.equal(POLICY.window);
  return { start: await vaultStart(f.vault), W, L: W / 3n };
}

const bucketOf = (c: Clock, ts: bigint) => (ts - c.start) / c.L;
const bucketStart = (c: Clock, b: bigint) => c.start + b * c.L;
const latest = async () => BigInt(await time.latest());
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
const min = (...xs: bigint[]) => xs.reduce((a, b) => (b < a ? b : a));

async function blockTime(r: ContractTransactionReceipt): Promise<bigint> {
  const block = await ethers.provider.getBlock(r.blockNumber);
  return BigInt(block!.timestamp);
}

/** Sends an instant withdrawal (at `ts` if given) that must move funds; returns its block timestamp. */
async function withdrawOk(
  f: VaultFixture,
  op: HardhatEthersSigner,
  t: Tok,
  amount: bigint,
  ts?: bigint,
  to: string = f.exchange.address,
): Promise<bigint> {
  if (ts !== undefined) await time.setNextBlockTimestamp(ts);
  const r = (await (await f.vault.connect(op).withdrawInstant(t.addr, to, amount)).wait())!;
  const names = r.logs.map((l) => f.vault.interface.parseLog(l)?.name);
  expect(names, "withdrawal moved funds").to.include("Withdrawn");
  expect(names).to.not.include("TripwireFired");
  const at = await blockTime(r);
  if (ts !== undefined) expect(at).to.equal(ts);
  return at;
}

/** Chunks of at most the instant limit that add up to `total`. */
function chunks(t: Tok, total: bigint): bigint[] {
  const out: bigint[] = [];
  for (let left = total; left > 0n; left -= out[out.length - 1]) out.push(min(left, t.instant));
  return out;
}

/** Withdraws `total` in instant-limit chunks, one per second from `firstTs` if given; returns the times. */
async function spend(f: VaultFixture, op: HardhatEthersSigner, t: Tok, total: bigint, firstTs?: bigint): Promise<bigint[]> {
  const times: bigint[] = [];
  let ts = firstTs;
  for (const c of chunks(t, total)) {
    times.push(await withdrawOk(f, op, t, c, ts));
    if (ts !== undefined) ts += 1n;
  }
  return times;
}

/** Proposes all changes, waits out the change delay once and executes them. */
async function applyChanges(f: VaultFixture, changes: [ChangeKind, string][]): Promise<void> {
  const ids: bigint[] = [];
  for (const [kind, params] of changes) ids.push(await proposeOnly(f.vault, f.admin, kind, params));
  await time.increase(await f.vault.changeDelay());
  for (const id of ids) await f.vault.connect(f.admin).executeChange(id);
}

const optOut = (op: HardhatEthersSigner): [ChangeKind, string] => [
  ChangeKind.SetTripwireOptOut,
  encodeChange.setTripwireOptOut(op.address, true),
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

describe("GuardedVault window caps", () => {
  describe("per-operator cap", () => {
    for (const key of TOKEN_KEYS) {
      it(`${key}: exactly the cap goes out; one more unit trips the tripwire and moves nothing`, async () => {
        const f = await loadFixture(deployVaultFixture);
        const t = tokenOf(f, key);
        const start = await balanceOf(f, t, f.exchange.address);
        await spend(f, f.bot1, t, t.cap);
        expect((await balanceOf(f, t, f.exchange.address)) - start).to.equal(t.cap);
        const s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
        expect(s.cap).to.equal(t.cap);
        expect(s.used).to.equal(t.cap);
        expect(s.available).to.equal(0n);
        expect(await f.lens.availableNow(f.vault, f.bot1.address, t.addr)).to.equal(0n);

        const exchangeBefore = await balanceOf(f, t, f.exchange.address);
        const vaultBefore = await balanceOf(f, t, f.vaultAddr);
        expect(await f.vault.connect(f.bot1).withdrawInstant.staticCall(t.addr, f.exchange.address, t.unit)).to.equal(false);
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, t.unit))
          .to.emit(f.vault, "TripwireFired")
          .withArgs(f.bot1.address, t.addr, TripReason.CapExceeded, f.exchange.address, t.unit)
          .and.to.emit(f.vault, "OperatorSuspended")
          .withArgs(f.bot1.address, f.vaultAddr)
          .and.not.to.emit(f.vault, "Withdrawn");
        expect(await balanceOf(f, t, f.exchange.address)).to.equal(exchangeBefore);
        expect(await balanceOf(f, t, f.vaultAddr)).to.equal(vaultBefore);
        expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
        expect((await f.lens.operatorState(f.vault, f.bot1.address, t.addr)).used).to.equal(t.cap);
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, t.unit))
          .to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended")
          .withArgs(f.bot1.address);
      });

      it(`${key}: an opted-out operator gets CapExceeded(operator, token, requested, available) and stays active`, async () => {
        const f = await loadFixture(deployVaultFixture);
        const t = tokenOf(f, key);
        await applyChanges(f, [optOut(f.bot1)]);
        expect(await views.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(true);
        const start = await balanceOf(f, t, f.exchange.address);

        // Leave half an instant limit of room.
        const room = t.instant / 2n;
        expect(room % t.unit).to.equal(0n);
        await spend(f, f.bot1, t, t.cap - room);
        const bot1 = f.bot1.address;
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, t.instant + 1n))
          .to.be.revertedWithCustomError(f.vault, "InstantLimitExceeded")
          .withArgs(bot1, t.addr, t.instant + 1n, t.instant);
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, room + t.unit))
          .to.be.revertedWithCustomError(f.vault, "CapExceeded")
          .withArgs(bot1, t.addr, room + t.unit, room);
        // One base unit over the room is a whole unit over once rounded up.
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, room + 1n))
          .to.be.revertedWithCustomError(f.vault, "CapExceeded")
          .withArgs(bot1, t.addr, room + 1n, room);
        await withdrawOk(f, f.bot1, t, room);
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, 1n))
          .to.be.revertedWithCustomError(f.vault, "CapExceeded")
          .withArgs(bot1, t.addr, 1n, 0n);
        expect(await views.isSuspended(f.vault, bot1)).to.equal(false);
        expect((await balanceOf(f, t, f.exchange.address)) - start).to.equal(t.cap);
      });
    }

    it("is per token: exhausting the USDT cap leaves the DAI and ETH caps whole", async () => {
      const f = await loadFixture(deployVaultFixture);
      const [u, d, e] = TOKEN_KEYS.map((k) => tokenOf(f, k));
      const start = await Promise.all([u, d, e].map((t) => balanceOf(f, t, f.exchange.address)));
      await spend(f, f.bot1, u, u.cap);
      for (const t of [d, e]) {
        const s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
        expect(s.used).to.equal(0n);
        expect(s.available).to.equal(t.cap);
      }
      await spend(f, f.bot1, d, d.cap);
      await spend(f, f.bot1, e, e.cap);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      for (const [i, t] of [u, d, e].entries()) {
        expect((await f.lens.operatorState(f.vault, f.bot1.address, t.addr)).used).to.equal(t.cap);
        expect((await balanceOf(f, t, f.exchange.address)) - start[i]).to.equal(t.cap);
      }
      expect(await f.vault.connect(f.bot1).withdrawInstant.staticCall(u.addr, f.exchange.address, u.unit)).to.equal(false);
    });

    it("is per operator: bot1 using (and breaching) its cap takes nothing from bot2's", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      // Raise the vault-wide cap so that it cannot be what limits bot2.
      await applyChanges(f, [[ChangeKind.SetVaultCap, encodeChange.setVaultCap(t.addr, 2n * t.cap)]]);
      await spend(f, f.bot1, t, t.cap);
      const s2 = await f.lens.operatorState(f.vault, f.bot2.address, t.addr);
      expect(s2.used).to.equal(0n);
      expect(s2.available).to.equal(t.cap);
      expect(await f.lens.availableNow(f.vault, f.bot2.address, t.addr)).to.equal(t.instant);
      await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, t.unit))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, t.addr, TripReason.CapExceeded, f.exchange.address, t.unit);

      await spend(f, f.bot2, t, t.cap, undefined);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, t.addr)).used).to.equal(t.cap);
      expect((await f.lens.tokenState(f.vault, t.addr)).used).to.equal(2n * t.cap);
      expect(await balanceOf(f, t, f.exchange.address)).to.equal(2n * t.cap);
      await expect(f.vault.connect(f.bot2).withdrawInstant(t.addr, f.exchange.address, t.unit))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot2.address, t.addr, TripReason.CapExceeded, f.exchange.address, t.unit);
    });
  });

  describe("across window boundaries", () => {
    it("a cap spent just before an aligned bucket boundary blocks everything until that bucket leaves the ring", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const c = await clockOf(f);
      await applyChanges(f, [optOut(f.bot1)]);
      const n = BigInt(chunks(t, t.cap).length);
      const B = bucketStart(c, bucketOf(c, await latest()) + 2n);
      const times = await spend(f, f.bot1, t, t.cap, B - n);
      expect(times[times.length - 1]).to.equal(B - 1n);
      // Everything sits in the bucket that ends at B; it leaves the ring when the fourth bucket after it starts.
      const release = bucketStart(c, bucketOf(c, B - 1n) + 4n);
      expect(release).to.equal(B + c.W);
      const s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect(s.used).to.equal(t.cap);
      expect(s.nextRelease).to.equal(release);

      // Start of each later bucket, and the last second before the release (when an exact sliding window
      // would already have let everything go: (release - 1 - W, release - 1] holds no outflow).
      for (const probe of [B, B + c.L, B + 2n * c.L, release - 1n]) {
        await time.setNextBlockTimestamp(probe);
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, t.unit))
          .to.be.revertedWithCustomError(f.vault, "CapExceeded")
          .withArgs(f.bot1.address, t.addr, t.unit, 0n);
        expect(await latest()).to.equal(probe);
        const p = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
        expect(p.available).to.equal(0n);
        expect(p.used).to.equal(t.cap);
      }
      // Late by at most one bucket relative to the first chunk (never by more than window/3).
      expect(release - (times[0] + c.W) <= c.L).to.equal(true);
      // At the release instant the whole cap is back.
      await spend(f, f.bot1, t, t.cap, release);
      expect(await balanceOf(f, t, f.exchange.address)).to.equal(2n * t.cap);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    });

    it("full capacity is back within window + window/3 of the spend, and never before an exact window releases it", async () => {
      const f0 = await loadFixture(deployVaultFixture);
      const t0 = tokenOf(f0, "usdt");
      const c = await clockOf(f0);
      const n = BigInt(chunks(t0, t0.cap).length);
      for (const offset of [0n, 1n, c.L / 2n, c.L - n]) {
        const f = await loadFixture(deployVaultFixture);
        const t = tokenOf(f, "usdt");
        const first = bucketStart(c, bucketOf(c, await latest()) + 1n) + offset;
        const times = await spend(f, f.bot1, t, t.cap, first);
        const last = times[times.length - 1];
        const s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
        expect(s.used).to.equal(t.cap);
        const release = s.nextRelease;
        // Never early: the last chunk is still inside an exact sliding window until last + W.
        expect(release >= last + c.W, `offset ${offset}: release ${release - last}s after the last chunk`).to.equal(true);
        // At most window/3 late: everything is back by first + W + L.
        expect(release <= first + c.W + c.L, `offset ${offset}: release ${release - first}s after the first chunk`).to.equal(true);

        await time.increaseTo(release - 1n);
        expect((await f.lens.operatorState(f.vault, f.bot1.address, t.addr)).available).to.equal(0n);
        expect(await f.vault.connect(f.bot1).withdrawInstant.staticCall(t.addr, f.exchange.address, t.unit)).to.equal(false);
        await spend(f, f.bot1, t, t.cap, release);
        expect((await f.lens.operatorState(f.vault, f.bot1.address, t.addr)).used).to.equal(t.cap);
        expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      }
    });

    it("the 2x burst is impossible: cap at the end of one day, then anything at the start of the next trips", async () => {
      const f0 = await loadFixture(deployVaultFixture);
      const c = await clockOf(f0);
      // A day boundary aligned with a bucket boundary, and one in the middle of a bucket.
      for (const shift of [0n, c.L / 2n]) {
        const f = await loadFixture(deployVaultFixture);
        const t = tokenOf(f, "usdt");
        const n = BigInt(chunks(t, t.cap).length);
        const day = bucketStart(c, bucketOf(c, await latest()) + 3n) + shift;
        await spend(f, f.bot1, t, t.cap, day - n);
        await time.setNextBlockTimestamp(day);
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, t.instant))
          .to.emit(f.vault, "TripwireFired")
          .withArgs(f.bot1.address, t.addr, TripReason.CapExceeded, f.exchange.address, t.instant)
          .and.not.to.emit(f.vault, "Withdrawn");
        expect(await latest()).to.equal(day);
        expect(await balanceOf(f, t, f.exchange.address)).to.equal(t.cap);
      }
    });

    it("the 2x burst is impossible at any point of the next day for an opted-out operator either", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const c = await clockOf(f);
      await applyChanges(f, [optOut(f.bot1)]);
      const n = BigInt(chunks(t, t.cap).length);
      const day = bucketStart(c, bucketOf(c, await latest()) + 3n) + c.L / 3n;
      await spend(f, f.bot1, t, t.cap, day - n);
      // Through the whole next day, and even at day + W, when an exact sliding window would hold nothing
      // of the burst any more: the bucket holding it has not left the ring yet.
      const release = bucketStart(c, bucketOf(c, day - 1n) + 4n);
      expect(release > day + c.W).to.equal(true);
      for (const probe of [day, day + 1n, day + c.W / 2n, day + c.W - n - 1n, day + c.W, release - 1n]) {
        await time.setNextBlockTimestamp(probe);
        await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, t.unit))
          .to.be.revertedWithCustomError(f.vault, "CapExceeded")
          .withArgs(f.bot1.address, t.addr, t.unit, 0n);
      }
      expect(await balanceOf(f, t, f.exchange.address)).to.equal(t.cap);
      await withdrawOk(f, f.bot1, t, t.instant, release);
    });
  });

  describe("randomized sequence against a sliding-window checker and a 4-bucket model", () => {
    const SEED = 0x5eed_ca95;
    it(`mulberry32 seed 0x${SEED.toString(16)}: no window ever exceeds a cap, and the vault matches the model`, async function () {
      // Hundreds of transactions and reads: under coverage instrumentation on a busy machine this needs
      // more than the default two minutes.
      this.timeout(600_000);
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const c = await clockOf(f);
      const ops = [f.bot1, f.bot2];
      // Rate rule off (maxCount 0) and both operators opted out, so that refusals are plain reverts.
      await applyChanges(f, [
        [ChangeKind.SetTripwire, encodeChange.setTripwire(0, 1)],
        optOut(f.bot1),
        optOut(f.bot2),
      ]);
      expect((await views.tripwire(f.vault)).maxCount).to.equal(0n);
      await f.usdtToken.mint(f.vaultAddr, 1000n * t.vaultCap); // the balance must never be the limit

      const capU = t.cap / t.unit;
      const vaultCapU = t.vaultCap / t.unit;
      interface Outflow { op: number; t: bigint; bucket: bigint; amount: bigint; units: bigint }
      interface Refusal { op: number; t: bigint; units: bigint; kind: "op" | "vault" }
      const outflows: Outflow[] = [];
      const refusals: Refusal[] = [];

      // Reference model: an outflow counts while its aligned bucket is one of the four ending with now's.
      const counted = (ts: bigint, op?: number) => {
        const b = bucketOf(c, ts);
        return outflows.filter((o) => (op === undefined || o.op === op) && o.bucket >= b - 3n && o.bucket <= b);
      };
      const usedU = (ts: bigint, op?: number) => counted(ts, op).reduce((a, o) => a + o.units, 0n);
      const nextRelease = (ts: bigint, op?: number) => {
        const cs = counted(ts, op);
        if (cs.length === 0) return 0n;
        return bucketStart(c, min(...cs.map((o) => o.bucket)) + 4n);
      };
      const availU = (ts: bigint, op?: number) => {
        const used = usedU(ts, op);
        const capOf = op === undefined ? vaultCapU : capU;
        return used >= capOf ? 0n : capOf - used;
      };

      const rng = mulberry32(SEED);
      const rand = (lo: bigint, hi: bigint) => lo + BigInt(Math.floor(rng() * Number(hi - lo + 1n)));
      let now = await latest();
      const STEPS = 140;
      for (let step = 0; step < STEPS; step++) {
        // Time gap: mostly short, sometimes up to a bucket, a window, or a window and a bucket.
        const g = rng();
        let ts = now + (g < 0.55 ? rand(1n, 600n) : g < 0.8 ? rand(1n, c.L) : g < 0.95 ? rand(c.L, c.W) : rand(c.W, c.W + c.L));
        if (rng() < 0.15) {
          // Snap to a bucket edge: the first second of the next bucket, or the last of the current one.
          const edge = bucketStart(c, bucketOf(c, ts) + 1n) - (rng() < 0.5 ? 1n : 0n);
          if (edge > now) ts = edge;
        }
        const opIx = rng() < 0.6 ? 0 : 1;
        const op = ops[opIx];
        const opAvail = availU(ts, opIx);
        const vAvail = availU(ts);
        const room = min(opAvail, vAvail) * t.unit;
        const k = rng();
        let amount: bigint;
        if (k < 0.25 && room > 0n) amount = min(room, t.instant); // all that is left (or the instant limit)
        else if (k < 0.45) amount = min(t.instant, room + rand(1n, 3n * t.unit)); // a little too much, if room < instant
        else amount = rand(1n, t.instant); // mostly not a whole number of units
        const units = ceilDiv(amount, t.unit);

        await time.setNextBlockTimestamp(ts);
        if (units > opAvail) {
          await expect(f.vault.connect(op).withdrawInstant(t.addr, f.exchange.address, amount))
            .to.be.revertedWithCustomError(f.vault, "CapExceeded")
            .withArgs(op.address, t.addr, amount, opAvail * t.unit);
          refusals.push({ op: opIx, t: ts, units, kind: "op" });
        } else if (units > vAvail) {
          await expect(f.vault.connect(op).withdrawInstant(t.addr, f.exchange.address, amount))
            .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
            .withArgs(t.addr, amount, vAvail * t.unit);
          refusals.push({ op: opIx, t: ts, units, kind: "vault" });
        } else {
          const at = await withdrawOk(f, op, t, amount, ts);
          outflows.push({ op: opIx, t: at, bucket: bucketOf(c, at), amount, units });
        }
        now = ts;

        // The vault's views at the latest block agree with the model.
        const view = await latest();
        for (let i = 0; i < ops.length; i++) {
          const s = await f.lens.operatorState(f.vault, ops[i].address, t.addr);
          expect(s.used, `step ${step} op ${i} used`).to.equal(usedU(view, i) * t.unit);
          expect(s.available, `step ${step} op ${i} available`).to.equal(availU(view, i) * t.unit);
          expect(s.nextRelease, `step ${step} op ${i} nextRelease`).to.equal(nextRelease(view, i));
          expect(await f.lens.availableNow(f.vault, ops[i].address, t.addr), `step ${step} op ${i} availableNow`)
            .to.equal(min(availU(view, i) * t.unit, t.instant, availU(view) * t.unit));
        }
        const ts2 = await f.lens.tokenState(f.vault, t.addr);
        expect(ts2.used, `step ${step} vault used`).to.equal(usedU(view) * t.unit);
        expect(ts2.available, `step ${step} vault available`).to.equal(availU(view) * t.unit);
        expect(ts2.nextRelease, `step ${step} vault nextRelease`).to.equal(nextRelease(view));
      }

      // Independent sliding-window check on the recorded outflows: for every outflow time s, the outflow in
      // (s - W, s] stays within the caps, in base units and in rounded-up units.
      const inWindow = (from: bigint, to: bigint, op?: number) =>
        outflows.filter((o) => (op === undefined || o.op === op) && o.t > from && o.t <= to);
      let maxOpWindow = 0n;
      let maxVaultWindow = 0n;
      for (const o of outflows) {
        const mine = inWindow(o.t - c.W, o.t, o.op);
        const all = inWindow(o.t - c.W, o.t);
        const mineAmount = mine.reduce((a, x) => a + x.amount, 0n);
        const allAmount = all.reduce((a, x) => a + x.amount, 0n);
        expect(mineAmount <= t.cap, `op ${o.op} moved ${mineAmount} in the window ending ${o.t}`).to.equal(true);
        expect(mine.reduce((a, x) => a + x.units, 0n) <= capU).to.equal(true);
        expect(allAmount <= t.vaultCap, `all moved ${allAmount} in the window ending ${o.t}`).to.equal(true);
        expect(all.reduce((a, x) => a + x.units, 0n) <= vaultCapU).to.equal(true);
        if (mineAmount > maxOpWindow) maxOpWindow = mineAmount;
        if (allAmount > maxVaultWindow) maxVaultWindow = allAmount;
      }
      // Every refusal is explained by outflow no older than window + window/3 (capacity is at most L late).
      let lateRefusals = 0;
      for (const r of refusals) {
        const op = r.kind === "op" ? r.op : undefined;
        const capOf = r.kind === "op" ? capU : vaultCapU;
        const recent = inWindow(r.t - c.W - c.L, r.t, op).reduce((a, x) => a + x.units, 0n);
        expect(recent + r.units > capOf, `refusal at ${r.t} not explained by the last W + L`).to.equal(true);
        const exact = inWindow(r.t - c.W, r.t, op).reduce((a, x) => a + x.units, 0n);
        if (exact + r.units <= capOf) lateRefusals++;
      }
      const total = outflows.reduce((a, o) => a + o.amount, 0n);
      expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(total);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
      // The sequence exercised what it is meant to: both kinds of refusal, refusals an exact sliding window
      // would have admitted (the bucket lag), and windows filled close to the caps.
      expect(outflows.length).to.be.greaterThan(STEPS / 3);
      expect(refusals.filter((r) => r.kind === "op").length).to.be.greaterThan(0);
      expect(refusals.filter((r) => r.kind === "vault").length).to.be.greaterThan(0);
      expect(lateRefusals).to.be.greaterThan(0);
      expect(maxOpWindow * 10n >= t.cap * 9n).to.equal(true);
      expect(maxVaultWindow * 10n >= t.vaultCap * 9n).to.equal(true);
    });
  });

  describe("lowered caps and units", () => {
    it("lowering the cap below current usage leaves nothing available and blocks withdrawals", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const usedAmount = (t.cap * 3n) / 5n;
      const lowered = (t.cap * 2n) / 5n;
      expect(lowered % t.unit).to.equal(0n);
      await spend(f, f.bot1, t, usedAmount);
      const instant = min(t.instant, lowered);
      await expect(
        f.vault.connect(f.guardian).lowerOperatorLimits({
          operator: f.bot1.address, token: t.addr, cap: lowered, instantLimit: instant, queueCap: t.queueCap,
        }),
      )
        .to.emit(f.vault, "OperatorLimitsSet")
        .withArgs(f.bot1.address, t.addr, lowered, instant, t.queueCap);
      const s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect(s.cap).to.equal(lowered);
      expect(s.used).to.equal(usedAmount);
      expect(s.available).to.equal(0n);
      expect(await f.lens.availableNow(f.vault, f.bot1.address, t.addr)).to.equal(0n);
      await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, t.unit))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, t.addr, TripReason.CapExceeded, f.exchange.address, t.unit)
        .and.not.to.emit(f.vault, "Withdrawn");
      expect(await balanceOf(f, t, f.exchange.address)).to.equal(usedAmount);
      // Once the usage has left the ring, the lowered cap is what is available.
      await time.increaseTo(s.nextRelease);
      const later = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect(later.used).to.equal(0n);
      expect(later.available).to.equal(lowered);
    });

    it("lowering the cap below usage blocks an opted-out operator with CapExceeded(…, 0)", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "dai");
      await applyChanges(f, [optOut(f.bot1)]);
      const usedAmount = t.cap / 2n;
      await spend(f, f.bot1, t, usedAmount);
      const lowered = usedAmount - t.unit; // one unit below the usage
      await f.vault.connect(f.guardian).lowerOperatorLimits({
        operator: f.bot1.address, token: t.addr, cap: lowered, instantLimit: min(t.instant, lowered), queueCap: t.queueCap,
      });
      expect((await f.lens.operatorState(f.vault, f.bot1.address, t.addr)).available).to.equal(0n);
      await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, 1n))
        .to.be.revertedWithCustomError(f.vault, "CapExceeded")
        .withArgs(f.bot1.address, t.addr, 1n, 0n);
    });

    it("a withdrawal of one base unit counts as a whole unit (USDT unit 10**4, DAI unit 10**16)", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      expect(t.unit).to.equal(10n ** 4n);
      await withdrawOk(f, f.bot1, t, 1n);
      expect(await balanceOf(f, t, f.exchange.address)).to.equal(1n);
      let s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect(s.used).to.equal(t.unit);
      expect(s.available).to.equal(t.cap - t.unit);
      expect((await f.lens.tokenState(f.vault, t.addr)).used).to.equal(t.unit);
      // unit + 1 base units count as two units; an exact unit counts as one.
      await withdrawOk(f, f.bot1, t, t.unit + 1n);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, t.addr)).used).to.equal(3n * t.unit);
      await withdrawOk(f, f.bot1, t, t.unit);
      s = await f.lens.operatorState(f.vault, f.bot1.address, t.addr);
      expect(s.used).to.equal(4n * t.unit);

      // Over-counting can only block early: fill the rest, then a single base unit trips although fewer
      // than `cap` base units have actually moved.
      await spend(f, f.bot1, t, s.available);
      const moved = await balanceOf(f, t, f.exchange.address);
      expect(moved).to.equal(t.cap - 4n * t.unit + 1n + t.unit + 1n + t.unit);
      expect(moved < t.cap).to.equal(true);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, t.addr)).available).to.equal(0n);
      await expect(f.vault.connect(f.bot1).withdrawInstant(t.addr, f.exchange.address, 1n))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, t.addr, TripReason.CapExceeded, f.exchange.address, 1n);

      const d = tokenOf(f, "dai");
      await withdrawOk(f, f.bot2, d, 1n);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, d.addr)).used).to.equal(d.unit);
      expect((await f.lens.tokenState(f.vault, d.addr)).used).to.equal(d.unit);
    });
  });

  describe("vault-wide cap", () => {
    it("two operators together cannot exceed it; exhaustion reverts VaultCapExceeded and suspends nobody", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      expect(t.vaultCap < 2n * t.cap).to.equal(true); // the policy makes the vault cap the binding one
      await spend(f, f.bot1, t, t.cap);
      let ts = await f.lens.tokenState(f.vault, t.addr);
      expect(ts.used).to.equal(t.cap);
      expect(ts.available).to.equal(t.vaultCap - t.cap);
      const s2 = await f.lens.operatorState(f.vault, f.bot2.address, t.addr);
      expect(s2.available).to.equal(t.cap); // bot2's own cap is untouched ...
      expect(await f.lens.availableNow(f.vault, f.bot2.address, t.addr)).to.equal(min(t.instant, t.vaultCap - t.cap));

      const left = t.instant / 2n;
      await spend(f, f.bot2, t, t.vaultCap - t.cap - left);
      await expect(f.vault.connect(f.bot2).withdrawInstant(t.addr, f.exchange.address, t.instant))
        .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
        .withArgs(t.addr, t.instant, left);
      await expect(f.vault.connect(f.bot2).withdrawInstant(t.addr, f.exchange2.address, left + 1n))
        .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
        .withArgs(t.addr, left + 1n, left);
      await withdrawOk(f, f.bot2, t, left);
      ts = await f.lens.tokenState(f.vault, t.addr);
      expect(ts.used).to.equal(t.vaultCap);
      expect(ts.available).to.equal(0n);
      await expect(f.vault.connect(f.bot2).withdrawInstant(t.addr, f.exchange.address, 1n))
        .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
        .withArgs(t.addr, 1n, 0n);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, t.addr)).available).to.equal(t.cap - (t.vaultCap - t.cap));
      expect(await balanceOf(f, t, f.exchange.address)).to.equal(t.vaultCap);
    });

    it("holds across a bucket boundary until the buckets leave the ring", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "usdt");
      const c = await clockOf(f);
      const bot2Share = t.vaultCap - t.cap;
      const n = BigInt(chunks(t, t.cap).length + chunks(t, bot2Share).length);
      const B = bucketStart(c, bucketOf(c, await latest()) + 2n);
      const times = await spend(f, f.bot1, t, t.cap, B - n);
      await spend(f, f.bot2, t, bot2Share, times[times.length - 1] + 1n);
      const release = B + c.W;
      expect((await f.lens.tokenState(f.vault, t.addr)).nextRelease).to.equal(release);
      for (const probe of [B, B + c.L, release - 1n]) {
        await time.setNextBlockTimestamp(probe);
        await expect(f.vault.connect(f.bot2).withdrawInstant(t.addr, f.exchange.address, t.unit))
          .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
          .withArgs(t.addr, t.unit, 0n);
        expect(await latest()).to.equal(probe);
      }
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
      await withdrawOk(f, f.bot2, t, t.instant, release);
      expect(await balanceOf(f, t, f.exchange.address)).to.equal(t.vaultCap + t.instant);
    });

    it("a vault cap lowered below usage reverts VaultCapExceeded(token, amount, 0) for an operator with room", async () => {
      const f = await loadFixture(deployVaultFixture);
      const t = tokenOf(f, "eth");
      await spend(f, f.bot1, t, t.cap / 2n);
      await f.vault.connect(f.guardian).lowerVaultCap(t.addr, t.cap / 4n);
      const ts = await f.lens.tokenState(f.vault, t.addr);
      expect(ts.vaultCap).to.equal(t.cap / 4n);
      expect(ts.available).to.equal(0n);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, t.addr)).available).to.equal(t.cap);
      expect(await f.lens.availableNow(f.vault, f.bot2.address, t.addr)).to.equal(0n);
      await expect(f.vault.connect(f.bot2).withdrawInstant(t.addr, f.exchange.address, t.unit))
        .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
        .withArgs(t.addr, t.unit, 0n);
      expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
    });
  });
});
