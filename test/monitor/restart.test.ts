import { expect } from "chai";
import { spawn, type ChildProcess } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import hre, { ethers } from "hardhat";
import { JsonRpcServer } from "hardhat/internal/hardhat-network/jsonrpc/server";
import os from "os";
import path from "path";
import { MonitorStore } from "../../monitor/store";
import { deployVaultFixture, usdt, type VaultFixture } from "../helpers/fixture";
import { AlertReceiver } from "./receiver";
import { waitFor } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");

/** The monitor as its own process (`npm run monitor` without the compile step), as in production. */
function startMonitor(configFile: string): ChildProcess {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "monitor/cli.ts", "run", "--config", configFile], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

describe("monitor restart: killed mid-stream and started again (a child process over JSON-RPC)", function () {
  this.timeout(120_000);
  let f: VaultFixture;
  let server: JsonRpcServer;
  let receiver: AlertReceiver;
  let dir: string;
  let child: ChildProcess | null = null;

  before(async function () {
    server = new JsonRpcServer({ hostname: "127.0.0.1", port: 0, provider: hre.network.provider });
    await server.listen();
    receiver = await new AlertReceiver().start();
    dir = mkdtempSync(path.join(os.tmpdir(), "monitor-restart-"));
  });
  after(async function () {
    if (child && child.exitCode === null) {
      child.kill("SIGKILL");
      await exited(child);
    }
    await receiver.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("loses no event and alerts nothing twice", async function () {
    f = await deployVaultFixture();
    const fromBlock = (await f.vault.deploymentTransaction()!.wait())!.blockNumber;
    const address = (server as unknown as { _httpServer: { address(): { port: number } } })._httpServer.address();
    const database = path.join(dir, "monitor.sqlite");
    const configFile = path.join(dir, "monitor.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        database,
        chains: { local: { rpc: `http://127.0.0.1:${address.port}`, pollMs: 100 } },
        vaults: [{ name: "hot", chain: "local", address: f.vaultAddr, fromBlock }],
        alerts: { sinks: { hook: { type: "webhook", url: `${receiver.url}/webhook` } }, routes: [{ sinks: ["hook"] }], retry: { attempts: 5, initialDelayMs: 50 } },
      }),
    );

    // A stream of queued withdrawals (each an alert) and cancellations (each resolving one).
    const step = async (i: number) => {
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(10_000 + i));
      if (i % 3 === 2) await f.vault.connect(f.guardian).cancelWithdrawal(BigInt(i));
    };
    child = startMonitor(configFile);
    let i = 0;
    for (; i < 8; i++) await step(i);
    await waitFor(() => receiver.accepted("webhook").length >= 3, 30_000, "the first alerts");
    child.kill("SIGKILL");
    await exited(child);
    const beforeKill = receiver.accepted("webhook").length;
    const lastBeforeKill = String(receiver.accepted("webhook")[beforeKill - 1].id);
    for (; i < 16; i++) await step(i); // while nobody watches
    child = startMonitor(configFile);
    for (; i < 24; i++) await step(i);

    // Every queued withdrawal raises one trigger and every cancellation one resolve.
    const expected = new Set<string>();
    for (let k = 0; k < 24; k++) {
      expected.add(`withdrawal:31337:${f.vaultAddr}:${k + 1}:trigger`);
      if (k % 3 === 2) expected.add(`withdrawal:31337:${f.vaultAddr}:${k}:resolve`);
    }
    await waitFor(() => new Set(receiver.accepted("webhook").map((b) => String(b.id))).size >= expected.size, 60_000, "every alert");
    await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up, were there one
    child.kill("SIGTERM");
    await exited(child);

    const ids = receiver.accepted("webhook").map((b) => String(b.id));
    expect(beforeKill).to.be.within(3, expected.size - 1);
    // Delivery is at least once: the kill can land after the receiver answered and before the monitor
    // recorded it (this test kills right then, the worst moment), and that one alert is sent again after
    // the restart with the same id (PagerDuty's dedup_key, the webhook's id) so receivers count it once.
    // Nothing else may repeat.
    const repeats = ids.filter((x, k) => ids.indexOf(x) !== k);
    expect(repeats.filter((x) => x !== lastBeforeKill), "alerts sent twice").to.deep.equal([]);
    expect(repeats.length).to.be.at.most(1);
    expect(ids.filter((x) => !expected.has(x)), "unexpected alerts").to.deep.equal([]);
    expect(new Set(ids)).to.deep.equal(expected);
    expect(receiver.violations).to.deep.equal([]);

    const store = new MonitorStore(database);
    try {
      const logs = await ethers.provider.getLogs({ address: f.vaultAddr, fromBlock, toBlock: "latest" });
      const stored = store.events({ vault: f.vaultAddr });
      expect(stored.map((e) => `${e.blockNumber}:${e.logIndex}`)).to.deep.equal(logs.map((l) => `${l.blockNumber}:${l.index}`));
      expect(store.deliveryCounts()).to.deep.equal({ pending: 0, delivered: expected.size, failed: 0 });
      expect(store.vault("local", f.vaultAddr)!.nextBlock).to.equal((await ethers.provider.getBlockNumber()) + 1);
    } finally {
      store.close();
    }
  });
});
