/**
 * Gas benchmark: every guard of the vault against a raw transfer and a 1-of-1 Safe.
 *
 *   npm run bench                          # print the tables, write bench/results.json
 *   npm run bench -- --compare <file>      # also print the difference with an earlier results file
 *   npm run bench -- --write-baseline      # also refresh bench/baseline.json (the CI guard's figures)
 */
import fs from "fs";
import path from "path";
import { measure, readGasFile, runtimeSizes, BASELINE_FILE, HOT_PATH_KEYS, Row, SIZE_BASELINE_FILE, VAULT_SIZE_LIMIT } from "../bench/gas";

const RESULTS_FILE = path.join(__dirname, "..", "bench", "results.json");
const TARGET_OVERHEAD = 20_000n;
const TARGET_SAFE_RATIO = 0.65;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fmt(n: bigint): string {
  return n.toLocaleString("en-US");
}

async function main(): Promise<void> {
  const { rows, breakdown, floor, tracedOverhead } = await measure();
  const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
  const raw = (a: Row["asset"]) => byKey[`raw.${a === "ERC20" ? "erc20" : a === "USDT" ? "usdt" : "eth"}`].gas;
  const safe = (a: Row["asset"]) => byKey[`safe.${a === "ERC20" ? "erc20" : a === "USDT" ? "usdt" : "eth"}`].gas;

  console.log("\nGas used, each figure read from a receipt of this run\n");
  console.table(
    rows.map((r) => {
      const out: Record<string, string> = { operation: r.label, gas: fmt(r.gas) };
      if (r.asset && r.key.startsWith("withdraw")) {
        const overhead = r.gas - raw(r.asset);
        const safeOverhead = safe(r.asset) - raw(r.asset);
        out["over raw transfer"] = `+${fmt(overhead)}`;
        out["vs Safe path"] = `${fmt(r.gas - safe(r.asset))}`;
        out["overhead / Safe overhead"] = (Number(overhead) / Number(safeOverhead)).toFixed(2) + "x";
      } else if (r.key.startsWith("safe.")) {
        out["over raw transfer"] = `+${fmt(r.gas - raw(r.asset))}`;
      }
      return out;
    }),
  );

  console.log("Where the overhead of a subsequent ERC-20 withdrawal goes (from a trace of it)\n");
  console.table(breakdown.map((b) => ({ guard: b.guard, gas: fmt(b.gas), how: b.note })));
  console.log(`traced overhead over the raw transfer: ${fmt(tracedOverhead)}`);
  console.log(`floor of this layout (3 cold slots: 1 read + 2 read-modify-writes, cold token account, token address in calldata): ${fmt(floor)}`);
  console.log(`above the floor (execution): ${fmt(tracedOverhead - floor)}\n`);

  console.log("Targets");
  const checks: [string, boolean, string][] = [];
  const next = byKey["withdraw.erc20.next"];
  const nextOverhead = next.gas - raw("ERC20");
  checks.push([`subsequent ERC-20 withdrawal overhead <= ${fmt(TARGET_OVERHEAD)}`, nextOverhead <= TARGET_OVERHEAD, `+${fmt(nextOverhead)}`]);
  for (const r of rows.filter((x) => x.key.startsWith("withdraw") && x.asset)) {
    const overhead = r.gas - raw(r.asset);
    const ratio = Number(overhead) / Number(safe(r.asset) - raw(r.asset));
    checks.push([`${r.label}: cheaper than the Safe path`, r.gas < safe(r.asset), `${fmt(r.gas)} vs ${fmt(safe(r.asset))}`]);
    checks.push([`${r.label}: overhead <= ${TARGET_SAFE_RATIO}x Safe overhead`, ratio <= TARGET_SAFE_RATIO, `${ratio.toFixed(3)}x`]);
  }
  for (const [what, ok, fig] of checks) console.log(`  ${ok ? "met   " : "MISSED"}  ${what}  (${fig})`);

  const sizes = await runtimeSizes();
  const sizeBaseline = readGasFile(SIZE_BASELINE_FILE);
  console.log("\nRuntime code size (bytes; EIP-170 allows 24,576)\n");
  console.table(
    Object.entries(sizes).map(([name, size]) => ({
      contract: name,
      bytes: fmt(size),
      baseline: sizeBaseline[name] === undefined ? "-" : fmt(sizeBaseline[name]),
      "room under EIP-170": fmt(24_576n - size),
    })),
  );
  const vaultSize = sizes.GuardedVault;
  console.log(`  ${vaultSize <= BigInt(VAULT_SIZE_LIMIT) ? "met   " : "MISSED"}  GuardedVault runtime <= ${fmt(BigInt(VAULT_SIZE_LIMIT))} bytes  (${fmt(vaultSize)})`);

  const results = {
    generatedAt: new Date().toISOString(),
    rows: rows.map((r) => ({ key: r.key, label: r.label, gas: r.gas.toString() })),
    breakdown: breakdown.map((b) => ({ guard: b.guard, gas: b.gas.toString() })),
    floor: floor.toString(),
    runtimeSizes: Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, v.toString()])),
  };
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), RESULTS_FILE)}`);

  const compareFile = arg("--compare");
  if (compareFile) {
    const before = readGasFile(compareFile);
    console.log(`\nCompared with ${compareFile}`);
    console.table(
      rows.filter((r) => before[r.key] !== undefined).map((r) => {
        const b = before[r.key];
        const d = r.gas - b;
        return { operation: r.label, before: fmt(b), now: fmt(r.gas), change: `${d >= 0n ? "+" : ""}${fmt(d)}`, "%": ((Number(d) / Number(b)) * 100).toFixed(2) };
      }),
    );
  }
  if (process.argv.includes("--write-baseline")) {
    const baseline = Object.fromEntries(HOT_PATH_KEYS.map((k) => [k, byKey[k].gas.toString()]));
    fs.writeFileSync(BASELINE_FILE, JSON.stringify(baseline, null, 2) + "\n");
    console.log(`wrote ${path.relative(process.cwd(), BASELINE_FILE)}`);
    const sizeOut = Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, v.toString()]));
    fs.writeFileSync(SIZE_BASELINE_FILE, JSON.stringify(sizeOut, null, 2) + "\n");
    console.log(`wrote ${path.relative(process.cwd(), SIZE_BASELINE_FILE)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
