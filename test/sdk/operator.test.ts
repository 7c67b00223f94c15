import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChangeKind,
  NATIVE,
  POLICY,
  deployVaultFixture,
  encodeChange,
  proposeAndExecute,
  usdt,
  vaultStart,
  type VaultFixture,
} from "../helpers/fixture";
import { OperatorClient, type WithdrawResult } from "../../sdk/clients";
import { findDeploymentBlock } from "../../sdk/deploy";
import {
  CapExceededError,
  DestinationNotApprovedError,
  InvalidInputError,
  NotAVaultError,
  NotAnOperatorError,
  OperatorIsSuspendedError,
  QueueCapExceededError,
  RateExceededError,
  RpcError,
  VaultCapExceededError,
  VaultIsPausedError,
  WithdrawalExpiredError,
  WithdrawalNotPendingError,
  WithdrawalNotReadyError,
} from "../../sdk/errors";
import { GRACE_PERIOD } from "../../sdk/rules";
import { deployBlock, latestBlock, operatorClient, recordedSigner } from "./helpers";
import { views } from "../helpers/views";

const INSTANT = POLICY.usdt.instant;
const CAP = POLICY.usdt.cap;
const UNIT = 10n ** BigInt(POLICY.usdt.unitDecimals);

function sent(r: WithdrawResult): Extract<WithdrawResult, { sent: true }> {
  expect(r.sent, "the withdrawal was sent").to.equal(true);
  return r as Extract<WithdrawResult, { sent: true }>;
}

async function spendCap(f: VaultFixture, bot = f.bot1, total = CAP): Promise<void> {
  for (let left = total; left > 0n; left -= INSTANT) {
    await f.vault.connect(bot).withdrawInstant(f.usdtAddr, f.exchange.address, left < INSTANT ? left : INSTANT);
  }
}

describe("SDK OperatorClient", () => {
  it("loads the operator's policy: listed tokens, destinations replayed from logs, opt-out", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot1 = await operatorClient(f);
    const bot2 = await operatorClient(f, f.bot2);
    expect(bot1.address).to.equal(f.bot1.address);
    expect(bot1.tokens()).to.deep.equal([f.usdtAddr, f.daiAddr, NATIVE]);
    expect(bot1.destinations()).to.deep.equal([f.exchange.address]);
    expect(bot2.destinations()).to.have.members([f.exchange.address, f.exchange2.address]);
    expect(bot1.tripwireOptedOut).to.equal(false);
    expect(bot1.syncedTo.blockNumber).to.equal((await latestBlock()).number);
    expect(bot1.syncedTo.timestamp).to.equal(BigInt((await latestBlock()).timestamp));
    expect(bot1.pending()).to.deep.equal([]);
  });

  it("findDeploymentBlock finds the block the vault was deployed in", async () => {
    const f = await loadFixture(deployVaultFixture);
    expect(await findDeploymentBlock(ethers.provider, f.vaultAddr)).to.equal(await deployBlock(f));
    await expect(findDeploymentBlock(ethers.provider, f.stranger.address)).to.be.rejectedWith(InvalidInputError, /no contract/);
  });

  it("sends an instant withdrawal that fits, counts it before any refresh, and agrees with availableNow", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    const before = bot.available(f.usdtAddr);
    expect(before.amount).to.equal(INSTANT);
    expect(before.limitedBy).to.equal("instant-limit");
    expect(before.amount).to.equal(await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr));

    // 1 base unit counts as one whole unit (rounded up).
    const tiny = bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: 1n });
    expect(tiny).to.include({ action: "instant", units: 1n });

    const r = sent(await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: INSTANT }));
    expect(r.path).to.equal("instant");
    expect(r.forced).to.equal(false);
    const outcome = await r.tx.wait();
    expect(outcome.status).to.equal("withdrawn");
    expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(INSTANT);

    // Optimistic: counted at once, before the cache has seen the block.
    expect(bot.available(f.usdtAddr).operatorAvailable).to.equal(CAP - INSTANT);
    expect(await bot.refresh()).to.equal(true);
    const after = bot.available(f.usdtAddr);
    expect(after.operatorAvailable).to.equal(CAP - INSTANT);
    expect(after.vaultAvailable).to.equal(POLICY.usdt.vaultCap - INSTANT);
    expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).available).to.equal(after.operatorAvailable);
    expect(await bot.refresh()).to.equal(false);
  });

  it("above the instant limit: held back unless queueIfLarge, then queued; execute is refused locally until the eta", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    const amount = INSTANT + 1n;
    const block = await ethers.provider.getBlockNumber();

    const held = await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount });
    expect(held.sent).to.equal(false);
    expect(held.decision.action).to.equal("queue");
    if (held.decision.action !== "queue") throw new Error("unreachable");
    expect(held.decision.instantLimit).to.equal(INSTANT);
    expect(held.decision.reason).to.equal("aboveInstantLimit");
    expect(held.decision.eta).to.equal(bot.syncedTo.timestamp + POLICY.withdrawalDelay);
    expect(await ethers.provider.getBlockNumber(), "nothing was sent").to.equal(block);

    const r = sent(await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount }, { queueIfLarge: true }));
    expect(r.path).to.equal("queue");
    const outcome = await r.tx.wait();
    if (outcome.status !== "queued") throw new Error(`expected queued, got ${outcome.status}`);
    expect(outcome.id).to.equal(1n);
    expect((await views.getWithdrawal(f.vault, 1n)).amount).to.equal(amount);

    await bot.refresh();
    const [p] = bot.pending();
    expect(p).to.include({ id: 1n, token: f.usdtAddr, to: f.exchange.address, amount, eta: outcome.eta, status: "Pending", ready: false });
    expect(p.expiresAt).to.equal(outcome.eta + GRACE_PERIOD);
    expect(bot.available(f.usdtAddr).queueRoom).to.equal(POLICY.usdt.queueCap - amount);

    const before = await ethers.provider.getBlockNumber();
    const early = await bot.execute(1n).catch((e: unknown) => e);
    expect(early).to.be.instanceOf(WithdrawalNotReadyError);
    expect((early as WithdrawalNotReadyError).source).to.equal("preflight");
    expect((early as WithdrawalNotReadyError).args).to.deep.equal({ id: 1n, eta: outcome.eta });
    expect(await ethers.provider.getBlockNumber()).to.equal(before);

    await time.increaseTo(outcome.eta);
    await bot.refresh();
    expect(bot.pending()[0].ready).to.equal(true);
    const done = await (await bot.execute(1n)).wait();
    expect(done).to.include({ id: 1n, amount });
    expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(amount);
    await bot.refresh();
    expect(bot.pending()).to.deep.equal([]);
  });

  it("never sends a call that would trip its own key; with force it does, and the key is suspended", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    const block = await ethers.provider.getBlockNumber();
    const req = { token: f.usdtAddr, to: f.attacker.address, amount: 1n };

    const held = await bot.withdraw(req, { queueIfLarge: true });
    expect(held.sent).to.equal(false);
    const d = held.decision;
    if (d.action !== "reject") throw new Error("expected a rejection");
    expect(d).to.include({ path: "instant", effect: "trip", breach: "DestinationNotApproved", retryAt: null });
    expect(d.error).to.be.instanceOf(DestinationNotApprovedError);
    expect(d.error.args).to.deep.equal({ operator: f.bot1.address, destination: f.attacker.address });
    expect(await ethers.provider.getBlockNumber()).to.equal(block);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);

    const forced = sent(await bot.withdraw(req, { force: true }));
    expect(forced.forced).to.equal(true);
    expect(await forced.tx.wait()).to.include({ status: "tripped", reason: "DestinationNotApproved" });
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);

    // Even before a refresh, the forced trip counts: the key is treated as suspended.
    const next = bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: 1n });
    expect(next).to.include({ action: "reject", effect: "revert", breach: null });
    if (next.action === "reject") expect(next.error).to.be.instanceOf(OperatorIsSuspendedError);
    await bot.refresh();
    expect(bot.available(f.usdtAddr)).to.include({ amount: 0n, limitedBy: "suspended", nextIncreaseAt: null });
  });

  it("a spent cap is refused as a CapExceeded trip, with retryAt the moment it frees up, and passes then", async () => {
    const f = await loadFixture(deployVaultFixture);
    await spendCap(f);
    const bot = await operatorClient(f);
    const release = (await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).nextRelease;

    const d = bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT });
    if (d.action !== "reject") throw new Error("expected a rejection");
    expect(d).to.include({ effect: "trip", breach: "CapExceeded", retryAt: release });
    expect(d.error).to.be.instanceOf(CapExceededError);
    expect(d.error.args).to.deep.equal({ operator: f.bot1.address, token: f.usdtAddr, requested: UNIT, available: 0n });
    expect(bot.available(f.usdtAddr)).to.include({ amount: 0n, limitedBy: "operator-cap", nextIncreaseAt: release });

    await time.increaseTo(release - 1n);
    await bot.refresh();
    expect(bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT }).action).to.equal("reject");
    await time.increaseTo(release);
    await bot.refresh();
    expect(bot.available(f.usdtAddr).amount).to.equal(INSTANT);
    const r = sent(await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT }));
    expect((await r.tx.wait()).status).to.equal("withdrawn");
  });

  it("the tripwire's rate rule: the 11th withdrawal in one period is refused as RateExceeded until the next period", async () => {
    const f = await loadFixture(deployVaultFixture);
    const start = await vaultStart(f.vault);
    const period = POLICY.tripwirePeriod;
    const now = BigInt(await time.latest());
    const periodStart = start + ((now - start) / period + 1n) * period;
    const bot = await operatorClient(f);
    for (let i = 0; i < POLICY.tripwireMaxCount; i++) {
      await time.setNextBlockTimestamp(periodStart + BigInt(i));
      const r = sent(await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT }));
      expect((await r.tx.wait()).status).to.equal("withdrawn");
    }
    await bot.refresh();
    const d = bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT });
    if (d.action !== "reject") throw new Error("expected a rejection");
    expect(d).to.include({ effect: "trip", breach: "RateExceeded", retryAt: periodStart + period });
    expect(d.error).to.be.instanceOf(RateExceededError);
    expect(d.error.args).to.deep.include({ count: 11n, maxCount: 10n });
    expect(bot.available(f.usdtAddr)).to.include({ amount: 0n, limitedBy: "rate", nextIncreaseAt: periodStart + period });
    // Other tokens count separately.
    expect(bot.preflight({ token: f.daiAddr, to: f.exchange.address, amount: 1n }).action).to.equal("instant");
    await time.increaseTo(periodStart + period);
    await bot.refresh();
    expect(bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT }).action).to.equal("instant");
  });

  it("the vault-wide cap only reverts (VaultCapExceeded, no trip), and a stale cache gets the chain's typed revert", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot1 = await operatorClient(f);
    await spendCap(f, f.bot2);
    const left = POLICY.usdt.vaultCap - CAP;

    // bot1's cache has not seen bot2's withdrawals: it lets two through (the chain agrees) and a third that
    // the chain refuses; the refusal comes back typed and nothing is reserved for it.
    for (let i = 0; i < 2; i++) expect((await sent(await bot1.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: left / 2n })).tx.wait()).status).to.equal("withdrawn");
    const err = await bot1.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(VaultCapExceededError);
    expect((err as VaultCapExceededError).source).to.equal("chain");
    expect((err as VaultCapExceededError).args).to.deep.equal({ token: f.usdtAddr, requested: UNIT, available: 0n });
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);

    await bot1.refresh();
    const d = bot1.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT });
    if (d.action !== "reject") throw new Error("expected a rejection");
    expect(d).to.include({ effect: "revert", breach: null });
    expect(d.error).to.be.instanceOf(VaultCapExceededError);
    expect(bot1.available(f.usdtAddr)).to.include({ amount: 0n, limitedBy: "vault-cap" });
    expect(bot1.available(f.usdtAddr).operatorAvailable).to.equal(CAP - left);
  });

  it("an operator opted out of the tripwire gets reverts for breaches, never trips", async () => {
    const f = await loadFixture(deployVaultFixture);
    await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot2.address, true));
    const bot = await operatorClient(f, f.bot2);
    expect(bot.tripwireOptedOut).to.equal(true);
    const d = bot.preflight({ token: f.usdtAddr, to: f.attacker.address, amount: 1n });
    expect(d).to.include({ action: "reject", effect: "revert", breach: "DestinationNotApproved" });
    if (d.action === "reject") expect(d.error).to.be.instanceOf(DestinationNotApprovedError);
    // Forced, the chain reverts with the same typed error and the key stays active.
    const err = await bot.withdraw({ token: f.usdtAddr, to: f.attacker.address, amount: 1n }, { force: true }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DestinationNotApprovedError);
    expect(await views.isSuspended(f.vault, f.bot2.address)).to.equal(false);
  });

  it("paused: every withdrawal is refused with VaultIsPaused, nothing available", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    await f.vault.connect(f.guardian).pause();
    await bot.refresh();
    const d = bot.preflight({ token: NATIVE, to: f.exchange.address, amount: 1n });
    if (d.action !== "reject") throw new Error("expected a rejection");
    expect(d.error).to.be.instanceOf(VaultIsPausedError);
    expect(bot.available(NATIVE)).to.include({ amount: 0n, limitedBy: "paused", nextIncreaseAt: null });
    const q = await bot.queue({ token: NATIVE, to: f.exchange.address, amount: 1n });
    expect(q.sent).to.equal(false);
    if (q.decision.action === "reject") expect(q.decision.error).to.be.instanceOf(VaultIsPausedError);
    else throw new Error("expected a rejection");
  });

  describe("a stale cache (the documented directions)", () => {
    it("lets through a call the chain then trips, when a guardian revoked the destination unseen", async () => {
      const f = await loadFixture(deployVaultFixture);
      const bot = await operatorClient(f);
      await f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange.address);
      const r = sent(await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT }));
      expect(await r.tx.wait()).to.include({ status: "tripped", reason: "DestinationNotApproved" });
      await bot.refresh();
      expect(bot.destinations()).to.deep.equal([]);
    });

    it("holds back a call the chain would allow, when an approval executed unseen", async () => {
      const f = await loadFixture(deployVaultFixture);
      const bot = await operatorClient(f);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.exchange2.address));
      const req = { token: f.usdtAddr, to: f.exchange2.address, amount: UNIT };
      expect((await f.vault.connect(f.bot1).withdrawInstant.staticCall(req.token, req.to, req.amount))).to.equal(true);
      expect((await bot.withdraw(req)).sent).to.equal(false);
      await bot.refresh();
      expect(bot.destinations()).to.include(f.exchange2.address);
      expect((await sent(await bot.withdraw(req)).tx.wait()).status).to.equal("withdrawn");
    });
  });

  it("reserves capacity for a withdrawal in flight: of two concurrent calls that together exceed the cap, one is held back", async () => {
    const f = await loadFixture(deployVaultFixture);
    await spendCap(f, f.bot1, CAP - INSTANT);
    const bot = await operatorClient(f);
    const req = { token: f.usdtAddr, to: f.exchange.address, amount: INSTANT };
    const [a, b] = await Promise.all([bot.withdraw(req), bot.withdraw(req)]);
    expect(a.sent).to.equal(true);
    expect(b.sent).to.equal(false);
    expect(b.decision).to.include({ action: "reject", breach: "CapExceeded" });
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(CAP);
  });

  it("rejects bad input before any network call", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { signer, calls } = await recordedSigner(f.bot1.address);
    const bot = await operatorClient(f, signer);
    calls.length = 0;
    const good = f.exchange.address;
    const i = [...good].findIndex((c, k) => k > 1 && /[a-fA-F]/.test(c));
    const badChecksum = good.slice(0, i) + (good[i] === good[i].toUpperCase() ? good[i].toLowerCase() : good[i].toUpperCase()) + good.slice(i + 1);
    const cases: [Record<string, unknown>, string][] = [
      [{ token: f.usdtAddr, to: "0x1234", amount: 1n }, "to"],
      [{ token: f.usdtAddr, to: ethers.ZeroAddress, amount: 1n }, "to"],
      [{ token: "not an address", to: f.exchange.address, amount: 1n }, "token"],
      [{ token: f.usdtAddr, to: f.exchange.address, amount: 0n }, "amount"],
      [{ token: f.usdtAddr, to: f.exchange.address, amount: -5n }, "amount"],
      [{ token: f.usdtAddr, to: f.exchange.address, amount: 5 }, "amount"],
      [{ token: f.usdtAddr, to: f.exchange.address, amount: 1n << 256n }, "amount"],
      [{ token: f.stranger.address, to: f.exchange.address, amount: 1n }, "token"],
    ];
    cases.push([{ token: f.usdtAddr, to: badChecksum, amount: 1n }, "to"]);
    for (const [request, field] of cases) {
      const err = await bot.withdraw(request as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(request, (_, v) => (typeof v === "bigint" ? `${v}n` : v))).to.be.instanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).to.equal(field);
    }
    expect(() => bot.available(f.stranger.address)).to.throw(InvalidInputError, /not listed/);
    await expect(bot.execute(-1n)).to.be.rejectedWith(InvalidInputError);
    await expect(bot.queue({ token: f.usdtAddr, to: f.exchange.address, amount: 0n })).to.be.rejectedWith(InvalidInputError);
    expect(calls).to.deep.equal([]);
  });

  it("the hot path makes no chain reads: deciding costs nothing, withdrawing only what sending the transaction needs", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { signer, calls } = await recordedSigner(f.bot1.address);
    const bot = await operatorClient(f, signer);
    calls.length = 0;
    bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT });
    bot.available(f.usdtAddr);
    bot.pending();
    expect(calls).to.deep.equal([]);
    const r = sent(await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: UNIT }, { overrides: { gasLimit: 300_000n } }));
    expect(calls).to.include("eth_sendTransaction");
    // What ethers' JSON-RPC signer itself does to send and track a transaction; no vault reads.
    const sending = ["eth_sendTransaction", "eth_chainId", "eth_blockNumber", "eth_getTransactionByHash", "eth_estimateGas", "eth_accounts"];
    expect(calls.filter((m) => !sending.includes(m))).to.deep.equal([]);
    expect((await r.tx.wait()).status).to.equal("withdrawn");
  });

  it("an RPC failure when sending is an RpcError and releases the reservation", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { signer, failing } = await recordedSigner(f.bot1.address);
    const bot = await operatorClient(f, signer);
    failing.add("eth_sendTransaction");
    const err = await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: INSTANT }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RpcError);
    expect((err as RpcError).message).to.match(/injected failure/);
    expect(bot.available(f.usdtAddr).operatorAvailable).to.equal(CAP);
  });

  it("start() refreshes in the background, onError reports failed refreshes, stop() ends it", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { signer, failing } = await recordedSigner(f.bot1.address);
    const bot = await operatorClient(f, signer, { pollIntervalMs: 10 });
    const errors: unknown[] = [];
    bot.onError((e) => errors.push(e));
    bot.start();
    try {
      await f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange.address);
      const until = async (cond: () => boolean) => {
        for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
        expect(cond()).to.equal(true);
      };
      await until(() => bot.destinations().length === 0);
      failing.add("eth_getBlockByNumber");
      await until(() => errors.length > 0);
      expect(errors[0]).to.be.instanceOf(RpcError);
    } finally {
      await bot.stop();
    }
    failing.clear();
    const at = bot.syncedTo.blockNumber;
    await f.vault.connect(f.guardian).pause();
    await new Promise((r) => setTimeout(r, 50));
    expect(bot.syncedTo.blockNumber, "no refresh after stop()").to.equal(at);
  });

  it("queue(): queues any size; a full queue is refused as a QueueCapExceeded trip; cancel and the local checks on execute", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    const r = sent(await bot.queue({ token: f.usdtAddr, to: f.exchange.address, amount: usdt(10) }));
    expect(r.decision).to.include({ action: "queue", reason: "requested" });
    const q = await r.tx.wait();
    if (q.status !== "queued") throw new Error("expected queued");

    const full = await bot.queue({ token: f.usdtAddr, to: f.exchange.address, amount: POLICY.usdt.queueCap });
    if (full.sent || full.decision.action !== "reject") throw new Error("expected a rejection");
    expect(full.decision).to.include({ path: "queue", effect: "trip", breach: "QueueCapExceeded" });
    expect(full.decision.error).to.be.instanceOf(QueueCapExceededError);
    expect(full.decision.error.args).to.deep.include({ available: POLICY.usdt.queueCap - usdt(10) });
    // An amount above the instant limit that the queue cannot take is refused on the queue path too.
    const big = bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: POLICY.usdt.queueCap });
    expect(big).to.include({ action: "reject", path: "queue", breach: "QueueCapExceeded" });

    await (await bot.cancel(q.id)).wait();
    await bot.refresh();
    expect(bot.pending()).to.deep.equal([]);
    const again = await bot.cancel(q.id).catch((e: unknown) => e);
    expect(again).to.be.instanceOf(WithdrawalNotPendingError);
    expect((again as WithdrawalNotPendingError).args).to.deep.equal({ id: q.id, status: 3n });
  });

  it("sees its key's removal on refresh (queue cancelled, no destinations, NotOperator); added again, its HELD words are not taken for a suspension", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    const q = await sent(await bot.queue({ token: f.usdtAddr, to: f.exchange.address, amount: usdt(10) })).tx.wait();
    if (q.status !== "queued") throw new Error("expected queued");
    await bot.refresh();
    expect(bot.pending().map((w) => w.id)).to.deep.equal([q.id]);
    await f.vault.connect(f.guardian).removeOperator(f.bot1.address);
    expect(await bot.refresh()).to.equal(true);
    expect(bot.pending()).to.deep.equal([]);
    expect(bot.destinations()).to.deep.equal([]);
    expect(bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: 1n })).to.include({ action: "reject", effect: "revert" });
    expect(bot.available(f.usdtAddr).amount).to.equal(0n);

    await proposeAndExecute(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({
      operator: f.bot1.address, token: f.usdtAddr, cap: CAP, instantLimit: INSTANT, queueCap: POLICY.usdt.queueCap,
    }));
    await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.exchange.address));
    await bot.refresh();
    expect(bot.preflight({ token: f.usdtAddr, to: f.exchange.address, amount: 1n })).to.include({ action: "instant" });
    expect(bot.available(f.usdtAddr).amount).to.equal(await f.lens.availableNow(f.vault, f.bot1.address, f.usdtAddr));
    const w = await sent(await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: INSTANT })).tx.wait();
    expect(w.status).to.equal("withdrawn");
  });

  it("execute is refused locally when the destination was revoked or the withdrawal expired; force lets the chain judge", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    const q = await sent(await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: INSTANT * 2n }, { queueIfLarge: true })).tx.wait();
    if (q.status !== "queued") throw new Error("expected queued");
    await time.increaseTo(q.eta);
    await f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange.address);
    await bot.refresh();
    const revoked = await bot.execute(q.id).catch((e: unknown) => e);
    expect(revoked).to.be.instanceOf(DestinationNotApprovedError);
    expect((revoked as DestinationNotApprovedError).source).to.equal("preflight");
    const chain = await bot.execute(q.id, { force: true }).catch((e: unknown) => e);
    expect(chain).to.be.instanceOf(DestinationNotApprovedError);
    expect((chain as DestinationNotApprovedError).source).to.equal("chain");

    await time.increaseTo(q.eta + GRACE_PERIOD + 1n);
    await bot.refresh();
    const expired = await bot.execute(q.id).catch((e: unknown) => e);
    expect(expired).to.be.instanceOf(WithdrawalExpiredError);
    expect((expired as WithdrawalExpiredError).args).to.deep.equal({ id: q.id, expiry: q.eta + GRACE_PERIOD });
  });

  it("an amount above the instant limit that the instant path would send is an InstantLimitExceeded trip when forced without queueIfLarge", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    const held = await bot.withdraw({ token: NATIVE, to: f.exchange.address, amount: POLICY.eth.instant + 1n }, { force: true });
    expect(held.sent, "force does not turn a needed queue into a trip").to.equal(false);
    expect(held.decision.action).to.equal("queue");
    // With the queue full, the decision is a rejection on the queue path; force sends the instant call.
    await f.vault.connect(f.guardian).lowerOperatorLimits({ operator: f.bot1.address, token: NATIVE, cap: POLICY.eth.cap, instantLimit: POLICY.eth.instant, queueCap: 0n });
    await bot.refresh();
    const forced = sent(await bot.withdraw({ token: NATIVE, to: f.exchange.address, amount: POLICY.eth.instant + 1n }, { force: true }));
    expect(forced.path).to.equal("instant");
    expect(await forced.tx.wait()).to.include({ status: "tripped", reason: "InstantLimitExceeded" });
  });

  it("create() rejects a bad vault address or fromBlock before any network call", async () => {
    const f = await loadFixture(deployVaultFixture);
    await expect(OperatorClient.create({ vault: "0x12", signer: f.bot1, fromBlock: 0 })).to.be.rejectedWith(InvalidInputError, /vault/);
    await expect(OperatorClient.create({ vault: f.vaultAddr, signer: f.bot1, fromBlock: -1 })).to.be.rejectedWith(InvalidInputError, /fromBlock/);
    const detached = new ethers.Wallet(ethers.hexlify(ethers.randomBytes(32)));
    await expect(OperatorClient.create({ vault: f.vaultAddr, signer: detached, fromBlock: 0 })).to.be.rejectedWith(InvalidInputError, /provider/);
  });

  it("create() says clearly when the address is not a vault or the key is not one of its operators", async () => {
    const f = await loadFixture(deployVaultFixture);
    const fromBlock = await deployBlock(f);
    const cases = [
      { vault: f.stranger.address, signer: f.bot1, error: NotAVaultError, message: /is not a GuardedVault: no contract code there/ },
      { vault: f.usdtAddr, signer: f.bot1, error: NotAVaultError, message: /is not a GuardedVault: its code does not answer the vault's views/ },
      { vault: f.vaultAddr, signer: f.attacker, error: NotAnOperatorError, message: /is not an operator of the vault/ },
      { vault: f.vaultAddr, signer: f.guardian, error: NotAnOperatorError, message: new RegExp(f.guardian.address) },
    ];
    for (const c of cases) {
      const e = await OperatorClient.create({ vault: c.vault, signer: c.signer, fromBlock }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e, `${c.vault} / ${c.signer.address}`).to.be.instanceOf(c.error);
      expect((e as Error).message).to.match(c.message);
    }
    const notVault = await OperatorClient.create({ vault: f.usdtAddr, signer: f.bot1, fromBlock }).catch((err: NotAVaultError) => err);
    expect(notVault).to.include({ address: f.usdtAddr });
    const notOperator = await OperatorClient.create({ vault: f.vaultAddr, signer: f.attacker, fromBlock }).catch((err: NotAnOperatorError) => err);
    expect(notOperator).to.include({ vault: f.vaultAddr, operator: f.attacker.address });
  });
});
