import { HardhatUserConfig, subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import path from "path";
import "./tasks";
import { NetworkSetupError, localhostFromEnv, missingNetworkHint, requestedNetwork, rpcNetworkFromEnv } from "./tasks/network";

// The compiler is the exact `solc` npm package pinned in package.json; Hardhat's own
// compiler download is not used, so builds are reproducible and work offline.
const SOLC_VERSION = "0.8.30";

// `hardhat coverage` instruments the sources and turns the optimizer off; the legacy pipeline
// then gives far leaner code to trace than an unoptimized IR build, so coverage runs use it.
const COVERAGE = process.argv.includes("coverage");

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  const solcPackage = require("solc/package.json") as { version: string };
  if (solcPackage.version !== SOLC_VERSION) {
    throw new Error(`solc npm package is ${solcPackage.version}, config expects ${SOLC_VERSION}`);
  }
  return {
    compilerPath: path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: require("solc").version(),
  };
});

/** The networks: in-process, a local node, and any RPC from the environment (see tasks/network.ts). */
function networks(): NonNullable<HardhatUserConfig["networks"]> {
  try {
    const defined = { ...localhostFromEnv(process.env), ...rpcNetworkFromEnv(process.env) };
    const hint = missingNetworkHint(requestedNetwork(process.argv.slice(2), process.env), ["hardhat", "localhost", ...Object.keys(defined)], process.env);
    if (hint) throw new NetworkSetupError(hint);
    return defined;
  } catch (e) {
    if (!(e instanceof NetworkSetupError)) throw e;
    // One line and the exit code of bad input (2), instead of Hardhat's stack trace for an error in the config.
    process.stderr.write(`Error: ${e.message}\n`);
    process.exit(2);
  }
}

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      viaIR: !COVERAGE,
      // The gas benchmark maps traced storage accesses to the vault's variables.
      outputSelection: { "*": { "*": ["storageLayout"] } },
    },
  },
  networks: {
    hardhat: {
      hardfork: "cancun",
    },
    // localhost at VAULT_LOCALHOST_URL if set; any RPC, only when VAULT_RPC_URL is set: --network vault
    ...networks(),
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS !== "0",
    currency: "USD",
    offline: true,
    noColors: true,
    reportPureAndViewMethods: false,
    excludeContracts: ["contracts/test/"],
  },
  // Coverage builds its instrumented contracts into its own folders, so that it can run beside the plain tests
  // (scripts/test-all.sh) without either run loading the other's artifacts.
  paths: COVERAGE ? { artifacts: ".coverage_artifacts", cache: ".coverage_cache" } : {},
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
    // Coverage runs beside the plain tests (scripts/test-all.sh): its instrumented build must not rewrite the
    // bindings the plain run loads (the tests take bytecode from the artifacts, never from the bindings).
    dontOverrideCompile: COVERAGE,
  },
  mocha: {
    timeout: 120_000,
  },
};

export default config;
