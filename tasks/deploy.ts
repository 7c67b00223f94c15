/**
 * `vault:deploy <config file>`: deploys the config's vault at its deterministic address, or shows how the
 * deployed vault differs from the config, and with `--propose` applies the difference. The work is
 * `syncVault` in the SDK; this file reads and writes files and prints.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import path from "path";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { InvalidInputError } from "../sdk/errors/base";
import type { DeploymentRecord, SyncVaultResult, VaultConfig } from "../sdk/deploy";
import { DEPLOYMENTS_PARAM, FROM_PARAM, JSON_PARAM, Output, action, isDevNetwork, recordPath, signerFor } from "./lib";
import { withKeyParams, type KeyArgs } from "./keys";

export interface DeployArgs extends KeyArgs {
  readonly configFile: string;
  readonly propose?: boolean;
  readonly from?: string;
  readonly deployments?: string;
  readonly json?: boolean;
}

/** What `vault:deploy` did. */
export interface DeployOutcome {
  /** deployed: a new vault; unchanged: nothing to send; differs: steps listed, none sent; applied: steps sent. */
  readonly status: "deployed" | "unchanged" | "differs" | "applied";
  readonly network: string;
  readonly vault: string;
  readonly recordFile: string;
  readonly wroteRecord: boolean;
  readonly result: SyncVaultResult;
}

export async function runDeploy(args: DeployArgs, hre: HardhatRuntimeEnvironment): Promise<DeployOutcome> {
  const { DETERMINISTIC_DEPLOYER, configLabels, diffHasWork, diffIsEmpty, formatVaultDiff, parseDeploymentRecord, parseVaultConfig, syncVault } = await import("../sdk/deploy");
  const { formatVaultStatus } = await import("../sdk/format");
  const out = new Output(args.json ?? false);
  if (typeof args.configFile !== "string" || !args.configFile) throw new InvalidInputError("configFile", "give the path of the vault's config file");
  const file = path.resolve(args.configFile);
  if (!existsSync(file)) throw new InvalidInputError("configFile", `no such file: ${args.configFile}`);
  const config = parseVaultConfig(readFileSync(file, "utf8"), { source: args.configFile });
  const signer = await signerFor(hre, args);
  const signerAddress = await signer.getAddress();
  const recordFile = recordPath(hre, config.name, args.deployments);
  const record = existsSync(recordFile) ? parseDeploymentRecord(JSON.parse(readFileSync(recordFile, "utf8")), recordFile) : null;
  const dev = isDevNetwork(hre);

  let result: SyncVaultResult;
  try {
    result = await syncVault({
      signer,
      config,
      record,
      ignoreStaleRecord: dev,
      // Only development chains may have code written into them; elsewhere a missing proxy is an error.
      installDeterministicDeployer: dev ? async (address, code) => void (await hre.network.provider.send("hardhat_setCode", [address, code])) : undefined,
      allowMissingTokens: dev,
      maxInitCodeSize: (hre.network.config as { allowUnlimitedContractSize?: boolean }).allowUnlimitedContractSize ? Infinity : undefined,
      apply: args.propose ?? false,
      onProgress: (m) => out.progress(m),
    });
  } finally {
    out.done();
  }
  for (const p of result.tokenProblems) out.note(`warning: tokens.${p.symbol}: ${p.message} (development network ${hre.network.name}: going ahead as a dry run)`);

  // The config's names for its addresses go into the record, for the tasks that print the vault later.
  const labels = Object.fromEntries(labelsOf(configLabels(config), config));
  const toWrite: DeploymentRecord = { ...(record && record.address === result.record.address && result.status !== "deployed" ? record : result.record), labels };
  // A new deployment always writes its record (on a restarted development node the address repeats, the block does not).
  const wroteRecord =
    !record || record.address !== result.record.address || result.status === "deployed" || JSON.stringify(record.labels ?? {}) !== JSON.stringify(labels);
  if (wroteRecord) writeRecord(recordFile, toWrite);
  const shownFile = shortPath(recordFile);

  let status: DeployOutcome["status"];
  if (result.status === "deployed") {
    status = "deployed";
    const r = result.record;
    const limits = config.operators.reduce((n, o) => n + o.limits.length, 0);
    const destinations = config.operators.reduce((n, o) => n + o.destinations.length, 0);
    out.print(
      [
        `Deployed vault "${config.name}" at ${r.address} on ${hre.network.name} (chain ${r.chainId}), block ${r.blockNumber}, tx ${r.transactionHash}`,
        `  factory:     ${r.factory}${result.factoryDeployed ? " (deployed now, through the deterministic-deployment proxy)" : ""}`,
        ...(result.deterministicDeployerInstalled ? [`  proxy:       ${DETERMINISTIC_DEPLOYER} installed with hardhat_setCode (development network)`] : []),
        `  salt:        ${r.salt} = keccak256(abi.encode(${JSON.stringify(config.name)}, ${JSON.stringify(config.salt)}))`,
        `  config hash: ${r.configHash}`,
        `  record:      ${shownFile}`,
        `Read back and verified against ${args.configFile}: admin, ${config.guardians.length} guardian(s), recovery, window, delays, tripwire, ` +
          `${config.tokens.length} token(s), ${config.operators.length} operator(s) with ${limits} limit(s) and ${destinations} destination(s).`,
        "",
        formatVaultStatus(
          {
            vault: r.address,
            blockNumber: result.policy.blockNumber,
            timestamp: BigInt(Date.parse(r.deployedAt) / 1000),
            policy: result.policy,
            tokens: config.tokens.map((t) => ({ token: t.token, symbol: t.symbol, decimals: t.decimals })),
            queue: [],
          },
          { labels: labelsOf(configLabels(config), config) },
        ),
      ].join("\n"),
    );
  } else if (result.applied) {
    status = "applied";
    out.print(`Applied ${result.applied.length} step(s) to "${config.name}" at ${result.vault} from ${signerAddress}:`);
    for (const s of result.applied) {
      out.print(s.type === "instant" ? `  - ${s.summary} (tx ${s.transactionHash})` : `  - proposed #${s.id}: ${s.summary}, executable from ${iso(s.eta)} (tx ${s.transactionHash})`);
    }
    const left = result.after && formatVaultDiff(result.after);
    if (left) out.print(`Left to do or to wait for:\n${left}`);
  } else if (!diffHasWork(result.diff)) {
    status = "unchanged";
    if (diffIsEmpty(result.diff)) {
      out.print(`Vault "${config.name}" at ${result.vault} already matches ${args.configFile}: nothing to do, no transaction sent.`);
    } else {
      out.print(`Vault "${config.name}" at ${result.vault} needs nothing new from ${args.configFile} (no transaction sent); under way:\n${formatVaultDiff(result.diff)}`);
    }
  } else {
    status = "differs";
    out.print(`Vault "${config.name}" at ${result.vault} differs from ${args.configFile}. These steps would bring it to the config:`);
    out.print(formatVaultDiff(result.diff));
    out.print(`Nothing was sent. Run again with --propose to send them from ${signerAddress}.`);
  }
  if (wroteRecord && result.status !== "deployed") out.print(`Recorded the vault in ${shownFile}.`);
  // The risk lint, on the policy now in force: balances count once the vault holds funds.
  const { lintRisk } = await import("../sdk/monitor");
  const risks = lintRisk({
    policy: result.policy,
    tokens: config.tokens.map((t) => ({ token: t.token, symbol: t.symbol, decimals: t.decimals })),
    labels: new Map(Object.entries(labels)),
    balancesKnown: result.policy.tokens.some((t) => t.balance > 0n),
  });
  for (const r of risks) out.note(`risk: ${r.message}`);
  out.data({
    status,
    network: hre.network.name,
    vault: result.vault,
    recordFile: shownFile,
    record: toWrite,
    ...(result.status === "exists" ? { diff: result.diff, applied: result.applied, after: result.after } : {}),
    policy: result.policy,
    warnings: result.tokenProblems,
    risks,
  });
  return { status, network: hre.network.name, vault: result.vault, recordFile, wroteRecord, result };
}

function writeRecord(file: string, record: DeploymentRecord): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
}

function labelsOf(labels: Map<string, string>, config: VaultConfig): Map<string, string> {
  // Token addresses label tokens in the config; the status tables name tokens by symbol already.
  for (const t of config.tokens) labels.delete(t.token);
  return labels;
}

/** A path relative to the working directory if it is inside it. */
export const shortPath = (file: string): string => {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
};

const iso = (t: bigint): string => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");

withKeyParams(task("vault:deploy", "Deploy a vault from its config file at its deterministic (CREATE2) address; if it exists, show how it differs from the config, and with --propose apply that"))
  // A positional argument: `--config` is Hardhat's own option (the path of hardhat.config.ts).
  .addOptionalPositionalParam("configFile", "Path of the vault's JSON config (format: config/example.vault.json, schema: config/vault.schema.json)")
  .addFlag("propose", "Send the steps that bring an existing vault to the config: instant safety-increasing ones (the admin or a guardian) and timelocked proposals (the admin)")
  .addOptionalParam("from", FROM_PARAM)
  .addOptionalParam("deployments", `${DEPLOYMENTS_PARAM}; the record goes to <folder>/<network>/<name>.json`)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:deploy", runDeploy));
