/**
 * Deploys a vault on the in-process network, funded like a market maker's hot treasury, prints its
 * policy and the worst case a stolen operator key could move, then lets a "stolen" key try to drain it.
 *
 *   npm run policy
 */
import { ethers } from "hardhat";
import type { GuardedVault } from "../typechain-types";

const NATIVE = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";
const HOUR = 3600n;
const DAY = 24n * HOUR;

function fmt(amount: bigint, decimals: number): string {
  return Number(ethers.formatUnits(amount, decimals)).toLocaleString("en-US", { maximumFractionDigits: 2 });
}

async function main(): Promise<void> {
  const [admin, guardian, bot1, bot2, exchange, recovery, attacker] = await ethers.getSigners();
  const usdt = await ethers.deployContract("MockUSDT");
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin (mock)", "USDC", 6]);
  const assets = [
    { symbol: "USDT", address: await usdt.getAddress(), decimals: 6, unitDecimals: 4 },
    { symbol: "USDC", address: await usdc.getAddress(), decimals: 6, unitDecimals: 4 },
    { symbol: "ETH", address: NATIVE, decimals: 18, unitDecimals: 12 },
  ];
  const caps: Record<string, { vaultCap: bigint; cap: bigint; instant: bigint; queueCap: bigint }> = {
    USDT: { vaultCap: 1_500_000n * 10n ** 6n, cap: 1_000_000n * 10n ** 6n, instant: 250_000n * 10n ** 6n, queueCap: 5_000_000n * 10n ** 6n },
    USDC: { vaultCap: 1_000_000n * 10n ** 6n, cap: 600_000n * 10n ** 6n, instant: 150_000n * 10n ** 6n, queueCap: 3_000_000n * 10n ** 6n },
    ETH: { vaultCap: 300n * 10n ** 18n, cap: 200n * 10n ** 18n, instant: 50n * 10n ** 18n, queueCap: 1_000n * 10n ** 18n },
  };
  const vault: GuardedVault = await ethers.deployContract("GuardedVault", [
    {
      admin: admin.address,
      guardians: [guardian.address],
      recovery: recovery.address,
      window: DAY,
      changeDelay: DAY,
      withdrawalDelay: DAY,
      tripwireMaxCount: 10,
      tripwirePeriod: 60,
      tokens: assets.map((a) => ({ token: a.address, unitDecimals: a.unitDecimals, vaultCap: caps[a.symbol].vaultCap })),
      limits: [bot1, bot2].flatMap((bot) =>
        assets.map((a) => ({
          operator: bot.address,
          token: a.address,
          cap: caps[a.symbol].cap,
          instantLimit: caps[a.symbol].instant,
          queueCap: caps[a.symbol].queueCap,
        })),
      ),
      destinations: [bot1, bot2].map((bot) => ({ operator: bot.address, destination: exchange.address })),
      tripwireOptOuts: [],
    },
  ]);
  const vaultAddr = await vault.getAddress();
  await usdt.mint(vaultAddr, 18_000_000n * 10n ** 6n);
  await usdc.mint(vaultAddr, 8_000_000n * 10n ** 6n);
  await admin.sendTransaction({ to: vaultAddr, value: 1_500n * 10n ** 18n });

  console.log(`GuardedVault at ${vaultAddr}`);
  const [maxCount, period] = await vault.tripwire();
  console.log(
    `window ${(await vault.window()) / HOUR} h, change delay ${BigInt(await vault.changeDelay()) / HOUR} h, ` +
      `withdrawal delay ${BigInt(await vault.withdrawalDelay()) / HOUR} h, tripwire: > ${maxCount} withdrawals per ${period} s`,
  );
  console.log("\nPolicy (read back from the chain)");
  const rows = [];
  for (const a of assets) {
    const t = await vault.tokenState(a.address);
    for (const bot of [bot1, bot2]) {
      const o = await vault.operatorState(bot.address, a.address);
      const exposure24 = await vault.operatorExposure(bot.address, a.address, DAY);
      rows.push({
        token: a.symbol,
        operator: bot === bot1 ? "bot1" : "bot2",
        "cap / 24h": fmt(o.cap, a.decimals),
        instant: fmt(o.instantLimit, a.decimals),
        "queue cap": fmt(o.queueCap, a.decimals),
        "vault cap / 24h": fmt(t.vaultCap, a.decimals),
        balance: fmt(t.balance, a.decimals),
        "stolen key, 24h": fmt(exposure24.total, a.decimals),
      });
    }
  }
  console.table(rows);

  console.log("\nWorst case for all operator keys together (no guardian action)");
  const totals = [];
  for (const a of assets) {
    const row: Record<string, string> = { token: a.symbol };
    for (const [label, h] of [["1h", HOUR], ["24h", DAY], ["48h", 2n * DAY]] as const) {
      row[label] = fmt((await vault.vaultExposure(a.address, h)).total, a.decimals);
    }
    totals.push(row);
  }
  console.table(totals);

  console.log("\nA stolen bot1 key tries to send USDT to the attacker:");
  const tx = await vault.connect(bot1).withdrawInstant(assets[0].address, attacker.address, 1_000_000n * 10n ** 6n);
  const receipt = await tx.wait();
  const fired = receipt!.logs
    .map((l) => vault.interface.parseLog(l))
    .find((l) => l?.name === "TripwireFired");
  console.log(`  tripwire fired: ${fired ? "yes" : "no"}; bot1 suspended: ${await vault.isSuspended(bot1.address)}`);
  console.log(`  attacker received: ${fmt(await usdt.balanceOf(attacker.address), 6)} USDT`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
