/**
 * The CI guard of `npm run bench:sdk`: the operator client's JSON-RPC request counts (not timings) must
 * not exceed the committed baseline (bench/sdk-baseline.json, "after"), and the targets hold outright:
 * one call per withdrawal in steady state, back-to-back withdrawals all land, startup independent of
 * the vault's history.
 */
import { expect } from "chai";
import fs from "fs";
import path from "path";
import { network } from "hardhat";
import { measureSdkRequests, type Count, type SdkRequestFigures } from "../../bench/sdk-requests";

const BASELINE = path.join(__dirname, "../../bench/sdk-baseline.json");

describe("SDK request counts (bench:sdk baseline)", function () {
  this.timeout(300_000);
  let now: SdkRequestFigures;
  let baseline: SdkRequestFigures;

  before(async () => {
    baseline = (JSON.parse(fs.readFileSync(BASELINE, "utf8")) as { after: SdkRequestFigures }).after;
    // The measurement mines a million blocks and deploys vaults: leave the chain as it was for other tests.
    const snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    try {
      now = await measureSdkRequests();
    } finally {
      await network.provider.send("evm_revert", [snapshot]);
    }
  });

  it("no measured operation makes more requests or calls than the committed baseline", () => {
    const rows = Object.entries(baseline).filter(([, v]) => typeof v === "object" && v !== null && "calls" in v) as [keyof SdkRequestFigures, Count][];
    expect(rows.length).to.be.greaterThan(6);
    for (const [key, base] of rows) {
      const c = now[key] as Count;
      expect(c.requests, `${key} HTTP requests`).to.be.at.most(base.requests);
      expect(c.calls, `${key} JSON-RPC calls`).to.be.at.most(base.calls);
      // Bytes vary a little with addresses and timestamps: a tenth more is noise, a history replay is not.
      expect(c.bytes, `${key} bytes`).to.be.at.most(Math.ceil(base.bytes * 1.1));
    }
  });

  it("a withdrawal in steady state is one eth_sendRawTransaction, and back-to-back withdrawals all land", () => {
    expect(now.withdrawSteady).to.deep.include({ requests: 1, calls: 1, methods: { eth_sendRawTransaction: 1 } });
    expect(now.backToBack.succeeded).to.equal(now.backToBack.attempted);
    expect(now.backToBack.firstError).to.equal(null);
  });

  it("startup does not grow with the vault's history: 10,000 events or 1,000,000 blocks cost what a fresh vault does", () => {
    for (const c of [now.create10kEvents, now.create1MBlocks]) {
      expect(c.requests).to.equal(now.create.requests);
      expect(c.methods.eth_getLogs ?? 0).to.be.at.most(1);
      expect(c.bytes).to.be.below(now.create.bytes * 2);
    }
    expect(now.createFromState?.methods.eth_getLogs ?? 0).to.equal(0);
  });
});
