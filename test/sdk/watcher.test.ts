import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { POLICY, deployVaultFixture, type VaultFixture } from "../helpers/fixture";
import { InvalidInputError, RpcError } from "../../sdk/errors";
import { VaultWatcher, type Anomaly, type WatchedEvent } from "../../sdk/monitor";
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
