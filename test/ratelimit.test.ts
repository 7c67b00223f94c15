import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { RateLimitHarness } from "../typechain-types";
import { BUCKET } from "./helpers/fixture";

// Limiter word layout (RateLimit.sol): ring [0,144) as four 36-bit buckets (bucket 0 = the bucket period of
// `last`, bucket i = i periods before it), last [144,176), cap [176,212); bits >= 212 belong to the caller.
const AMOUNT_BITS = 36n;
const MASK36 = (1n << AMOUNT_BITS) - 1n;
const LAST_SHIFT = 144n;
const CAP_SHIFT = 176n;
const HIGH_SHIFT = 212n;
const MASK32 = (1n << 32n) - 1n;
const HIGH_MASK = (1n << (256n - HIGH_SHIFT)) - 1n;

type Ring = [bigint, bigint, bigint, bigint];

interface Fields {
  ring?: Ring;
  last?: bigint;
  cap?: bigint;
  high?: bigint;
}

function pack({ ring = [0n, 0n, 0n, 0n], last = 0n, cap = 0n, high = 0n }: Fields): bigint {
  for (const b of ring) expect(b >= 0n && b <= MASK36, "bucket fits 36 bits").to.equal(true);
  expect(last <= MASK32 && cap <= MASK36 && high <= HIGH_MASK, "fields fit").to.equal(true);
  let word = (high << HIGH_SHIFT) | (cap << CAP_SHIFT) | (last << LAST_SHIFT);
  ring.forEach((b, i) => {
    word |= b << (BigInt(i) * AMOUNT_BITS);
  });
  return word;
}

function unpack(word: bigint): Required<Fields> {
  const ring = [0, 1, 2, 3].map((i) => (word >> (BigInt(i) * AMOUNT_BITS)) & MASK36) as Ring;
  return {
    ring,
    last: (word >> LAST_SHIFT) & MASK32,
    cap: (word >> CAP_SHIFT) & MASK36,
    high: word >> HIGH_SHIFT,
  };
}

// ------------------------------------------------------------------------------------------------
// Independent reference model: each bucket of the ring is an absolute bucket period; a period counts
// at time `now` while it is one of the four periods nowB-3 .. nowB.
// ------------------------------------------------------------------------------------------------
interface ModelView {
  used: bigint;
  available: bigint;
  nextRelease: bigint;
  ring: Ring;
}

function model(word: bigint, now: bigint, len: bigint): ModelView {
  const f = unpack(word);
  const lastB = f.last / len;
  const nowB = now / len;
  const ring: Ring = [0n, 0n, 0n, 0n];
  let nextRelease = 0n;
  for (let i = 0; i < 4; i++) {
    const period = lastB - BigInt(i); // absolute period that bucket i of the stored ring belongs to
    if (period < 0n && f.ring[i] !== 0n) throw new Error("bucket before the origin");
    const age = nowB - period; // how many periods ago, seen from now
    if (age >= 0n && age < 4n) ring[Number(age)] = f.ring[i];
  }
  for (let age = 3; age >= 0; age--) {
    if (ring[age] !== 0n) {
      nextRelease = (nowB - BigInt(age) + 4n) * len; // the period leaves when period + 4 starts
      break;
    }
  }
  const used = ring.reduce((a, b) => a + b, 0n);
  return { used, available: used >= f.cap ? 0n : f.cap - used, nextRelease, ring };
}

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

async function deployHarness(): Promise<RateLimitHarness> {
  return ethers.deployContract("RateLimitHarness");
}

describe("RateLimit library (RateLimitHarness)", () => {
  // The vault's own bucket length (window / 3), a short one and the degenerate 1-second bucket.
  const LENGTHS: bigint[] = [BUCKET, 1200n, 1n];

  async function expectViews(h: RateLimitHarness, word: bigint, now: bigint, len: bigint, exp: ModelView) {
    expect(await h.usedAt(word, now, len), `usedAt(now=${now}, len=${len})`).to.equal(exp.used);
    expect(await h.availableAt(word, now, len), `availableAt(now=${now}, len=${len})`).to.equal(exp.available);
    expect(await h.nextReleaseAt(word, now, len), `nextReleaseAt(now=${now}, len=${len})`).to.equal(exp.nextRelease);
  }

  it("advancing 0..5 buckets drops exactly the buckets that left the ring, at every position in a bucket", async () => {
    const h = await loadFixture(deployHarness);
    // Powers of two make the sum say exactly which buckets still count.
    const ring: Ring = [1n, 2n, 4n, 8n];
    const cap = 100n;
    const expectedUsed = [15n, 7n, 3n, 1n, 0n, 0n]; // 1+2+4+8, then 8, 4, 2, 1 leave in turn
    for (const len of LENGTHS) {
      const lastB = 10n;
      for (const lastOffset of [0n, len / 2n, len - 1n]) {
        const word = pack({ ring, last: lastB * len + lastOffset, cap });
        for (let k = 0; k <= 5; k++) {
          const nowB = lastB + BigInt(k);
          // Bucket i of the ring is period lastB - i and leaves at the start of period lastB - i + 4; the
          // oldest still counted (i = 3 - k) is the next to leave.
          const nextRelease = k <= 3 ? (lastB - BigInt(3 - k) + 4n) * len : 0n;
          for (const nowOffset of [0n, len / 2n, len - 1n]) {
            const now = nowB * len + nowOffset;
            if (now < lastB * len + lastOffset) continue; // now is never before last
            const exp = { used: expectedUsed[k], available: cap - expectedUsed[k], nextRelease, ring };
            await expectViews(h, word, now, len, exp);
            expect(model(word, now, len).used).to.equal(expectedUsed[k]); // the model agrees with the table
          }
        }
      }
    }
  });

  it("a bucket stops counting exactly when the fourth bucket after it starts, not a second earlier", async () => {
    const h = await loadFixture(deployHarness);
    for (const len of LENGTHS) {
      // Outflow at the very first second of period 10: counted through 14*len - 1, gone at 14*len.
      for (const last of [10n * len, 11n * len - 1n]) {
        const word = pack({ ring: [5n, 0n, 0n, 0n], last, cap: 9n });
        const release = 14n * len;
        await expectViews(h, word, release - 1n, len, { used: 5n, available: 4n, nextRelease: release, ring: [0n, 0n, 0n, 5n] });
        await expectViews(h, word, release, len, { used: 0n, available: 9n, nextRelease: 0n, ring: [0n, 0n, 0n, 0n] });
        // The release instant of an outflow is between window and window + len after it: never early.
        expect(release - last > 3n * len).to.equal(true);
        expect(release - last <= 4n * len).to.equal(true);
        // consume at the last counted second sees the outflow; at the release instant it does not.
        const before = await h.consume(word, release - 1n, len, 5n);
        expect(before.used).to.equal(5n);
        expect(before.ok).to.equal(false);
        const at = await h.consume(word, release, len, 9n);
        expect(at.used).to.equal(0n);
        expect(at.ok).to.equal(true);
      }
    }
  });

  it("the ring is aligned to bucket periods, not to the time of the last outflow", async () => {
    const h = await loadFixture(deployHarness);
    const len = BUCKET;
    // last is the final second of period 10: one second later the ring has moved one whole bucket.
    const word = pack({ ring: [1n, 2n, 4n, 8n], last: 11n * len - 1n, cap: 20n });
    expect(await h.usedAt(word, 11n * len - 1n, len)).to.equal(15n);
    expect(await h.usedAt(word, 11n * len, len)).to.equal(7n);
    // last is the first second of period 10: almost a whole bucket later nothing has moved.
    const word2 = pack({ ring: [1n, 2n, 4n, 8n], last: 10n * len, cap: 20n });
    expect(await h.usedAt(word2, 11n * len - 1n, len)).to.equal(15n);
    expect(await h.nextReleaseAt(word2, 11n * len - 1n, len)).to.equal(11n * len);
    // Far in the future everything is gone.
    expect(await h.usedAt(word2, 10_000n * len, len)).to.equal(0n);
    expect(await h.nextReleaseAt(word2, 10_000n * len, len)).to.equal(0n);
  });

  it("consume records into bucket 0 after advancing, sets last to now and reports the prior usage", async () => {
    const h = await loadFixture(deployHarness);
    const len = BUCKET;
    const cap = 20n;
    const word = pack({ ring: [3n, 5n, 0n, 7n], last: 10n * len + 5n, cap });
    const now = 12n * len + 3n;
    // Ring periods: 3 -> 10, 5 -> 9, 0 -> 8, 7 -> 7. Two periods later (period 12) 3 and 5 are buckets 2 and 3
    // and the 0 and 7 of periods 8 and 7 are gone.
    const prior = 3n + 5n;
    const ok = await h.consume(word, now, len, cap - prior);
    expect(ok.used).to.equal(prior);
    expect(ok.ok).to.equal(true);
    const u = unpack(ok.updated);
    expect(u.ring).to.deep.equal([cap - prior, 0n, 3n, 5n]);
    expect(u.last).to.equal(now);
    expect(u.cap).to.equal(cap);
    expect(u.high).to.equal(0n);
    expect(await h.usedAt(ok.updated, now, len)).to.equal(cap);
    expect(await h.availableAt(ok.updated, now, len)).to.equal(0n);
    expect(await h.nextReleaseAt(ok.updated, now, len)).to.equal(13n * len); // the 5 of period 9 leaves first

    const over = await h.consume(word, now, len, cap - prior + 1n);
    expect(over.used).to.equal(prior);
    expect(over.ok).to.equal(false);

    // Within the same bucket the ring is not moved; a second consume adds to bucket 0.
    const again = await h.consume(ok.updated, now + 1n, len, 0n);
    expect(again.ok).to.equal(true);
    expect(unpack(again.updated).ring).to.deep.equal([cap - prior, 0n, 3n, 5n]);
    expect(unpack(again.updated).last).to.equal(now + 1n);
    const none = await h.consume(ok.updated, now + 1n, len, 1n);
    expect(none.ok).to.equal(false);
  });

  it("cap = 0 admits nothing but a zero amount", async () => {
    const h = await loadFixture(deployHarness);
    const len = BUCKET;
    const word = pack({ last: 3n * len, cap: 0n });
    expect(await h.availableAt(word, 3n * len, len)).to.equal(0n);
    expect(await h.usedAt(word, 3n * len, len)).to.equal(0n);
    expect(await h.nextReleaseAt(word, 3n * len, len)).to.equal(0n);
    const one = await h.consume(word, 3n * len, len, 1n);
    expect(one.ok).to.equal(false);
    const zero = await h.consume(word, 3n * len, len, 0n);
    expect(zero.ok).to.equal(true);
    expect(zero.used).to.equal(0n);
  });

  it("units = cap fits an empty ring exactly, units = cap + 1 does not", async () => {
    const h = await loadFixture(deployHarness);
    const len = BUCKET;
    for (const cap of [1n, 1000n, MASK36]) {
      const word = pack({ last: 0n, cap });
      const full = await h.consume(word, 7n * len, len, cap);
      expect(full.ok).to.equal(true);
      expect(full.used).to.equal(0n);
      expect(unpack(full.updated).ring).to.deep.equal([cap, 0n, 0n, 0n]);
      expect(await h.availableAt(full.updated, 7n * len, len)).to.equal(0n);
      const next = await h.consume(full.updated, 7n * len, len, 1n);
      expect(next.ok).to.equal(false);
      expect(next.used).to.equal(cap);
      const over = await h.consume(word, 7n * len, len, cap + 1n);
      expect(over.ok).to.equal(false);
      expect(over.used).to.equal(0n);
      // Far more than the cap (and more than 36 bits) is refused too.
      const huge = await h.consume(word, 7n * len, len, 1n << 200n);
      expect(huge.ok).to.equal(false);
    }
  });

  it("usage above the cap (a lowered cap) leaves nothing available and refuses even zero", async () => {
    const h = await loadFixture(deployHarness);
    const len = BUCKET;
    const word = pack({ ring: [4n, 0n, 3n, 0n], last: 9n * len, cap: 5n });
    expect(await h.usedAt(word, 9n * len, len)).to.equal(7n);
    expect(await h.availableAt(word, 9n * len, len)).to.equal(0n);
    expect((await h.consume(word, 9n * len, len, 0n)).ok).to.equal(false);
    expect((await h.consume(word, 9n * len, len, 1n)).ok).to.equal(false);
    // Once the 3 (period 7) has left, 4 of 5 are used: 1 fits again.
    expect(await h.availableAt(word, 11n * len, len)).to.equal(1n);
    expect((await h.consume(word, 11n * len, len, 1n)).ok).to.equal(true);
    expect((await h.consume(word, 11n * len, len, 2n)).ok).to.equal(false);
  });

  it("a ring summing to 2**36 - 2 takes one more unit without carrying into the next bucket or field", async () => {
    const h = await loadFixture(deployHarness);
    const len = BUCKET;
    const high = HIGH_MASK; // all caller bits set, to catch any carry
    const ring: Ring = [MASK36 - 10n, 3n, 3n, 3n];
    const word = pack({ ring, last: 20n * len, cap: MASK36, high });
    expect(await h.usedAt(word, 20n * len, len)).to.equal(MASK36 - 1n);
    expect(await h.availableAt(word, 20n * len, len)).to.equal(1n);
    const r = await h.consume(word, 20n * len + 1n, len, 1n);
    expect(r.ok).to.equal(true);
    expect(r.used).to.equal(MASK36 - 1n);
    const u = unpack(r.updated);
    expect(u.ring).to.deep.equal([MASK36 - 9n, 3n, 3n, 3n]);
    expect(u.last).to.equal(20n * len + 1n);
    expect(u.cap).to.equal(MASK36);
    expect(u.high).to.equal(high);
    expect((await h.consume(word, 20n * len, len, 2n)).ok).to.equal(false);

    // Bucket 0 filled to exactly 2**36 - 1.
    const solo = pack({ ring: [MASK36 - 1n, 0n, 0n, 0n], last: 20n * len, cap: MASK36, high });
    const s = await h.consume(solo, 20n * len, len, 1n);
    expect(s.ok).to.equal(true);
    expect(unpack(s.updated)).to.deep.equal({ ring: [MASK36, 0n, 0n, 0n], last: 20n * len, cap: MASK36, high });
  });

  it("four full buckets sum without wrapping and shift out without leaking into last or cap", async () => {
    const h = await loadFixture(deployHarness);
    const len = BUCKET;
    const word = pack({ ring: [MASK36, MASK36, MASK36, MASK36], last: 30n * len, cap: MASK36, high: HIGH_MASK });
    for (let k = 0n; k <= 4n; k++) {
      const now = (30n + k) * len;
      const used = (4n - (k > 4n ? 4n : k)) * MASK36;
      expect(await h.usedAt(word, now, len)).to.equal(used);
      expect(await h.availableAt(word, now, len)).to.equal(used >= MASK36 ? 0n : MASK36 - used);
      const r = await h.consume(word, now, len, 0n);
      expect(r.used).to.equal(used);
      expect(r.ok).to.equal(used <= MASK36);
      if (r.ok) {
        const u = unpack(r.updated);
        expect(u.cap).to.equal(MASK36);
        expect(u.high).to.equal(HIGH_MASK);
        expect(u.last).to.equal(now);
      }
    }
    // After three periods exactly one full bucket is left and it is exactly the cap.
    const r3 = await h.consume(word, 33n * len, len, 0n);
    expect(r3.ok).to.equal(true);
    expect(unpack(r3.updated).ring).to.deep.equal([0n, 0n, 0n, MASK36]);
  });

  it("consume preserves the caller's bits >= 212 and the cap; withCap replaces only the cap", async () => {
    const h = await loadFixture(deployHarness);
    const len = BUCKET;
    const patterns = [HIGH_MASK, 0xa5a5a5a5a5an & HIGH_MASK, 1n, 1n << 43n];
    for (const high of patterns) {
      const word = pack({ ring: [1n, 2n, 3n, 4n], last: 5n * len + 7n, cap: 50n, high });
      // Caller bits do not affect the views.
      const plain = pack({ ring: [1n, 2n, 3n, 4n], last: 5n * len + 7n, cap: 50n });
      for (const now of [5n * len + 7n, 6n * len, 9n * len - 1n, 9n * len]) {
        expect(await h.usedAt(word, now, len)).to.equal(await h.usedAt(plain, now, len));
        expect(await h.availableAt(word, now, len)).to.equal(await h.availableAt(plain, now, len));
        expect(await h.nextReleaseAt(word, now, len)).to.equal(await h.nextReleaseAt(plain, now, len));
        const r = await h.consume(word, now, len, 2n);
        expect(r.ok).to.equal(true);
        const u = unpack(r.updated);
        expect(u.high).to.equal(high);
        expect(u.cap).to.equal(50n);
        expect(u.last).to.equal(now);
      }
      const recapped = await h.withCap(word, 7n);
      expect(unpack(recapped)).to.deep.equal({ ...unpack(word), cap: 7n });
      expect(await h.availableAt(recapped, 5n * len + 7n, len)).to.equal(0n); // 10 used > 7
    }
  });

  it("matches an independent model on seeded random words (mulberry32 seed 0x2a17c0de)", async () => {
    const h = await loadFixture(deployHarness);
    const rng = mulberry32(0x2a17c0de);
    const pick = (n: bigint) => BigInt(Math.floor(rng() * Number(n)));
    for (let i = 0; i < 120; i++) {
      const len = LENGTHS[i % LENGTHS.length];
      const small = rng() < 0.6;
      const bucket = () => (rng() < 0.3 ? 0n : small ? pick(50n) : (BigInt(Math.floor(rng() * 2 ** 30)) << 6n) | pick(64n));
      const cap = small ? pick(200n) : (BigInt(Math.floor(rng() * 2 ** 30)) << 6n) | pick(64n);
      const lastB = 4n + pick(1000n);
      const last = lastB * len + pick(len);
      const word = pack({ ring: [bucket(), bucket(), bucket(), bucket()], last, cap, high: pick(1n << 40n) });
      const elapsed = pick(7n); // 0..6 periods
      const now = elapsed === 0n ? last + pick(lastB * len + len - last) : (lastB + elapsed) * len + pick(len);
      const exp = model(word, now, len);
      await expectViews(h, word, now, len, exp);
      const units = rng() < 0.5 ? exp.available : exp.available + 1n - pick(3n);
      const r = await h.consume(word, now, len, units < 0n ? 0n : units);
      const u = units < 0n ? 0n : units;
      expect(r.used).to.equal(exp.used);
      expect(r.ok).to.equal(exp.used <= cap && u <= cap - exp.used);
      if (r.ok) {
        const got = unpack(r.updated);
        expect(got.ring).to.deep.equal([exp.ring[0] + u, exp.ring[1], exp.ring[2], exp.ring[3]]);
        expect(got.last).to.equal(now);
        expect(got.cap).to.equal(cap);
        expect(got.high).to.equal(unpack(word).high);
      }
    }
  });
});
