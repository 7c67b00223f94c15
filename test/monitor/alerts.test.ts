import { expect } from "chai";
import { ethers } from "hardhat";
import { AdminTransactions } from "../../sdk/index";
import { backoffMs } from "../../monitor/alerts";
import { deployVaultFixture, usdt, type VaultFixture } from "../helpers/fixture";
import { AlertReceiver } from "./receiver";
import { PD_KEY, inProcessMonitor, monitorConfig, waitFor } from "./helpers";
import type { Monitor } from "../../monitor/monitor";

/** Delivers until nothing is pending (retries included), or fails after `ms`. */
async function drain(m: Monitor, ms = 5000): Promise<void> {
  await waitFor(async () => {
    await m.deliverAlerts();
    return m.store.deliveryCounts().pending === 0;
  }, ms, "every delivery to finish");
}

describe("monitor alerts (local HTTP receiver on 127.0.0.1)", function () {
  let f: VaultFixture;
  let receiver: AlertReceiver;
  let fromBlock: number;

  beforeEach(async function () {
    f = await deployVaultFixture();
    fromBlock = (await f.vault.deploymentTransaction()!.wait())!.blockNumber;
    receiver = await new AlertReceiver().start();
  });
  afterEach(async function () {
    await receiver.stop();
  });

  it("routes each kind by severity, in each service's format, and resolves PagerDuty alerts by dedup key", async function () {
    const m = inProcessMonitor(monitorConfig(f, { receiverUrl: receiver.url, fromBlock, vault: { expected: { withdrawals: [{ operator: f.bot2.address, token: f.usdtAddr, maxAmount: usdt(2_000_000).toString() }] } } }));
    // critical: a tripwire; error: a change; info: an expected queued withdrawal; critical: an unexpected one.
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, usdt(1));
    const proposal = new AdminTransactions(f.vaultAddr).propose.setVaultCap({ token: f.usdtAddr, vaultCap: usdt(1_000_000) });
    await f.admin.sendTransaction(proposal);
    await f.vault.connect(f.bot2).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(300_000));
    await f.vault.connect(f.guardian).cancelChange(1n);
    await m.pollChain("local");
    await drain(m);

    expect(receiver.violations).to.deep.equal([]);
    const kinds = (path: "slack" | "pagerduty" | "webhook") => receiver.accepted(path).map((b) => (path === "webhook" ? `${b.kind}/${b.action}` : path === "pagerduty" ? `${(b.payload as { class?: string } | undefined)?.class ?? "-"}/${b.event_action}` : String(b.text).split(":")[2]?.trim()));
    // The webhook takes everything, in chain order; PagerDuty only critical (the tripwire); Slack warning and up.
    expect(kinds("webhook")).to.deep.equal(["TripwireFired/trigger", "ChangeProposed/trigger", "QueuedWithdrawal/trigger", "ChangeProposed/resolve"]);
    expect(kinds("pagerduty")).to.deep.equal(["TripwireFired/trigger"]);
    expect(receiver.accepted("slack").map((b) => String(b.text))).to.have.length(3);
    expect(String(receiver.accepted("slack")[0].text)).to.match(/CRITICAL: TripwireFired on hot: Tripwire fired on operator/);
    expect(String(receiver.accepted("slack")[2].text)).to.match(/RESOLVED: ChangeProposed/);
    const pd = receiver.accepted("pagerduty")[0];
    expect(pd.routing_key).to.equal(PD_KEY);
    expect((pd.payload as { severity: string }).severity).to.equal("critical");
    expect(receiver.received.find((r) => r.path === "webhook")!.headers["x-vault-monitor"]).to.equal("test");

    // PagerDuty gets the change once the route asks for `error`: trigger, then resolve with the same dedup_key.
    const m2 = inProcessMonitor(monitorConfig(f, { receiverUrl: receiver.url, fromBlock, routes: [{ kinds: ["ChangeProposed"], sinks: ["pager"] }] }));
    await m2.pollChain("local");
    await drain(m2);
    const changeEvents = receiver.accepted("pagerduty").slice(1);
    expect(changeEvents.map((b) => b.event_action)).to.deep.equal(["trigger", "resolve"]);
    expect(changeEvents[0].dedup_key).to.equal(changeEvents[1].dedup_key);
    expect(changeEvents[0].dedup_key).to.equal(`change:31337:${f.vaultAddr}:1`);
    expect(Object.keys(changeEvents[1]).sort()).to.deep.equal(["dedup_key", "event_action", "routing_key"]);
  });

  it("retries a failing sink with growing backoff, then delivers once", async function () {
    const m = inProcessMonitor(monitorConfig(f, { receiverUrl: receiver.url, fromBlock, routes: [{ sinks: ["hook"] }], retry: { attempts: 4, initialDelayMs: 150, maxDelayMs: 5000, timeoutMs: 2000 } }));
    receiver.failNext("webhook", [503, 500]);
    await f.vault.connect(f.guardian).pause();
    await m.pollChain("local");
    await drain(m);
    const tries = receiver.received.filter((r) => r.path === "webhook");
    expect(tries.map((r) => r.status)).to.deep.equal([503, 500, 200]);
    const gaps = [tries[1].at - tries[0].at, tries[2].at - tries[1].at];
    // Jitter is within 0.75-1.25 of the base delay: 150 ms then 300 ms.
    expect(gaps[0]).to.be.at.least(110);
    expect(gaps[1]).to.be.at.least(225);
    const [finding] = m.store.findings({ kinds: ["VaultPaused"] });
    expect(finding.deliveries).to.have.length(1);
    expect(finding.deliveries[0]).to.include({ status: "delivered", attempts: 3, lastError: null });
  });

  it("makes an undeliverable alert visible and tells the other sinks", async function () {
    const m = inProcessMonitor(monitorConfig(f, { receiverUrl: receiver.url, fromBlock, routes: [{ kinds: ["VaultPaused"], sinks: ["slack"] }, { kinds: ["AlertUndeliverable"], sinks: ["slack", "hook"] }] }));
    receiver.failNext("slack", [403]);
    await f.vault.connect(f.guardian).pause();
    await m.pollChain("local");
    await drain(m);
    // A 403 is not retried: the credentials are wrong.
    const failed = m.store.findings({ undeliverable: true });
    expect(failed).to.have.length(1);
    expect(failed[0].kind).to.equal("VaultPaused");
    expect(failed[0].deliveries[0]).to.include({ sink: "slack", status: "failed", attempts: 1 });
    expect(failed[0].deliveries[0].lastError).to.match(/^slack sink slack: HTTP 403/);
    // The other sink hears of it; the failing one is not asked again about its own failure.
    const hook = receiver.accepted("webhook");
    expect(hook).to.have.length(1);
    expect(hook[0]).to.include({ kind: "AlertUndeliverable", action: "trigger" });
    expect((hook[0].details as Record<string, unknown>).alertKind).to.equal("VaultPaused");
    expect(receiver.received.filter((r) => r.path === "slack")).to.have.length(1);
  });

  it("gives up on an unreachable sink after its attempts, without the URL in the error", async function () {
    const closed = await new AlertReceiver().start();
    await closed.stop(); // nothing listens on this port any more
    const config = monitorConfig(f, { receiverUrl: closed.url, fromBlock, routes: [{ sinks: ["hook"] }], retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 40, timeoutMs: 500 } });
    const m = inProcessMonitor(config);
    await f.vault.connect(f.guardian).pause();
    await m.pollChain("local");
    await drain(m);
    const [d] = m.store.findings({ kinds: ["VaultPaused"] })[0].deliveries;
    expect(d).to.include({ status: "failed", attempts: 3 });
    expect(d.lastError).to.match(/webhook sink hook: no response/);
    expect(d.lastError).to.not.contain("127.0.0.1");
  });

  it("backs off exponentially up to the cap", function () {
    const retry = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 8000, timeoutMs: 1000 };
    expect([1, 2, 3, 4, 5, 9].map((a) => backoffMs(retry, a, () => 0.5))).to.deep.equal([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(backoffMs(retry, 2, () => 0)).to.equal(1500);
    expect(backoffMs(retry, 2, () => 1)).to.equal(2500);
    void ethers;
  });
});
