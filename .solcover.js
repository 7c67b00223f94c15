module.exports = {
  // The vault compiles through the IR pipeline; this keeps instrumented builds within stack limits.
  irMinimum: true,
  skipFiles: ["test/"],
};
