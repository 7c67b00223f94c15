import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { ChangeKind, DAY, HOUR, NATIVE, POLICY, deployVaultFixture, encodeChange, proposeOnly, usdt as usdtAmount } from "../helpers/fixture";
import { InvalidInputError } from "../../sdk/errors";
import { DEFAULT_HORIZONS, formatAmount, formatExposureTable, readExposure } from "../../sdk/monitor";
import { ApproverClient, AdminClient, readOperatorState } from "../../sdk/clients";
import { connectGuardedVault } from "../../sdk/abi";
import { approvalStruct } from "../../sdk/rules";

/** The fixture's vault with an approver, co-signed caps for both bots in USDT (bot1 400,000, bot2 100,000) and an OTC desk co-signed only for bot1. */
async function cosignedFixture() {
  const f = await deployVaultFixture();
  const approverKey = new Wallet("0x" + "5b".repeat(32), ethers.provider);
  const otc = (await ethers.getSigners())[17].address;
  const ids = [
    await proposeOnly(f.vault, f.admin, ChangeKind.AddApprover, encodeChange.address(approverKey.address)),
    await proposeOnly(f.vault, f.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, f.usdtAddr, usdtAmount(400_000))),
    await proposeOnly(f.vault, f.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot2.address, f.usdtAddr, usdtAmount(100_000))),
    await proposeOnly(f.vault, f.admin, ChangeKind.ApproveCosignedDestination, encodeChange.approveDestination(f.bot1.address, otc)),
  ];
  await time.increase(await f.vault.changeDelay());
  for (const id of ids) await f.vault.connect(f.admin).executeChange(id);
  const approver = await ApproverClient.create({ vault: f.vaultAddr, provider: ethers.provider, signer: approverKey, check: async () => true });
  return { ...f, approver, otc };
}

describe("SDK exposure", () => {
  it("reads every operator's and the vault's bound per token and horizon from the vault's views", async () => {
    const f = await loadFixture(deployVaultFixture);
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, 300_000n * 10n ** 6n);
    const report = await readExposure({ provider: ethers.provider, vault: f.vaultAddr });
    expect(report.horizons).to.deep.equal([HOUR, DAY, 2n * DAY]);
    expect(report.horizons).to.equal(DEFAULT_HORIZONS);
    expect(report.blockNumber).to.equal(await ethers.provider.getBlockNumber());
    expect(report.tokens.map((t) => [t.token, t.symbol, t.decimals])).to.deep.equal([
      [f.usdtAddr, "USDT", 6],
      [f.daiAddr, "DAI", 18],
      [NATIVE, "ETH", 18],
    ]);
    for (const t of report.tokens) {
      expect(t.operators.map((o) => o.operator)).to.deep.equal([f.bot1.address, f.bot2.address]);
      for (const o of t.operators) {
        for (const b of o.bounds) {
          const onChain = await f.lens.operatorExposure(f.vault, o.operator, t.token, b.horizon);
          expect([b.instant, b.queued, b.total]).to.deep.equal([onChain.instant, onChain.queued, onChain.total]);
        }
      }
      for (const b of t.vault) {
        const onChain = await f.lens.vaultExposure(f.vault, t.token, b.horizon);
        expect([b.instant, b.queued, b.total]).to.deep.equal([onChain.instant, onChain.queued, onChain.total]);
      }
    }
    // The README's formula for bot1's USDT over [now, now + 24 h]: two windows of its cap, what it already
    // had queued, and one queue cap (queued now, executed at the last second).
    const usdt = report.tokens[0];
    expect(usdt.operators[0].bounds[1].total).to.equal(2n * POLICY.usdt.cap + 300_000n * 10n ** 6n + POLICY.usdt.queueCap);
  });

  it("with co-signed caps: the co-signed bound and the bound with an approver equal the lens's, and so do the operators' co-signed figures after co-signed withdrawals", async () => {
    const f = await loadFixture(cosignedFixture);
    // Two co-signed withdrawals by bot1 (above its instant limit, and to the co-signed desk) and one by bot2.
    const payments = [
      [f.bot1, f.exchange.address, usdtAmount(300_000)],
      [f.bot1, f.otc, usdtAmount(40_000)],
      [f.bot2, f.exchange2.address, usdtAmount(60_000)],
    ] as const;
    for (const [bot, to, amount] of payments) {
      const a = await f.approver.approve({ operator: bot.address, token: f.usdtAddr, to, amount });
      await expect(f.vault.connect(bot).withdrawCosigned(f.usdtAddr, to, amount, approvalStruct(a))).to.emit(f.vault, "Withdrawn");
    }
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdtAmount(100_000));
    const vault = connectGuardedVault(f.vaultAddr, ethers.provider);
    for (const bot of [f.bot1, f.bot2]) {
      for (const token of [f.usdtAddr, f.daiAddr, NATIVE]) {
        const sdk = await readOperatorState(vault, bot.address, token);
        const lens = await f.lens.operatorState(f.vault, bot.address, token);
        expect([sdk.cosignedCap, sdk.cosignedUsed, sdk.cosignedAvailable, sdk.used]).to.deep.equal([lens.cosignedCap, lens.cosignedUsed, lens.cosignedAvailable, lens.used]);
      }
    }
    const bot1 = await readOperatorState(vault, f.bot1.address, f.usdtAddr);
    expect([bot1.cosignedCap, bot1.cosignedUsed, bot1.cosignedAvailable]).to.deep.equal([usdtAmount(400_000), usdtAmount(340_000), usdtAmount(60_000)]);
    // The policy read for the status view carries them too.
    const policy = await new AdminClient({ vault: f.vaultAddr, provider: ethers.provider }).readPolicy({ fromBlock: 0 });
    const row = policy.operators.find((o) => o.operator === f.bot1.address)!.limits.find((l) => l.token === f.usdtAddr)!;
    expect([row.cosignedCap, row.cosignedUsed, row.cosignedAvailable]).to.deep.equal([bot1.cosignedCap, bot1.cosignedUsed, bot1.cosignedAvailable]);
    expect(policy.approvers).to.deep.equal([f.approver.approver]);
    expect(policy.operators.find((o) => o.operator === f.bot1.address)!.cosignedDestinations).to.deep.equal([f.otc]);

    const horizons = [HOUR, DAY, 2n * DAY, 40n * DAY];
    const report = await readExposure({ provider: ethers.provider, vault: f.vaultAddr, horizons });
    const fields = (b: { instant: bigint; queued: bigint; total: bigint; cosigned: bigint; totalWithApprover: bigint }) => [b.instant, b.queued, b.total, b.cosigned, b.totalWithApprover];
    for (const t of report.tokens) {
      for (const o of t.operators) {
        for (const b of o.bounds) expect(fields(b), `${t.symbol} ${o.operator} ${b.horizon}`).to.deep.equal(fields(await f.lens.operatorExposure(f.vault, o.operator, t.token, b.horizon)));
      }
      for (const b of t.vault) expect(fields(b), `${t.symbol} all ${b.horizon}`).to.deep.equal(fields(await f.lens.vaultExposure(f.vault, t.token, b.horizon)));
    }
    // The README's line for bot1's USDT over 24 h: min(cosignedCap, vaultCap - min(cap, vaultCap)) per window,
    // two windows: min(400,000, 500,000) * 2; all keys: the vault cap leaves 500,000 a window over the caps.
    const usdt = report.tokens[0];
    expect(usdt.operators[0].bounds[1].cosigned).to.equal(usdtAmount(800_000));
    expect(usdt.operators[0].bounds[1].totalWithApprover).to.equal(usdt.operators[0].bounds[1].total + usdtAmount(800_000));
    expect(usdt.vault[1].cosigned).to.equal(usdtAmount(0)); // both caps together already reach the vault cap
    expect(usdt.operators[1].bounds[1].cosigned).to.equal(usdtAmount(200_000));
    // Capped by the balance over a long horizon.
    expect(usdt.operators[0].bounds[3].totalWithApprover).to.equal(await f.usdtToken.balanceOf(f.vaultAddr));
    expect(report.tokens[1].operators[0].bounds.every((b) => b.cosigned === 0n && b.totalWithApprover === b.total)).to.equal(true);

    const lines = formatExposureTable(report).split("\n");
    const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
    expect(lines.find((l) => l.includes(`${short(f.bot1.address)} + approver`))!.split(/\s{2,}/)).to.deep.equal([
      "USDT",
      `${short(f.bot1.address)} + approver`,
      ...usdt.operators[0].bounds.map((b) => formatAmount(b.totalWithApprover, 6)),
    ]);
    expect(lines.some((l) => l.includes("all keys + approver"))).to.equal(false); // nothing added vault-wide
    expect(lines.some((l) => l.startsWith("DAI") && l.includes("+ approver"))).to.equal(false);

    // With bot2's cap lowered to 200,000 the instant caps leave 300,000 of the vault cap a window to the co-signed paths.
    await f.vault.connect(f.guardian).lowerOperatorLimits({ operator: f.bot2.address, token: f.usdtAddr, cap: usdtAmount(200_000), instantLimit: usdtAmount(200_000), queueCap: POLICY.usdt.queueCap });
    const lowered = await readExposure({ provider: ethers.provider, vault: f.vaultAddr, horizons });
    for (const b of lowered.tokens[0].vault) expect(fields(b)).to.deep.equal(fields(await f.lens.vaultExposure(f.vault, f.usdtAddr, b.horizon)));
    expect(lowered.tokens[0].vault[1].cosigned).to.equal(usdtAmount(600_000));
    expect(formatExposureTable(lowered)).to.include("all keys + approver");
  });

  it("prints a table of the totals in whole tokens", async () => {
    const f = await loadFixture(deployVaultFixture);
    const report = await readExposure({ provider: ethers.provider, vault: f.vaultAddr });
    const table = formatExposureTable(report);
    const lines = table.split("\n");
    expect(lines[0]).to.equal(`Worst case a stolen key moves if nobody intervenes (vault ${f.vaultAddr}, block ${report.blockNumber})`);
    expect(lines[1].split(/\s+/)).to.deep.equal(["token", "operator", "1h", "24h", "48h"]);
    const row = (symbol: string, who: string) => lines.find((l) => l.startsWith(symbol) && l.includes(who))!.split(/\s{2,}/);
    const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
    // [now, now + h]: 1 h, one window of the cap; 24 h, two windows plus one queue cap (queued now, executed
    // at the last second); 48 h, three windows plus two queue caps.
    expect(row("USDT", short(f.bot1.address))).to.deep.equal(["USDT", short(f.bot1.address), "1,000,000", "7,000,000", "13,000,000"]);
    // All keys: the vault-wide cap per window plus both queue caps per delay, capped by the balance (20M).
    expect(row("USDT", "all keys")).to.deep.equal(["USDT", "all keys", "1,500,000", "13,000,000", "20,000,000"]);
    expect(row("ETH", "all keys")).to.deep.equal(["ETH", "all keys", "300", "2,600", "3,000"]);
    expect(lines.length).to.equal(3 + 3 * 3);
  });

  it("takes horizons and token metadata from the caller; rejects bad horizons before any network call", async () => {
    const f = await loadFixture(deployVaultFixture);
    const report = await readExposure({
      provider: ethers.provider,
      vault: f.vaultAddr,
      horizons: [90n],
      tokenInfo: { [f.usdtAddr.toLowerCase()]: { symbol: "T", decimals: 0 } },
    });
    expect(report.tokens[0].symbol).to.equal("T");
    expect(report.tokens[0].vault[0].horizon).to.equal(90n);
    expect(formatExposureTable(report).split("\n")[1].split(/\s+/)).to.deep.equal(["token", "operator", "90s"]);
    await expect(readExposure({ provider: ethers.provider, vault: f.vaultAddr, horizons: [] })).to.be.rejectedWith(InvalidInputError, /horizons/);
    await expect(readExposure({ provider: ethers.provider, vault: f.vaultAddr, horizons: [0n] })).to.be.rejectedWith(InvalidInputError);
    await expect(readExposure({ provider: ethers.provider, vault: "0xbad" })).to.be.rejectedWith(InvalidInputError, /vault/);
  });

  it("formats amounts exactly, without floating point", () => {
    expect(formatAmount(1234567890123456789012345n, 18)).to.equal("1,234,567.890123456789012345");
    expect(formatAmount(10n ** 6n, 6)).to.equal("1");
    expect(formatAmount(5n, 0)).to.equal("5");
    expect(formatAmount(0n, 6)).to.equal("0");
  });
});
