import { expect } from "chai";
import { BASELINE_FILE, HOT_PATH_KEYS, measure, readGasFile, regressions, runtimeSizes, SIZED_CONTRACTS, SIZE_BASELINE_FILE, VAULT_SIZE_LIMIT } from "../bench/gas";

describe("gas guard", () => {
  it("no hot-path figure grew more than 2% over bench/baseline.json", async () => {
    const baseline = readGasFile(BASELINE_FILE);
    expect(Object.keys(baseline).sort()).to.deep.equal([...HOT_PATH_KEYS].sort());
    const { rows } = await measure({ hotPathOnly: true });
    const current = Object.fromEntries(rows.map((r) => [r.key, r.gas]));
    const grown = regressions(current, baseline);
    expect(grown, grown.map((g) => `${g.key}: ${g.baseline} -> ${g.current}`).join("; ")).to.deep.equal([]);
  });

  it("no runtime size grew over bench/size-baseline.json, and the vault stays within its size limit", async () => {
    const baseline = readGasFile(SIZE_BASELINE_FILE);
    expect(Object.keys(baseline).sort()).to.deep.equal([...SIZED_CONTRACTS].sort());
    const sizes = await runtimeSizes();
    const grown = regressions(sizes, baseline, 0);
    expect(grown, grown.map((g) => `${g.key}: ${g.baseline} -> ${g.current} bytes`).join("; ")).to.deep.equal([]);
    expect(Number(sizes.GuardedVault)).to.be.at.most(VAULT_SIZE_LIMIT);
  });

  it("catches a figure 2% and one gas above its baseline, and lets exactly 2% through", () => {
    const baseline = { "withdraw.erc20.next": 50_000n, queue: 100_000n };
    expect(regressions({ "withdraw.erc20.next": 51_000n, queue: 100_000n }, baseline)).to.deep.equal([]);
    expect(regressions({ "withdraw.erc20.next": 51_001n, queue: 99_000n }, baseline)).to.deep.equal([
      { key: "withdraw.erc20.next", baseline: 50_000n, current: 51_001n },
    ]);
  });

  it("refuses to pass when a baseline row was not measured", () => {
    expect(() => regressions({}, { queue: 1n })).to.throw(/no measurement for baseline row queue/);
  });
});
