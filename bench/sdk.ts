/**
 * `npm run bench:sdk`: JSON-RPC requests the operator client makes (bench/sdk-requests.ts), printed next
 * to the committed baseline (bench/sdk-baseline.json). `--write-baseline` replaces the baseline with this
 * run's counts.
 */
import fs from "fs";
import path from "path";
import { formatSdkRequests, measureSdkRequests, type SdkRequestFigures } from "./sdk-requests";

export const BASELINE = path.join(__dirname, "sdk-baseline.json");

async function main() {
  const now = await measureSdkRequests();
  if (fs.existsSync(BASELINE)) {
    const baseline = JSON.parse(fs.readFileSync(BASELINE, "utf8")) as { before?: SdkRequestFigures; after: SdkRequestFigures };
    if (baseline.before) console.log(formatSdkRequests("before (the client as first released, from the baseline file)", baseline.before), "\n");
    console.log(formatSdkRequests("baseline (committed)", baseline.after), "\n");
  }
  console.log(formatSdkRequests("this run", now));
  if (process.env.SDK_BENCH_WRITE === "1") {
    const old = fs.existsSync(BASELINE) ? (JSON.parse(fs.readFileSync(BASELINE, "utf8")) as { before?: SdkRequestFigures }) : {};
    fs.writeFileSync(BASELINE, `${JSON.stringify({ before: old.before ?? now, after: now }, null, 2)}\n`);
    console.log(`\nwrote ${path.relative(process.cwd(), BASELINE)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
