import { HardhatUserConfig, subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import path from "path";
import "./tasks";
import { rpcNetworkFromEnv } from "./tasks/network";

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
    // Any RPC, only when VAULT_RPC_URL is set (see tasks/network.ts): --network vault
    ...rpcNetworkFromEnv(process.env),
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS !== "0",
    currency: "USD",
    offline: true,
    noColors: true,
    reportPureAndViewMethods: false,
    excludeContracts: ["contracts/test/"],
  },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
  },
  mocha: {
    timeout: 120_000,
  },
};

export default config;
