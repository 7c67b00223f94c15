import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import { ChangeKind, NATIVE, deployVaultFixture, encodeChange, proposeAndExecute, vaultStart, type VaultFixture } from "../helpers/fixture";
import { TRIP_REASONS, tripReasonOf, type TripReason } from "../../sdk/rules/constants";
import { VaultRevertError, type VaultErrorData } from "../../sdk/errors/base";
import * as policy from "../../sdk/rules/policy";
import type { Clock } from "../../sdk/rules/policy";
import { toSdkError } from "../../sdk/errors/revert";
import { views } from "../helpers/views";

// The pure policy module against the contract, on random operation sequences: every decision (moved /
// which trip reason / which revert with which arguments), every packed word bit for bit, and every
// remaining allowance (operatorState, tokenState, availableNow) must agree after every step.
//
// bot1 is under the tripwire, bot2 opted out of it (so its breaches revert with arguments). Destinations:
// bot1 → exchange; bot2 → exchange, exchange2; `attacker` is approved for nobody.

const SEED = Number(process.env.SDK_FC_SEED ?? 0x5eed_0b07);
const RUNS = Number(process.env.SDK_FC_RUNS ?? 20);

async function propertyFixture(): Promise<VaultFixture> {
  const f = await deployVaultFixture();
  await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot2.address, true));
  return f;
}

// ------------------------------------------------------------------------------------------------
// Operations
// ------------------------------------------------------------------------------------------------

type Gap =
  | { kind: "small"; s: bigint }
  | { kind: "bucketEdge"; off: bigint }
  | { kind: "periodEdge"; off: bigint }
  | { kind: "big"; frac: number };

type Size = { kind: "random"; permille: number; tail: bigint } | { kind: "edge"; which: "room" | "room+1" | "instant+1" | "tiny" };

type Op =
  | { t: "withdraw"; op: number; token: number; dest: number; size: Size; gap: Gap }
  | { t: "burst"; op: number; token: number; n: number }
  | { t: "drain"; op: number; token: number; n: number; gap: bigint }
  | { t: "queue"; op: number; token: number; dest: number; size: Size; gap: Gap }
  | { t: "time"; gap: Gap }
  | { t: "lowerCap"; op: number; token: number; permille: number }
  | { t: "lowerVaultCap"; token: number; permille: number }
  | { t: "tighten"; maxCount: number; extra: bigint }
  | { t: "revoke"; op: number; dest: number }
  | { t: "unsuspend"; op: number }
  | { t: "pause" }
  | { t: "unpause" };

const gapArb: fc.Arbitrary<Gap> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("small" as const), s: fc.bigInt(1n, 90n) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("bucketEdge" as const), off: fc.bigInt(-1n, 1n) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("periodEdge" as const), off: fc.bigInt(-1n, 1n) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("big" as const), frac: fc.integer({ min: 0, max: 1000 }) }) },
);
const sizeArb: fc.Arbitrary<Size> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("random" as const), permille: fc.integer({ min: 0, max: 1100 }), tail: fc.bigInt(0n, 99_999n) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("edge" as const), which: fc.constantFrom("room" as const, "room+1" as const, "instant+1" as const, "tiny" as const) }) },
);
const opIx = fc.integer({ min: 0, max: 1 });
const tokenIx = fc.integer({ min: 0, max: 2 });
const destIx = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ t: fc.constant("withdraw" as const), op: opIx, token: tokenIx, dest: destIx, size: sizeArb, gap: gapArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("burst" as const), op: opIx, token: tokenIx, n: fc.integer({ min: 3, max: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("drain" as const), op: opIx, token: tokenIx, n: fc.integer({ min: 3, max: 7 }), gap: fc.bigInt(1n, 30n) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("queue" as const), op: opIx, token: tokenIx, dest: destIx, size: sizeArb, gap: gapArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("time" as const), gap: gapArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("lowerCap" as const), op: opIx, token: tokenIx, permille: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 })) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("lowerVaultCap" as const), token: tokenIx, permille: fc.integer({ min: 300, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("tighten" as const), maxCount: fc.integer({ min: 1, max: 10 }), extra: fc.bigInt(0n, 600n) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("revoke" as const), op: opIx, dest: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("unsuspend" as const), op: opIx }) },
  { weight: 1, arbitrary: fc.constant({ t: "pause" as const }) },
  { weight: 4, arbitrary: fc.constant({ t: "unpause" as const }) },
);

// ------------------------------------------------------------------------------------------------
// The model: the vault's state as the pure module evolves it
// ------------------------------------------------------------------------------------------------

interface Model {
  now: bigint;
  clock: Clock;
  window: bigint;
  opWords: Map<string, bigint>;
  tokenWords: Map<string, bigint>;
  approved: Set<string>;
  suspended: Map<string, boolean>;
  optedOut: Map<string, boolean>;
  queue: Map<string, { queueCap: bigint; pending: bigint }>;
  paused: boolean;
}

const key = (a: string, b: string) => `${a}:${b}`;

async function readModel(f: VaultFixture, ops: HardhatEthersSigner[], tokens: string[], dests: string[]): Promise<Model> {
  const start = await vaultStart(f.vault);
  const window = await f.vault.window();
  const m: Model = {
    now: BigInt(await time.latest()),
    clock: { start, bucket: window / 3n },
    window,
    opWords: new Map(),
    tokenWords: new Map(),
    approved: new Set(),
    suspended: new Map(),
    optedOut: new Map(),
    queue: new Map(),
    paused: await f.vault.paused(),
  };
  for (const o of ops) {
    m.suspended.set(o.address, await views.isSuspended(f.vault, o.address));
    m.optedOut.set(o.address, await views.isTripwireOptedOut(f.vault, o.address));
    for (const d of dests) if (await f.vault.isApproved(o.address, d)) m.approved.add(key(o.address, d));
    for (const t of tokens) {
      const [opWord, tokenWord] = await views.policyWords(f.vault, o.address, t);
      m.opWords.set(key(o.address, t), opWord);
      m.tokenWords.set(t, tokenWord);
      const s = await f.lens.operatorState(f.vault, o.address, t);
      m.queue.set(key(o.address, t), { queueCap: s.queueCap, pending: s.pendingQueued });
    }
  }
  return m;
}

/** The block timestamp a gap leads to from the model's current time (always later). */
function timeAfter(m: Model, g: Gap, tripPeriod: bigint): bigint {
  const nowT = m.now - m.clock.start;
  let ts: bigint;
  if (g.kind === "small") ts = m.now + g.s;
  else if (g.kind === "bucketEdge") ts = m.clock.start + (nowT / m.clock.bucket + 1n) * m.clock.bucket + g.off;
  else if (g.kind === "periodEdge") ts = m.clock.start + (nowT / tripPeriod + 1n) * tripPeriod + g.off;
  else ts = m.now + m.clock.bucket + (m.window * BigInt(g.frac)) / 1000n;
  return ts > m.now ? ts : m.now + 1n;
}

type Outcome = { kind: "ok" } | { kind: "trip"; reason: TripReason } | { kind: "revert"; error: VaultErrorData };

function expected(r: policy.InstantCheck | policy.QueueCheck): Outcome {
  if (r.ok) return { kind: "ok" };
  return r.effect === "trip" ? { kind: "trip", reason: r.breach } : { kind: "revert", error: r.error };
}

/** Sends a vault call and classifies what the chain did. */
async function observe(send: () => Promise<ContractTransactionResponse>, okEvent: string, f: VaultFixture): Promise<Outcome> {
  try {
    const receipt = (await (await send()).wait())!;
    const events = receipt.logs.map((l) => f.vault.interface.parseLog(l)).filter((e) => e !== null);
    const fired = events.find((e) => e.name === "TripwireFired");
    if (fired) return { kind: "trip", reason: tripReasonOf(fired.args.reason) };
    expect(events.map((e) => e.name)).to.include(okEvent);
    return { kind: "ok" };
  } catch (e) {
    const err = toSdkError(e);
    if (!(err instanceof VaultRevertError)) throw e;
    return { kind: "revert", error: err.toData() };
  }
}

// ------------------------------------------------------------------------------------------------

describe("SDK policy module vs the contract (fast-check)", function () {
  this.timeout(120_000);

  it(`agrees on every decision, word and allowance over random sequences (seed ${SEED}, ${RUNS} runs)`, async () => {
    const seen = new Map<string, number>();
    const note = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);

    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 8, maxLength: 22 }), async (sequence) => {
        const f = await loadFixture(propertyFixture);
        const ops = [f.bot1, f.bot2];
        const tokens = [f.usdtAddr, f.daiAddr, NATIVE];
        const dests = [f.exchange.address, f.exchange2.address, f.attacker.address];
        const m = await readModel(f, ops, tokens, dests);
        const balanceOf = async (t: string) => (await f.lens.tokenState(f.vault, t)).balance;

        const tripPeriod = () => policy.tripwireOf(m.tokenWords.get(tokens[0])!).period;
        const suspend = (op: string) => {
          m.suspended.set(op, true);
          for (const t of tokens) m.opWords.set(key(op, t), policy.withSuspended(m.opWords.get(key(op, t))!, true));
        };
        const instantInput = (op: string, token: string, to: string, amount: bigint, timestamp: bigint): policy.InstantInput => ({
          clock: m.clock,
          timestamp,
          operator: op,
          token,
          to,
          amount,
          opWord: m.opWords.get(key(op, token))!,
          tokenWord: m.tokenWords.get(token)!,
          approved: m.approved.has(key(op, to)),
          registered: true,
          tripwireOptedOut: m.optedOut.get(op)!,
        });
        const amountOf = (size: Size, op: string, token: string, ts: bigint): bigint => {
          const tw = m.tokenWords.get(token)!;
          const ow = m.opWords.get(key(op, token))!;
          const unit = policy.unitOf(tw);
          const instant = policy.instantLimitOf(ow) * unit;
          const nowT = ts - m.clock.start;
          const room = [policy.availableAt(ow, nowT, m.clock.bucket) * unit, policy.availableAt(tw, nowT, m.clock.bucket) * unit, instant].reduce((a, b) => (b < a ? b : a));
          let amount: bigint;
          if (size.kind === "random") amount = (policy.capOf(ow) * unit * BigInt(size.permille)) / 4000n + size.tail;
          else if (size.which === "room") amount = room;
          else if (size.which === "room+1") amount = room + 1n;
          else if (size.which === "instant+1") amount = instant + 1n;
          else amount = unit + 1n;
          return amount > 0n ? amount : 1n;
        };

        const withdraw = async (opI: number, tokenI: number, to: string, amount: bigint, ts: bigint) => {
          const op = ops[opI];
          const token = tokens[tokenI];
          const r = policy.checkInstant(instantInput(op.address, token, to, amount, ts));
          await time.setNextBlockTimestamp(ts);
          const got = await observe(() => f.vault.connect(op).withdrawInstant(token, to, amount), "Withdrawn", f);
          m.now = BigInt(await time.latest());
          const want = expected(r);
          expect(got, `withdraw ${op.address === f.bot1.address ? "bot1" : "bot2"} ${amount} of token ${tokenI} to ${to} at ${ts}`).to.deep.equal(want);
          note(want.kind === "ok" ? "instant ok" : want.kind === "trip" ? `trip ${want.reason}` : `revert ${want.error.name}`);
          if (!r.ok && r.breach) note(`breach ${r.breach}`);
          if (r.ok) {
            m.opWords.set(key(op.address, token), r.opWord);
            m.tokenWords.set(token, r.tokenWord);
          } else if (r.effect === "trip") suspend(op.address);
        };

        for (const step of sequence) {
          switch (step.t) {
            case "withdraw": {
              const ts = timeAfter(m, step.gap, tripPeriod());
              const amount = amountOf(step.size, ops[step.op].address, tokens[step.token], ts);
              await withdraw(step.op, step.token, dests[step.dest], amount, ts);
              break;
            }
            case "burst": {
              const unit = policy.unitOf(m.tokenWords.get(tokens[step.token])!);
              for (let i = 0; i < step.n; i++) await withdraw(step.op, step.token, dests[0], unit * BigInt(i + 1), m.now + 1n);
              break;
            }
            case "drain": {
              // Withdraw whatever is left until a cap binds, then one unit more.
              for (let i = 0; i < step.n; i++) {
                const ts = m.now + step.gap;
                const room = amountOf({ kind: "edge", which: "room" }, ops[step.op].address, tokens[step.token], ts);
                await withdraw(step.op, step.token, dests[0], room, ts);
              }
              break;
            }
            case "queue": {
              const op = ops[step.op];
              const token = tokens[step.token];
              const to = dests[step.dest];
              const ts = timeAfter(m, step.gap, tripPeriod());
              const q = m.queue.get(key(op.address, token))!;
              const queueRoom = q.queueCap > q.pending ? q.queueCap - q.pending : 0n;
              let amount: bigint;
              if (step.size.kind === "random") amount = (q.queueCap * BigInt(step.size.permille)) / 1000n + step.size.tail;
              else if (step.size.which === "room") amount = queueRoom;
              else if (step.size.which === "room+1") amount = queueRoom + 1n;
              else amount = amountOf(step.size, op.address, token, ts);
              if (amount === 0n) amount = 1n;
              const r = policy.checkQueue({
                ...instantInput(op.address, token, to, amount, ts),
                suspended: m.suspended.get(op.address)!,
                queueCap: q.queueCap,
                pending: q.pending,
                withdrawalDelay: await f.vault.withdrawalDelay(),
              });
              await time.setNextBlockTimestamp(ts);
              const got = await observe(() => f.vault.connect(op).queueWithdrawal(token, to, amount), "WithdrawalQueued", f);
              const want = expected(r);
              expect(got, `queue ${amount} at ${ts}`).to.deep.equal(want);
              note(want.kind === "ok" ? "queue ok" : want.kind === "trip" ? `queue trip ${want.reason}` : `queue revert ${want.error.name}`);
              if (!r.ok && r.breach) note(`breach ${r.breach}`);
              if (r.ok) q.pending = r.pending;
              else if (r.effect === "trip") suspend(op.address);
              break;
            }
            case "time":
              await time.increaseTo(timeAfter(m, step.gap, tripPeriod()));
              break;
            case "lowerCap": {
              const op = ops[step.op].address;
              const token = tokens[step.token];
              const unit = policy.unitOf(m.tokenWords.get(token)!);
              const ow = m.opWords.get(key(op, token))!;
              const capUnits = (policy.capOf(ow) * BigInt(step.permille)) / 1000n;
              const instantUnits = policy.instantLimitOf(ow) < capUnits ? policy.instantLimitOf(ow) : capUnits;
              const q = m.queue.get(key(op, token))!;
              const queueCap = (q.queueCap * BigInt(step.permille)) / 1000n;
              await time.setNextBlockTimestamp(m.now + 1n);
              await f.vault.connect(f.guardian).lowerOperatorLimits({ operator: op, token, cap: capUnits * unit, instantLimit: instantUnits * unit, queueCap });
              m.opWords.set(key(op, token), policy.withOperatorLimits(ow, { capUnits, instantUnits, suspended: m.suspended.get(op)! }));
              q.queueCap = queueCap;
              note("lowerCap");
              break;
            }
            case "lowerVaultCap": {
              const token = tokens[step.token];
              const tw = m.tokenWords.get(token)!;
              const capUnits = (policy.capOf(tw) * BigInt(step.permille)) / 1000n;
              await time.setNextBlockTimestamp(m.now + 1n);
              await f.vault.connect(f.guardian).lowerVaultCap(token, capUnits * policy.unitOf(tw));
              m.tokenWords.set(token, policy.withCap(tw, capUnits));
              note("lowerVaultCap");
              break;
            }
            case "tighten": {
              const current = policy.tripwireOf(m.tokenWords.get(tokens[0])!);
              const maxCount = BigInt(step.maxCount) < current.maxCount ? BigInt(step.maxCount) : current.maxCount;
              const period = current.period + step.extra;
              await time.setNextBlockTimestamp(m.now + 1n);
              await f.vault.connect(f.guardian).tightenTripwire(maxCount, period);
              for (const t of tokens) m.tokenWords.set(t, policy.withTripwire(m.tokenWords.get(t)!, maxCount, period));
              note("tighten");
              break;
            }
            case "revoke": {
              const op = ops[step.op].address;
              await time.setNextBlockTimestamp(m.now + 1n);
              await f.vault.connect(f.guardian).revokeDestination(op, dests[step.dest]);
              m.approved.delete(key(op, dests[step.dest]));
              break;
            }
            case "unsuspend": {
              const op = ops[step.op].address;
              if (!m.suspended.get(op)) break;
              await time.setNextBlockTimestamp(m.now + 1n);
              await proposeAndExecute(f.vault, f.admin, ChangeKind.UnsuspendOperator, encodeChange.address(op));
              m.suspended.set(op, false);
              for (const t of tokens) m.opWords.set(key(op, t), policy.withSuspended(m.opWords.get(key(op, t))!, false));
              note("unsuspend");
              break;
            }
            case "pause":
              if (m.paused) break;
              await time.setNextBlockTimestamp(m.now + 1n);
              await f.vault.connect(f.guardian).pause();
              m.paused = true;
              for (const t of tokens) m.tokenWords.set(t, policy.withPaused(m.tokenWords.get(t)!, true));
              break;
            case "unpause":
              if (!m.paused) break;
              await time.setNextBlockTimestamp(m.now + 1n);
              await proposeAndExecute(f.vault, f.admin, ChangeKind.Unpause, encodeChange.unpause());
              m.paused = false;
              for (const t of tokens) m.tokenWords.set(t, policy.withPaused(m.tokenWords.get(t)!, false));
              break;
          }
          m.now = BigInt(await time.latest());

          // Every word bit for bit, and the allowances the views report, at the latest block.
          for (const op of ops) {
            for (const token of tokens) {
              const [opWord, tokenWord] = await views.policyWords(f.vault, op.address, token);
              expect(opWord, `${step.t}: op word`).to.equal(m.opWords.get(key(op.address, token)));
              expect(tokenWord, `${step.t}: token word`).to.equal(m.tokenWords.get(token));
            }
          }
          const touched = "token" in step ? [tokens[step.token]] : [tokens[0]];
          for (const token of touched) {
            const tw = m.tokenWords.get(token)!;
            const tv = policy.tokenView({ clock: m.clock, timestamp: m.now, tokenWord: tw });
            const ts = await f.lens.tokenState(f.vault, token);
            expect([ts.vaultCap, ts.used, ts.available, ts.nextRelease]).to.deep.equal([tv.vaultCap, tv.used, tv.available, tv.nextRelease]);
            const balance = await balanceOf(token);
            for (const op of ops) {
              const ow = m.opWords.get(key(op.address, token))!;
              const ov = policy.operatorView({ clock: m.clock, timestamp: m.now, opWord: ow, tokenWord: tw });
              const s = await f.lens.operatorState(f.vault, op.address, token);
              expect([s.cap, s.instantLimit, s.used, s.available, s.nextRelease, s.suspended, s.pendingQueued, s.queueCap]).to.deep.equal([
                ov.cap, ov.instantLimit, ov.used, ov.available, ov.nextRelease, m.suspended.get(op.address), m.queue.get(key(op.address, token))!.pending, m.queue.get(key(op.address, token))!.queueCap,
              ]);
              const pure = policy.availableNow({ clock: m.clock, timestamp: m.now, opWord: ow, tokenWord: tw, paused: m.paused, suspended: m.suspended.get(op.address)!, balance });
              expect(await f.lens.availableNow(f.vault, op.address, token)).to.equal(pure);
            }
          }
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );

    // The sequences reached what they are meant to: moves, every policy breach (as a trip for bot1 or a
    // revert with arguments for bot2), trips and reverts of both kinds, the vault-wide cap, pause, suspension.
    const must = [
      "instant ok",
      "queue ok",
      "revert VaultCapExceeded",
      "revert OperatorIsSuspended",
      "revert VaultIsPaused",
      "revert CapExceeded",
      "trip DestinationNotApproved",
      "trip InstantLimitExceeded",
      ...TRIP_REASONS.map((r) => `breach ${r}`),
    ];
    const missing = must.filter((k) => !seen.has(k));
    expect(missing, `not exercised: ${missing.join(", ")}; seen ${JSON.stringify([...seen])}`).to.deep.equal([]);
  });
});
