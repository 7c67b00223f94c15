import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, HOUR, NATIVE, POLICY, deployVaultFixture } from "../helpers/fixture";
import { InvalidInputError } from "../../sdk/errors";
import { DEFAULT_HORIZONS, formatAmount, formatExposureTable, readExposure } from "../../sdk/monitor";

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
