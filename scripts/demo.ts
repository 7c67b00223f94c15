/**
 * `npm run demo`: a market maker's hot treasury (about $30M in USDT, USDC and ETH) in a GuardedVault on the
 * in-process network; a normal day of two trading bots; the Kronos Research attack (November 2023, about
 * $26M drained through stolen API keys) replayed with a stolen bot key; and the response: the tripwire,
 * the watcher, and the guardians' Safe. Every figure printed is read from the chain, except the ETH price
 * used to add up dollars.
 *
 * Everything goes through the SDK: the vault is deployed from a config (`syncVault`), the bots use the
 * `OperatorClient`, the watcher is the `VaultWatcher`, the guardians are a 2-of-3 Safe (`sdk/safe.ts`).
 * The attacker uses the stolen key directly: nothing obliges it to use the SDK's safety checks.
 */
import hre, { ethers, network } from "hardhat";
import { setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, type Signer } from "ethers";
import { AdminClient, ApprovalDeclinedError, ApproverClient, GuardianTransactions, OperatorClient, readOperatorRecord, readWithdrawal } from "../sdk/clients";
import { parseVaultConfig, syncVault } from "../sdk/deploy";
import { toSdkError, type VaultRevertError } from "../sdk/errors";
import { formatTable } from "../sdk/format";
import { VaultWatcher, fetchVaultEvents, formatAmount, readExposure, type Anomaly } from "../sdk/monitor";
import { NATIVE, approvalStruct, statusOf } from "../sdk/rules";
import { deploySafe, execSafeTransaction } from "../sdk/safe";

/** Only for adding up dollars in the final table; every token amount comes from the chain. */
export const ETH_PRICE_USD = 2_000n;
/** Kronos Research's reported loss, November 2023 (the unguarded comparison). */
export const KRONOS_LOSS_USD = 26_000_000n;

const HOUR = 3600;
const SYMBOLS = ["USDT", "USDC", "ETH"] as const;
type Symbol = (typeof SYMBOLS)[number];
type PerToken = Record<Symbol, bigint>;

/** One thing the attacker tried with the stolen key. */
export interface Attempt {
  readonly technique: string;
  readonly outcome: string;
  /** Moved out of the vault by this attempt, per token (base units). */
  readonly moved: PerToken;
}

export interface DemoOutcome {
  readonly vault: string;
  readonly stolenKey: string;
  readonly attempts: readonly Attempt[];
  /** What the stolen key moved out of the vault after the theft (`Withdrawn` events), per token. */
  readonly attackerGot: PerToken;
  readonly attackerGotUsd: bigint;
  /** `operatorExposure(stolen key, token, 24 h).total`, read before the first withdrawal of the day. */
  readonly promised: PerToken;
  readonly promisedUsd: bigint;
  /** The hot treasury at the moment of the theft: what the same key would have lost on a plain hot wallet. */
  readonly unguarded: PerToken;
  readonly unguardedUsd: bigint;
  /** What reached the attacker's own address. */
  readonly attackerAddressGot: PerToken;
  readonly anomalies: readonly Anomaly["kind"][];
  readonly stolenKeySuspended: boolean;
  readonly paused: boolean;
  readonly queuedWithdrawalStatus: string;
  /** The co-signed payment to the OTC desk: its amount and whether it went out in one transaction. */
  readonly otcPayment: { readonly amount: bigint; readonly status: string; readonly blocks: number };
  /** What the attacker's attempt at a co-signed payment came to (the approval service, then a self-signed approval). */
  readonly forgedApproval: { readonly serviceDeclined: boolean; readonly vaultMoves: boolean };
}

const zero = (): PerToken => ({ USDT: 0n, USDC: 0n, ETH: 0n });

export async function main(options: { log?: (line: string) => void } = {}): Promise<DemoOutcome> {
  const log = options.log ?? ((line: string) => console.log(line));
  const [deployer, owner1, owner2, owner3, admin, bot1, bot2, binance, okx, coinbase, recovery, attacker, responder, otcDesk] = await ethers.getSigners();
  // The approver's key lives on its own host (an HSM or KMS key in production; a plain key here).
  const approverKey = new Wallet("0x" + "a9".repeat(32), ethers.provider);
  await setBalance(deployer.address, 10n ** 24n);

  // --- Setup: tokens, the guardian Safe, the vault from its config, the funding --------------------
  const usdt = await ethers.deployContract("MockUSDT");
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin (mock)", "USDC", 6]);
  const safe = await deploySafe({ deployer, owners: [owner1.address, owner2.address, owner3.address], threshold: 2 });
  const safeAddress = await safe.getAddress();
  const token: Record<Symbol, { address: string; decimals: number }> = {
    USDT: { address: await usdt.getAddress(), decimals: 6 },
    USDC: { address: await usdc.getAddress(), decimals: 6 },
    ETH: { address: NATIVE, decimals: 18 },
  };
  const config = parseVaultConfig({
    name: "kronos-demo",
    admin: admin.address,
    // The recommended setup: the guardians' Safe plus a responder key (a vault always has two guardians).
    guardians: [safeAddress, responder.address],
    recovery: recovery.address,
    window: "24h",
    changeDelay: "24h",
    withdrawalDelay: "24h",
    tripwire: { maxCount: 10, period: "60s" },
    tokens: {
      USDT: { address: token.USDT.address, decimals: 6, unitDecimals: 4, vaultCap: "1500000" },
      USDC: { address: token.USDC.address, decimals: 6, unitDecimals: 4, vaultCap: "1000000" },
      ETH: { address: "ETH", decimals: 18, unitDecimals: 12, vaultCap: "300" },
    },
    operators: [
      {
        label: "bot1",
        address: bot1.address,
        caps: {
          USDT: { cap: "1000000", instantLimit: "250000", queueCap: "5000000" },
          USDC: { cap: "600000", instantLimit: "150000", queueCap: "3000000" },
          ETH: { cap: "200", instantLimit: "50", queueCap: "1000" },
        },
        destinations: [
          { label: "Binance deposit", address: binance.address },
          { label: "OKX deposit", address: okx.address },
        ],
      },
      {
        label: "bot2",
        address: bot2.address,
        caps: {
          USDT: { cap: "500000", instantLimit: "100000", queueCap: "2000000" },
          USDC: { cap: "400000", instantLimit: "150000", queueCap: "2000000" },
        },
        destinations: [{ label: "Coinbase deposit", address: coinbase.address }],
      },
    ],
  });
  const labels = new Map<string, string>([
    [bot1.address, "bot1"],
    [bot2.address, "bot2"],
    [binance.address, "Binance deposit"],
    [okx.address, "OKX deposit"],
    [coinbase.address, "Coinbase deposit"],
    [attacker.address, "attacker"],
    [otcDesk.address, "OTC desk"],
  ]);
  const deployed = await syncVault({
    signer: deployer,
    config,
    installDeterministicDeployer: async (address, code) => void (await network.provider.send("hardhat_setCode", [address, code])),
  });
  const vaultAddress = deployed.vault;
  const fromBlock = deployed.record.blockNumber;
  const vault = await ethers.getContractAt("GuardedVault", vaultAddress);
  // Limits, accounting and exposure are read through the stateless lens.
  const lens = await ethers.deployContract("VaultLens");
  await usdt.mint(vaultAddress, 15_000_000n * 10n ** 6n);
  await usdc.mint(vaultAddress, 10_000_000n * 10n ** 6n);
  await deployer.sendTransaction({ to: vaultAddress, value: 2_500n * 10n ** 18n });

  // The co-signer: an approver, an OTC desk bot1 may pay only with an approver's approval, and a co-signed
  // cap of 500,000 USDT a window for bot1: risk-increasing changes, so proposed and executed after 24 h.
  const adminClient = new AdminClient({ vault: vaultAddress, signer: admin });
  const cosignerChanges = [
    await (await adminClient.propose.addApprover({ approver: approverKey.address })).wait(),
    await (await adminClient.propose.approveCosignedDestination({ operator: bot1.address, destination: otcDesk.address })).wait(),
    await (await adminClient.propose.setCosignedCap({ operator: bot1.address, token: token.USDT.address, cosignedCap: 500_000n * 10n ** 6n })).wait(),
  ];
  await time.increaseTo(cosignerChanges[cosignerChanges.length - 1].eta);
  for (const c of cosignerChanges) await (await adminClient.execute(c.id)).wait();
  // The firm's own check: did our treasury system ask for exactly this payment?
  const treasuryRequests = new Set<string>();
  const approvalService = await ApproverClient.create({
    vault: vaultAddress,
    provider: ethers.provider,
    signer: approverKey,
    ttlSeconds: 300,
    check: (r) => treasuryRequests.has(`${r.operator}|${r.token}|${r.to}|${r.amount}`),
  });

  const fmt = (s: Symbol, v: bigint) => `${formatAmount(v, token[s].decimals)} ${s}`;
  const usdOf = (p: PerToken) => p.USDT / 10n ** 6n + p.USDC / 10n ** 6n + (p.ETH * ETH_PRICE_USD) / 10n ** 18n;
  const balances = async (): Promise<PerToken> => {
    const out = zero();
    for (const s of SYMBOLS) out[s] = (await lens.tokenState(vault, token[s].address)).balance;
    return out;
  };
  const treasury = await balances();
  log(`GuardedVault "${config.name}" at ${vaultAddress}, deployed through VaultFactory (CREATE2) with its policy in force`);
  log(`  hot treasury: ${SYMBOLS.map((s) => fmt(s, treasury[s])).join(", ")} (≈ $${formatAmount(usdOf(treasury), 0)} at $${formatAmount(ETH_PRICE_USD, 0)}/ETH)`);
  log(`  guardian: a 2-of-3 Safe ${safeAddress}; admin ${admin.address}; recovery (cold) ${recovery.address}`);
  log(`  bot1 may send to Binance and OKX deposit addresses, bot2 to Coinbase; more than 10 withdrawals a minute trips the tripwire`);
  log(`  bot1 may pay the OTC desk ${otcDesk.address} only with an approver's signature, up to 500,000 USDT a window (approver ${approverKey.address} on its own host)`);

  // The bound, promised before anything happens: read from the vault's own view.
  const report = await readExposure({ provider: ethers.provider, vault: vaultAddress, horizons: [24n * 3600n, 48n * 3600n] });
  const promised = zero();
  for (const s of SYMBOLS) promised[s] = (await lens.operatorExposure(vault, bot1.address, token[s].address, 24 * HOUR)).total;
  log("");
  log("The bound, read from the vault before the day starts: the most each key could move if nobody intervened");
  log(
    formatTable(
      ["token", "key", "within 24 h", "within 48 h"],
      report.tokens.flatMap((t) => [
        ...t.operators
          .filter((o) => o.bounds.some((b) => b.total > 0n))
          .map((o) => [t.symbol, labels.get(o.operator) ?? o.operator, ...o.bounds.map((b) => formatAmount(b.total, t.decimals))]),
        [t.symbol, "all keys", ...t.vault.map((b) => formatAmount(b.total, t.decimals))],
      ]),
      [2, 3],
    ),
  );
  log("(48 h includes what a key could queue now and execute after the 24 h withdrawal delay, in full view of the guardians)");

  // --- 1. A normal day: the bots pay exchange deposit addresses through the SDK ----------------------
  log("");
  log("1. A normal day: the bots withdraw to exchange deposit addresses through the SDK's OperatorClient");
  const clients = {
    bot1: await OperatorClient.create({ vault: vaultAddress, signer: bot1, fromBlock }),
    bot2: await OperatorClient.create({ vault: vaultAddress, signer: bot2, fromBlock }),
  };
  const payments: { bot: "bot1" | "bot2"; s: Symbol; amount: bigint; to: Signer & { address: string } }[] = [
    { bot: "bot1", s: "USDT", amount: 250_000n * 10n ** 6n, to: binance },
    { bot: "bot2", s: "USDC", amount: 150_000n * 10n ** 6n, to: coinbase },
    { bot: "bot1", s: "ETH", amount: 40n * 10n ** 18n, to: okx },
    { bot: "bot2", s: "USDC", amount: 400_000n * 10n ** 6n, to: coinbase },
    { bot: "bot1", s: "USDT", amount: 50_000n * 10n ** 6n, to: okx },
    { bot: "bot2", s: "USDT", amount: 100_000n * 10n ** 6n, to: coinbase },
  ];
  const dayStart = BigInt(await time.latest());
  for (const p of payments) {
    await time.increase(HOUR);
    const client = clients[p.bot];
    await client.refresh();
    const r = await client.withdraw({ token: token[p.s].address, to: p.to.address, amount: p.amount });
    const when = `+${(BigInt(await time.latest()) - dayStart) / 3600n}h`;
    if (!r.sent) {
      const why = r.decision.action === "queue" ? `above its instant limit of ${fmt(p.s, r.decision.instantLimit)}: held back by the SDK (would need the queue)` : `held back: ${r.decision.action === "reject" ? r.decision.error.errorName : ""}`;
      log(`   ${when.padStart(4)}  ${p.bot} ${fmt(p.s, p.amount)} → ${labels.get(p.to.address)}: ${why}`);
      continue;
    }
    const outcome = await r.tx.wait();
    log(`   ${when.padStart(4)}  ${p.bot} ${fmt(p.s, p.amount)} → ${labels.get(p.to.address)}: ${outcome.status}; ${fmt(p.s, client.available(token[p.s].address).operatorAvailable)} left in its window`);
  }

  // A large payment to the OTC desk, above bot1's instant limit: the treasury system asks for it, the
  // approval service checks it with the treasury system and signs, the bot sends it at once.
  await time.increase(HOUR);
  const otcAmount = 400_000n * 10n ** 6n;
  treasuryRequests.add(`${bot1.address}|${token.USDT.address}|${otcDesk.address}|${otcAmount}`);
  await clients.bot1.refresh();
  const otcBlock = await ethers.provider.getBlockNumber();
  const otc = await clients.bot1.withdraw({ token: token.USDT.address, to: otcDesk.address, amount: otcAmount }, { approval: (r) => approvalService.approve({ ...r, requestId: "otc-2023-11-18-1" }) });
  if (!otc.sent) throw new Error(`the OTC payment was held back: ${otc.decision.action === "reject" ? otc.decision.error.message : otc.decision.action}`);
  const otcOutcome = await otc.tx.wait();
  const otcBlocks = (await ethers.provider.getBlockNumber()) - otcBlock;
  log(
    `   ${`+${(BigInt(await time.latest()) - dayStart) / 3600n}h`.padStart(4)}  bot1 ${fmt("USDT", otcAmount)} → OTC desk (above its ${fmt("USDT", 250_000n * 10n ** 6n)} instant limit): ` +
      `the approval service asked the treasury system, signed; ${otcOutcome.status} in ${otcBlocks} block through the ${otc.path === "cosigned" ? "co-signed" : otc.path} path`,
  );

  // --- 2. The Kronos replay: the attacker has bot1's key -------------------------------------------
  const start = await vault.clockStart();
  const edge = start + ((BigInt(await time.latest()) - start) / (8n * 3600n) + 1n) * 8n * 3600n; // next limiter bucket edge
  await time.increaseTo(edge - 600n);
  const unguarded = await balances();
  const theftBlock = (await ethers.provider.getBlockNumber()) + 1;
  const stolen = vault.connect(bot1);
  const watcher = new VaultWatcher({ provider: ethers.provider, vault: vaultAddress, fromBlock: theftBlock, queuedThresholds: { [token.USDT.address]: 1_000_000n * 10n ** 6n } });
  const anomalies: Anomaly[] = [];
  const watch = async () => {
    for (const e of await watcher.poll()) {
      for (const a of e.anomalies) {
        anomalies.push(a);
        if (a.kind === "LargeQueuedWithdrawal") log(`      watcher: LARGE QUEUED WITHDRAWAL #${a.id}: ${fmt("USDT", a.amount)} by ${labels.get(a.operator)}, executable in 24 h → pages the guardians`);
        if (a.kind === "TripwireFired") log(`      watcher: TRIPWIRE FIRED on ${labels.get(a.operator)} (${a.reason}): the key is suspended on-chain`);
      }
    }
  };
  const movedSince = async (block: number): Promise<PerToken> => {
    const out = zero();
    const events = await fetchVaultEvents({ provider: ethers.provider, vault: vaultAddress, fromBlock: block, toBlock: await ethers.provider.getBlockNumber() });
    for (const e of events) {
      if ((e.name === "Withdrawn" || e.name === "WithdrawalExecuted") && e.args.operator === bot1.address) {
        const s = SYMBOLS.find((x) => token[x].address === e.args.token)!;
        out[s] += e.args.amount;
      }
    }
    return out;
  };
  const attempts: Attempt[] = [];
  const attempt = async (technique: string, run: () => Promise<string>) => {
    const block = (await ethers.provider.getBlockNumber()) + 1;
    const outcome = await run();
    const moved = await movedSince(block);
    attempts.push({ technique, outcome, moved });
    const movedText = SYMBOLS.filter((s) => moved[s] > 0n).map((s) => fmt(s, moved[s])).join(", ") || "nothing";
    log(`   - ${technique}: ${outcome}; moved ${movedText}`);
    await watch();
  };
  const refusal = async (send: () => Promise<unknown>): Promise<string> => {
    try {
      await send();
      return "sent";
    } catch (e) {
      const err = toSdkError(e) as VaultRevertError;
      return err.errorName ?? err.name;
    }
  };

  log("");
  log(`2. The Kronos replay: ${formatTime(edge - 600n, dayStart)} the attacker steals bot1's key, and controls the exchange accounts behind its deposit addresses`);
  await attempt("queue a large withdrawal (5,000,000 USDT to the Binance deposit address)", async () => {
    const r = await (await stolen.queueWithdrawal(token.USDT.address, binance.address, 5_000_000n * 10n ** 6n)).wait();
    const q = r!.logs.map((l) => vault.interface.parseLog(l)).find((e) => e?.name === "WithdrawalQueued")!;
    return `queued #${q.args.id}, visible on-chain, executable only ${formatTime(q.args.eta, dayStart)}`;
  });
  let forgedApproval = { serviceDeclined: false, vaultMoves: true };
  await attempt("pay the OTC desk 500,000 USDT co-signed: ask the approval service, or sign an approval with the stolen key", async () => {
    const amount = 500_000n * 10n ** 6n;
    const asked = await approvalService.approve({ operator: bot1.address, token: token.USDT.address, to: otcDesk.address, amount }).catch((e: unknown) => e);
    const serviceDeclined = asked instanceof ApprovalDeclinedError;
    // The stolen key signs the approval itself and presents it as the approver's.
    const forged = await (bot1 as Signer).signTypedData(
      { name: "GuardedVault", version: "1", chainId: (await ethers.provider.getNetwork()).chainId, verifyingContract: vaultAddress },
      { Approval: ["operator", "token", "to"].map((name) => ({ name, type: "address" })).concat(["amount", "withdrawalId", "nonce", "deadline"].map((name) => ({ name, type: "uint256" }))) },
      { operator: bot1.address, token: token.USDT.address, to: otcDesk.address, amount, withdrawalId: 0n, nonce: 1n, deadline: 2n ** 40n },
    );
    const approval = approvalStruct({ approver: approverKey.address, nonce: 1n, deadline: 2n ** 40n, signature: forged });
    // What the vault does with it, read with eth_call: `false` means the tripwire fires and suspends the key.
    const moves = await stolen.withdrawCosigned.staticCall(token.USDT.address, otcDesk.address, amount, approval);
    forgedApproval = { serviceDeclined, vaultMoves: moves };
    return `${serviceDeclined ? "the service declined (the treasury system never asked for it)" : "the service signed"}; ` +
      `a self-signed approval does not verify: ${moves ? "it would move" : "the vault would trip the tripwire (InvalidApproval) and suspend the key"}`;
  });
  await attempt("boundary racing, part 1: take all the window allows just before a limiter edge, in chunks under the instant limit", async () => {
    let sent = 0;
    for (const s of SYMBOLS) {
      for (;;) {
        const available = await lens.availableNow(vault, bot1.address, token[s].address);
        if (available === 0n) break;
        await (await stolen.withdrawInstant(token[s].address, binance.address, available)).wait();
        sent++;
      }
    }
    return `${sent} withdrawals, every one within the caps`;
  });
  await time.setNextBlockTimestamp(edge + 1n);
  await attempt(`boundary racing, part 2: retry right after the edge (${formatTime(edge + 1n, dayStart)}), where a daily limit would have reset`, async () => {
    const r = await (await stolen.withdrawInstant(token.USDT.address, binance.address, 250_000n * 10n ** 6n)).wait();
    const fired = r!.logs.map((l) => vault.interface.parseLog(l)).find((e) => e?.name === "TripwireFired");
    return fired ? "the cap still counts the last 24 h: TRIPWIRE, key suspended" : "went through";
  });
  await attempt("many small withdrawals (30 × 10,000 USDT within a minute)", async () => {
    const refusals = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const why = await refusal(() => stolen.withdrawInstant(token.USDT.address, binance.address, 10_000n * 10n ** 6n));
      refusals.set(why, (refusals.get(why) ?? 0) + 1);
    }
    return [...refusals].map(([why, n]) => `${n} × ${why}`).join(", ");
  });
  await attempt("drain to its own address (all the USDT)", async () => `refused: ${await refusal(async () => stolen.withdrawInstant(token.USDT.address, attacker.address, (await lens.tokenState(vault, token.USDT.address)).balance))}`);

  // --- 3. The response: the guardians' Safe cancels the queued withdrawal and pauses ---------------
  await time.increase(20 * 60);
  log("");
  log(`3. The response, ${formatTime(BigInt(await time.latest()), dayStart)}: two of the three guardian Safe owners sign`);
  const g = new GuardianTransactions(vaultAddress);
  const queuedId = (anomalies.find((a) => a.kind === "LargeQueuedWithdrawal") as Extract<Anomaly, { kind: "LargeQueuedWithdrawal" }> | undefined)?.id ?? 1n;
  await execSafeTransaction({ safe, tx: g.cancelWithdrawal(queuedId), owners: [owner1, owner3] });
  log(`   - Safe: cancelWithdrawal(${queuedId}) → ${statusOf((await readWithdrawal(vault, queuedId)).status)}`);
  await execSafeTransaction({ safe, tx: g.pause(), owners: [owner2, owner3] });
  log(`   - Safe: pause() → paused: ${await vault.paused()}; bot1 suspended: ${(await readOperatorRecord(vault, bot1.address)).suspended}`);
  await time.increase(24 * HOUR);
  const late = await refusal(() => stolen.executeWithdrawal(queuedId));
  log(`   - a day later the attacker tries to execute #${queuedId}: refused (${late})`);

  // --- The outcome ------------------------------------------------------------------------------
  const attackerGot = await movedSince(theftBlock);
  const attackerAddressGot = zero();
  attackerAddressGot.USDT = await usdt.balanceOf(attacker.address);
  attackerAddressGot.USDC = await usdc.balanceOf(attacker.address);
  const outcome: DemoOutcome = {
    vault: vaultAddress,
    stolenKey: bot1.address,
    attempts,
    attackerGot,
    attackerGotUsd: usdOf(attackerGot),
    promised,
    promisedUsd: usdOf(promised),
    unguarded,
    unguardedUsd: usdOf(unguarded),
    attackerAddressGot,
    anomalies: anomalies.map((a) => a.kind),
    stolenKeySuspended: (await readOperatorRecord(vault, bot1.address)).suspended,
    paused: await vault.paused(),
    queuedWithdrawalStatus: statusOf((await readWithdrawal(vault, queuedId)).status),
    otcPayment: { amount: otcAmount, status: otcOutcome.status, blocks: otcBlocks },
    forgedApproval,
  };
  const row = (label: string, p: PerToken | null, usd: bigint) => [label, ...SYMBOLS.map((s) => (p ? formatAmount(p[s], token[s].decimals) : "")), `$${formatAmount(usd, 0)}`];
  log("");
  log(`What the stolen key got, against the bound and an unguarded hot wallet (dollars at $${formatAmount(ETH_PRICE_USD, 0)}/ETH)`);
  log(
    formatTable(
      ["", ...SYMBOLS, "≈ USD"],
      [
        row("attacker got with the stolen bot1 key", attackerGot, outcome.attackerGotUsd),
        row("bound the vault promised beforehand (24 h)", promised, outcome.promisedUsd),
        row("same key on an unguarded hot wallet", unguarded, outcome.unguardedUsd),
        row("Kronos Research, Nov 2023 (reported)", null, KRONOS_LOSS_USD),
      ],
      [1, 2, 3, 4],
    ),
  );
  log(
    `The stolen key moved ${pct(outcome.attackerGotUsd, outcome.unguardedUsd)} of the treasury, all of it to approved exchange deposit addresses and none ` +
      `to the attacker's own address. Together with bot1's own withdrawals earlier that day it stayed within bot1's caps; ` +
      `the queued ${fmt("USDT", 5_000_000n * 10n ** 6n)} never moved, and the rest of the treasury is paused.`,
  );
  return outcome;
}

/** "at +7h50m": time since the start of the day. */
function formatTime(t: bigint, dayStart: bigint): string {
  const minutes = Number(t - dayStart) / 60;
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes - h * 60);
  return `at +${h}h${m ? String(m).padStart(2, "0") + "m" : ""}`;
}

const pct = (part: bigint, whole: bigint): string => `${(Number((part * 10_000n) / (whole === 0n ? 1n : whole)) / 100).toFixed(2)}%`;

if (require.main === module) {
  const started = Date.now();
  main()
    .then(() => console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s on the in-process network: ${hre.network.name})`))
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
}
