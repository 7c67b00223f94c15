import { expect } from "chai";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "fs";
import { ethers } from "hardhat";
import os from "os";
import path from "path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { FastifyInstance } from "fastify";
import { createConsoleServer } from "../../console/server";
import type { Monitor } from "../../monitor/monitor";
import { GuardianTransactions, verifyTxBuilderBatch } from "../../monitor/sdk";
import { MonitorStore } from "../../monitor/store";
import { DAY, deployVaultFixture, usdt, type VaultFixture } from "../helpers/fixture";
import { inProcessMonitor, monitorConfig, waitFor } from "../monitor/helpers";
import { AlertReceiver } from "../monitor/receiver";
import { AdminTransactions } from "../../sdk/index";
import { views } from "../helpers/views";

const ROOT = path.resolve(__dirname, "../..");
/** Screenshots of the run, like CI artifacts (git-ignored). */
const ARTIFACTS = path.join(ROOT, "test-artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Clicks in one step in the page (a section re-rendered between finding and clicking would detach the node). */
async function click(page: Page, selector: string): Promise<void> {
  await page.waitForSelector(selector, { timeout: 8000 });
  const clicked = await page.evaluate((sel) => {
    const el = (globalThis as unknown as { document: { querySelector(s: string): { click(): void } | null } }).document.querySelector(sel);
    el?.click();
    return el !== null;
  }, selector);
  if (!clicked) throw new Error(`nothing to click at ${selector}`);
}

/** The countdown text ("23h 59m 58s") in seconds. */
function countdownSeconds(text: string): number {
  const m = /^(?:(\d+)d )?(?:(\d+)h )?(\d+)m (\d+)s$/.exec(text.trim());
  if (!m) throw new Error(`not a countdown: ${JSON.stringify(text)}`);
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

describe("console end to end (headless Chromium, the monitor on the in-process network)", function () {
  this.timeout(120_000);
  let f: VaultFixture;
  let dir: string;
  let browser: Browser;
  let page: Page;
  let app: FastifyInstance;
  let monitor: Monitor;
  let readStore: MonitorStore;
  const abort = new AbortController();
  let running: Promise<void>;
  let url: string;
  let receiver: AlertReceiver;

  before(async function () {
    f = await deployVaultFixture();
    const fromBlock = (await f.vault.deploymentTransaction()!.wait())!.blockNumber;
    dir = mkdtempSync(path.join(os.tmpdir(), "console-e2e-"));
    const database = path.join(dir, "monitor.sqlite");
    const labels = { [f.bot1.address]: "bot1", [f.bot2.address]: "bot2", [f.exchange.address]: "Binance deposit", [f.exchange2.address]: "OKX deposit", [f.attacker.address]: "attacker" };
    receiver = await new AlertReceiver().start();
    const routes = [{ minSeverity: "warning", sinks: ["slack"] }, { minSeverity: "critical", sinks: ["pager"] }];
    monitor = inProcessMonitor(monitorConfig(f, { receiverUrl: receiver.url, routes, fromBlock, database, vault: { snapshotSeconds: 30, labels }, chain: { pollMs: 150 } }));
    running = monitor.run({ signal: abort.signal });
    await waitFor(() => monitor.store.snapshot("local", f.vaultAddr), 20_000, "the first snapshot");
    readStore = new MonitorStore(database, { readonly: true });
    app = await createConsoleServer({ store: readStore });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: path.join(dir, "chromium-profile"),
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 1900 });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${url}/?vault=local/${f.vaultAddr}`, { waitUntil: "load" });
    await page.waitForSelector("#vault-state .badge");
    expect(errors).to.deep.equal([]);
  });

  after(async function () {
    await browser?.close();
    await app?.close();
    abort.abort();
    await running;
    readStore?.close();
    await receiver?.stop();
    monitor?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows a queued withdrawal, a proposed change and a tripwire within seconds, with countdowns to their eta and the usage chart", async function () {
    // Usage: bot1 spends 100,000 of its 1,000,000 USDT cap.
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(100_000));
    const chartKey = `${f.bot1.address}|${f.usdtAddr}`;
    const chartUsed = await waitFor(async () => {
      const y = await page.evaluate((key) => {
        const chart = (globalThis as unknown as { consoleCharts: Map<string, { data: { datasets: { data: { x: number; y: number }[] }[] } }> }).consoleCharts.get(key);
        return chart ? { used: chart.data.datasets[0].data[0].y, cap: chart.data.datasets[1].data[0].y, last: chart.data.datasets[0].data.at(-2)!.y } : null;
      }, chartKey);
      return y && y.used === 100_000 ? y : undefined;
    }, 8000, "the chart to show bot1's usage");
    expect(chartUsed).to.deep.equal({ used: 100_000, cap: 1_000_000, last: 0 });

    // A queued withdrawal.
    let t0 = Date.now();
    const queued = await (await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(400_000))).wait();
    const queuedAt = { wall: Date.now(), chain: (await ethers.provider.getBlock(queued!.blockNumber))!.timestamp };
    await page.waitForSelector(`#queue tr[data-id="1"] .countdown[data-remaining]`, { timeout: 8000 });
    const queueShownMs = Date.now() - t0;
    const [eta] = await Promise.all([views.getWithdrawal(f.vault, 1n).then((w) => w.eta)]);
    expect(eta).to.equal(BigInt(queuedAt.chain) + DAY);
    const queueCountdown = await page.$eval(`#queue tr[data-id="1"] .countdown`, (el) => ({ text: el.textContent ?? "", eta: (el as unknown as { dataset: Record<string, string> }).dataset.eta }));
    expect(queueCountdown.eta).to.equal(eta.toString());
    const expectedLeft = Number(eta) - (queuedAt.chain + (Date.now() - queuedAt.wall) / 1000);
    expect(Math.abs(countdownSeconds(queueCountdown.text) - expectedLeft)).to.be.at.most(3);
    expect(await page.$eval(`#queue tr[data-id="1"]`, (el) => el.textContent)).to.contain("400,000 USDT");

    // A proposed change.
    t0 = Date.now();
    const proposal = new AdminTransactions(f.vaultAddr).propose.approveDestination({ operator: f.bot1.address, destination: f.attacker.address });
    const proposed = await (await f.admin.sendTransaction(proposal)).wait();
    const proposedAt = { wall: Date.now(), chain: (await ethers.provider.getBlock(proposed!.blockNumber))!.timestamp };
    await page.waitForSelector(`#changes tr[data-id="1"] .countdown[data-remaining]`, { timeout: 8000 });
    const changeShownMs = Date.now() - t0;
    const change = await page.$eval(`#changes tr[data-id="1"]`, (el) => ({ text: el.textContent ?? "", countdown: el.querySelector(".countdown")!.textContent ?? "" }));
    expect(change.text).to.contain("ApproveDestination").and.contain("attacker");
    const changeLeft = proposedAt.chain + Number(DAY) - (proposedAt.chain + (Date.now() - proposedAt.wall) / 1000);
    expect(Math.abs(countdownSeconds(change.countdown) - changeLeft)).to.be.at.most(3);

    // A tripwire: bot2 tries to pay the attacker.
    t0 = Date.now();
    await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.attacker.address, usdt(5_000));
    await page.waitForSelector(`#timeline tr[data-event="TripwireFired"] .alert-line[data-kind="TripwireFired"] .badge.critical`, { timeout: 8000 });
    await page.waitForSelector(`.operator[data-operator="${f.bot2.address}"] .operator-suspended`, { timeout: 8000 });
    const tripShownMs = Date.now() - t0;
    // The alerts went out (Slack for warning and up, PagerDuty for critical) and the page says so.
    await page.waitForSelector(`#timeline tr[data-event="TripwireFired"] .delivered[data-sink="pager"]`, { timeout: 8000 });
    expect(receiver.violations).to.deep.equal([]);
    console.log(`      shown after: queued ${queueShownMs} ms, change ${changeShownMs} ms, tripwire ${tripShownMs} ms`);
    // The exposure table and the chart are on the page too.
    expect(await page.$eval("#exposure", (el) => el.textContent)).to.contain("all keys");
  });

  it("turns guardian actions into { to, data, value } and a Transaction Builder file that verifies", async function () {
    await click(page, `#queue tr[data-id="1"] button[data-add]`);
    await click(page, `#changes tr[data-id="1"] button[data-add]`);
    await click(page, `#vault-state button[data-add="pause"]`);
    await page.waitForSelector("#download");
    const g = new GuardianTransactions(f.vaultAddr);
    const expected = [g.cancelWithdrawal(1n), g.cancelChange(1n), g.pause()].map((t) => ({ to: t.to, data: t.data, value: t.value.toString() }));
    const shown = JSON.parse(await page.$eval("#tx-json", (el) => el.textContent ?? "")) as unknown;
    expect(shown).to.deep.equal(expected);

    // The download, as the browser saves it.
    const downloads = path.join(dir, "downloads");
    mkdirSync(downloads, { recursive: true });
    const cdp = await page.createCDPSession();
    await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
    await click(page, "#download");
    const file = await waitFor(() => readdirSync(downloads).find((n) => n.endsWith(".json")), 10_000, "the downloaded file");
    expect(file).to.equal("hot-cancelWithdrawal-cancelChange-pause.json");
    const verified = verifyTxBuilderBatch(readFileSync(path.join(downloads, file), "utf8"), { chainId: 31337n, safe: f.guardian.address });
    expect(verified.checksumValid).to.equal(true);
    expect(verified.transactions.map((t) => ({ to: t.to, data: t.data, value: t.value.toString() }))).to.deep.equal(expected);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "console.png"), fullPage: true });
    if (process.env.CONSOLE_DOCS_SCREENSHOT === "1") copyFileSync(path.join(ARTIFACTS, "console.png"), path.join(ROOT, "docs", "console.png"));

    // A guardian can only lower: raising a limit from the page is refused with the reason.
    await click(page, "#batch-clear");
    const row = `.operator[data-operator="${f.bot1.address}"] tr:nth-child(2)`;
    await page.$eval(`${row} input[data-field="cap"]`, (el) => ((el as unknown as { value: string }).value = "2000000"));
    await click(page, `${row} button[data-lower]`);
    await page.waitForSelector("#batch-error");
    expect(await page.$eval("#batch-error", (el) => el.textContent)).to.contain("a guardian can only lower limits");
  });

  it("serves the history as CSV and JSON, and nothing but reads", async function () {
    const csv = await fetch(`${url}/api/events?operator=${f.bot1.address}&event=Withdrawn,WithdrawalQueued&format=csv`);
    expect(csv.headers.get("content-disposition")).to.contain("vault-events.csv");
    const lines = (await csv.text()).trim().split("\n");
    expect(lines).to.have.length(3);
    expect(lines[1]).to.contain("Withdrawn").and.contain(usdt(100_000).toString());
    expect(lines[2]).to.contain("WithdrawalQueued").and.contain(usdt(400_000).toString());
    const bad = await fetch(`${url}/api/events?operator=nope`);
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: string }).error).to.equal("operator: not an address: nope");
    const post = await fetch(`${url}/api/vaults/local/${f.vaultAddr}/tx?a=pause`, { method: "POST" });
    expect(post.status).to.equal(404);
    expect(existsSync(path.join(ARTIFACTS, "console.png"))).to.equal(true);
  });

  it("shows the approvers, the co-signed destinations and, with a co-signed cap, the bound with a stolen approver", async function () {
    const approver = (await ethers.getSigners())[12].address;
    const otc = (await ethers.getSigners())[13].address;
    const a = new AdminTransactions(f.vaultAddr);
    const first = (await f.vault.changeCount()) + 1n;
    for (const tx of [
      a.propose.addApprover({ approver }),
      a.propose.setCosignedCap({ operator: f.bot1.address, token: f.usdtAddr, cosignedCap: usdt(400_000) }),
      a.propose.approveCosignedDestination({ operator: f.bot1.address, destination: otc }),
    ]) await (await f.admin.sendTransaction(tx)).wait();
    await ethers.provider.send("evm_increaseTime", [Number(DAY)]);
    for (let id = first; id < first + 3n; id++) await (await f.vault.connect(f.admin).executeChange(id)).wait();
    await page.waitForFunction(
      (x: string) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector("#approvers")?.textContent?.includes(x),
      { timeout: 10_000 },
      approver,
    );
    expect(await page.$eval(`.operator[data-operator="${f.bot1.address}"] .cosigned-destinations`, (el) => el.textContent)).to.contain(`${otc.slice(0, 6)}…${otc.slice(-4)}`);
    // bot1's USDT with the approver: 400,000 more a window (the vault cap leaves 500,000 above its cap); and all
    // keys (bot2 is suspended, so its cap does not fill the vault cap).
    const withApprover = await page.$$eval("#exposure tr.with-approver", (rows) => rows.map((r) => r.textContent ?? ""));
    expect(withApprover).to.have.length(2);
    expect(withApprover[0]).to.contain("USDT").and.contain("bot1").and.contain("+ approver");
    expect(withApprover[1]).to.contain("USDT").and.contain("all keys + approver");
  });
});
