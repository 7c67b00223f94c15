import { expect } from "chai";
import { parse } from "csv-parse/sync";
import hre, { ethers } from "hardhat";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import os from "os";
import path from "path";
import { MonitorConfigError, loadMonitorConfig, parseMonitorConfig, type AlertKind } from "../../monitor/config";
import { routeFinding } from "../../monitor/alerts";
import { eventsToCsv, eventsToJson } from "../../monitor/export";
import { logReaderSource, type VaultEventSource } from "../../monitor/reader";
import { Monitor } from "../../monitor/monitor";
import { MonitorStore } from "../../monitor/store";
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { generatePkcs11Key } from "../../sdk/signers";
import { ChangeKind, deployVaultFixture, encodeChange, proposeAndExecute, usdt, type VaultFixture } from "../helpers/fixture";
import { MODULE, createToken } from "../signers/softhsm";
import { inProcessMonitor, monitorConfig } from "./helpers";
import { views } from "../helpers/views";

describe("monitor: store, history and conditions", function () {
  let f: VaultFixture;
  let fromBlock: number;
  let dir: string;

  beforeEach(async function () {
    f = await deployVaultFixture();
    fromBlock = (await f.vault.deploymentTransaction()!.wait())!.blockNumber;
    dir = mkdtempSync(path.join(os.tmpdir(), "monitor-test-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every event decoded, answers 'every withdrawal by this key, ever' and exports it as CSV and JSON", async function () {
    const m = inProcessMonitor(monitorConfig(f, { fromBlock }));
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1_000));
    await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(2_000));
    await m.pollChain("local");
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(400_000));
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(3_000));
    await m.pollChain("local");

    const all = m.store.events({ vault: f.vaultAddr });
    const logs = await ethers.provider.getLogs({ address: f.vaultAddr, fromBlock, toBlock: "latest" });
    expect(all).to.have.length(logs.length);
    const bot1 = m.store.events({ operator: f.bot1.address, names: ["Withdrawn", "WithdrawalQueued"] });
    expect(bot1.map((e) => [e.name, e.args.amount])).to.deep.equal([
      ["Withdrawn", usdt(1_000).toString()],
      ["WithdrawalQueued", usdt(400_000).toString()],
      ["Withdrawn", usdt(3_000).toString()],
    ]);
    const block = await ethers.provider.getBlock(bot1[0].blockNumber);
    expect(bot1[0].timestamp).to.equal(block!.timestamp);

    const rows = parse(eventsToCsv(bot1), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.event, r.operator, r.amount, r.to])).to.deep.equal(bot1.map((e) => [e.name, f.bot1.address, e.args.amount, f.exchange.address]));
    expect(JSON.parse(rows[1].args).id).to.equal("1");
    const json = JSON.parse(eventsToJson(bot1)) as { name: string; transactionHash: string; time: string }[];
    expect(json.map((e) => e.transactionHash)).to.deep.equal(bot1.map((e) => e.transactionHash));
    expect(json[0].time).to.equal(new Date(block!.timestamp * 1000).toISOString());
  });

  it("an operator's removal is alerted and closes its suspension and queued-withdrawal alerts, raised in an earlier round or the same one", async function () {
    const m = inProcessMonitor(monitorConfig(f, { fromBlock }));
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(400_000));
    await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
    await f.vault.connect(f.bot2).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(300_000));
    await m.pollChain("local");
    const open = () => m.store.findings({ vault: f.vaultAddr }).filter((x) => x.action === "trigger" && m.store.isOpen(x.dedupKey)).map((x) => `${x.kind} ${x.summary.split(":")[0]}`).sort();
    expect(open()).to.deep.equal([
      `OperatorSuspended Operator ${f.bot1.address} suspended by ${f.guardian.address}`,
      "UnexpectedQueuedWithdrawal Unexpected queued withdrawal #1",
      "UnexpectedQueuedWithdrawal Unexpected queued withdrawal #2",
    ]);
    // bot1's alerts come from the earlier round (the store), bot3's queued withdrawal from this one.
    const bot3 = f.stranger;
    await proposeAndExecute(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({ operator: bot3.address, token: f.usdtAddr, cap: usdt(10_000), instantLimit: usdt(1_000), queueCap: usdt(500_000) }));
    await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(bot3.address, f.exchange.address));
    const before = m.store.findings({ vault: f.vaultAddr }).length;
    await m.pollChain("local");
    await f.vault.connect(bot3).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(200_000));
    await f.vault.connect(f.guardian).removeOperator(bot3.address);
    await f.vault.connect(f.guardian2).removeOperator(f.bot1.address);
    await m.pollChain("local");
    const all = m.store.findings({ vault: f.vaultAddr });
    const added = all.slice(0, all.length - before);
    const latest = added.filter((x) => x.kind !== "ChangeProposed").map((x) => `${x.action} ${x.kind} ${x.summary}`);
    expect(latest).to.include.members([
      `resolve UnexpectedQueuedWithdrawal Queued withdrawal #3 cancelled: operator ${bot3.address} removed`,
      `trigger RoleChanged Operator ${bot3.address} removed by ${f.guardian.address}: its limits, destinations and queued withdrawals are void`,
      `resolve OperatorSuspended Operator ${f.bot1.address} removed: its suspension ends with it`,
      `resolve UnexpectedQueuedWithdrawal Queued withdrawal #1 cancelled: operator ${f.bot1.address} removed`,
      `trigger RoleChanged Operator ${f.bot1.address} removed by ${f.guardian2.address}: its limits, destinations and queued withdrawals are void`,
    ]);
    // bot2's queued withdrawal is not bot1's or bot3's: it stays open.
    expect(open().filter((x) => !x.startsWith("ChangeProposed") && !x.startsWith("RoleChanged"))).to.deep.equal(["UnexpectedQueuedWithdrawal Unexpected queued withdrawal #2"]);
  });

  it("raises MonitorBehind while it reads a backlog and resolves it once caught up", async function () {
    const m = inProcessMonitor(monitorConfig(f, { fromBlock, chain: { maxBlocksPerRound: 3, behindBlocks: 4 } }));
    for (let i = 0; i < 6; i++) await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(10));
    await m.pollChain("local");
    const [behind] = m.store.findings({ kinds: ["MonitorBehind"] });
    expect(behind).to.include({ action: "trigger", severity: "warning" });
    for (let i = 0; i < 6 && m.store.findings({ kinds: ["MonitorBehind"] }).length < 2; i++) await m.pollChain("local");
    const [resolve, trigger] = m.store.findings({ kinds: ["MonitorBehind"] });
    expect(resolve).to.include({ action: "resolve", dedupKey: trigger.dedupKey });
    const head = await ethers.provider.getBlockNumber();
    for (let i = 0; i < 6 && m.store.vault("local", f.vaultAddr)!.nextBlock <= head; i++) await m.pollChain("local");
    expect(m.store.vault("local", f.vaultAddr)!.nextBlock).to.equal(head + 1);
    expect(m.store.findings({ kinds: ["MonitorBehind"] })).to.have.length(2);
  });

  it("raises ReadFailed after failed rounds, keeps the blocks it could not read, and resolves once it reads again", async function () {
    let failing = 3;
    const config = monitorConfig(f, { fromBlock, chain: { readFailures: 2 } });
    const sources = (o: Parameters<typeof logReaderSource>[0]): VaultEventSource => {
      const inner = logReaderSource(o);
      return {
        get nextBlock() {
          return inner.nextBlock;
        },
        get confirmationDepth() {
          return inner.confirmationDepth;
        },
        poll: async (consumer, q) => {
          if (failing-- > 0) throw new Error("provider refused the range: see https://rpc.example/v1/SECRETKEY for limits");
          return inner.poll(consumer, q);
        },
      };
    };
    const m = new Monitor({ config, providers: new Map([["local", ethers.provider]]), sources });
    await f.vault.connect(f.guardian).pause();
    for (let i = 0; i < 3; i++) await m.pollChain("local").catch(() => undefined);
    const [failed] = m.store.findings({ kinds: ["ReadFailed"] });
    expect(failed).to.include({ action: "trigger", severity: "error" });
    expect(failed.summary).to.contain("2 rounds failed in a row");
    expect(failed.summary).to.not.contain("SECRETKEY");
    expect(m.store.findings({ kinds: ["ReadFailed"] })).to.have.length(1);
    expect(m.store.events({ names: ["VaultPaused"] })).to.have.length(0);
    await m.pollChain("local");
    expect(m.store.findings({ kinds: ["ReadFailed"] })[0]).to.include({ action: "resolve", dedupKey: failed.dedupKey });
    expect(m.store.events({ names: ["VaultPaused"] })).to.have.length(1);
    expect(m.store.findings({ kinds: ["VaultPaused"] })).to.have.length(1);
  });

  it("follows a reorg: the replaced blocks' events are removed and the new chain's recorded", async function () {
    const m = inProcessMonitor(monitorConfig(f, { fromBlock }));
    await m.pollChain("local");
    const fork = await ethers.provider.send("evm_snapshot", []);
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(111));
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(222));
    await m.pollChain("local");
    expect(m.store.events({ names: ["Withdrawn"] }).map((e) => e.args.amount)).to.deep.equal([usdt(111).toString(), usdt(222).toString()]);
    // The other branch: same heights, other blocks, one more of them so that it is the longer chain.
    await ethers.provider.send("evm_revert", [fork]);
    await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(333));
    await ethers.provider.send("hardhat_mine", ["0x2"]);
    await m.pollChain("local");
    const withdrawn = m.store.events({ names: ["Withdrawn"] });
    expect(withdrawn.map((e) => [e.operator, e.args.amount])).to.deep.equal([[f.bot2.address, usdt(333).toString()]]);
    const logs = await ethers.provider.getLogs({ address: f.vaultAddr, fromBlock, toBlock: "latest" });
    expect(m.store.events().map((e) => e.blockHash)).to.deep.equal(logs.map((l) => l.blockHash));
  });

  it("never records an event or raises an alert twice, even when a round is read again", async function () {
    const file = path.join(dir, "m.sqlite");
    const config = monitorConfig(f, { fromBlock, database: file });
    const store = new MonitorStore(file);
    const m = inProcessMonitor(config, { store });
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, usdt(1));
    await m.pollChain("local");
    const before = { events: store.events().length, findings: store.findings().length };
    // Rewind the cursor, as a crash between reading and recording would leave it, and start again.
    store.db.prepare(`UPDATE vaults SET next_block = ?`).run(fromBlock);
    const again = inProcessMonitor(config, { store });
    const rounds = await again.pollChain("local");
    expect(rounds[0].fromBlock).to.equal(fromBlock);
    expect(rounds[0].events).to.equal(before.events);
    expect({ events: store.events().length, findings: store.findings().length }).to.deep.equal(before);
    store.close();
    const reopened = new MonitorStore(file);
    expect(reopened.findings({ kinds: ["TripwireFired"] })).to.have.length(1);
    reopened.close();
  });

  it("runs as the Hardhat task vault:monitor on the selected network", async function () {
    const file = path.join(dir, "monitor.json");
    writeFileSync(file, JSON.stringify({ database: "m.sqlite", chains: { local: { rpc: "http://127.0.0.1:9" } }, vaults: [{ name: "hot", chain: "local", address: f.vaultAddr, fromBlock }] }));
    await f.vault.connect(f.guardian).pause();
    const totals = await hre.run("vault:monitor", { configFile: file, rounds: 1, hreChain: "local" });
    const logs = await ethers.provider.getLogs({ address: f.vaultAddr, fromBlock, toBlock: "latest" });
    expect(totals).to.deep.equal({ rounds: 1, events: logs.length, findings: 1 });
    const store = new MonitorStore(path.join(dir, "m.sqlite"));
    expect(store.findings().map((x) => x.kind)).to.deep.equal(["VaultPaused"]);
    store.close();
    await expect(hre.run("vault:monitor", { configFile: file, rounds: 1, hreChain: "mainnet" })).to.be.rejectedWith("--hre-chain: no chain named mainnet");
  });

  it("runs the vault's responder with its own key and keeps its actions", async function () {
    // Hardhat's account #1 (the fixture's first guardian): its well-known development key.
    const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    expect(new ethers.Wallet(key).address).to.equal(f.guardian.address);
    const rules = path.join(dir, "rules.json");
    writeFileSync(rules, JSON.stringify({ tripwire: { pause: true, cancelPending: true }, withdrawals: { expected: [], onUnexpected: "log" }, changes: { expected: [], onUnexpected: "log" } }));
    process.env.MONITOR_TEST_GUARD_KEY = key;
    try {
      const config = monitorConfig(f, { fromBlock, vault: { responder: { rules, keyEnv: "MONITOR_TEST_GUARD_KEY" } } });
      const m = inProcessMonitor(config);
      await m.pollChain("local");
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(300_000));
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, usdt(1));
      await m.pollChain("local");
      expect(await f.vault.paused()).to.equal(true);
      expect((await views.getWithdrawal(f.vault, 1n)).status).to.equal(3n); // Cancelled
      const actions = m.store.actions({ vault: f.vaultAddr });
      // The tripwire already suspended the key: the responder says so and sends the rest.
      expect(actions.map((a) => [a.kind, a.status]).sort()).to.deep.equal([["cancelWithdrawal", "confirmed"], ["pause", "confirmed"], ["suspendOperator", "skipped"]]);
      expect(actions.filter((a) => a.status === "confirmed").every((a) => /^0x[0-9a-f]{64}$/.test(a.txHash ?? ""))).to.equal(true);
      // The next round records what the responder did, as any other event.
      await m.pollChain("local");
      expect(m.store.findings({ kinds: ["VaultPaused"] })).to.have.length(1);
    } finally {
      delete process.env.MONITOR_TEST_GUARD_KEY;
    }
  });

  it("runs the responder on a guardian key kept in an HSM (SoftHSM2)", async function () {
    const token = await createToken("monitor");
    const key = await generatePkcs11Key({ module: MODULE, token: token.label, pin: { env: token.pinEnv }, label: "responder" });
    await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(key.address));
    await setBalance(key.address, 10n ** 18n);
    const rules = path.join(dir, "rules.json");
    writeFileSync(rules, JSON.stringify({ tripwire: { pause: true, cancelPending: false }, withdrawals: { expected: [], onUnexpected: "log" }, changes: { expected: [], onUnexpected: "log" } }));
    const hsm = { module: MODULE, token: token.label, keyLabel: "responder", pinEnv: token.pinEnv };
    const m = inProcessMonitor(monitorConfig(f, { fromBlock, vault: { responder: { rules, hsm } } }));
    await m.pollChain("local");
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, usdt(1));
    await m.pollChain("local");
    const [pause] = m.store.actions({ vault: f.vaultAddr }).filter((a) => a.kind === "pause");
    expect(pause.status).to.equal("confirmed");
    expect((await ethers.provider.getTransaction(pause.txHash!))!.from).to.equal(key.address);
    expect(await f.vault.paused()).to.equal(true);
  });

  it("reads the example config and routes each kind as it says", function () {
    const env = { MAINNET_RPC_URL: "https://rpc.example/key", ARBITRUM_RPC_URL: "https://arb.example/key", HSM_PIN: "1234", SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X", PAGERDUTY_ROUTING_KEY: "k".repeat(32), SIEM_TOKEN: "Bearer t" };
    const config = loadMonitorConfig(path.join(__dirname, "../../config/example.monitor.json"), env);
    expect(config.chains.map((c) => [c.name, c.confirmations])).to.deep.equal([["mainnet", 2], ["arbitrum", 20]]);
    expect(config.vaults[0].responder!.rulesFile).to.equal(path.resolve(__dirname, "../../config/guard-rules.json"));
    expect(config.vaults[0].responder!.key).to.deep.equal({ hsm: { module: undefined, token: "vault-ops", key: { label: "responder" }, pin: { env: "HSM_PIN" } } });
    const route = (kind: AlertKind) => routeFinding(config.alerts, { kind, severity: config.alerts.severities[kind] }).sort();
    expect(route("TripwireFired")).to.deep.equal(["oncall", "ops-slack", "siem"]);
    expect(route("ChangeProposed")).to.deep.equal(["oncall", "ops-slack", "siem"]);
    expect(route("RoleChanged")).to.deep.equal(["oncall", "ops-slack", "siem"]);
    expect(route("MonitorBehind")).to.deep.equal(["ops-slack", "siem"]);
    expect(route("QueuedWithdrawal")).to.deep.equal(["siem"]);
    const siem = config.alerts.sinks.find((x) => x.name === "siem");
    expect(siem).to.deep.include({ type: "webhook", headers: { Authorization: "Bearer t" } });
  });

  it("refuses a bad config with every problem by its path, and never prints a secret", function () {
    const bad = {
      chains: { main: { rpcEnv: "NOT_SET_RPC", confirmatons: 2 } },
      vaults: [{ name: "a", chain: "other", address: "0x123" }, { name: "a", chain: "main", address: f.vaultAddr, expected: { withdrawals: [{ operator: "*", token: "*", maxAmount: 5 }] } }],
      alerts: {
        sinks: { s: { type: "slack", url: "hxxp//hooks.slack.com/services/T000/B000/SECRET" }, p: { type: "pagerduty" } },
        routes: [{ kinds: ["Tripwire"], minSeverity: "high", sinks: ["nope"] }],
      },
    };
    let error: MonitorConfigError | undefined;
    try {
      parseMonitorConfig(bad, { env: {} });
    } catch (e) {
      error = e as MonitorConfigError;
    }
    expect(error).to.be.instanceOf(MonitorConfigError);
    const paths = error!.issues.map((i) => i.path);
    expect(paths).to.include.members([
      "chains.main.rpcEnv",
      "chains.main.confirmatons",
      "vaults[0].chain",
      "vaults[0].address",
      "vaults[1].name",
      "vaults[1].expected.withdrawals[0].maxAmount",
      "alerts.sinks.s.url",
      "alerts.sinks.p.routingKey",
      "alerts.routes[0].kinds[0]",
      "alerts.routes[0].minSeverity",
      "alerts.routes[0].sinks[0]",
    ]);
    expect(error!.message).to.not.contain("SECRET");
  });
});
