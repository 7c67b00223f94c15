import { expect } from "chai";
import fs from "fs";
import path from "path";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ChangeKind, DAY, NATIVE, POLICY, Status, TripReason, deployVaultFixture, threeGuardianFixture, encodeChange, proposeAndExecute, proposeOnly, usdt, type VaultFixture } from "../helpers/fixture";
import { deployBlock } from "../sdk/helpers";
import { guardRules as rulesJson } from "./helpers";
import { InvalidInputError } from "../../sdk/errors";
import {
  Responder,
  ResponderRulesError,
  formatResponderLog,
  matchesWithdrawal,
  parseResponderRules,
  type ResponderLogEntry,
  type ResponderOptions,
  type ResponderRound,
} from "../../sdk/monitor";
import { views } from "../helpers/views";

async function start(f: VaultFixture, rules: unknown = rulesJson(f), o: Partial<ResponderOptions> = {}) {
  const log: ResponderLogEntry[] = [];
  const responder = await Responder.create({ vault: f.vaultAddr, signer: f.guardian, rules: parseResponderRules(rules), fromBlock: await deployBlock(f), log: (e) => log.push(e), ...o });
  return { responder, log };
}

async function queue(f: VaultFixture, bot: VaultFixture["bot1"], token: string, to: string, amount: bigint): Promise<{ id: bigint; block: number }> {
  const receipt = await (await f.vault.connect(bot).queueWithdrawal(token, to, amount)).wait();
  return { id: await f.vault.withdrawalCount(), block: receipt!.blockNumber };
}

const status = async (f: VaultFixture, id: bigint) => Status[Number((await views.getWithdrawal(f.vault, id)).status)];
const changeStatus = async (f: VaultFixture, id: bigint) => Status[Number((await views.getChange(f.vault, id)).status)];
const summary = (round: ResponderRound) => round.actions.map((a) => `${a.action.kind}${"id" in a.action ? `#${a.action.id}` : ""}:${a.status}`);

describe("automatic responder", () => {
  it("a stolen bot key queues a large withdrawal to its approved exchange: cancelled in the next block; expected ones are left alone", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder, log } = await start(f);
    const before = await f.usdtToken.balanceOf(f.vaultAddr);
    const expected1 = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(900_000));
    const expected2 = await queue(f, f.bot2, f.daiAddr, f.exchange2.address, POLICY.dai.queueCap);
    const stolen = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap - usdt(900_000));

    const round = await responder.poll();
    expect(round.findings.map((x) => [x.rule, x.trigger.event, x.trigger.blockNumber, x.trigger.review])).to.deep.equal([["unexpectedWithdrawal", "WithdrawalQueued", stolen.block, false]]);
    expect(round.findings[0].detail).to.match(/withdrawal #3 of 4100000000000 .* matches no expected pattern/);
    expect(summary(round)).to.deep.equal([`cancelWithdrawal#${stolen.id}:confirmed`]);
    expect(round.actions[0].rules).to.deep.equal(["unexpectedWithdrawal"]);
    expect(round.actions[0].blockNumber).to.equal(stolen.block + 1);
    expect(await status(f, stolen.id)).to.equal("Cancelled");
    expect(await status(f, expected1.id)).to.equal("Pending");
    expect(await status(f, expected2.id)).to.equal("Pending");
    const [cancelled] = await f.vault.queryFilter(f.vault.filters.WithdrawalCancelled());
    expect(cancelled.args.by).to.equal(f.guardian.address);

    // The stolen key can never execute it; the expected ones go through after the delay.
    await time.increase(POLICY.withdrawalDelay);
    await expect(f.vault.connect(f.bot1).executeWithdrawal(stolen.id)).to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending");
    await f.vault.connect(f.bot1).executeWithdrawal(expected1.id);
    expect(before - (await f.usdtToken.balanceOf(f.vaultAddr))).to.equal(usdt(900_000));
    expect((await responder.poll()).actions).to.deep.equal([]);

    // Logged as structured entries, one JSON line each.
    expect(log.map((e) => e.type)).to.deep.equal(["started", "round", "finding", "action", "round"]);
    const line = JSON.parse(formatResponderLog(log[3]));
    expect(line).to.include({ type: "action", level: "warn", status: "confirmed" });
    expect(line.action).to.deep.equal({ kind: "cancelWithdrawal", id: stolen.id.toString() });
    expect(line.time).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(responder.actions).to.deep.equal(round.actions);
  });

  it("a withdrawal outside the expected UTC hours or weekdays is cancelled, one inside is left alone", async () => {
    const f = await loadFixture(deployVaultFixture);
    const at = (dayOffset: number, hour: number) => BigInt((Math.floor(now / 86400) + dayOffset) * 86400 + hour * 3600);
    const now = await time.latest();
    const weekday = new Date(Number(at(1, 0)) * 1000).getUTCDay();
    const rules = rulesJson(f);
    (rules.withdrawals as { expected: unknown[] }).expected = [
      { operator: f.bot1.address, token: f.usdtAddr, maxAmount: usdt(1_000_000).toString(), hoursUtc: [8, 18], weekdaysUtc: [weekday] },
    ];
    const { responder } = await start(f, rules);
    const cases: [bigint, string][] = [
      [at(1, 3), "Cancelled"], // 03:00: outside the hours
      [at(1, 10), "Pending"], // 10:00 on the listed weekday
      [at(1, 18), "Cancelled"], // 18:00: the range is [8, 18)
      [at(2, 10), "Cancelled"], // 10:00 the next day: another weekday
    ];
    const ids = [];
    for (const [t] of cases) {
      await time.setNextBlockTimestamp(t);
      ids.push((await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(10))).id);
    }
    const round = await responder.poll();
    expect(round.findings.map((x) => x.rule)).to.deep.equal(["unexpectedWithdrawal", "unexpectedWithdrawal", "unexpectedWithdrawal"]);
    for (let i = 0; i < cases.length; i++) expect(await status(f, ids[i]), `case ${i}`).to.equal(cases[i][1]);
  });

  for (const pause of [true, false]) {
    it(`a tripwire: the key stays suspended, its queued withdrawals are cancelled, and the vault is ${pause ? "" : "not "}paused as the rules say`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const { responder } = await start(f, rulesJson(f, { tripwire: { pause, cancelPending: true } }));
      const pending = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(500_000));
      expect((await responder.poll()).actions).to.deep.equal([]);
      // The stolen key pays itself: the vault trips and suspends it.
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, 1n))
        .to.emit(f.vault, "TripwireFired").withArgs(f.bot1.address, f.usdtAddr, TripReason.DestinationNotApproved, f.attacker.address, 1n);
      const round = await responder.poll();
      expect(round.findings.map((x) => x.rule)).to.deep.equal(["tripwire"]);
      expect(round.findings[0].detail).to.include("DestinationNotApproved");
      expect(summary(round)).to.deep.equal([...(pause ? ["pause:confirmed"] : []), "suspendOperator:skipped", `cancelWithdrawal#${pending.id}:confirmed`]);
      expect(round.actions.find((a) => a.action.kind === "suspendOperator")?.note).to.match(/already suspended/);
      expect(await f.vault.paused()).to.equal(pause);
      expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
      expect(await status(f, pending.id)).to.equal("Cancelled");
      if (pause) expect((await f.vault.queryFilter(f.vault.filters.VaultPaused()))[0].args.by).to.equal(f.guardian.address);
    });
  }

  it("several tripwires within the window pause the vault even when one alone does not", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder } = await start(f, rulesJson(f, { tripwire: { pause: false, cancelPending: false, burst: { count: 2, windowSeconds: 3600 } } }));
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, 1n);
    expect(summary(await responder.poll())).to.deep.equal(["suspendOperator:skipped"]);
    expect(await f.vault.paused()).to.equal(false);
    await time.increase(1800);
    await f.vault.connect(f.bot2).withdrawInstant(f.daiAddr, f.attacker.address, 1n);
    const round = await responder.poll();
    expect(round.findings.map((x) => x.rule)).to.deep.equal(["tripwire", "tripwireBurst"]);
    expect(summary(round)).to.deep.equal(["pause:confirmed", "suspendOperator:skipped"]);
    expect(await f.vault.paused()).to.equal(true);
  });

  it("two tripwires further apart than the window do not pause", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder } = await start(f, rulesJson(f, { tripwire: { pause: false, burst: { count: 2, windowSeconds: 3600 } } }));
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, 1n);
    await time.increase(3600);
    await f.vault.connect(f.bot2).withdrawInstant(f.daiAddr, f.attacker.address, 1n);
    const round = await responder.poll();
    expect(round.findings.map((x) => x.rule)).to.deep.equal(["tripwire", "tripwire"]);
    expect(await f.vault.paused()).to.equal(false);
  });

  for (const onUnexpected of ["cancel", "cancelAndPause"] as const) {
    it(`unexpected proposed changes are cancelled${onUnexpected === "cancelAndPause" ? " and the vault paused" : ""}; expected ones are left to execute`, async () => {
      const f = await loadFixture(deployVaultFixture);
      const rules = rulesJson(f);
      (rules.changes as Record<string, unknown>).onUnexpected = onUnexpected;
      const { responder } = await start(f, rules);
      const limits = { operator: f.bot2.address, token: f.usdtAddr, cap: POLICY.usdt.cap * 2n, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap };
      const expectedId = await proposeOnly(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits(limits));
      const drain = await proposeOnly(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.attacker.address));
      const recovery = await proposeOnly(f.vault, f.admin, ChangeKind.SetRecovery, encodeChange.address(f.attacker.address));
      const round = await responder.poll();
      expect(round.findings.map((x) => x.detail)).to.deep.equal([
        `change #${drain} ApproveDestination(operator=${f.bot1.address}, destination=${f.attacker.address}) matches no expected pattern`,
        `change #${recovery} SetRecovery(recovery=${f.attacker.address}) matches no expected pattern`,
      ]);
      expect(summary(round)).to.deep.equal([...(onUnexpected === "cancelAndPause" ? ["pause:confirmed"] : []), `cancelChange#${drain}:confirmed`, `cancelChange#${recovery}:confirmed`]);
      expect(await f.vault.paused()).to.equal(onUnexpected === "cancelAndPause");
      await time.increase(POLICY.changeDelay);
      await expect(f.vault.connect(f.admin).executeChange(drain)).to.be.revertedWithCustomError(f.vault, "ChangeNotPending");
      await expect(f.vault.connect(f.admin).executeChange(recovery)).to.be.revertedWithCustomError(f.vault, "ChangeNotPending");
      await f.vault.connect(f.admin).executeChange(expectedId);
      expect((await f.lens.operatorState(f.vault, f.bot2.address, f.usdtAddr)).cap).to.equal(POLICY.usdt.cap * 2n);
      expect(await f.vault.recovery()).to.equal(f.recovery.address);
      expect(await changeStatus(f, expectedId)).to.equal("Executed");
    });
  }

  it("a queued withdrawal to a destination approved just now is cancelled even though a pattern allows it; later ones are not", async () => {
    const f = await loadFixture(deployVaultFixture);
    const rules = rulesJson(f);
    const w = rules.withdrawals as { expected: unknown[]; freshDestination: unknown };
    w.expected = [{ operator: f.bot1.address, token: "*", maxAmount: (10n ** 30n).toString() }];
    w.freshDestination = { withinSeconds: 2 * 86400, action: "cancel" };
    const { responder } = await start(f, rules);
    // A stolen admin key gets a destination approved (an expected kind of change, so it went through).
    await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.exchange2.address));
    const first = await queue(f, f.bot1, NATIVE, f.exchange2.address, POLICY.eth.queueCap / 2n);
    const old = await queue(f, f.bot1, NATIVE, f.exchange.address, POLICY.eth.instant);
    const round = await responder.poll();
    expect(round.findings.map((x) => x.rule)).to.deep.equal(["freshDestination"]);
    expect(round.findings[0].detail).to.match(/the destination was approved \d+ s earlier/);
    expect(summary(round)).to.deep.equal([`cancelWithdrawal#${first.id}:confirmed`]);
    expect(await status(f, old.id)).to.equal("Pending");
    await time.increase(2n * DAY);
    const later = await queue(f, f.bot1, NATIVE, f.exchange2.address, POLICY.eth.instant);
    expect((await responder.poll()).findings).to.deep.equal([]);
    expect(await status(f, later.id)).to.equal("Pending");
  });

  it("an instant withdrawal to a destination approved just now pauses the vault", async () => {
    const f = await loadFixture(deployVaultFixture);
    const rules = rulesJson(f);
    (rules.withdrawals as { freshDestination: unknown }).freshDestination = { withinSeconds: 86400, action: "pause" };
    const { responder } = await start(f, rules);
    await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.exchange2.address));
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange2.address, POLICY.usdt.instant);
    const round = await responder.poll();
    expect(round.findings.map((x) => [x.rule, x.trigger.event])).to.deep.equal([["freshDestination", "Withdrawn"]]);
    expect(summary(round)).to.deep.equal(["pause:confirmed"]);
    await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange2.address, 1n)).to.be.revertedWithCustomError(f.vault, "VaultIsPaused");
  });

  it("at start it judges what is still pending, but does not act on past tripwires", async () => {
    const f = await loadFixture(deployVaultFixture);
    const stolen = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(2_000_000));
    const fine = await queue(f, f.bot2, f.usdtAddr, f.exchange.address, usdt(10));
    const settled = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(1_500_000));
    await f.vault.connect(f.guardian2).cancelWithdrawal(settled.id);
    await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.attacker.address, 1n);
    const drain = await proposeOnly(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot2.address, f.attacker.address));

    const { responder: passive } = await start(f, rulesJson(f), { reviewPending: false });
    expect((await passive.poll()).findings).to.deep.equal([]);

    const { responder } = await start(f);
    const round = await responder.poll();
    expect(round.findings.map((x) => [x.rule, x.trigger.event, x.trigger.review])).to.deep.equal([
      ["unexpectedWithdrawal", "WithdrawalQueued", true],
      ["unexpectedChange", "ChangeProposed", true],
    ]);
    expect(summary(round)).to.deep.equal([`cancelWithdrawal#${stolen.id}:confirmed`, `cancelChange#${drain}:confirmed`]);
    expect(await status(f, fine.id)).to.equal("Pending");
    expect(await f.vault.paused()).to.equal(false);
  });

  it("cannot cancel the change that removes its own key: says so, and pauses when the rules ask", async () => {
    const f = await loadFixture(threeGuardianFixture);
    const rules = rulesJson(f);
    (rules.changes as Record<string, unknown>).onUnexpected = "cancelAndPause";
    const { responder, log } = await start(f, rules);
    const removal = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian.address));
    const round = await responder.poll();
    expect(summary(round)).to.deep.equal(["pause:confirmed", `cancelChange#${removal}:skipped`]);
    expect(round.actions[1].note).to.match(/own key.*another guardian/);
    expect(await changeStatus(f, removal)).to.equal("Pending");
    expect(log.some((e) => e.type === "action" && e.status === "skipped")).to.equal(true);
    // Another guardian can.
    await f.vault.connect(f.guardian2).cancelChange(removal);
    expect(await changeStatus(f, removal)).to.equal("Cancelled");
  });

  it("skips what another guardian already did, and reports what the chain refuses as failed without stopping", async () => {
    const f = await loadFixture(threeGuardianFixture);
    const { responder } = await start(f);
    const a = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap / 2n);
    await f.vault.connect(f.guardian2).cancelWithdrawal(a.id);
    const b = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap / 3n);
    const round = await responder.poll();
    expect(summary(round)).to.deep.equal([`cancelWithdrawal#${a.id}:skipped`, `cancelWithdrawal#${b.id}:confirmed`]);
    expect(round.actions[0].note).to.equal("already cancelled");

    // Its key loses the guardian role (an executed RemoveGuardian): the vault's refusal is reported, typed.
    const removal = await proposeOnly(f.vault, f.admin, ChangeKind.RemoveGuardian, encodeChange.address(f.guardian.address));
    await time.increase(POLICY.changeDelay);
    await f.vault.connect(f.admin).executeChange(removal);
    const c = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap / 3n);
    const next = await responder.poll();
    expect(next.findings.map((x) => x.rule)).to.deep.equal(["unexpectedChange", "unexpectedWithdrawal"]);
    const failed = next.actions.find((x) => x.action.kind === "cancelWithdrawal");
    expect(failed?.status).to.equal("failed");
    expect(failed?.error?.name).to.equal("NotAdminOrGuardian");
    expect(await status(f, c.id)).to.equal("Pending");
  });

  it("in dry-run mode it decides and logs but sends nothing", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder, log } = await start(f, rulesJson(f), { dryRun: true });
    const stolen = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
    await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.attacker.address, 1n);
    const head = await ethers.provider.getBlockNumber();
    const round = await responder.poll();
    expect(summary(round)).to.deep.equal(["pause:dry-run", "suspendOperator:skipped", `cancelWithdrawal#${stolen.id}:dry-run`]);
    expect(await ethers.provider.getBlockNumber()).to.equal(head);
    expect(await status(f, stolen.id)).to.equal("Pending");
    expect(await f.vault.paused()).to.equal(false);
    expect(log[0]).to.include({ type: "started", dryRun: true });
  });

  it("runs round after round until the given number of blocks is handled", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { responder } = await start(f, rulesJson(f), { pollIntervalMs: 5 });
    const head = await ethers.provider.getBlockNumber();
    const running = responder.run({ blocks: 6 });
    const stolen = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, POLICY.usdt.queueCap);
    await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.attacker.address, 1n);
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await ethers.provider.send("evm_mine", []);
    }
    const actions = await running;
    expect(actions.filter((a) => a.status === "confirmed").map((a) => a.action.kind).sort()).to.deep.equal(["cancelWithdrawal", "pause"]);
    expect(await status(f, stolen.id)).to.equal("Cancelled");
    expect(await f.vault.paused()).to.equal(true);
    expect(responder.nextBlock).to.be.greaterThan(head + 6);
  });

  it("a totals rule counts over a rolling period: one a second short of a period later counts the earlier ones, one exactly a period later does not; cancelled ones do not count", async () => {
    const f = await loadFixture(deployVaultFixture);
    const rules = rulesJson(f);
    (rules.withdrawals as Record<string, unknown>).totals = [{ operator: "*", token: f.usdtAddr, periodSeconds: 86400, maxTotal: usdt(1_000_000).toString() }];
    const { responder } = await start(f, rules);
    const t0 = BigInt(await time.latest()) + 10n;
    await time.setNextBlockTimestamp(t0);
    const a = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(600_000));
    // Another operator has its own total.
    const other = await queue(f, f.bot2, f.usdtAddr, f.exchange.address, usdt(900_000));
    await time.setNextBlockTimestamp(t0 + 2n);
    const a2 = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(400_000));
    // One second short of a period after the first: all three count.
    await time.setNextBlockTimestamp(t0 + 86399n);
    const b = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(500_000));
    let round = await responder.poll();
    expect(round.findings.map((x) => [x.rule, x.trigger.blockNumber])).to.deep.equal([["withdrawalTotal", b.block]]);
    expect(round.findings[0].detail).to.include(`${usdt(1_500_000)} queued within 86400 s, over ${usdt(1_000_000)} per 86400 s`);
    expect([await status(f, a.id), await status(f, other.id), await status(f, a2.id), await status(f, b.id)]).to.deep.equal(["Pending", "Pending", "Pending", "Cancelled"]);
    // Exactly one period after the second: both earlier ones have left the window, the cancelled one never counted.
    await time.setNextBlockTimestamp(t0 + 2n + 86400n);
    const c = await queue(f, f.bot1, f.usdtAddr, f.exchange.address, usdt(1_000_000));
    round = await responder.poll();
    expect(round.findings).to.deep.equal([]);
    expect(await status(f, c.id)).to.equal("Pending");
  });

  it("refuses to start with a key that is not a guardian, or with rules written for another vault", async () => {
    const f = await loadFixture(deployVaultFixture);
    const rules = parseResponderRules(rulesJson(f));
    const base = { vault: f.vaultAddr, rules, fromBlock: await deployBlock(f) };
    const notGuardian = await Responder.create({ ...base, signer: f.stranger }).catch((e: unknown) => e);
    expect(notGuardian).to.be.instanceOf(InvalidInputError);
    expect((notGuardian as InvalidInputError).field).to.equal("signer");
    expect((notGuardian as Error).message).to.include("is not a guardian");
    const other = await ethers.deployContract("MockERC20", ["x", "x", 18]);
    const wrong = await Responder.create({ ...base, vault: await other.getAddress(), signer: f.guardian }).catch((e: unknown) => e);
    expect((wrong as InvalidInputError).field).to.equal("rules.vault");
  });
});

describe("responder rules", () => {
  it("the README's example rules file is valid once its placeholders are addresses", () => {
    const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### The responder: `vault:guard`"), readme.indexOf("## Configuring a vault"));
    const example = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).to.be.a("string");
    const address = "0x00000000000000000000000000000000000000a1";
    const rules = parseResponderRules(JSON.parse(example!.replace(/"0x…[a-z0-9]*"/g, `"${address}"`)));
    expect(rules.tripwire).to.deep.equal({ pause: true, cancelPending: true, burst: { count: 2, windowSeconds: 3600n } });
    expect(rules.withdrawals.expected).to.have.length(2);
    expect(rules.withdrawals.expected[1]).to.deep.equal({ operator: "*", token: NATIVE, maxAmount: 50n * 10n ** 18n });
    expect(rules.withdrawals.freshDestination).to.deep.equal({ withinSeconds: 172800n, action: "cancelAndPause" });
    expect(rules.withdrawals.totals).to.deep.equal([{ operator: "*", token: ethers.getAddress(address), periodSeconds: 86400n, maxTotal: 3_000_000n * 10n ** 6n, maxCount: 5 }]);
    expect(rules.changes.expected).to.deep.equal([{ kind: "SetOperatorLimits", params: { operator: ethers.getAddress(address) } }]);
  });


  it("a valid rules file parses to typed rules, with ETH for the native token and documented defaults", async () => {
    const f = await loadFixture(deployVaultFixture);
    const rules = parseResponderRules({
      withdrawals: { expected: [{ operator: "*", token: "ETH", maxAmount: "5", hoursUtc: [22, 6] }] },
      changes: { expected: [{ kind: "SetTripwire", maxCount: 5, period: "60" }, { kind: "SetTripwireOptOut", operator: f.bot1.address.toLowerCase(), optOut: false }] },
    });
    expect(rules).to.deep.equal({
      tripwire: { pause: false, cancelPending: true },
      withdrawals: { expected: [{ operator: "*", token: NATIVE, maxAmount: 5n, hoursUtc: [22, 6] }], onUnexpected: "cancel" },
      changes: {
        expected: [{ kind: "SetTripwire", params: { maxCount: "5", period: "60" } }, { kind: "SetTripwireOptOut", params: { operator: f.bot1.address, optOut: "false" } }],
        onUnexpected: "cancel",
      },
    });
    // Hours wrap past midnight: [22, 6) holds 23:00 and 03:00, not 12:00.
    const w = (hour: number) => ({ operator: f.bot1.address, token: NATIVE, to: f.exchange.address, amount: 5n, timestamp: BigInt(86400 * 100 + hour * 3600) });
    expect([23, 3, 12, 6, 22].map((h) => matchesWithdrawal(w(h), rules.withdrawals.expected[0]))).to.deep.equal([true, true, false, false, true]);
    expect(matchesWithdrawal({ ...w(23), amount: 6n }, rules.withdrawals.expected[0])).to.equal(false);
  });

  it("totals rules parse like the others: per operator and token, a period, a total and/or a count, every problem named", () => {
    const bot = "0x00000000000000000000000000000000000000b1";
    const rules = parseResponderRules({
      withdrawals: {
        expected: [{ operator: "*", token: "*", maxAmount: "1000" }],
        totals: [
          { operator: bot, token: "ETH", periodSeconds: 86400, maxTotal: "5000", maxCount: 3 },
          { operator: "*", token: "*", periodSeconds: 3600, maxCount: 10 },
        ],
      },
      changes: { expected: [] },
    });
    expect(rules.withdrawals.totals).to.deep.equal([
      { operator: ethers.getAddress(bot), token: NATIVE, periodSeconds: 86400n, maxTotal: 5000n, maxCount: 3 },
      { operator: "*", token: "*", periodSeconds: 3600n, maxCount: 10 },
    ]);
    const err = (() => {
      try {
        parseResponderRules({
          withdrawals: {
            expected: [],
            totals: [
              { operator: bot, token: "*", periodSeconds: 0, maxTotal: 5 },
              { operator: "*", token: "*", periodSeconds: 60 },
              { token: "USDT", periodSeconds: 60, maxCount: 0, perDay: 1 },
            ],
          },
          changes: { expected: [] },
        });
      } catch (e) {
        return e as ResponderRulesError;
      }
    })();
    expect(err).to.be.instanceOf(ResponderRulesError);
    expect(err!.problems.map((p) => p.path)).to.deep.equal([
      "rules.withdrawals.totals[0].periodSeconds",
      "rules.withdrawals.totals[0].maxTotal",
      "rules.withdrawals.totals[1]",
      "rules.withdrawals.totals[2].perDay",
      "rules.withdrawals.totals[2].operator",
      "rules.withdrawals.totals[2].token",
      "rules.withdrawals.totals[2].maxCount",
    ]);
    expect(err!.message).to.include("expected maxTotal (base units), maxCount, or both");
  });

  it("reports every problem with its path, so a typo cannot silently weaken a rule", () => {
    const err = (() => {
      try {
        parseResponderRules({
          vault: "0x123",
          tripwire: { pause: "yes", burst: { count: 0, windowSeconds: 60 } },
          withdrawals: {
            onUnexpectd: "cancel",
            freshDestination: { withinSeconds: 60, action: "nuke" },
            expected: [
              { operator: "*", token: "USDT", maxAmount: 1000 },
              { operator: "0xnope", token: "*", maxAmount: "1", hoursUtc: [25, 3], weekdaysUtc: [7] },
              { token: "*", maxAmount: "1", hoursUtc: [5, 5] },
            ],
          },
          changes: { expected: [{ kind: "Upgrade" }, { kind: "SetRecovery", operator: "0x0000000000000000000000000000000000000001" }, { kind: "SetVaultCap", vaultCap: -1 }] },
          extra: true,
        });
      } catch (e) {
        return e;
      }
    })();
    expect(err).to.be.instanceOf(ResponderRulesError);
    expect(err).to.be.instanceOf(InvalidInputError);
    const paths = (err as ResponderRulesError).problems.map((p) => p.path);
    expect(paths).to.deep.equal([
      "rules.extra",
      "rules.vault",
      "rules.tripwire.burst.count",
      "rules.tripwire.pause",
      "rules.withdrawals.onUnexpectd",
      "rules.withdrawals.expected[0].token",
      "rules.withdrawals.expected[0].maxAmount",
      "rules.withdrawals.expected[1].operator",
      "rules.withdrawals.expected[1].hoursUtc[0]",
      "rules.withdrawals.expected[1].weekdaysUtc[0]",
      "rules.withdrawals.expected[2].operator",
      "rules.withdrawals.expected[2].hoursUtc",
      "rules.withdrawals.freshDestination.action",
      "rules.changes.expected[0].kind",
      "rules.changes.expected[1].operator",
      "rules.changes.expected[2].vaultCap",
    ]);
    const message = (err as Error).message;
    expect(message).to.include("invalid rules.extra: unknown key");
    expect(message).to.include('rules.withdrawals.expected[0].maxAmount: expected a decimal string of base units (e.g. "2500000000"), got 1000');
    expect(message).to.include("rules.changes.expected[1].operator: not a parameter of SetRecovery (its parameters: recovery)");
    expect(() => parseResponderRules({ withdrawals: {}, changes: { expected: [] } })).to.throw(ResponderRulesError, /rules.withdrawals.expected: required/);
    expect(message).to.include('rules.withdrawals.expected[0].token: expected a token address, "ETH" or "*", got "USDT"');
    expect(() => parseResponderRules([])).to.throw(ResponderRulesError, /rules: expected an object/);
    const empty = (() => {
      try {
        parseResponderRules({});
      } catch (e) {
        return e as ResponderRulesError;
      }
    })();
    expect(empty?.problems.map((p) => p.path)).to.deep.equal(["rules.withdrawals", "rules.changes"]);
  });
});
