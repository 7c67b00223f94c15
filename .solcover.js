module.exports = {
  skipFiles: ["test/"],
  istanbulReporter: ["text", "json-summary", "lcov"],
  // Instrumented bytecode costs more gas, so the gas guard only runs in the plain test run.
  mocha: { grep: "gas guard", invert: true },
};
