module.exports = {
  // The vault compiles through the IR pipeline; this keeps instrumented builds within stack limits.
  irMinimum: true,
  skipFiles: ["test/"],
  istanbulReporter: ["text", "json-summary", "lcov"],
  // Instrumented bytecode costs more gas, so the gas guard only runs in the plain test run.
  mocha: { grep: "gas guard", invert: true },
};
