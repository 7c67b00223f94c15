/**
 * What the operator client asks the node for, counted through a JSON-RPC server on 127.0.0.1 (see
 * test/helpers/rpc-server.ts) with a plain ethers `Wallet` on a `JsonRpcProvider`, as a bot runs it:
 * requests (HTTP round trips) and calls (JSON-RPC methods; ethers batches calls made together) per
 * withdrawal, per refresh, and at `OperatorClient.create` on a vault with a long history. Used by
 * `npm run bench:sdk` (bench/sdk.ts) and by the CI guard (test/sdk/requests.test.ts), which holds the
 * counts to bench/sdk-baseline.json. Counts, not timings: they do not depend on the machine.
 */
import hre from "hardhat";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet } from "ethers";
import { OperatorClient } from "../sdk/clients";
import { deployVaultFixture, usdt, type VaultFixture } from "../test/helpers/fixture";
import { startRpcServer, type RpcCounts, type RpcServer } from "../test/helpers/rpc-server";

const { ethers } = hre;

/** Hardhat's default accounts (the in-process network's), in `ethers.getSigners()` order. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** The private key of the `index`-th default account, as a bot would hold it. */
export function defaultAccountKey(index: number): string {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(HARDHAT_MNEMONIC), `m/44'/60'/0'/0/${index}`).privateKey;
}

/** The fixture's bot1 (account 3) as a plain Wallet on a JSON-RPC provider at `url`. */
export function botWallet(url: string): { wallet: Wallet; provider: JsonRpcProvider } {
  const provider = new JsonRpcProvider(url, undefined, { pollingInterval: 50 });
  return { wallet: new Wallet(defaultAccountKey(3), provider), provider };
}

export interface Count {
  readonly requests: number;
  readonly calls: number;
  readonly bytes: number;
  readonly methods: Readonly<Record<string, number>>;
}

export interface SdkRequestFigures {
  /** `OperatorClient.create` on a fresh vault (a handful of events). */
  readonly create: Count;
  /** The first withdrawal after `create`. */
  readonly withdrawFirst: Count;
  /** A withdrawal after others (steady state), until it is sent: the largest of the measured ones. */
  readonly withdrawSteady: Count;
  /** Withdrawals sent back to back without waiting for the previous one to be mined. */
  readonly backToBack: { readonly attempted: number; readonly succeeded: number; readonly firstError: string | null };
  /** `refresh()` after one new block with another operator's withdrawal in it. */
  readonly refreshOneBlock: Count;
  /** `refresh()` when no block is new. */
  readonly refreshIdle: Count;
  /** `create` on a vault with 10,000 past events. */
  readonly create10kEvents: Count;
  /** `create` from the deployment block with 1,000,000 empty blocks since. */
  readonly create1MBlocks: Count;
  /** `create` without `fromBlock` (ready from current state) on the vault with 10,000 events, 1,000,000 blocks later. */
  readonly createFromState?: Count;
  /** The first withdrawal of a client started without `fromBlock` (it reads the destination once). */
  readonly withdrawFirstFromState?: Count;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 300));

const asCount = (c: RpcCounts): Count => ({ requests: c.requests, calls: c.calls, bytes: c.bytes, methods: c.methods });

async function deployBlockOf(f: VaultFixture): Promise<number> {
  return (await f.vault.deploymentTransaction()!.wait())!.blockNumber;
}

async function withServer<T>(fn: (server: RpcServer) => Promise<T>): Promise<T> {
  const server = await startRpcServer();
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** Gives the fixture's vault `count` more events (1-wei ETH deposits, 2,500 per transaction). */
export async function floodVault(f: VaultFixture, count: number): Promise<void> {
  const flood = await ethers.deployContract("DepositFlood");
  for (let left = count; left > 0; left -= 2500) {
    const n = Math.min(2500, left);
    await (await flood.flood(f.vaultAddr, n, { value: n, gasLimit: 29_000_000 })).wait();
  }
}

async function withdrawals(f: VaultFixture, server: RpcServer) {
  const { wallet, provider } = botWallet(server.url);
  server.reset();
  const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: wallet, fromBlock: await deployBlockOf(f) });
  const create = server.snapshot();
  const request = { token: f.usdtAddr, to: f.exchange.address, amount: usdt(1_000) };
  const first = await server.measure(() => bot.withdraw(request));
  if (!first.result.sent) throw new Error("the first withdrawal was not sent");
  await first.result.tx.wait();
  await pause();
  // Steady state: one at a time, each mined before the next and 300 ms apart (ethers caches a read for
  // 250 ms: a client that asks for the nonce would otherwise reuse the last one).
  let steady: RpcCounts | null = null;
  for (let i = 0; i < 3; i++) {
    const m = await server.measure(() => bot.withdraw(request));
    if (!m.result.sent) throw new Error("a steady-state withdrawal was not sent");
    if (!steady || m.counts.calls > steady.calls) steady = m.counts;
    await m.result.tx.wait();
    await pause();
  }
  // Back to back: send several without waiting, then wait for all.
  const attempted = 5;
  let succeeded = 0;
  let firstError: string | null = null;
  const sent = await Promise.allSettled(Array.from({ length: attempted }, () => bot.withdraw(request)));
  for (const s of sent) {
    if (s.status === "rejected") {
      firstError ??= (s.reason as Error).message.split("\n")[0].slice(0, 160);
      continue;
    }
    if (!s.value.sent) continue;
    try {
      const outcome = await s.value.tx.wait();
      if (outcome.status === "withdrawn") succeeded++;
    } catch (e) {
      firstError ??= (e as Error).message.split("\n")[0].slice(0, 160);
    }
  }
  // Refresh after another operator's withdrawal (one new block, one event), then with nothing new.
  await bot.refresh();
  await (await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1_000))).wait();
  await pause();
  const refreshOneBlock = await server.measure(() => bot.refresh());
  await pause();
  const refreshIdle = await server.measure(() => bot.refresh());
  await bot.stop();
  provider.destroy();
  return {
    create: asCount(create),
    withdrawFirst: asCount(first.counts),
    withdrawSteady: asCount(steady!),
    backToBack: { attempted, succeeded, firstError },
    refreshOneBlock: asCount(refreshOneBlock.counts),
    refreshIdle: asCount(refreshIdle.counts),
  };
}

async function createCount(f: VaultFixture, server: RpcServer, fromBlock: number | undefined): Promise<Count> {
  const { wallet, provider } = botWallet(server.url);
  const m = await server.measure(() => OperatorClient.create({ vault: f.vaultAddr, signer: wallet, fromBlock }));
  await m.result.stop();
  provider.destroy();
  return asCount(m.counts);
}

/** A client started without `fromBlock`: its create and its first withdrawal. */
async function fromState(f: VaultFixture, server: RpcServer): Promise<{ create: Count; withdraw: Count }> {
  const { wallet, provider } = botWallet(server.url);
  const m = await server.measure(() => OperatorClient.create({ vault: f.vaultAddr, signer: wallet }));
  const bot = m.result;
  const w = await server.measure(() => bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: usdt(1_000) }));
  if (!w.result.sent) throw new Error("the withdrawal of a client started from current state was not sent");
  await w.result.tx.wait();
  await bot.stop();
  provider.destroy();
  return { create: asCount(m.counts), withdraw: asCount(w.counts) };
}

/** Runs every measurement on the in-process network (fresh vaults; mines 1,000,000 empty blocks). */
export async function measureSdkRequests(): Promise<SdkRequestFigures> {
  return withServer(async (server) => {
    const w = await withdrawals(await deployVaultFixture(), server);
    const flooded = await deployVaultFixture();
    await floodVault(flooded, 10_000);
    const create10kEvents = await createCount(flooded, server, await deployBlockOf(flooded));
    const quiet = await deployVaultFixture();
    await hre.network.provider.send("hardhat_mine", ["0xf4240"]);
    const create1MBlocks = await createCount(quiet, server, await deployBlockOf(quiet));
    const state = await fromState(flooded, server);
    return { ...w, create10kEvents, create1MBlocks, createFromState: state.create, withdrawFirstFromState: state.withdraw };
  });
}

/** The figures as a table for people. */
export function formatSdkRequests(label: string, r: SdkRequestFigures): string {
  const row = (name: string, c: Count | undefined) =>
    c === undefined
      ? `  ${name.padEnd(34)} ${"-".padStart(6)} ${"-".padStart(6)} ${"-".padStart(9)}`
      :
    `  ${name.padEnd(34)} ${String(c.requests).padStart(6)} ${String(c.calls).padStart(6)} ${String(c.bytes).padStart(9)}   ${Object.entries(c.methods)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([m, n]) => `${m} x${n}`)
      .join(", ")}`;
  return [
    `${label}`,
    `  ${"".padEnd(34)} ${"HTTP".padStart(6)} ${"calls".padStart(6)} ${"bytes".padStart(9)}   methods`,
    row("create (fresh vault)", r.create),
    row("withdraw (first after create)", r.withdrawFirst),
    row("withdraw (steady state)", r.withdrawSteady),
    row("refresh (1 new block, 1 event)", r.refreshOneBlock),
    row("refresh (nothing new)", r.refreshIdle),
    row("create (10,000 past events)", r.create10kEvents),
    row("create (1,000,000 empty blocks)", r.create1MBlocks),
    row("create without fromBlock (both)", r.createFromState),
    row("  its first withdrawal", r.withdrawFirstFromState),
    `  back to back: ${r.backToBack.succeeded}/${r.backToBack.attempted} withdrawals succeeded${r.backToBack.firstError ? ` (first error: ${r.backToBack.firstError})` : ""}`,
  ].join("\n");
}
