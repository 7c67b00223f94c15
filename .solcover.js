module.exports = {
  skipFiles: ["test/"],
  istanbulReporter: ["text", "json-summary", "lcov"],
  // Instrumented bytecode costs more gas, so the gas guard and the per-transaction gas cap tests only run in
  // the plain test run (the staged deployment's logic is covered by the factory's other tests).
  mocha: { grep: "gas guard|per-transaction gas cap", invert: true },
};
