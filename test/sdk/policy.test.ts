import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { NATIVE, POLICY, deployVaultFixture, vaultStart } from "../helpers/fixture";
import { policy } from "../../sdk/rules";
import { views } from "../helpers/views";

describe("SDK policy module: packed words and edge cases", () => {
  it("decodes policyWords into the fields the views report, and encodes them back bit for bit", async () => {
    const f = await loadFixture(deployVaultFixture);
    const start = await vaultStart(f.vault);
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 12_345n);
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
    const at = BigInt(await time.latest());
    await f.vault.connect(f.guardian).suspendOperator(f.bot2.address);
    await f.vault.connect(f.guardian).pause();

    const unit = 10n ** BigInt(POLICY.usdt.unitDecimals);
    const [opWord, tokenWord] = await views.policyWords(f.vault, f.bot1.address, f.usdtAddr);
    const o = policy.decodeOperatorWord(opWord);
    const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
    expect(o.cap * unit).to.equal(s.cap);
    expect(o.instantLimit * unit).to.equal(s.instantLimit);
    expect(o.ring.reduce((a, b) => a + b, 0n) * unit).to.equal(s.used);
    expect(o.ring[0]).to.equal(2n + POLICY.usdt.instant / unit); // 12_345 base units round up to 2 units
    expect(o.last).to.equal(at - start);
    expect(o.count).to.equal(2n);
    expect(o.suspended).to.equal(false);
    expect(policy.encodeOperatorWord(o)).to.equal(opWord);

    const t = policy.decodeTokenWord(tokenWord);
    expect(t).to.deep.include({
      unitDecimals: POLICY.usdt.unitDecimals,
      tripwireMaxCount: POLICY.tripwireMaxCount,
      tripwirePeriod: POLICY.tripwirePeriod,
      paused: true,
      listed: true,
      cap: POLICY.usdt.vaultCap / unit,
    });
    expect(policy.encodeTokenWord(t)).to.equal(tokenWord);

    const [suspendedWord, ethWord] = await views.policyWords(f.vault, f.bot2.address, NATIVE);
    expect(policy.decodeOperatorWord(suspendedWord).suspended).to.equal(true);
    expect(policy.encodeOperatorWord(policy.decodeOperatorWord(suspendedWord))).to.equal(suspendedWord);
    expect(policy.decodeTokenWord(ethWord).unitDecimals).to.equal(POLICY.eth.unitDecimals);
    const [, unlisted] = await views.policyWords(f.vault, f.bot1.address, f.stranger.address);
    expect(policy.decodeTokenWord(unlisted).listed).to.equal(false);
    expect(policy.tokenView({ clock: { start, bucket: POLICY.window / 3n }, timestamp: at, tokenWord: unlisted }).listed).to.equal(false);
  });

  it("handles the limiter's edges as the contract does", () => {
    const bucket = 100n;
    let word = policy.withCap(0n, 10n);
    const first = policy.consume(word, 250n, bucket, 4n);
    expect(first).to.include({ used: 0n, ok: true });
    word = first.updated;
    expect(policy.usedAt(word, 399n, bucket)).to.equal(4n); // still in the ring three buckets later
    expect(policy.nextReleaseAt(word, 399n, bucket)).to.equal(600n); // leaves when the fourth bucket after starts
    expect(policy.usedAt(word, 600n, bucket)).to.equal(0n);
    expect(policy.consume(word, 300n, bucket, 7n).ok).to.equal(false);
    // Time before `last`: the contract's unchecked subtraction wraps, which empties the ring.
    expect(policy.advance(word, 150n, bucket)).to.equal(0n);

    expect(policy.toUnits(1n, 100n)).to.equal(1n);
    expect(policy.toUnits(100n, 100n)).to.equal(1n);
    expect(policy.toUnits(101n, 100n)).to.equal(2n);
    expect(policy.toLimitUnits(300n, 100n)).to.equal(3n);
    expect(policy.toLimitUnits(301n, 100n)).to.equal(null);
    expect(policy.toLimitUnits((policy.AMOUNT_MASK + 1n) * 100n, 100n)).to.equal(null);

    const tokenWord = policy.listedTokenWord({ unitDecimals: 2, capUnits: 5n, tripwireMaxCount: 3n, tripwirePeriod: 60n, paused: false });
    expect(policy.nextBoundaries({ start: 1000n, bucket: 100n }, 1130n, tokenWord)).to.deep.equal([1180n, 1200n, 1300n, 1400n, 1500n]);
    expect(policy.nextBoundaries({ start: 1000n, bucket: 100n }, 1130n, policy.withTripwire(tokenWord, 0n, 60n))).to.deep.equal([1200n, 1300n, 1400n, 1500n]);
  });

  it("checks the execution of a queued withdrawal in the contract's order", () => {
    const w = { operator: "0x0000000000000000000000000000000000000001", eta: 1000n, status: "Pending" as const, token: NATIVE, to: "0x0000000000000000000000000000000000000002", amount: 5n };
    const base = { id: 3n, caller: w.operator, withdrawal: w, timestamp: 1000n, paused: true, suspended: true, approved: false };
    const name = (e: policy.ExecuteInput) => {
      const r = policy.checkExecute(e);
      return r.ok ? "ok" : r.error.name;
    };
    expect(name({ ...base, withdrawal: { ...w, status: "None" } })).to.equal("UnknownWithdrawal");
    expect(name({ ...base, caller: w.to })).to.equal("NotWithdrawalOperator");
    expect(name({ ...base, withdrawal: { ...w, status: "Executed" } })).to.equal("WithdrawalNotPending");
    expect(name({ ...base, timestamp: 999n })).to.equal("WithdrawalNotReady");
    expect(name({ ...base, timestamp: 1000n + 14n * 86400n + 1n })).to.equal("WithdrawalExpired");
    expect(name(base)).to.equal("VaultIsPaused");
    expect(name({ ...base, paused: false })).to.equal("OperatorIsSuspended");
    expect(name({ ...base, paused: false, suspended: false })).to.equal("DestinationNotApproved");
    expect(name({ ...base, paused: false, suspended: false, approved: true, timestamp: 1000n + 14n * 86400n })).to.equal("ok");
  });
});
