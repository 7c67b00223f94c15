import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fs from "fs";
import os from "os";
import path from "path";
import { HDNodeWallet } from "ethers";
import { ChangeKind, POLICY, Status, deployVaultFixture, encodeChange, proposeOnly, usdt, type VaultFixture } from "../helpers/fixture";
import { deployBlock } from "../sdk/helpers";
import type { ResponderAction } from "../../sdk/monitor";
import { guardRules } from "./helpers";
import { views } from "../helpers/views";

/** Hardhat's default accounts; the fixture's guardian is the second. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guard-task-"));
let n = 0;
function writeFile(content: unknown): string {
  const file = path.join(dir, `file-${n++}.json`);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return file;
}
const logFile = () => path.join(dir, `log-${n++}.jsonl`);
const readLog = (file: string) => fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const guard = (args: Record<string, unknown>) => hre.run("vault:guard", args) as Promise<ResponderAction[]>;
const summary = (actions: ResponderAction[]) => actions.map((a) => `${a.action.kind}:${a.status}`);

/** The stolen-key scenarios at once: bot1's key queues a large withdrawal to its approved exchange, then tries to pay the attacker (tripwire); the admin key proposes a drain; bot2 meanwhile queues a normal withdrawal. */
async function attack(f: VaultFixture) {
  await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
  const stolen = await f.vault.withdrawalCount();
  await f.vault.connect(f.bot2).queueWithdrawal(f.daiAddr, f.exchange2.address, POLICY.dai.instant * 2n);
  const expected = await f.vault.withdrawalCount();
  await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, usdt(1));
  const drain = await proposeOnly(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.attacker.address));
  return { stolen, expected, drain };
}

async function expectDefended(f: VaultFixture, ids: Awaited<ReturnType<typeof attack>>) {
  expect((await views.getWithdrawal(f.vault, ids.stolen)).status).to.equal(BigInt(Status.Cancelled));
  expect((await views.getWithdrawal(f.vault, ids.expected)).status, "the expected withdrawal is left alone").to.equal(BigInt(Status.Pending));
  expect((await views.getChange(f.vault, ids.drain)).status).to.equal(BigInt(Status.Cancelled));
  expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
  expect(await f.vault.paused()).to.equal(true);
}

describe("hardhat vault:guard", () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("--once handles one round against the stolen-key scenarios, logs JSON lines and returns its actions", async () => {
    const f = await loadFixture(deployVaultFixture);
    const reactFrom = (await ethers.provider.getBlockNumber()) + 1;
    const ids = await attack(f);
    const log = logFile();
    // No --vault (the rules file names it) and no --from-block (found from the chain).
    const actions = await guard({ rules: writeFile(guardRules(f)), guardian: f.guardian.address, reactFrom, once: true, log });
    expect(summary(actions)).to.deep.equal(["pause:confirmed", "suspendOperator:skipped", "cancelWithdrawal:confirmed", "cancelChange:confirmed"]);
    await expectDefended(f, ids);

    const lines = readLog(log);
    expect(lines[0]).to.include({ type: "started", vault: f.vaultAddr, guardian: f.guardian.address, fromBlock: await deployBlock(f), reactFrom, dryRun: false });
    expect(lines.filter((l) => l.type === "finding").map((l) => l.rule)).to.deep.equal(["unexpectedWithdrawal", "tripwire", "unexpectedChange"]);
    const cancel = lines.find((l) => l.type === "action" && (l.action as { kind: string }).kind === "cancelWithdrawal")!;
    expect(cancel).to.deep.include({ status: "confirmed", action: { kind: "cancelWithdrawal", id: ids.stolen.toString() }, rules: ["unexpectedWithdrawal", "tripwire"] });
    expect(cancel.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    for (const l of lines) expect(l.time).to.be.a("string");
  });

  it("--blocks runs while the attack happens, with the guardian key read from an environment variable", async () => {
    const f = await loadFixture(deployVaultFixture);
    const wallet = HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, "m/44'/60'/0'/0/1");
    expect(wallet.address).to.equal(f.guardian.address);
    process.env.GUARD_TEST_KEY = wallet.privateKey;
    try {
      const head = await ethers.provider.getBlockNumber();
      const running = guard({ rules: writeFile(guardRules(f)), vault: f.vaultAddr, keyEnv: "GUARD_TEST_KEY", fromBlock: await deployBlock(f), reactFrom: head + 1, blocks: 12, pollMs: 10, log: logFile() });
      const ids = await attack(f);
      for (let i = 0; i < 14; i++) {
        await new Promise((r) => setTimeout(r, 15));
        await ethers.provider.send("evm_mine", []);
      }
      const actions = await running;
      expect(actions.filter((a) => a.status === "confirmed").map((a) => a.action.kind).sort()).to.deep.equal(["cancelChange", "cancelWithdrawal", "pause"]);
      await expectDefended(f, ids);
      const [paused] = await f.vault.queryFilter(f.vault.filters.VaultPaused());
      expect(paused.args.by).to.equal(wallet.address);
    } finally {
      delete process.env.GUARD_TEST_KEY;
    }
  });

  it("--dry-run decides and logs the same actions but sends nothing", async () => {
    const f = await loadFixture(deployVaultFixture);
    const reactFrom = (await ethers.provider.getBlockNumber()) + 1;
    const ids = await attack(f);
    const head = await ethers.provider.getBlockNumber();
    const log = logFile();
    const actions = await guard({ rules: writeFile(guardRules(f)), guardian: f.guardian.address, reactFrom, once: true, dryRun: true, log });
    expect(summary(actions)).to.deep.equal(["pause:dry-run", "suspendOperator:skipped", "cancelWithdrawal:dry-run", "cancelChange:dry-run"]);
    expect(await ethers.provider.getBlockNumber()).to.equal(head);
    expect((await views.getWithdrawal(f.vault, ids.stolen)).status).to.equal(BigInt(Status.Pending));
    expect(await f.vault.paused()).to.equal(false);
    expect(readLog(log)[0]).to.include({ dryRun: true });
  });

  it("takes token symbols and whole-token amounts (\"units\": \"tokens\") in its rules, and names tokens and amounts in its log", async () => {
    const f = await loadFixture(deployVaultFixture);
    const reactFrom = (await ethers.provider.getBlockNumber()) + 1;
    const rules = guardRules(f, {
      units: "tokens",
      withdrawals: { onUnexpected: "cancel", expected: [{ operator: f.bot1.address, token: "usdt", maxAmount: "400000", destinations: [f.exchange.address] }] },
    });
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(300_000));
    const expected = await f.vault.withdrawalCount();
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(400_000) + 1n);
    const tooLarge = await f.vault.withdrawalCount();
    const log = logFile();
    const actions = await guard({ rules: writeFile(rules), guardian: f.guardian.address, reactFrom, once: true, log });
    expect(actions.filter((a) => a.status === "confirmed").map((a) => a.action)).to.deep.equal([{ kind: "cancelWithdrawal", id: tooLarge }]);
    expect((await views.getWithdrawal(f.vault, expected)).status).to.equal(BigInt(Status.Pending));
    const finding = readLog(log).find((l) => l.type === "finding" && l.rule === "unexpectedWithdrawal")!;
    expect(finding.amounts).to.deep.equal(["400000.000001 USDT"]);
    expect(finding.names).to.deep.include({ [f.usdtAddr]: "USDT" });
    expect(finding.detailNamed).to.match(/^withdrawal #\d+ of 400000\.000001 USDT by 0x/);

    const cases: [Record<string, unknown>, RegExp][] = [
      [{ units: "tokens", withdrawals: { expected: [{ operator: "*", token: "DOGE", maxAmount: "1" }] } }, /invalid rules\.withdrawals\.expected\[0\]\.token: DOGE is not listed by the vault; listed: USDT, /],
      [{ units: "tokens", withdrawals: { expected: [{ operator: "*", token: "*", maxAmount: "1" }] } }, /expected\[0\]\.maxAmount: an amount in whole tokens needs one token/],
      [{ units: "tokens", withdrawals: { expected: [{ operator: "*", token: "USDT", maxAmount: "1.0000001" }] } }, /expected\[0\]\.maxAmount.*more decimal places than the token's 6/],
      [{ withdrawals: { expected: [{ operator: "bot1", token: "USDT", maxAmount: "1" }] } }, /expected\[0\]\.operator: "bot1" is neither an address nor a label of the vault's deployment record/],
      [{ units: "cents" }, /rules\.units: expected "tokens" or "baseUnits"/],
    ];
    for (const [over, message] of cases) {
      const err = await guard({ rules: writeFile(guardRules(f, over)), guardian: f.guardian.address, once: true }).catch((e: unknown) => e);
      expect((err as Error).message, message.source).to.match(message);
    }
  });

  it("refuses to start, with a clear message, on bad rules, a missing key or a key that is not a guardian", async () => {
    const f = await loadFixture(deployVaultFixture);
    const rules = writeFile(guardRules(f));
    const bad = writeFile({ ...guardRules(f), tripwire: { pause: "yes" }, withdrawals: { expected: [{ operator: "*", token: "ETH", maxAmount: 5 }] } });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ rules: path.join(dir, "missing.json"), guardian: f.guardian.address }, /cannot read the rules file .*missing\.json/],
      [{ rules: writeFile("{ nope"), guardian: f.guardian.address }, /is not JSON/],
      [{ rules: bad, guardian: f.guardian.address }, /is not valid:\n {2}rules\.tripwire\.pause: expected true or false, got "yes"\n {2}rules\.withdrawals\.expected\[0\]\.maxAmount: expected a decimal string/],
      [{ rules: writeFile({ withdrawals: { expected: [] }, changes: { expected: [] } }), guardian: f.guardian.address }, /pass --vault, or set "vault" in the rules file/],
      [{ rules }, /pass the guardian key: --hsm-token LABEL --hsm-key LABEL .*, --key-env NAME .* or --guardian ADDRESS/],
      [{ rules, keyEnv: "GUARD_TEST_UNSET_KEY" }, /GUARD_TEST_UNSET_KEY \(--key-env\) is not set/],
      [{ rules, guardian: f.stranger.address }, new RegExp(`${f.stranger.address} is not a guardian of the vault`)],
      [{ rules, guardian: f.guardian.address, once: true, blocks: 3 }, /--once and --blocks do not go together/],
    ];
    const head = await ethers.provider.getBlockNumber();
    for (const [args, message] of cases) {
      const err = await guard(args).catch((e: unknown) => e);
      expect(err, message.source).to.be.instanceOf(Error);
      expect((err as Error).message).to.match(message);
    }
    expect(await ethers.provider.getBlockNumber()).to.equal(head);
  });
});
