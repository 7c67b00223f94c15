import { expect } from "chai";
import fs from "fs";
import path from "path";
import * as sdk from "../sdk/rules/constants";

/** The file-level constants of contracts/libraries/Constants.sol, evaluated (`1 hours`, `30 days`, `(1 << 28) - 1`). */
function solidityConstants(): Record<string, bigint> {
  const text = fs.readFileSync(path.join(__dirname, "../contracts/libraries/Constants.sol"), "utf8");
  const out: Record<string, bigint> = {};
  for (const m of text.matchAll(/^uint256 constant (\w+) = ([^;]+);/gm)) {
    const expr = m[2]
      .replace(/(\d+) hours/g, "($1n * 3600n)")
      .replace(/(\d+) days/g, "($1n * 86400n)")
      .replace(/\b(\d+)\b(?!n)/g, "$1n");
    out[m[1]] = (new Function(`return ${expr};`) as () => bigint)();
  }
  return out;
}

describe("the vault's bounds (contracts/libraries/Constants.sol) and the SDK's mirror", () => {
  it("every bound the contract declares has the same value in sdk/rules/constants.ts", () => {
    const sol = solidityConstants();
    expect(Object.keys(sol).sort()).to.deep.equal([
      "GRACE_PERIOD", "MAX_DELAY", "MAX_OPERATORS", "MAX_TOKENS", "MAX_TRIP_COUNT", "MAX_TRIP_PERIOD", "MAX_UNIT_DECIMALS",
      "MAX_WINDOW", "MIN_DELAY", "MIN_GUARDIANS", "MIN_WINDOW",
    ]);
    const mirror = sdk as unknown as Record<string, bigint | number>;
    for (const [name, value] of Object.entries(sol)) expect(BigInt(mirror[name]), name).to.equal(value);
  });

  it("the ranges agree: a queue can hold the largest queue cap of the largest unit", () => {
    const sol = solidityConstants();
    // Every limit is at most 2**36 - 1 units; the pending total is kept in 216 bits of base units.
    expect((2n ** 36n - 1n) * 10n ** sol.MAX_UNIT_DECIMALS).to.be.below(2n ** 216n);
    expect((2n ** 36n - 1n) * 10n ** (sol.MAX_UNIT_DECIMALS + 1n)).to.be.above(2n ** 216n);
  });
});
