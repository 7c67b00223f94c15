import { expect } from "chai";
import { ethers } from "hardhat";
import { takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { KRONOS_LOSS_USD, main } from "../../scripts/demo";
import { vaultLens } from "../helpers/fixture";
import { views } from "../helpers/views";

describe("deploy: npm run demo", () => {
  it("replays the Kronos attack: the stolen key stays within the promised bound, is suspended, and the queue is cancelled", async () => {
    const snapshot = await takeSnapshot();
    try {
      const lines: string[] = [];
      const started = Date.now();
      const outcome = await main({ log: (l) => lines.push(l) });
      expect(Date.now() - started, "the demo must stay short").to.be.below(30_000);
      const output = lines.join("\n");

      // The attacker got something, never more than the bound read from the vault beforehand.
      expect(outcome.attackerGot.USDT).to.be.greaterThan(0n);
      for (const s of ["USDT", "USDC", "ETH"] as const) expect(outcome.attackerGot[s], s).to.be.at.most(outcome.promised[s]);
      expect(outcome.attackerGotUsd).to.be.at.most(outcome.promisedUsd);
      expect(outcome.attackerGotUsd * 10n).to.be.lessThan(outcome.unguardedUsd);
      expect(outcome.unguardedUsd).to.be.within(25_000_000n, 30_000_000n);
      expect(outcome.attackerAddressGot).to.deep.equal({ USDT: 0n, USDC: 0n, ETH: 0n });

      // The response.
      expect(outcome.stolenKeySuspended).to.equal(true);
      expect(outcome.paused).to.equal(true);
      expect(outcome.queuedWithdrawalStatus).to.equal("Cancelled");
      expect(outcome.anomalies).to.include.members(["LargeQueuedWithdrawal", "TripwireFired"]);
      expect(outcome.attempts.map((a) => a.outcome)).to.satisfy((o: string[]) => o.some((x) => x.includes("TRIPWIRE, key suspended")));
      expect(outcome.attempts.at(-1)!.outcome).to.equal("refused: OperatorIsSuspended");

      // The figures are the chain's: the exchange deposit address holds bot1's own payment plus what the attacker moved.
      const vault = await ethers.getContractAt("GuardedVault", outcome.vault);
      const [usdtAddress] = await views.tokens(vault);
      const usdt = await ethers.getContractAt("MockUSDT", usdtAddress);
      const binance = (await ethers.getSigners())[7];
      expect(await usdt.balanceOf(binance.address)).to.equal(250_000n * 10n ** 6n + outcome.attackerGot.USDT);
      expect((await (await vaultLens()).operatorExposure(vault, outcome.stolenKey, usdtAddress, 86_400n)).total).to.equal(0n); // suspended: nothing more can leave

      expect(output).to.include("1. A normal day");
      expect(output).to.include("2. The Kronos replay");
      expect(output).to.include("3. The response");
      expect(output).to.match(/attacker got with the stolen bot1 key\s+700,000\s+600,000\s+160\s+\$1,620,000/);
      expect(output).to.include(`$${KRONOS_LOSS_USD.toLocaleString("en-US")}`);
    } finally {
      await snapshot.restore();
    }
  });
});
