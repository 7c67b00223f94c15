/**
 * How the operator client starts: from current state without `fromBlock` (destinations read on demand),
 * or replaying only the destination and queue events from `fromBlock`, over as few `eth_getLogs` as the
 * node accepts (a node that refuses large ranges gets the range halved).
 */
import { expect } from "chai";
import { network } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import { POLICY, deployVaultFixture, usdt } from "../helpers/fixture";
import { OperatorClient } from "../../sdk/clients";
import { DestinationNotApprovedError } from "../../sdk/errors";
import { deployBlock } from "./helpers";

interface Recorded {
  method: string;
  params: unknown[];
}

/** A provider over the in-process network that records calls and refuses `eth_getLogs` over more than `maxRange` blocks. */
function limitedProvider(maxRange = Infinity) {
  const calls: Recorded[] = [];
  let refused = 0;
  const eip1193: Eip1193Provider = {
    request: async ({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) => {
      const list = (params ?? []) as unknown[];
      calls.push({ method, params: list });
      if (method === "eth_getLogs") {
        const filter = list[0] as { fromBlock: string; toBlock: string };
        if (Number(filter.toBlock) - Number(filter.fromBlock) + 1 > maxRange) {
          refused++;
          throw Object.assign(new Error(`query exceeds max block range ${maxRange}`), { code: -32005 });
        }
      }
      return network.provider.request({ method, params: list });
    },
  };
  const provider = new BrowserProvider(eip1193, undefined, { cacheTimeout: -1, pollingInterval: 20 });
  return { provider, calls, refused: () => refused };
}

describe("SDK OperatorClient startup", () => {
  it("without fromBlock: ready from current state, reads each destination once, and still refuses an unapproved one", async () => {
    const f = await loadFixture(deployVaultFixture);
    const p = limitedProvider();
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: await p.provider.getSigner(f.bot1.address) });
    expect(p.calls.filter((c) => c.method === "eth_getLogs")).to.deep.equal([]);
    expect(bot.destinations()).to.deep.equal([]);

    const request = { token: f.usdtAddr, to: f.exchange.address, amount: usdt(1_000) };
    p.calls.length = 0;
    const first = await bot.withdraw(request);
    expect(first.sent).to.equal(true);
    expect(p.calls.filter((c) => c.method === "eth_call")).to.have.length(1); // isApproved(bot1, exchange)
    expect(bot.destinations()).to.deep.equal([f.exchange.address]);
    p.calls.length = 0;
    expect((await bot.withdraw(request)).sent).to.equal(true);
    expect(p.calls.filter((c) => c.method === "eth_call")).to.deep.equal([]);

    const stolen = await bot.withdraw({ ...request, to: f.attacker.address });
    expect(stolen.sent).to.equal(false);
    if (stolen.sent || stolen.decision.action !== "reject") throw new Error("expected a rejection");
    expect(stolen.decision).to.include({ effect: "trip", breach: "DestinationNotApproved" });
    expect(stolen.decision.error).to.be.instanceOf(DestinationNotApprovedError);

    // A revocation seen in a refresh is applied to what was read on demand.
    await f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange.address);
    await bot.refresh();
    expect(bot.destinations()).to.deep.equal([]);
    const held = await bot.withdraw(request);
    expect(held.sent).to.equal(false);
    await bot.stop();
  });

  it("with fromBlock: one eth_getLogs filtered by the destination topics, none of the vault's other events", async () => {
    const f = await loadFixture(deployVaultFixture);
    for (let i = 0; i < 5; i++) await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(10));
    const p = limitedProvider();
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: await p.provider.getSigner(f.bot1.address), fromBlock: await deployBlock(f) });
    const logs = p.calls.filter((c) => c.method === "eth_getLogs");
    expect(logs).to.have.length(1);
    const filter = logs[0].params[0] as { topics: string[][] };
    expect(filter.topics[0]).to.have.length(3); // DestinationApproved, DestinationRevoked, OperatorRemoved: nothing is queued
    expect(bot.destinations()).to.deep.equal([f.exchange.address]);
    await bot.stop();
  });

  it("replays the queue events too when the operator has withdrawals pending, so that pending() is complete", async () => {
    const f = await loadFixture(deployVaultFixture);
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.instant + 1n);
    const p = limitedProvider();
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: await p.provider.getSigner(f.bot1.address), fromBlock: await deployBlock(f) });
    const filter = p.calls.find((c) => c.method === "eth_getLogs")!.params[0] as { topics: string[][] };
    expect(filter.topics[0]).to.have.length(6);
    expect(bot.pending().map((w) => w.amount)).to.deep.equal([POLICY.usdt.instant + 1n]);
    const fresh = await OperatorClient.create({ vault: f.vaultAddr, signer: await p.provider.getSigner(f.bot1.address) });
    expect(fresh.pending()).to.deep.equal([]); // documented: without fromBlock, only what is queued from now on
    await Promise.all([bot.stop(), fresh.stop()]);
  });

  it("a node that refuses large log ranges gets the range halved until it accepts, and the replay is complete", async () => {
    const f = await loadFixture(deployVaultFixture);
    const from = await deployBlock(f);
    await mine(5_000);
    const p = limitedProvider(1_000);
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: await p.provider.getSigner(f.bot2.address), fromBlock: from });
    expect(bot.destinations()).to.have.members([f.exchange.address, f.exchange2.address]);
    const ranges = p.calls
      .filter((c) => c.method === "eth_getLogs")
      .map((c) => c.params[0] as { fromBlock: string; toBlock: string })
      .map((r) => [Number(r.fromBlock), Number(r.toBlock)]);
    expect(p.refused()).to.be.within(1, 4); // ~5,000 blocks: halved 3 times to ~630
    const accepted = ranges.filter(([a, b]) => b - a + 1 <= 1_000);
    // Accepted ranges tile the whole span exactly once, in order.
    expect(accepted[0][0]).to.equal(from);
    for (let i = 1; i < accepted.length; i++) expect(accepted[i][0]).to.equal(accepted[i - 1][1] + 1);
    expect(accepted[accepted.length - 1][1]).to.equal(bot.syncedTo.blockNumber);
    expect(accepted.length).to.be.at.most(10);
    await bot.stop();
  });
});
