import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { POLICY, deployVaultFixture, type VaultFixture } from "../helpers/fixture";
import { InvalidInputError, RpcError } from "../../sdk/errors";
import { LogReader, UnreadableBlockError, VaultWatcher, chainDefaults, isRangeRefusal, type Anomaly, type LogReaderAlert, type WatchedEvent } from "../../sdk/monitor";
import { startRpcProxy } from "../helpers/rpc-proxy";
import { deployBlock, recordingProvider } from "./helpers";

const THRESHOLD = POLICY.usdt.instant * 2n;

async function watcherAtHead(f: VaultFixture, options: Partial<ConstructorParameters<typeof VaultWatcher>[0]> = {}) {
  const w = new VaultWatcher({
    provider: ethers.provider,
    vault: f.vaultAddr,
    fromBlock: (await ethers.provider.getBlockNumber()) + 1,
    pollIntervalMs: 10,
    queuedThresholds: { [f.usdtAddr]: THRESHOLD },
    ...options,
  });
  return w;
}

/** A withdrawal, a small and a large queued withdrawal, a proposed change and a tripwire, in that order. */
async function activity(f: VaultFixture): Promise<void> {
  await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 5n);
  await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, THRESHOLD);
  await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, THRESHOLD + 1n);
  await f.vault.connect(f.admin).proposeChange(1, ethers.AbiCoder.defaultAbiCoder().encode(["address", "address"], [f.bot1.address, f.attacker.address]));
  await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.attacker.address, 9n);
}

describe("SDK VaultWatcher", () => {
  it("replays the vault's history from its deployment block as typed events", async () => {
    const f = await loadFixture(deployVaultFixture);
    const w = new VaultWatcher({ provider: ethers.provider, vault: f.vaultAddr, fromBlock: await deployBlock(f) });
    const events = await w.poll();
    const names = events.map((e) => e.name);
    expect(names.filter((n) => n === "TokenListed")).to.have.length(3);
    expect(names.filter((n) => n === "OperatorLimitsSet")).to.have.length(6);
    expect(names.filter((n) => n === "DestinationApproved")).to.have.length(3);
    expect(names).to.include("Deposited");
    const listed = events.find((e) => e.name === "TokenListed");
    if (listed?.name !== "TokenListed") throw new Error("unreachable");
    expect(listed.args).to.deep.equal({ token: f.usdtAddr, unitDecimals: BigInt(POLICY.usdt.unitDecimals), vaultCap: POLICY.usdt.vaultCap });
    expect(listed.blockNumber).to.equal(await deployBlock(f));
    expect(events.every((e) => e.anomalies.length === 0)).to.equal(true);
    expect(w.nextBlock).to.equal((await ethers.provider.getBlockNumber()) + 1);
    expect(await w.poll()).to.deep.equal([]);
  });

  it("flags a queued withdrawal above its threshold, a proposed change and a tripwire", async () => {
    const f = await loadFixture(deployVaultFixture);
    const w = await watcherAtHead(f);
    await activity(f);
    const events = await w.poll();
    expect(events.map((e) => e.name)).to.deep.equal([
      "Withdrawn",
      "WithdrawalQueued",
      "WithdrawalQueued",
      "ChangeProposed",
      "OperatorSuspended",
      "TripwireFired",
    ]);
    const anomalies = events.flatMap((e) => e.anomalies);
    expect(anomalies).to.have.length(3);
    const [large, proposed, tripped] = anomalies as [Extract<Anomaly, { kind: "LargeQueuedWithdrawal" }>, Extract<Anomaly, { kind: "ChangeProposed" }>, Extract<Anomaly, { kind: "TripwireFired" }>];
    expect(large).to.include({ kind: "LargeQueuedWithdrawal", id: 2n, operator: f.bot1.address, amount: THRESHOLD + 1n, threshold: THRESHOLD });
    expect(proposed.kind).to.equal("ChangeProposed");
    expect(proposed.change).to.deep.equal({ kind: "ApproveDestination", operator: f.bot1.address, destination: f.attacker.address });
    expect(tripped).to.deep.equal({ kind: "TripwireFired", operator: f.bot2.address, token: f.usdtAddr, reason: "DestinationNotApproved", to: f.attacker.address, amount: 9n });
    const withdrawn = events[0];
    if (withdrawn.name !== "Withdrawn") throw new Error("unreachable");
    expect(withdrawn.args).to.deep.equal({ operator: f.bot1.address, token: f.usdtAddr, to: f.exchange.address, amount: 5n });
  });

  it("delivers to callbacks in chain order while started, and stops", async () => {
    const f = await loadFixture(deployVaultFixture);
    const w = await watcherAtHead(f, { defaultQueuedThreshold: 0n, queuedThresholds: {} });
    const seen: string[] = [];
    const flagged: string[] = [];
    const unsubscribe = w.onEvent((e) => {
      seen.push(e.name);
    });
    w.onAnomaly((a, e) => {
      flagged.push(`${a.kind}@${e.name}`);
    });
    w.start();
    expect(w.running).to.equal(true);
    try {
      await activity(f);
      for (let i = 0; i < 300 && seen.length < 6; i++) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await w.stop();
    }
    expect(w.running).to.equal(false);
    expect(seen).to.deep.equal(["Withdrawn", "WithdrawalQueued", "WithdrawalQueued", "ChangeProposed", "OperatorSuspended", "TripwireFired"]);
    // With a default threshold of 0, every queued withdrawal is flagged.
    expect(flagged).to.deep.equal([
      "LargeQueuedWithdrawal@WithdrawalQueued",
      "LargeQueuedWithdrawal@WithdrawalQueued",
      "ChangeProposed@ChangeProposed",
      "TripwireFired@TripwireFired",
    ]);
    unsubscribe();
    await f.vault.connect(f.guardian).pause();
    await w.poll();
    expect(seen).to.have.length(6);
  });

  it("is an async iterator that polls while iterated and stops when the loop ends", async () => {
    const f = await loadFixture(deployVaultFixture);
    const w = await watcherAtHead(f);
    const collected: WatchedEvent[] = [];
    const loop = (async () => {
      for await (const e of w) {
        collected.push(e);
        if (e.name === "TripwireFired") break;
      }
    })();
    await activity(f);
    await loop;
    expect(collected.map((e) => e.name)).to.deep.equal(["Withdrawn", "WithdrawalQueued", "WithdrawalQueued", "ChangeProposed", "OperatorSuspended", "TripwireFired"]);
    expect(collected.filter((e) => e.anomalies.length > 0).map((e) => e.name)).to.deep.equal(["WithdrawalQueued", "ChangeProposed", "TripwireFired"]);
    for (let i = 0; i < 100 && w.running; i++) await new Promise((r) => setTimeout(r, 5));
    expect(w.running).to.equal(false);
  });

  it("resumes from a saved block, in ranges of any size, and holds back unconfirmed blocks", async () => {
    const f = await loadFixture(deployVaultFixture);
    const from = (await ethers.provider.getBlockNumber()) + 1;
    await activity(f);
    const whole = await new VaultWatcher({ provider: ethers.provider, vault: f.vaultAddr, fromBlock: from }).poll();
    const chunked = await new VaultWatcher({ provider: ethers.provider, vault: f.vaultAddr, fromBlock: from, maxBlockRange: 1 }).poll();
    expect(chunked).to.deep.equal(whole);

    const first = new VaultWatcher({ provider: ethers.provider, vault: f.vaultAddr, fromBlock: from, confirmations: 2 });
    const early = await first.poll();
    expect(early.map((e) => e.name)).to.deep.equal(["Withdrawn", "WithdrawalQueued", "WithdrawalQueued"]);
    const resumed = new VaultWatcher({ provider: ethers.provider, vault: f.vaultAddr, fromBlock: first.nextBlock });
    expect((await resumed.poll()).map((e) => e.name)).to.deep.equal(["ChangeProposed", "OperatorSuspended", "TripwireFired"]);
  });

  it("reports failures: a throwing listener and RPC errors go to onError; an iterator throws the RpcError", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { provider, failing } = recordingProvider();
    const w = new VaultWatcher({ provider, vault: f.vaultAddr, fromBlock: (await ethers.provider.getBlockNumber()) + 1, pollIntervalMs: 10 });
    const errors: unknown[] = [];
    w.onError((e) => {
      errors.push(e);
    });
    w.onEvent(() => {
      throw new Error("listener bug");
    });
    await f.vault.connect(f.guardian).pause();
    const events = await w.poll();
    expect(events.map((e) => e.name)).to.deep.equal(["VaultPaused"]);
    expect((errors[0] as Error).message).to.equal("listener bug");

    failing.add("eth_getLogs");
    await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
    const before = w.nextBlock;
    await expect(w.poll()).to.be.rejectedWith(RpcError);
    expect(w.nextBlock, "a failed round reads the same blocks again").to.equal(before);
    const it = w[Symbol.asyncIterator]();
    const thrown = await it.next().catch((e: unknown) => e);
    expect(thrown).to.be.instanceOf(RpcError);
    expect(errors.some((e) => e instanceof RpcError)).to.equal(true);
    await w.stop();
    failing.clear();
    expect((await w.poll()).map((e) => e.name)).to.deep.equal(["OperatorSuspended"]);
  });

  it("rejects bad options before any network call", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { provider, calls } = recordingProvider();
    const make = (o: object) => () => new VaultWatcher({ provider, vault: f.vaultAddr, fromBlock: 0, ...o });
    expect(make({ vault: "0x1" })).to.throw(InvalidInputError, /vault/);
    expect(make({ fromBlock: -1 })).to.throw(InvalidInputError, /fromBlock/);
    expect(make({ fromBlock: 1.5 })).to.throw(InvalidInputError, /fromBlock/);
    expect(make({ maxBlockRange: 0 })).to.throw(InvalidInputError, /maxBlockRange/);
    expect(make({ queuedThresholds: { nope: 1n } })).to.throw(InvalidInputError);
    expect(make({ defaultQueuedThreshold: -1n })).to.throw(InvalidInputError);
    expect(calls).to.deep.equal([]);
  });
});

describe("SDK LogReader", () => {
  const FAST = { attempts: 2, minDelayMs: 1, maxDelayMs: 2 };

  it("recognises the errors providers send for a log query that is too large, and only those", () => {
    const refusals = [
      { code: -32005, message: "query returned more than 10000 results" }, // Infura, geth
      { code: -32602, message: "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x1, 0x2]" }, // Alchemy
      { code: -32614, message: "eth_getLogs is limited to a 10,000 range" }, // QuickNode
      { code: -32600, message: "block range is too wide" }, // Ankr
      { code: -32000, message: "exceed maximum block range: 5000" }, // BNB Chain nodes
      { code: -32005, message: "query timeout exceeded" },
    ];
    const other = [{ code: -32603, message: "request timed out" }, { code: -32000, message: "header not found" }, { code: 429, message: "Too Many Requests" }];
    // As ethers v6 wraps a JSON-RPC error it cannot classify.
    const wrap = (error: object) => Object.assign(new Error(`could not coalesce error (error=${JSON.stringify(error)})`), { code: "UNKNOWN_ERROR", error });
    expect(refusals.map((e) => isRangeRefusal(wrap(e)))).to.deep.equal(refusals.map(() => true));
    expect(other.map((e) => isRangeRefusal(wrap(e)))).to.deep.equal(other.map(() => false));
  });

  it("has a confirmation depth and reorg window per chain, and stays at 0 confirmations on a local chain", async () => {
    expect(chainDefaults(1)).to.include({ chain: "Ethereum", confirmations: 2, reorgWindow: 64 });
    expect(chainDefaults(137n).confirmations).to.equal(16);
    expect(chainDefaults(31337).confirmations).to.equal(0);
    expect(chainDefaults(999_999)).to.deep.equal({ chain: "chain 999999", confirmations: 12, reorgWindow: 256 });
    const f = await loadFixture(deployVaultFixture);
    const reader = new LogReader({ provider: ethers.provider, vault: f.vaultAddr, fromBlock: await deployBlock(f) });
    expect(reader.confirmationDepth).to.equal(null);
    const round = await reader.poll({ batch: () => undefined });
    expect(reader.confirmationDepth).to.equal(0);
    expect(round.toBlock).to.equal(await ethers.provider.getBlockNumber());
  });

  it("reads only the events asked for, by topic", async () => {
    const f = await loadFixture(deployVaultFixture);
    const proxy = await startRpcProxy();
    try {
      const reader = new LogReader({ provider: proxy.provider, vault: f.vaultAddr, fromBlock: await deployBlock(f), events: ["WithdrawalQueued", "TripwireFired"] });
      await activity(f);
      const seen: string[] = [];
      await reader.poll({ batch: (b) => void seen.push(...b.events.map((e) => e.name)) });
      expect(seen).to.deep.equal(["WithdrawalQueued", "WithdrawalQueued", "TripwireFired"]);
      expect(() => new LogReader({ provider: proxy.provider, vault: f.vaultAddr, fromBlock: 0, events: ["Nope" as never] })).to.throw(InvalidInputError, /events/);
      expect(() => new LogReader({ provider: proxy.provider, vault: f.vaultAddr, fromBlock: 0, confirmations: -1 })).to.throw(InvalidInputError, /confirmations/);
      expect(() => new LogReader({ provider: proxy.provider, vault: f.vaultAddr, fromBlock: 0, retry: { attempts: 0 } })).to.throw(InvalidInputError, /retry.attempts/);
    } finally {
      await proxy.close();
    }
  });

  it("splits a range the provider refuses down to what it serves, hands the ranges on in order", async () => {
    const f = await loadFixture(deployVaultFixture);
    const proxy = await startRpcProxy({ maxLogs: 2 });
    try {
      const from = (await ethers.provider.getBlockNumber()) + 1;
      const reader = new LogReader({ provider: proxy.provider, vault: f.vaultAddr, fromBlock: from, retry: FAST });
      await activity(f); // six events in five blocks
      const batches: [number, number, number][] = [];
      await reader.poll({ batch: (b) => void batches.push([b.fromBlock, b.toBlock, b.events.length]) });
      expect(batches.reduce((n, [, , k]) => n + k, 0)).to.equal(6);
      expect(batches.every(([, , k]) => k <= 2)).to.equal(true);
      for (let i = 1; i < batches.length; i++) expect(batches[i][0]).to.equal(batches[i - 1][1] + 1);
      expect(batches[0][0]).to.equal(from);
      expect(proxy.refused.length).to.be.greaterThan(0);
      expect(reader.nextBlock).to.equal((await ethers.provider.getBlockNumber()) + 1);
    } finally {
      await proxy.close();
    }
  });

  it("a consumer that throws gets the same range again: the cursor moves only after a range was handed on", async () => {
    const f = await loadFixture(deployVaultFixture);
    const from = (await ethers.provider.getBlockNumber()) + 1;
    const reader = new LogReader({ provider: ethers.provider, vault: f.vaultAddr, fromBlock: from, maxBlockRange: 2 });
    await activity(f);
    const taken: string[] = [];
    let fail = true;
    const consumer = {
      batch: (b: { fromBlock: number; events: readonly { name: string }[] }) => {
        if (b.fromBlock > from && fail) throw new Error("consumer down");
        taken.push(...b.events.map((e) => e.name));
      },
    };
    await expect(reader.poll(consumer)).to.be.rejectedWith("consumer down");
    expect(reader.nextBlock).to.equal(from + 2);
    fail = false;
    await reader.poll(consumer);
    expect(taken).to.deep.equal(["Withdrawn", "WithdrawalQueued", "WithdrawalQueued", "ChangeProposed", "OperatorSuspended", "TripwireFired"]);
  });

  it("a watcher on a reorg: hands back the removed events marked, then the new chain's, and tells onReorg", async () => {
    const f = await loadFixture(deployVaultFixture);
    const w = await watcherAtHead(f);
    const reorgs: { fromBlock: number; removed: number }[] = [];
    w.onReorg((r) => {
      reorgs.push({ fromBlock: r.fromBlock, removed: r.removed.length });
    });
    const fork = (await network.provider.send("evm_snapshot", [])) as string;
    const forkBlock = await ethers.provider.getBlockNumber();
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, THRESHOLD + 1n);
    await f.vault.connect(f.guardian).pause();
    expect((await w.poll()).map((e) => e.name)).to.deep.equal(["WithdrawalQueued", "VaultPaused"]);
    await network.provider.send("evm_revert", [fork]);
    await network.provider.send("evm_mine", []);
    await f.vault.connect(f.guardian).suspendOperator(f.bot2.address);
    const events = await w.poll();
    expect(events.map((e) => `${e.removed ? "removed " : ""}${e.name}`)).to.deep.equal(["removed VaultPaused", "removed WithdrawalQueued", "OperatorSuspended"]);
    expect(events[1].anomalies, "a removed event raises no anomaly").to.deep.equal([]);
    expect(reorgs).to.deep.equal([{ fromBlock: forkBlock + 1, removed: 2 }]);
    expect(w.nextBlock).to.equal((await ethers.provider.getBlockNumber()) + 1);
    expect(await w.poll()).to.deep.equal([]);
  });

  it("a watcher with confirmations reads a block only once it is that deep, and sees a reorg above that depth not at all", async () => {
    const f = await loadFixture(deployVaultFixture);
    const w = await watcherAtHead(f, { confirmations: 2 });
    const fork = (await network.provider.send("evm_snapshot", [])) as string;
    await f.vault.connect(f.guardian).pause();
    expect(await w.poll()).to.deep.equal([]);
    await network.provider.send("evm_revert", [fork]);
    await f.vault.connect(f.guardian).suspendOperator(f.bot2.address);
    await network.provider.send("evm_mine", []);
    await network.provider.send("evm_mine", []);
    expect((await w.poll()).map((e) => `${e.removed ? "removed " : ""}${e.name}`)).to.deep.equal(["OperatorSuspended"]);
  });

  it("an unreadable block: alerts on every round with the attempts so far, keeps the cursor on it, and says when it recovers", async () => {
    const f = await loadFixture(deployVaultFixture);
    const proxy = await startRpcProxy();
    try {
      const w = new VaultWatcher({ provider: proxy.provider, vault: f.vaultAddr, fromBlock: (await ethers.provider.getBlockNumber()) + 1, retry: FAST });
      const alerts: LogReaderAlert[] = [];
      w.onAlert((a) => {
        alerts.push(a);
      });
      await f.vault.connect(f.guardian).pause();
      const block = await ethers.provider.getBlockNumber();
      proxy.failures.push({ method: "eth_getLogs", times: 4 });
      for (let i = 0; i < 2; i++) {
        const error = await w.poll().catch((e: unknown) => e);
        expect(error).to.be.instanceOf(UnreadableBlockError);
        expect((error as UnreadableBlockError).block).to.equal(block);
      }
      expect(w.nextBlock).to.equal(block);
      expect(alerts.map((a) => [a.kind, "attempts" in a ? a.attempts : null])).to.deep.equal([["blockUnreadable", 2], ["blockUnreadable", 4]]);
      expect((await w.poll()).map((e) => e.name)).to.deep.equal(["VaultPaused"]);
      expect(alerts[2]).to.include({ kind: "recovered", block, attempts: 4 });
    } finally {
      await proxy.close();
    }
  });
});
