#!/usr/bin/env node
// Fails unless every production contract has 100% line and branch coverage.
// Reads coverage/coverage-summary.json written by `hardhat coverage`.
const fs = require("fs");
const path = require("path");

const file = path.join(__dirname, "..", "coverage", "coverage-summary.json");
const summary = JSON.parse(fs.readFileSync(file, "utf8"));
const REQUIRED = 100;
let failed = false;
for (const [source, metrics] of Object.entries(summary)) {
  if (source === "total" || source.includes(`${path.sep}contracts${path.sep}test${path.sep}`)) continue;
  const name = path.relative(path.join(__dirname, ".."), source);
  for (const kind of ["lines", "branches"]) {
    const { pct, covered, total } = metrics[kind];
    const ok = total === 0 || pct >= REQUIRED;
    console.log(`${ok ? "ok  " : "FAIL"} ${name} ${kind}: ${covered}/${total} (${pct}%)`);
    if (!ok) failed = true;
  }
}
if (failed) {
  console.error(`coverage gate: production contracts must have ${REQUIRED}% of lines and branches covered`);
  process.exit(1);
}
console.log("coverage gate: passed");
