/**
 * Attacks on the off-chain defences: a stolen bot key (and anyone who can send the vault a transaction)
 * tries to blind the responder and the bot's policy cache. Each test is one attack; in each, the responder
 * still cancels what its rules say to cancel, and the bot's cache ends up equal to one loaded afresh.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { POLICY, Status, deployVaultFixture, usdt, type VaultFixture } from "../helpers/fixture";
import { startRpcProxy, type RpcProxy } from "../helpers/rpc-proxy";
import { deployBlock } from "../sdk/helpers";
import { guardRules } from "./helpers";
import { OperatorClient } from "../../sdk/index";
import { Responder, parseResponderRules, type ResponderLogEntry, type ResponderOptions } from "../../sdk/monitor";
import { NATIVE } from "../../sdk/rules";
import { views } from "../helpers/views";

const status = async (f: VaultFixture, id: bigint) => Status[Number((await views.getWithdrawal(f.vault, id)).status)];
/** Backoff short enough for tests; the defaults are seconds. */
const FAST_RETRY = { attempts: 3, minDelayMs: 1, maxDelayMs: 5 };

async function responderVia(f: VaultFixture, proxy: RpcProxy, o: Omit<Partial<ResponderOptions>, "rules"> & { rules?: unknown } = {}) {
  const log: ResponderLogEntry[] = [];
  const alerts: unknown[] = [];
  const { rules, ...rest } = o;
  const responder = await Responder.create({
    vault: f.vaultAddr,
    signer: f.guardian,
    provider: proxy.provider,
    rules: parseResponderRules(rules ?? guardRules(f)),
    fromBlock: await deployBlock(f),
    log: (e) => log.push(e),
    onAlert: (a) => {
      alerts.push(a);
    },
    retry: FAST_RETRY,
    ...rest,
  });
  await responder.poll(); // catch up with the vault's history
  return { responder, log, alerts };
}

async function botVia(f: VaultFixture, proxy: RpcProxy, maxBlockRange?: number) {
  return OperatorClient.create({ vault: f.vaultAddr, signer: f.bot1, provider: proxy.provider, fromBlock: await deployBlock(f), maxBlockRange, retry: FAST_RETRY });
}

/** Rounds until one succeeds or `n` have been tried; a round that fails is what an attacker wants, not a test error. */
async function rounds(responder: Responder, n: number) {
  const errors: unknown[] = [];
  for (let i = 0; i < n; i++) await responder.poll().catch((e: unknown) => errors.push(e));
  return errors;
}

/** The bot's cache (refreshed through the hostile provider) against one loaded afresh from the node. */
async function expectCacheCorrect(f: VaultFixture, bot: OperatorClient) {
  for (let i = 0; i < 3; i++) if (await bot.refresh().then(() => true, () => false)) break;
  const fresh = await OperatorClient.create({ vault: f.vaultAddr, signer: f.bot1, provider: ethers.provider, fromBlock: await deployBlock(f) });
  expect(bot.syncedTo.blockNumber, "the cache reached the head").to.equal(fresh.syncedTo.blockNumber);
  expect(bot.pending(), "queued withdrawals").to.deep.equal(fresh.pending());
  expect([...bot.destinations()].sort()).to.deep.equal([...fresh.destinations()].sort());
  for (const token of [f.usdtAddr, f.daiAddr, NATIVE]) expect(bot.available(token), `availability of ${token}`).to.deep.equal(fresh.available(token));
}

/** Sends `txs` into one block. */
async function inOneBlock(txs: (() => Promise<unknown>)[]): Promise<number> {
  await network.provider.send("evm_setAutomine", [false]);
  try {
    for (const tx of txs) await tx();
    await network.provider.send("evm_mine", []);
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
  return ethers.provider.getBlockNumber();
}

describe("attacks on the responder and the bot cache", () => {
  let proxy: RpcProxy;
  beforeEach(async () => {
    proxy = await startRpcProxy();
  });
  afterEach(async () => {
    await proxy.close();
  });

  it("log flooding: a block with more logs than the provider returns does not hide a queued 5M withdrawal", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder, alerts } = await responderVia(f, proxy);
    const bot = await botVia(f, proxy);
    // Like hosted providers: at most 10 logs per eth_getLogs answer.
    proxy.maxLogs = 10;
    const id = (await f.vault.withdrawalCount()) + 1n;
    // Anyone can make the vault emit logs (here 1-wei deposits); the stolen key queues in the same block.
    const flooded = await inOneBlock([
      ...Array.from({ length: 30 }, (_, i) => () => f.stranger.sendTransaction({ to: f.vaultAddr, value: 1n + BigInt(i), gasLimit: 100_000n })),
      () => f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(5_000_000), { gasLimit: 500_000n }),
    ]);
    await rounds(responder, 3);
    expect(await status(f, id), "the flooded block's withdrawal").to.equal("Cancelled");
    expect(responder.nextBlock).to.be.greaterThan(flooded);
    expect(alerts, "a block readable by topic raises no alert").to.deep.equal([]);
    await expectCacheCorrect(f, bot);
  });

  it("log flooding with the events the responder needs: the unreadable block raises an alert, is never skipped, and is read once the provider allows", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder, alerts, log } = await responderVia(f, proxy);
    const bot = await botVia(f, proxy);
    proxy.maxLogs = 10;
    const first = (await f.vault.withdrawalCount()) + 1n;
    // Eleven queued withdrawals in one block: more than the provider returns even for that block alone.
    const flooded = await inOneBlock([
      ...Array.from({ length: 10 }, (_, i) => () => f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(1) + BigInt(i), { gasLimit: 500_000n })),
      () => f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(2_000_000), { gasLimit: 500_000n }),
    ]);
    const stolen = first + 10n;
    // Later blocks hold another unexpected withdrawal: the responder must not jump over the flooded block to it.
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(1_500_000));
    await rounds(responder, 2);
    expect(responder.nextBlock, "the cursor waits at the unreadable block").to.equal(flooded);
    expect(alerts.length, "one alert per round").to.be.greaterThanOrEqual(2);
    expect(alerts[0]).to.include({ kind: "blockUnreadable", block: flooded });
    expect(proxy.refused, "split down to the flooded block alone").to.deep.include([flooded, flooded]);
    expect(log.some((e) => e.type === "alert" && e.level === "critical")).to.equal(true);
    expect(await status(f, stolen)).to.equal("Pending");
    // The bot's cache says it cannot read, with the typed error, instead of freezing silently.
    const refreshError = await bot.refresh().catch((e: unknown) => e);
    expect((refreshError as Error).name).to.equal("UnreadableBlockError");
    expect(bot.syncedTo.blockNumber).to.be.lessThan(flooded);

    // The firm moves to a provider with a larger cap: the block is read and acted on, nothing skipped.
    proxy.maxLogs = 1000;
    await rounds(responder, 1);
    expect(await status(f, stolen)).to.equal("Cancelled");
    expect(await status(f, stolen + 1n)).to.equal("Cancelled");
    expect(await status(f, first)).to.equal("Pending");
    expect(alerts.at(-1)).to.include({ kind: "recovered", block: flooded });
    await expectCacheCorrect(f, bot);
  });

  it("a page that fails in the middle of a round: the withdrawal on the page before it is still cancelled", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder } = await responderVia(f, proxy, { maxBlockRange: 2 });
    const bot = await botVia(f, proxy, 2);
    const id = (await f.vault.withdrawalCount()) + 1n;
    const from = responder.nextBlock;
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(5_000_000));
    for (let i = 0; i < 5; i++) await network.provider.send("evm_mine", []);
    // The second page of the round ([from+2, from+3]) fails twice, as an overloaded upstream does.
    proxy.failures.push({ method: "eth_getLogs", times: 2, when: (p) => Number((p[0] as { fromBlock: string }).fromBlock) === from + 2 });
    await rounds(responder, 3);
    expect(proxy.failures[0].times, "the injected failures happened").to.equal(0);
    expect(await status(f, id)).to.equal("Cancelled");
    proxy.failures.push({ method: "eth_getLogs", times: 2, when: (p) => Number((p[0] as { fromBlock: string }).fromBlock) > bot.syncedTo.blockNumber + 2 });
    await expectCacheCorrect(f, bot);
  });

  it("a page that keeps failing: what was read before it is acted on, the cursor stops at it, and an alert says which block", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder, alerts } = await responderVia(f, proxy, { maxBlockRange: 2 });
    const id = (await f.vault.withdrawalCount()) + 1n;
    const from = responder.nextBlock;
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(5_000_000));
    for (let i = 0; i < 5; i++) await network.provider.send("evm_mine", []);
    const broken = from + 3;
    proxy.failures.push({ method: "eth_getLogs", times: 1000, when: (p) => { const q = p[0] as { fromBlock: string; toBlock: string }; return Number(q.fromBlock) <= broken && Number(q.toBlock) >= broken; } });
    const round = await responder.poll();
    expect(await status(f, id), "acted on the first page").to.equal("Cancelled");
    expect(round.actions.map((a) => a.status)).to.deep.equal(["confirmed"]);
    expect(responder.nextBlock).to.equal(broken);
    expect(alerts[0]).to.include({ kind: "blockUnreadable", block: broken });
    proxy.failures.length = 0;
    await responder.poll();
    expect(responder.nextBlock).to.equal((await ethers.provider.getBlockNumber()) + 1);
  });

  it("split withdrawals: five of 1M each against a max 1M rule with a 1M-per-day total; four are cancelled", async () => {
    const f = await loadFixture(deployVaultFixture);
    const rules = guardRules(f);
    (rules.withdrawals as Record<string, unknown>).totals = [{ operator: f.bot1.address, token: f.usdtAddr, periodSeconds: 86400, maxTotal: usdt(1_000_000).toString(), maxCount: 3 }];
    const { responder } = await responderVia(f, proxy, { rules });
    const bot = await botVia(f, proxy);
    const first = (await f.vault.withdrawalCount()) + 1n;
    for (let i = 0; i < 5; i++) await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(1_000_000));
    const round = await responder.poll();
    expect(round.findings.map((x) => x.rule)).to.deep.equal(["withdrawalTotal", "withdrawalTotal", "withdrawalTotal", "withdrawalTotal"]);
    expect(round.findings[0].detail).to.match(/2000000000000 .* over 1000000000000 per 86400 s/);
    const statuses = [];
    for (let i = 0n; i < 5n; i++) statuses.push(await status(f, first + i));
    expect(statuses).to.deep.equal(["Pending", "Cancelled", "Cancelled", "Cancelled", "Cancelled"]);
    // What the stolen key keeps in the queue is the rule's total, not the queue cap.
    expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).pendingQueued).to.equal(usdt(1_000_000));
    expect(POLICY.usdt.queueCap).to.equal(usdt(5_000_000));
    await expectCacheCorrect(f, bot);
  });

  it("a reorg orphans the responder's cancellation: the re-included withdrawal is cancelled again, and the bot's cache follows the new chain", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder } = await responderVia(f, proxy);
    const bot = await botVia(f, proxy);
    const fork = (await network.provider.send("evm_snapshot", [])) as string;
    const id = (await f.vault.withdrawalCount()) + 1n;
    const queueStolen = () => f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(5_000_000));
    await queueStolen();
    const first = await responder.poll();
    expect(first.actions.map((a) => a.status)).to.deep.equal(["confirmed"]);
    expect(await status(f, id)).to.equal("Cancelled");
    await bot.refresh();
    expect(bot.pending()).to.deep.equal([]);

    // The blocks with the queue and the cancellation are replaced by another chain: the attacker's
    // transaction is included again, the cancellation is not, and the new chain is longer.
    await network.provider.send("evm_revert", [fork]);
    await network.provider.send("evm_mine", []);
    await queueStolen();
    for (let i = 0; i < 3; i++) await network.provider.send("evm_mine", []);
    expect(await status(f, id)).to.equal("Pending");
    await expectCacheCorrect(f, bot);
    expect(bot.pending().map((w) => w.id)).to.deep.equal([id]);

    const replacedFrom = (await ethers.provider.getBlockNumber()) - 4;
    const round = await responder.poll();
    expect(round.reorgFrom, "the reorg is found by block hash").to.equal(replacedFrom);
    expect(await status(f, id), "cancelled again on the new chain").to.equal("Cancelled");
    await expectCacheCorrect(f, bot);
  });
});
