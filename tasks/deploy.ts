/**
 * `vault:deploy <config file>`: deploys the config's vault at its deterministic address, or shows how the
 * deployed vault differs from the config, and with `--propose` applies the difference. The work is
 * `syncVault` in the SDK; this file reads and writes files and prints.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import path from "path";
import { task } from "hardhat/config";
import { Contract, type Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { InvalidInputError } from "../sdk/errors/base";
import { requireAddress } from "../sdk/errors/validate";
import type { DeploymentRecord, SyncVaultResult, VaultConfig, VaultConfigDiff } from "../sdk/deploy";
import { DEPLOYMENTS_PARAM, FROM_PARAM, JSON_PARAM, Output, action, deploymentsDir, isDevNetwork, preflightCall, recordPath, signerFor } from "./lib";
import { withKeyParams, type KeyArgs } from "./keys";

export interface DeployArgs extends KeyArgs {
  readonly configFile: string;
  readonly propose?: boolean;
  readonly from?: string;
  readonly deployments?: string;
  readonly json?: boolean;
  /** With --propose and an admin Safe: where to write the Transaction Builder file. */
  readonly batchFile?: string;
  /** With --propose and an admin Safe: the chain's MultiSendCallOnly, to execute several steps at once. */
  readonly multiSend?: string;
  /** Most gas one transaction of the deployment may use (default: EIP-7825's 16777216). */
  readonly maxGas?: string;
}

/** `--max-gas`: a whole number of gas, at least what one step of the deployment needs. */
function parseGasArg(value: string): bigint {
  if (!/^\d+$/.test(value) || BigInt(value) < 1_000_000n) throw new InvalidInputError("maxGas", `expected a whole number of gas of at least 1000000, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

/** What `vault:deploy` did. */
export interface DeployOutcome {
  /**
   * deployed: a new vault; unchanged: nothing to send; differs: steps listed, none sent; applied: steps sent;
   * batched: the admin is a Safe that needs other signatures: its Transaction Builder file written, nothing sent.
   */
  readonly status: "deployed" | "unchanged" | "differs" | "applied" | "batched";
  readonly network: string;
  readonly vault: string;
  readonly recordFile: string;
  readonly wroteRecord: boolean;
  readonly result: SyncVaultResult;
  /** With --propose and an admin Safe: the batch. */
  readonly safeBatch: SafeBatch | null;
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

  const sync = (apply: boolean) =>
    syncVault({
      signer,
      config,
      record,
      ignoreStaleRecord: dev,
      // Only development chains may have code written into them; elsewhere a missing proxy is an error.
      installDeterministicDeployer: dev ? async (address, code) => void (await hre.network.provider.send("hardhat_setCode", [address, code])) : undefined,
      allowMissingTokens: dev,
      maxGasPerTransaction: args.maxGas === undefined ? undefined : parseGasArg(args.maxGas),
      apply,
      onProgress: (m) => out.progress(m),
    });
  let result: SyncVaultResult;
  let safeBatch: SafeBatch | null = null;
  try {
    result = await sync(false);
    if (args.propose && result.status === "exists" && diffHasWork(result.diff)) {
      // An admin that is a contract (a Safe) sends the steps as one batch: the file for its owners, and at once
      // when the signer alone can sign for it.
      if ((await hre.ethers.provider.getCode(result.policy.admin)) !== "0x") {
        safeBatch = await proposeThroughSafe({ hre, args, config, diff: result.diff, safe: result.policy.admin, signer, out });
        if (safeBatch.transactionHash) {
          const before = result;
          const now = await sync(false);
          if (before.status === "exists" && now.status === "exists") result = { ...now, diff: before.diff, applied: [], after: now.diff };
        }
      } else {
        result = await sync(true);
      }
    }
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
    const cosignedDestinations = config.operators.reduce((n, o) => n + o.cosignedDestinations.length, 0);
    const cosignedCaps = config.operators.reduce((n, o) => n + o.limits.filter((l) => l.cosignedCap !== 0n).length, 0);
    const cosigning = config.approvers.length + cosignedDestinations + cosignedCaps
      ? `, ${config.approvers.length} approver(s), ${cosignedDestinations} co-signed destination(s) and ${cosignedCaps} co-signed cap(s)`
      : "";
    out.print(
      [
        `Deployed vault "${config.name}" at ${r.address} on ${hre.network.name} (chain ${r.chainId}), block ${r.blockNumber}, tx ${r.transactionHash}`,
        `  factory:     ${r.factory}${result.factoryDeployed ? " (deployed now, through the deterministic-deployment proxy)" : ""}`,
        ...(result.deterministicDeployerInstalled ? [`  proxy:       ${DETERMINISTIC_DEPLOYER} installed with hardhat_setCode (development network)`] : []),
        `  salt:        ${r.salt} = keccak256(abi.encode(${JSON.stringify(config.name)}, ${JSON.stringify(config.salt)}))`,
        `  config hash: ${r.configHash}`,
        `  record:      ${shownFile}`,
        `Read back and verified against ${args.configFile}: admin, ${config.guardians.length} guardian(s), recovery, window, delays, tripwire, ` +
          `${config.tokens.length} token(s), ${config.operators.length} operator(s) with ${limits} limit(s) and ${destinations} destination(s)${cosigning}.`,
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
  } else if (safeBatch) {
    status = safeBatch.transactionHash ? "applied" : "batched";
    const steps = safeBatch.steps.map((x) => `  - ${x}`);
    if (safeBatch.transactionHash) {
      out.print(
        [
          `Applied ${safeBatch.steps.length} step(s) to "${config.name}" at ${result.vault} through the admin Safe ${safeBatch.safe}, signed by ${signerAddress} ` +
            `(the Safe's only signature needed), in one transaction${safeBatch.steps.length > 1 ? " (a MultiSendCallOnly batch)" : ""}: tx ${safeBatch.transactionHash}`,
          ...steps,
        ].join("\n"),
      );
    } else {
      out.print(
        [
          `The admin of "${config.name}" is the Safe ${safeBatch.safe}${safeBatch.threshold !== null ? ` (${safeBatch.threshold} of ${safeBatch.owners.length} owners)` : ""}: nothing sent; ${safeBatch.reason}.`,
          `These ${safeBatch.steps.length} step(s) are one batch for its owners:`,
          ...steps,
        ].join("\n"),
      );
    }
    out.print(`Transaction Builder file: ${shortPath(safeBatch.file)} (Safe{Wallet}: Apps, Transaction Builder, drop the file in)${safeBatch.safeTxHash ? `; safeTxHash at nonce ${safeBatch.nonce}: ${safeBatch.safeTxHash}` : ""}`);
    const left = result.status === "exists" && result.after && formatVaultDiff(result.after);
    if (left) out.print(`Left to do or to wait for:\n${left}`);
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
    ...(safeBatch ? { safeBatch: { ...safeBatch, file: shortPath(safeBatch.file) } } : {}),
    policy: result.policy,
    warnings: result.tokenProblems,
    risks,
  });
  return { status, network: hre.network.name, vault: result.vault, recordFile, wroteRecord, result, safeBatch };
}

/** What `--propose` did for an admin Safe. */
export interface SafeBatch {
  readonly safe: string;
  readonly steps: readonly string[];
  /** The Transaction Builder file written for the Safe's owners. */
  readonly file: string;
  readonly owners: readonly string[];
  /** Null when the admin contract does not answer as a Safe. */
  readonly threshold: number | null;
  readonly nonce: bigint | null;
  /** The Safe transaction's hash (one call, or the MultiSendCallOnly batch), when it can be built. */
  readonly safeTxHash: string | null;
  /** The transaction that executed the batch, when the signer alone could sign for the Safe. */
  readonly transactionHash: string | null;
  /** Why nothing was sent, when nothing was. */
  readonly reason: string | null;
}

const SAFE_ABI = ["function getOwners() view returns (address[])", "function getThreshold() view returns (uint256)", "function nonce() view returns (uint256)"];

/**
 * Reads and may write the chain: the diff's steps (instant ones, then new proposals) as one batch for the
 * admin Safe. Each is run first with eth_call from the Safe (a step the vault would refuse stops it all,
 * nothing written or sent); then the Transaction Builder file is written and, when the signer is an owner
 * of a 1-of-n Safe, the batch is signed and executed as one transaction (through `--multi-send`, the chain's
 * MultiSendCallOnly, for more than one step).
 */
async function proposeThroughSafe(o: {
  hre: HardhatRuntimeEnvironment;
  args: DeployArgs;
  config: VaultConfig;
  diff: VaultConfigDiff;
  safe: string;
  signer: Signer;
  out: Output;
}): Promise<SafeBatch> {
  const { buildTxBuilderBatch, execSignedSafeTransaction, formatTxBuilderBatch, multiSendTransaction, safeSigningRequest } = await import("../sdk/safe");
  const provider = o.hre.ethers.provider;
  const steps = [
    ...o.diff.instant.map((x) => ({ summary: x.summary, tx: x.tx })),
    ...o.diff.proposals.filter((p) => p.pending === null).map((p) => ({ summary: `propose ${p.summary}`, tx: p.tx })),
  ];
  for (const step of steps) await preflightCall(o.hre, o.safe, step.tx);
  const signerAddress = await o.signer.getAddress();
  const chainId = (await provider.getNetwork()).chainId;
  const transactions = steps.map((x) => x.tx);
  const batch = buildTxBuilderBatch({
    chainId,
    safe: o.safe,
    transactions,
    name: `${o.config.name}: bring the vault to ${path.basename(o.args.configFile)}`,
    description: steps.map((x) => x.summary).join("; "),
    owner: signerAddress,
  });
  const file = o.args.batchFile
    ? path.resolve(o.args.batchFile)
    : path.join(deploymentsDir(o.hre, o.args.deployments), o.hre.network.name, `${o.config.name}.propose-${o.diff.blockNumber}.tx-builder.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, formatTxBuilderBatch(batch));

  const base = { safe: o.safe, steps: steps.map((x) => x.summary), file, transactionHash: null };
  const safe = new Contract(o.safe, SAFE_ABI, provider);
  let owners: string[];
  let threshold: number;
  let nonce: bigint;
  try {
    [owners, threshold, nonce] = await Promise.all([safe.getOwners() as Promise<string[]>, safe.getThreshold().then(Number), safe.nonce() as Promise<bigint>]);
  } catch {
    return { ...base, owners: [], threshold: null, nonce: null, safeTxHash: null, reason: "the admin contract does not answer as a Safe (getOwners, getThreshold)" };
  }
  let multiSend: string | null = null;
  if (o.args.multiSend) {
    multiSend = requireAddress(o.args.multiSend, "multiSend");
    if ((await provider.getCode(multiSend)) === "0x") throw new InvalidInputError("multiSend", `no contract at ${multiSend} on network ${o.hre.network.name} (MultiSendCallOnly)`);
  }
  const tx = steps.length === 1 ? steps[0].tx : multiSend ? multiSendTransaction({ multiSend, transactions }) : null;
  const request = tx ? safeSigningRequest({ chainId, safe: o.safe, nonce, tx }) : null;
  const common = { ...base, owners, threshold, nonce, safeTxHash: request?.safeTxHash ?? null };
  const isOwner = owners.some((x) => x.toLowerCase() === signerAddress.toLowerCase());
  if (!isOwner) return { ...common, reason: `${signerAddress} is not one of its owners` };
  if (threshold > 1) return { ...common, reason: `it needs ${threshold} owners' signatures` };
  if (!request) return { ...common, reason: "pass --multi-send with this chain's MultiSendCallOnly address to send several steps as one Safe transaction" };
  const { EIP712Domain: _domain, ...types } = request.typedData.types;
  const signature = await o.signer.signTypedData(request.typedData.domain, { SafeTx: [...types.SafeTx] }, request.typedData.message);
  const receipt = await o.out.waiting(`executing the batch through the Safe ${o.safe}`, () =>
    execSignedSafeTransaction({ safe: o.safe, safeTx: request.safeTx, signatures: [{ owner: signerAddress, signature }], executor: o.signer }),
  );
  return { ...common, transactionHash: receipt.hash, reason: null };
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
  .addOptionalParam("batchFile", "With --propose and an admin Safe: where to write the Transaction Builder file (default: <deployments>/<network>/<name>.propose-<block>.tx-builder.json)")
  .addOptionalParam("multiSend", "With --propose and an admin Safe: this chain's MultiSendCallOnly address, to execute several steps as one Safe transaction")
  .addOptionalParam("deployments", `${DEPLOYMENTS_PARAM}; the record goes to <folder>/<network>/<name>.json`)
  .addOptionalParam("maxGas", "Most gas one transaction may use: a policy larger than that deploys in several transactions (default: 16777216, EIP-7825)")
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:deploy", runDeploy));
