/**
 * Deterministic deployment of a vault from a config, and reconciling a deployed vault with its config.
 *
 * - The `VaultFactory` sits at the same address on every chain: it is deployed with CREATE2 through the
 *   canonical deterministic-deployment proxy (`DETERMINISTIC_DEPLOYER`) with a fixed salt, so its address
 *   depends only on its creation code (which embeds the vault's).
 * - A vault is deployed by the factory with the salt `deploymentSalt(config)` (from the config's `name` and
 *   `salt`, mixed with `configHash(config)` for CREATE2) and the init code `creation code ++ header` (the
 *   fixed-size settings); the rest of the policy follows as hash-chained steps, in as many transactions as the
 *   gas cap needs (`planVaultDeployment`, see `./staging.ts`). Until the last step the vault is paused and
 *   has no admin and no guardians.
 * - `diffVaultConfig` compares a deployed vault's policy with a config and plans what would make them
 *   equal: safety-increasing steps as instant calls, risk-increasing ones as timelocked proposals (already
 *   pending proposals are recognised, so applying twice proposes nothing new).
 * - `syncVault` does all of it: deploy if there is no vault yet (and verify it against the config), otherwise
 *   report the difference and, if asked, apply it.
 */
import { AbiCoder, ZeroAddress, ZeroHash, concat, getAddress, getCreate2Address, id, keccak256, zeroPadValue, type Provider, type Signer, type TransactionReceipt } from "ethers";
import { connectErc20, connectVaultFactory, guardedVaultBytecode, guardedVaultRuntimeSize, vaultFactoryBytecode, vaultFactoryInterface } from "../abi";
import { AdminClient, AdminTransactions, type ChangeInfo, type VaultPolicy } from "../clients/admin";
import { encodeChange, type ChangeParams } from "../rules/changes";
import { configLabels, deploymentSalt, formatDuration, type VaultConfig } from "./config";
import { configHash, deployGasBound, encodeVaultHeader, initialPolicySteps, planBatches, stepLinks, type ConfigBatch, type ConfigStep } from "./staging";
import { NATIVE } from "../rules/constants";
import { findDeploymentBlock } from "./deployment";
import { InvalidInputError, VaultSdkError } from "../errors/base";
import { formatAmount } from "../monitor/exposure";
import { GuardianTransactions, type LowerOperatorLimits } from "../clients/guardian";
import { asReceipt, providerOf, read, send, type UnsignedTransaction } from "../clients/transport";

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** The canonical deterministic-deployment proxy (Arachnid's CREATE2 deployer), on most EVM chains. */
export const DETERMINISTIC_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C";
/** Its runtime code: calldata is `salt (32 bytes) ++ init code`; it CREATE2s and returns the 20-byte address. */
export const DETERMINISTIC_DEPLOYER_CODE =
  "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";
/** The salt the factory is deployed with through the proxy. Changing it moves the factory everywhere. */
export const FACTORY_SALT = id("guarded-treasury-vault/VaultFactory/v1");
/** EIP-3860: most init code a contract creation may carry. */
export const MAX_INIT_CODE_SIZE = 49_152;


// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A deployment or reconciliation could not go ahead; the message says why and what to do. */
export class DeploymentError extends VaultSdkError {}

/** The deterministic-deployment proxy is not on this chain (and may not be installed here). */
export class DeterministicDeployerMissingError extends DeploymentError {
  readonly chainId: bigint;
  constructor(chainId: bigint) {
    super(
      `the deterministic-deployment proxy ${DETERMINISTIC_DEPLOYER} is not deployed on chain ${chainId}; ` +
        "deploy it first (see github.com/Arachnid/deterministic-deployment-proxy: fund 0x3fab184622dc19b6109349b94811493bf2a45362 " +
        "and broadcast its pre-signed transaction), or ask the chain's operators to predeploy it",
    );
    this.chainId = chainId;
  }
}

/** Settings that cannot change after deployment differ between the vault and the config. */
export class ImmutableSettingError extends DeploymentError {
  readonly settings: readonly { readonly field: string; readonly onChain: string; readonly config: string }[];
  constructor(vault: string, settings: ImmutableSettingError["settings"]) {
    super(
      [
        `vault ${vault} cannot be brought to this config: these settings are fixed at deployment`,
        ...settings.map((s) => `  ${s.field}: ${s.onChain} on-chain, ${s.config} in the config`),
        "  deploy a new vault instead (change `salt` in the config)",
      ].join("\n"),
    );
    this.settings = settings;
  }
}

/** A token in the config has no contract on this chain, or its `decimals()` differ from the config. */
export class TokenCheckError extends DeploymentError {
  readonly problems: readonly TokenProblem[];
  constructor(problems: readonly TokenProblem[]) {
    super(["tokens do not match the config:", ...problems.map((p) => `  tokens.${p.symbol}: ${p.message}`)].join("\n"));
    this.problems = problems;
  }
}

/** After deploying, the vault's on-chain state does not match the config. */
export class DeploymentVerificationError extends DeploymentError {
  readonly mismatches: readonly string[];
  constructor(vault: string, mismatches: readonly string[]) {
    super([`vault ${vault} does not match its config after deployment:`, ...mismatches.map((m) => `  ${m}`)].join("\n"));
    this.mismatches = mismatches;
  }
}

/** The signer may not send some of the planned steps; nothing was sent. */
export class MissingRoleError extends DeploymentError {
  readonly signer: string;
  readonly refused: readonly string[];
  constructor(signer: string, refused: readonly string[]) {
    super(
      [
        `signer ${signer} may not send ${refused.length} of the planned steps (nothing was sent):`,
        ...refused.map((r) => `  ${r}`),
        "  use the admin's or a guardian's key, or have the Safe sign the unsigned transactions (--json)",
      ].join("\n"),
    );
    this.signer = signer;
    this.refused = refused;
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses and init code (pure)
// ---------------------------------------------------------------------------------------------

/** Where the factory sits on every chain: CREATE2 by the proxy with `FACTORY_SALT` and the factory's creation code. */
export function factoryAddress(): string {
  return getCreate2Address(DETERMINISTIC_DEPLOYER, FACTORY_SALT, keccak256(vaultFactoryBytecode));
}

/**
 * The vault's init code for a config: GuardedVault's creation code followed by the ABI-encoded header (the
 * fixed-size settings; see `vaultHeader`). Its size does not depend on the number of tokens, operators or
 * destinations: those are steps the factory applies after the creation.
 */
export function vaultInitCode(config: VaultConfig): string {
  return concat([guardedVaultBytecode, encodeVaultHeader(config)]);
}

/** The CREATE2 salt the factory uses: keccak256(abi.encode(deploymentSalt(config), configHash(config))). */
export function create2Salt(config: VaultConfig): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [deploymentSalt(config), configHash(config)]));
}

/** Where the factory deploys the vault of `config`, on any chain: the address commits to the whole config. */
export function predictVaultAddress(config: VaultConfig): string {
  return getCreate2Address(factoryAddress(), create2Salt(config), keccak256(vaultInitCode(config)));
}

/** Everything the deployment of a config sends, planned offline (see `planBatches`). */
export interface VaultDeploymentPlan {
  readonly address: string;
  readonly salt: string;
  readonly configHash: string;
  readonly initCode: string;
  readonly steps: readonly ConfigStep[];
  /** `links[i]`: what `steps[i..]` hashes to (`links[0]` is the steps' root). */
  readonly links: readonly string[];
  /** The first batch rides with the deployment; each later one is a `VaultFactory.configure` transaction. */
  readonly batches: readonly ConfigBatch[];
}

/**
 * Pure: how the vault of `config` is deployed, in batches of steps that each fit `maxGasPerTransaction`
 * (default: EIP-7825's 2^24; the plan keeps 2% below it). One batch means one transaction.
 */
export function planVaultDeployment(config: VaultConfig, o: { maxGasPerTransaction?: bigint } = {}): VaultDeploymentPlan {
  const initCode = vaultInitCode(config);
  const steps = initialPolicySteps(config);
  const deployGas = deployGasBound({ initCodeBytes: (initCode.length - 2) / 2, runtimeBytes: guardedVaultRuntimeSize });
  let batches: ConfigBatch[];
  try {
    batches = planBatches(steps, { deployGas, maxGas: o.maxGasPerTransaction === undefined ? undefined : (o.maxGasPerTransaction * 98n) / 100n });
  } catch (e) {
    throw new InvalidInputError("maxGasPerTransaction", (e as Error).message);
  }
  return {
    address: predictVaultAddress(config),
    salt: deploymentSalt(config),
    configHash: configHash(config),
    initCode,
    steps,
    links: stepLinks(steps),
    batches,
  };
}

// ---------------------------------------------------------------------------------------------
// Deployment records
// ---------------------------------------------------------------------------------------------

/** What a deployment leaves behind (written to `deployments/<network>/<name>.json` by the deploy task). */
export interface DeploymentRecord {
  readonly name: string;
  readonly address: string;
  readonly chainId: number;
  readonly blockNumber: number;
  readonly transactionHash: string;
  /** What the vault's address commits to: keccak256(abi.encode(keccak256(header), stepsRoot)) (`VaultDeployed.configHash`). */
  readonly configHash: string;
  readonly initCodeHash: string;
  readonly factory: string;
  readonly salt: string;
  readonly deployer: string;
  /** The deployment block's time, ISO 8601. */
  readonly deployedAt: string;
  /**
   * What the config calls its addresses (operators, destinations, admin, guardians, recovery), by
   * checksummed address, so that status, exposure, watch and responder logs can name them after deployment.
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Checks the shape of a record read from a file. Throws `InvalidInputError` naming the bad field. */
export function parseDeploymentRecord(value: unknown, source = "deployment record"): DeploymentRecord {
  if (value === null || typeof value !== "object") throw new InvalidInputError(source, "expected a JSON object");
  const r = value as Record<string, unknown>;
  const str = (k: string) => {
    if (typeof r[k] !== "string" || !(r[k] as string).length) throw new InvalidInputError(`${source}.${k}`, "expected a string");
    return r[k] as string;
  };
  const num = (k: string) => {
    if (typeof r[k] !== "number" || !Number.isSafeInteger(r[k])) throw new InvalidInputError(`${source}.${k}`, "expected an integer");
    return r[k] as number;
  };
  const addr = (k: string) => {
    try {
      return getAddress(str(k));
    } catch (e) {
      if (e instanceof InvalidInputError) throw e;
      throw new InvalidInputError(`${source}.${k}`, "expected an address");
    }
  };
  return {
    name: str("name"),
    address: addr("address"),
    chainId: num("chainId"),
    blockNumber: num("blockNumber"),
    transactionHash: str("transactionHash"),
    configHash: str("configHash"),
    initCodeHash: str("initCodeHash"),
    factory: addr("factory"),
    salt: str("salt"),
    deployer: addr("deployer"),
    deployedAt: str("deployedAt"),
    ...(r.labels === undefined ? {} : { labels: parseLabels(r.labels, `${source}.labels`) }),
  };
}

function parseLabels(value: unknown, field: string): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InvalidInputError(field, "expected an object of address: label");
  const labels: Record<string, string> = {};
  for (const [address, label] of Object.entries(value as Record<string, unknown>)) {
    let checksummed: string;
    try {
      checksummed = getAddress(address);
    } catch {
      throw new InvalidInputError(`${field}.${address}`, "expected an address as the key");
    }
    if (typeof label !== "string" || !label.length) throw new InvalidInputError(`${field}.${address}`, "expected a label");
    labels[checksummed] = label;
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Chain preparation
// ---------------------------------------------------------------------------------------------

/**
 * Reads the chain: whether the deterministic-deployment proxy is there. If it is missing and `install` is
 * given (for development networks: `hardhat_setCode`), installs its runtime code with it; otherwise throws
 * `DeterministicDeployerMissingError`. Returns whether it installed it.
 */
export async function ensureDeterministicDeployer(o: {
  provider: Provider;
  install?: (address: string, code: string) => Promise<void>;
}): Promise<{ installed: boolean }> {
  const code = await read(() => o.provider.getCode(DETERMINISTIC_DEPLOYER));
  if (code.toLowerCase() === DETERMINISTIC_DEPLOYER_CODE) return { installed: false };
  if (code !== "0x") throw new DeploymentError(`${DETERMINISTIC_DEPLOYER} holds code that is not the deterministic-deployment proxy`);
  if (!o.install) throw new DeterministicDeployerMissingError((await read(() => o.provider.getNetwork())).chainId);
  await o.install(DETERMINISTIC_DEPLOYER, DETERMINISTIC_DEPLOYER_CODE);
  const after = await read(() => o.provider.getCode(DETERMINISTIC_DEPLOYER));
  if (after.toLowerCase() !== DETERMINISTIC_DEPLOYER_CODE) throw new DeploymentError("installing the deterministic-deployment proxy did not take effect");
  return { installed: true };
}

/**
 * Reads the chain, and writes it if needed: the factory at `factoryAddress()`, deployed through the proxy if
 * it is not there yet (the proxy must be). Returns its address and whether this call deployed it.
 */
export async function ensureFactory(o: { signer: Signer; onProgress?: (message: string) => void }): Promise<{ address: string; deployed: boolean }> {
  const provider = providerOf(o.signer);
  const address = factoryAddress();
  if ((await read(() => provider.getCode(address))) === "0x") {
    o.onProgress?.(`deploying VaultFactory through ${DETERMINISTIC_DEPLOYER}`);
    const sent = await send(o.signer, { to: DETERMINISTIC_DEPLOYER, data: concat([FACTORY_SALT, vaultFactoryBytecode]), value: 0n }, asReceipt);
    o.onProgress?.(`waiting for ${sent.hash}`);
    await sent.wait();
    if ((await read(() => provider.getCode(address))) === "0x") throw new DeploymentError(`VaultFactory is not at ${address} after its deployment`);
    return { address, deployed: true };
  }
  const factory = connectVaultFactory(address, provider);
  // The address commits to the factory's creation code, which embeds the vault's: this only documents it.
  if ((await read(() => factory.VAULT_CODE_HASH())) !== keccak256(guardedVaultBytecode)) {
    throw new DeploymentError(`the factory at ${address} deploys another GuardedVault build`);
  }
  return { address, deployed: false };
}

/** A token of the config that does not match the chain. */
export interface TokenProblem {
  readonly symbol: string;
  readonly token: string;
  readonly problem: "no-code" | "decimals";
  readonly message: string;
}

/** Reads the chain: every ERC-20 of the config has code, and `decimals()` equal to the config's. */
export async function checkTokens(o: { provider: Provider; config: VaultConfig }): Promise<TokenProblem[]> {
  const problems: TokenProblem[] = [];
  for (const t of o.config.tokens) {
    if (t.token === NATIVE) continue;
    if ((await read(() => o.provider.getCode(t.token))) === "0x") {
      problems.push({ symbol: t.symbol, token: t.token, problem: "no-code", message: `no contract at ${t.token}` });
      continue;
    }
    let decimals: number | null = null;
    try {
      decimals = Number(await connectErc20(t.token, o.provider).decimals());
    } catch {
      decimals = null;
    }
    if (decimals !== t.decimals) {
      problems.push({
        symbol: t.symbol,
        token: t.token,
        problem: "decimals",
        message: decimals === null ? `${t.token} has no decimals(); the config says ${t.decimals}` : `${t.token} has ${decimals} decimals; the config says ${t.decimals}`,
      });
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Deploying
// ---------------------------------------------------------------------------------------------

/**
 * Writes the chain: deploys the vault of `config` through the factory (which must exist, see
 * `ensureFactory`) with the first batch of its steps, sends the other batches in order and waits for each
 * (`planVaultDeployment`: batches fit `maxGasPerTransaction`, EIP-7825's 2^24 by default). Until the last
 * batch the vault is paused and has no admin and no guardians. If the vault already exists and still awaits
 * steps (an interrupted deployment), it resumes from the step the factory awaits: a batch someone else
 * already applied is skipped. Throws `DeploymentError` if a complete contract already sits at the predicted
 * address, `StagedDeploymentError` if the vault awaits a step this config does not have.
 */
export async function deployVault(o: {
  signer: Signer;
  config: VaultConfig;
  maxGasPerTransaction?: bigint;
  onProgress?: (message: string) => void;
}): Promise<DeploymentRecord> {
  const provider = providerOf(o.signer);
  const plan = planVaultDeployment(o.config, { maxGasPerTransaction: o.maxGasPerTransaction });
  const factory = connectVaultFactory(factoryAddress(), o.signer);
  let deployment: { blockNumber: number; transactionHash: string | null; deployer: string | null };
  if ((await read(() => provider.getCode(plan.address))) !== "0x") {
    if ((await read(() => factory.pendingConfig(plan.address))) === ZeroHash) throw new DeploymentError(`a contract already sits at ${plan.address}`);
    o.onProgress?.(`vault "${o.config.name}" at ${plan.address} awaits the rest of its policy: resuming`);
    deployment = await vaultDeploymentBlock(provider, plan.address);
  } else {
    const first = plan.batches[0];
    o.onProgress?.(
      `deploying vault "${o.config.name}" to ${plan.address}: ${plan.steps.length} steps in ${plan.batches.length} transaction${plan.batches.length === 1 ? "" : "s"}`,
    );
    const steps = plan.steps.slice(first.from, first.to).map((s) => ({ kind: s.kind, params: s.params }));
    const data = factory.interface.encodeFunctionData("deploy", [plan.salt, plan.initCode, plan.links[0], steps, first.next]);
    const sent = await send(o.signer, { to: factoryAddress(), data, value: 0n }, asReceipt);
    o.onProgress?.(`waiting for ${sent.hash}`);
    const receipt: TransactionReceipt = await sent.wait();
    const deployed = receipt.logs.map((l) => factory.interface.parseLog(l)).find((e) => e?.name === "VaultDeployed");
    if (!deployed || getAddress(deployed.args.vault) !== plan.address) throw new DeploymentError(`no VaultDeployed(${plan.address}) event in ${receipt.hash}`);
    deployment = { blockNumber: receipt.blockNumber, transactionHash: receipt.hash, deployer: getAddress(receipt.from) };
    if (plan.batches.length > 1) o.onProgress?.(`batch 1 of ${plan.batches.length} applied (steps 1-${first.to} of ${plan.steps.length})`);
  }
  await completeVaultConfig({ signer: o.signer, plan, onProgress: o.onProgress });
  const block = await read(() => provider.getBlock(deployment.blockNumber));
  return {
    name: o.config.name,
    address: plan.address,
    chainId: Number((await read(() => provider.getNetwork())).chainId),
    blockNumber: deployment.blockNumber,
    transactionHash: deployment.transactionHash ?? "",
    configHash: plan.configHash,
    initCodeHash: keccak256(plan.initCode),
    factory: factoryAddress(),
    salt: plan.salt,
    deployer: deployment.deployer ?? ZeroAddress,
    deployedAt: new Date(Number(block?.timestamp ?? 0) * 1000).toISOString(),
  };
}

/** The vault awaits a step that the config's chain does not have: it was deployed from another config. */
export class StagedDeploymentError extends DeploymentError {}

/**
 * Reads and writes the chain: sends the batches of `plan` that the factory still awaits for its vault, in
 * order, each after re-reading which step the factory awaits (so a batch someone else applied meanwhile is
 * skipped, and a run interrupted at any point resumes where the chain is). Returns the number of batches sent.
 */
export async function completeVaultConfig(o: { signer: Signer; plan: VaultDeploymentPlan; onProgress?: (message: string) => void }): Promise<number> {
  const { plan } = o;
  const factory = connectVaultFactory(factoryAddress(), o.signer);
  const position = new Map(plan.links.map((l, i) => [l, i] as const));
  let sent = 0;
  for (;;) {
    const pending = await read(() => factory.pendingConfig(plan.address));
    if (pending === ZeroHash) return sent;
    const at = position.get(pending);
    if (at === undefined || at === plan.steps.length) {
      throw new StagedDeploymentError(`the vault at ${plan.address} awaits a step (${pending}) that this config does not have`);
    }
    // The batch that starts where the chain is (batches may have been cut elsewhere by another run).
    const index = plan.batches.findIndex((b) => b.from <= at && at < b.to);
    const batch = plan.batches[index];
    const steps = plan.steps.slice(at, batch.to).map((s) => ({ kind: s.kind, params: s.params }));
    o.onProgress?.(`applying steps ${at + 1}-${batch.to} of ${plan.steps.length} (batch ${index + 1} of ${plan.batches.length})`);
    const data = factory.interface.encodeFunctionData("configure", [plan.address, steps, batch.next]);
    const tx = await send(o.signer, { to: factoryAddress(), data, value: 0n }, asReceipt);
    o.onProgress?.(`waiting for ${tx.hash}`);
    await tx.wait();
    sent++;
  }
}

/**
 * Reads the chain: the block the factory deployed `vault` in, from its `VaultDeployed` log (one
 * `eth_getLogs`), or by bisecting on `eth_getCode` if the node refuses the log query.
 */
export async function vaultDeploymentBlock(provider: Provider, vault: string): Promise<{ blockNumber: number; transactionHash: string | null; deployer: string | null }> {
  const iface = vaultFactoryInterface;
  try {
    const logs = await provider.getLogs({
      address: factoryAddress(),
      topics: [iface.getEvent("VaultDeployed").topicHash, zeroPadValue(vault, 32)],
      fromBlock: 0,
      toBlock: "latest",
    });
    if (logs.length) {
      const e = iface.parseLog(logs[0]);
      return { blockNumber: logs[0].blockNumber, transactionHash: logs[0].transactionHash, deployer: e ? getAddress(e.args.deployer) : null };
    }
  } catch {
    // Some providers cap the block range of log queries; bisecting needs only getCode.
  }
  return { blockNumber: await findDeploymentBlock(provider, vault), transactionHash: null, deployer: null };
}

/**
 * Reads the chain: the vaults the factory deployed with `salt` (from its `VaultDeployed` logs, one
 * `eth_getLogs` over the whole chain), oldest first; null if the node refuses the query.
 */
export async function vaultsWithSalt(provider: Provider, salt: string): Promise<{ vault: string; blockNumber: number; deployer: string }[] | null> {
  const iface = vaultFactoryInterface;
  try {
    const logs = await provider.getLogs({ address: factoryAddress(), topics: [iface.getEvent("VaultDeployed").topicHash, null, salt], fromBlock: 0, toBlock: "latest" });
    return logs.map((l) => {
      const e = iface.parseLog(l)!;
      return { vault: getAddress(e.args.vault), blockNumber: l.blockNumber, deployer: getAddress(e.args.deployer) };
    });
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing a vault with its config (pure)
// ---------------------------------------------------------------------------------------------

/** An instant, safety-increasing call. */
export type InstantAction =
  | { readonly method: "lowerOperatorLimits"; readonly limits: LowerOperatorLimits }
  | { readonly method: "lowerVaultCap"; readonly token: string; readonly vaultCap: bigint }
  | { readonly method: "revokeDestination"; readonly operator: string; readonly destination: string }
  | { readonly method: "tightenTripwire"; readonly maxCount: number; readonly period: bigint }
  | { readonly method: "optIntoTripwire"; readonly operator: string }
  | { readonly method: "removeOperator"; readonly operator: string }
  | { readonly method: "removeApprover"; readonly approver: string }
  | { readonly method: "lowerCosignedCap"; readonly operator: string; readonly token: string; readonly cosignedCap: bigint }
  | { readonly method: "lengthenDelays"; readonly changeDelay: bigint; readonly withdrawalDelay: bigint };

export interface PlannedInstant {
  readonly type: "instant";
  readonly action: InstantAction;
  /** Who may send it: the admin only (`lengthenDelays`), or the admin or any guardian. */
  readonly requires: "admin" | "adminOrGuardian";
  readonly summary: string;
  readonly tx: UnsignedTransaction;
}

export interface PlannedProposal {
  readonly type: "proposal";
  readonly change: ChangeParams;
  readonly summary: string;
  /** `proposeChange(kind, params)`, for the admin. */
  readonly tx: UnsignedTransaction;
  /** The pending proposal that already asks for exactly this change, if any (then nothing is sent). */
  readonly pending: { readonly id: bigint; readonly eta: bigint } | null;
}

/** A step that cannot be taken yet. */
export interface BlockedStep {
  readonly type: "blocked";
  readonly summary: string;
  readonly reason: string;
}

/** What it takes to bring a deployed vault to a config. */
export interface VaultConfigDiff {
  readonly vault: string;
  readonly blockNumber: number;
  /** Safety-increasing: take effect at once. */
  readonly instant: readonly PlannedInstant[];
  /** Risk-increasing: proposals that wait `changeDelay`, new or already pending. */
  readonly proposals: readonly PlannedProposal[];
  /** Steps that must wait for a pending change (e.g. limits for a token not listed yet). */
  readonly blocked: readonly BlockedStep[];
  /** Pending proposals the config does not ask for (cancel them with `cancelChange` if unwanted). */
  readonly stray: readonly (ChangeInfo & { readonly summary: string })[];
}

/** Whether anything is left to send (instant steps or new proposals). */
export const diffHasWork = (d: VaultConfigDiff): boolean => d.instant.length > 0 || d.proposals.some((p) => p.pending === null);

/** Whether the vault equals the config with nothing pending or blocked. */
export const diffIsEmpty = (d: VaultConfigDiff): boolean =>
  d.instant.length === 0 && d.proposals.length === 0 && d.blocked.length === 0 && d.stray.length === 0;

interface Limits {
  readonly cap: bigint;
  readonly instantLimit: bigint;
  readonly queueCap: bigint;
}

const ZERO_LIMITS: Limits = { cap: 0n, instantLimit: 0n, queueCap: 0n };
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Names and amounts for summaries: labels from the config, whole-token amounts with the config's decimals. */
class Describer {
  private readonly labels: Map<string, string>;
  private readonly tokens: Map<string, { symbol: string; decimals: number }>;
  constructor(config: VaultConfig) {
    this.labels = configLabels(config);
    this.tokens = new Map(config.tokens.map((t) => [t.token, { symbol: t.symbol, decimals: t.decimals }]));
  }
  who(address: string): string {
    return this.labels.get(address) ?? `${address.slice(0, 6)}…${address.slice(-4)}`;
  }
  /** "label (address)", or the address alone when the config does not name it. */
  named(address: string): string {
    const label = this.labels.get(address);
    return label ? `${label} (${address})` : address;
  }
  token(address: string): string {
    return this.tokens.get(address)?.symbol ?? `${address.slice(0, 6)}…${address.slice(-4)}`;
  }
  amount(token: string, amount: bigint): string {
    const t = this.tokens.get(token);
    return t ? `${formatAmount(amount, t.decimals)} ${t.symbol}` : `${amount} base units`;
  }
  change(c: ChangeParams): string {
    const p = (() => {
      switch (c.kind) {
        case "SetOperatorLimits":
          return `operator=${this.who(c.operator)}, token=${this.token(c.token)}, cap=${this.amount(c.token, c.cap)}, instantLimit=${this.amount(c.token, c.instantLimit)}, queueCap=${this.amount(c.token, c.queueCap)}`;
        case "ApproveDestination":
          return `operator=${this.who(c.operator)}, destination=${this.named(c.destination)}`;
        case "ListToken":
          return `token=${this.token(c.token)} (${c.token}), unitDecimals=${c.unitDecimals}, vaultCap=${this.amount(c.token, c.vaultCap)}`;
        case "SetVaultCap":
          return `token=${this.token(c.token)}, vaultCap=${this.amount(c.token, c.vaultCap)}`;
        case "Unpause":
          return "";
        case "UnsuspendOperator":
          return `operator=${this.who(c.operator)}`;
        case "SetRecovery":
          return `recovery=${c.recovery}`;
        case "SetDelays":
          return `changeDelay=${formatDuration(c.changeDelay)}, withdrawalDelay=${formatDuration(c.withdrawalDelay)}`;
        case "AddGuardian":
        case "RemoveGuardian":
          return `guardian=${c.guardian}`;
        case "TransferAdmin":
          return `newAdmin=${c.newAdmin}`;
        case "SetTripwire":
          return `maxCount=${c.maxCount}, period=${formatDuration(c.period)}`;
        case "SetTripwireOptOut":
          return `operator=${this.who(c.operator)}, optOut=${c.optOut}`;
        case "AddApprover":
          return `approver=${this.named(c.approver)}`;
        case "ApproveCosignedDestination":
          return `operator=${this.who(c.operator)}, destination=${this.named(c.destination)}`;
        case "SetCosignedCap":
          return `operator=${this.who(c.operator)}, token=${this.token(c.token)}, cosignedCap=${this.amount(c.token, c.cosignedCap)}`;
      }
    })();
    return `${c.kind}(${p})`;
  }
  limits(token: string, l: Limits): string {
    return `cap ${this.amount(token, l.cap)}, instant ${this.amount(token, l.instantLimit)}, queue ${this.amount(token, l.queueCap)}`;
  }
}

/**
 * Pure: what it takes to bring the vault whose policy is `policy` (see `AdminClient.readPolicy`) to
 * `config`. Lowered limits and caps (co-signed caps too), revoked destinations (ordinary or co-signed), a
 * tighter tripwire, opting back into the tripwire, longer delays and removing an operator or an approver the
 * config no longer names are instant; everything else is a proposal. A co-signed cap for a token the operator
 * has no limits for yet waits (blocked) until its SetOperatorLimits is executed. Tokens that the config no
 * longer lists get a zero vault cap (a listed token cannot be delisted).
 * Throws `ImmutableSettingError` if the window or a token's unitDecimals differ: those need a new vault.
 */
export function diffVaultConfig(o: { config: VaultConfig; policy: VaultPolicy; vault: string }): VaultConfigDiff {
  const { config, policy } = o;
  const vault = getAddress(o.vault);
  const d = new Describer(config);
  const g = new GuardianTransactions(vault);
  const a = new AdminTransactions(vault);
  const instant: PlannedInstant[] = [];
  const wanted: ChangeParams[] = [];
  const notes = new Map<ChangeParams, string>();
  const blocked: BlockedStep[] = [];
  const immutable: { field: string; onChain: string; config: string }[] = [];
  /** Proposals that an instant step of this diff outdates if already pending: they are proposed again. */
  const afterTightening = new Set<ChangeParams>();
  const propose = (change: ChangeParams, note?: string, o: { afterTightening?: boolean } = {}) => {
    wanted.push(change);
    if (note) notes.set(change, note);
    if (o.afterTightening) afterTightening.add(change);
  };
  const now = (action: InstantAction, summary: string, tx: UnsignedTransaction, requires: PlannedInstant["requires"] = "adminOrGuardian") =>
    instant.push({ type: "instant", action, requires, summary, tx });

  if (policy.window !== config.window) immutable.push({ field: "window", onChain: `${policy.window} s`, config: `${config.window} s` });

  // Roles and timing.
  if (!same(policy.admin, config.admin)) {
    if (same(policy.pendingAdmin, config.admin)) {
      blocked.push({ type: "blocked", summary: `admin → ${config.admin}`, reason: `TransferAdmin is executed; ${config.admin} must call acceptAdmin()` });
    } else {
      propose({ kind: "TransferAdmin", newAdmin: config.admin }, `now ${policy.admin}`);
    }
  }
  if (!same(policy.recovery, config.recovery)) propose({ kind: "SetRecovery", recovery: config.recovery }, `now ${policy.recovery}`);
  for (const guardian of config.guardians) {
    if (!policy.guardians.some((x) => same(x, guardian))) propose({ kind: "AddGuardian", guardian });
  }
  for (const guardian of policy.guardians) {
    if (!config.guardians.some((x) => same(x, guardian))) propose({ kind: "RemoveGuardian", guardian });
  }
  // Approvers: adding one is risk-increasing, removing one instant (like an operator).
  for (const approver of config.approvers) {
    if (!policy.approvers.some((x) => same(x, approver))) propose({ kind: "AddApprover", approver });
  }
  for (const approver of policy.approvers) {
    if (!config.approvers.some((x) => same(x, approver))) {
      now({ method: "removeApprover", approver }, `removeApprover ${d.named(approver)} (not in the config)`, g.removeApprover(approver));
    }
  }
  if (policy.changeDelay !== config.changeDelay || policy.withdrawalDelay !== config.withdrawalDelay) {
    const longer = { changeDelay: max(policy.changeDelay, config.changeDelay), withdrawalDelay: max(policy.withdrawalDelay, config.withdrawalDelay) };
    const lengthens = longer.changeDelay !== policy.changeDelay || longer.withdrawalDelay !== policy.withdrawalDelay;
    if (lengthens) {
      now(
        { method: "lengthenDelays", ...longer },
        `lengthenDelays: changeDelay ${formatDuration(policy.changeDelay)} → ${formatDuration(longer.changeDelay)}, withdrawalDelay ${formatDuration(policy.withdrawalDelay)} → ${formatDuration(longer.withdrawalDelay)}`,
        a.lengthenDelays(longer),
        "admin",
      );
    }
    if (config.changeDelay < policy.changeDelay || config.withdrawalDelay < policy.withdrawalDelay) {
      // Lengthening outdates a SetDelays proposed before it.
      propose({ kind: "SetDelays", changeDelay: config.changeDelay, withdrawalDelay: config.withdrawalDelay }, `now ${formatDuration(policy.changeDelay)} / ${formatDuration(policy.withdrawalDelay)}`, { afterTightening: lengthens });
    }
  }
  const [m, p] = [config.tripwire.maxCount, config.tripwire.period];
  const [cm, cp] = [policy.tripwire.maxCount, policy.tripwire.period];
  if (m !== cm || p !== cp) {
    // The vault's notion of tighter: on, and no more withdrawals per no shorter a period.
    if (m !== 0 && (cm === 0 || (m <= cm && p >= cp))) {
      now({ method: "tightenTripwire", maxCount: m, period: p }, `tightenTripwire: ${tripwireText(cm, cp)} → ${tripwireText(m, p)}`, g.tightenTripwire({ maxCount: m, period: p }));
    } else {
      propose({ kind: "SetTripwire", maxCount: m, period: p }, `now ${tripwireText(cm, cp)}`);
    }
  }

  // Tokens.
  const listed = new Map(policy.tokens.map((t) => [t.token, t]));
  for (const t of config.tokens) {
    const onChain = listed.get(t.token);
    if (!onChain) {
      propose({ kind: "ListToken", token: t.token, unitDecimals: t.unitDecimals, vaultCap: t.vaultCap });
      continue;
    }
    if (onChain.unitDecimals !== t.unitDecimals) {
      immutable.push({ field: `tokens.${t.symbol}.unitDecimals`, onChain: String(onChain.unitDecimals), config: String(t.unitDecimals) });
    } else if (t.vaultCap < onChain.vaultCap) {
      now({ method: "lowerVaultCap", token: t.token, vaultCap: t.vaultCap }, `lowerVaultCap ${t.symbol}: ${d.amount(t.token, onChain.vaultCap)} → ${d.amount(t.token, t.vaultCap)}`, g.lowerVaultCap({ token: t.token, vaultCap: t.vaultCap }));
    } else if (t.vaultCap > onChain.vaultCap) {
      propose({ kind: "SetVaultCap", token: t.token, vaultCap: t.vaultCap }, `now ${d.amount(t.token, onChain.vaultCap)}`);
    }
  }
  for (const t of policy.tokens) {
    if (!config.tokens.some((c) => c.token === t.token) && t.vaultCap > 0n) {
      now({ method: "lowerVaultCap", token: t.token, vaultCap: 0n }, `lowerVaultCap ${d.token(t.token)}: ${d.amount(t.token, t.vaultCap)} → 0 (not in the config; a listed token cannot be removed)`, g.lowerVaultCap({ token: t.token, vaultCap: 0n }));
    }
  }
  if (immutable.length) throw new ImmutableSettingError(vault, immutable);

  // Operators: limits per token, destinations, tripwire opt-out.
  const tokenSet = [...new Set([...policy.tokens.map((t) => t.token), ...config.tokens.map((t) => t.token)])];
  const operators = [...new Set([...policy.operators.map((x) => x.operator), ...config.operators.map((x) => x.address)])];
  for (const operator of operators) {
    const spec = config.operators.find((x) => x.address === operator);
    const state = policy.operators.find((x) => x.operator === operator);
    const who = d.who(operator);
    if (!spec && state) {
      // An operator the config no longer names: one instant removal zeroes its limits, voids its
      // destinations, cancels its queue and frees its slot (a key rotation's second step).
      now({ method: "removeOperator", operator }, `removeOperator ${who} (not in the config)`, g.removeOperator(operator));
      continue;
    }
    for (const token of tokenSet) {
      const targetSpec = spec?.limits.find((l) => l.token === token);
      const target: Limits = targetSpec ?? ZERO_LIMITS;
      const targetCosigned = targetSpec?.cosignedCap ?? 0n;
      if (!listed.has(token)) {
        if (target.cap !== 0n || target.queueCap !== 0n || targetCosigned !== 0n) {
          const cosigned = targetCosigned !== 0n ? `, co-signed ${d.amount(token, targetCosigned)}` : "";
          blocked.push({ type: "blocked", summary: `SetOperatorLimits ${who} ${d.token(token)}: ${d.limits(token, target)}${cosigned}`, reason: `${d.token(token)} is not listed yet: re-run once ListToken(${d.token(token)}) is executed` });
        }
        continue;
      }
      const row = state?.limits.find((l) => l.token === token);
      const current: Limits = row ?? ZERO_LIMITS;
      if (current.cap !== target.cap || current.instantLimit !== target.instantLimit || current.queueCap !== target.queueCap) {
        const lowered: Limits = { cap: min(current.cap, target.cap), instantLimit: min(current.instantLimit, target.instantLimit), queueCap: min(current.queueCap, target.queueCap) };
        const raises = target.cap > current.cap || target.instantLimit > current.instantLimit || target.queueCap > current.queueCap;
        const lowers = lowered.cap !== current.cap || lowered.instantLimit !== current.instantLimit || lowered.queueCap !== current.queueCap;
        if (lowers) {
          const limits = { operator, token, ...lowered };
          now({ method: "lowerOperatorLimits", limits }, `lowerOperatorLimits ${who} ${d.token(token)}: ${d.limits(token, current)} → ${d.limits(token, lowered)}${spec ? "" : " (not in the config)"}`, g.lowerOperatorLimits(limits));
        }
        // A lowering outdates a SetOperatorLimits proposed before it.
        if (raises) propose({ kind: "SetOperatorLimits", operator, token, ...target }, `now ${d.limits(token, current)}`, { afterTightening: lowers });
      }
      // The co-signed cap: lowered at once, raised by a proposal, which the vault takes only once the
      // operator has limits for the token.
      const currentCosigned = row?.cosignedCap ?? 0n;
      if (targetCosigned < currentCosigned) {
        const lower = { operator, token, cosignedCap: targetCosigned };
        now({ method: "lowerCosignedCap", ...lower }, `lowerCosignedCap ${who} ${d.token(token)}: ${d.amount(token, currentCosigned)} → ${d.amount(token, targetCosigned)}${spec ? "" : " (not in the config)"}`, g.lowerCosignedCap(lower));
      } else if (targetCosigned > currentCosigned) {
        const change: ChangeParams = { kind: "SetCosignedCap", operator, token, cosignedCap: targetCosigned };
        if (row?.hasLimits) propose(change, `now ${d.amount(token, currentCosigned)}`);
        else blocked.push({ type: "blocked", summary: d.change(change), reason: `${who} has no limits for ${d.token(token)} yet: re-run once its SetOperatorLimits is executed` });
      }
    }
    // Destinations, ordinary and co-signed only. revokeDestination clears both approvals of a destination,
    // so one that must lose either is revoked and the approval the config keeps is proposed again.
    const approved = state?.destinations ?? [];
    const approvedCosigned = state?.cosignedDestinations ?? [];
    const targetDestinations = spec?.destinations.map((x) => x.address) ?? [];
    const cosignedTargets = spec?.cosignedDestinations.map((x) => x.address) ?? [];
    const has = (list: readonly string[], a: string) => list.some((x) => same(x, a));
    const everyDestination = [...approved, ...approvedCosigned, ...targetDestinations, ...cosignedTargets].filter((x, i, all) => all.findIndex((y) => same(x, y)) === i);
    for (const destination of everyDestination) {
      const [isOrdinary, isCosigned] = [has(approved, destination), has(approvedCosigned, destination)];
      const [wantOrdinary, wantCosigned] = [has(targetDestinations, destination), has(cosignedTargets, destination)];
      const revoke = (isOrdinary && !wantOrdinary) || (isCosigned && !wantCosigned);
      if (revoke) {
        const what = isOrdinary && isCosigned ? " (ordinary and co-signed)" : isCosigned ? " (co-signed)" : "";
        now({ method: "revokeDestination", operator, destination }, `revokeDestination ${who} → ${d.named(destination)}${what}`, g.revokeDestination({ operator, destination }));
      }
      if (wantOrdinary && (revoke || !isOrdinary)) propose({ kind: "ApproveDestination", operator, destination }, revoke ? "again, after the revocation" : undefined, { afterTightening: revoke });
      if (wantCosigned && (revoke || !isCosigned)) propose({ kind: "ApproveCosignedDestination", operator, destination }, revoke ? "again, after the revocation" : undefined, { afterTightening: revoke });
    }
    const optedOut = state?.tripwireOptedOut ?? false;
    const wantOut = spec?.tripwireOptOut ?? false;
    if (wantOut && !optedOut) propose({ kind: "SetTripwireOptOut", operator, optOut: true });
    if (!wantOut && optedOut) now({ method: "optIntoTripwire", operator }, `optIntoTripwire ${who}`, g.optIntoTripwire(operator));
  }

  // Recognise proposals that are already pending, so that applying twice proposes nothing new.
  const unmatched = [...policy.pendingChanges];
  const proposals: PlannedProposal[] = wanted.map((change) => {
    const params = encodeChange(change).params.toLowerCase();
    const i = afterTightening.has(change) ? -1 : unmatched.findIndex((c) => c.kind === change.kind && encodeChange(c.change).params.toLowerCase() === params);
    const pending = i >= 0 ? { id: unmatched[i].id, eta: unmatched[i].eta } : null;
    if (i >= 0) unmatched.splice(i, 1);
    const note = notes.get(change);
    return { type: "proposal", change, summary: `${d.change(change)}${note ? ` (${note})` : ""}`, tx: a.proposeChange(change), pending };
  });
  const stray = unmatched.map((c) => ({ ...c, summary: d.change(c.change) }));
  return { vault, blockNumber: policy.blockNumber, instant, proposals, blocked, stray };
}

function tripwireText(maxCount: number, period: bigint): string {
  return maxCount === 0 ? "off" : `at most ${maxCount} per ${formatDuration(period)}`;
}

// ---------------------------------------------------------------------------------------------
// Applying a diff
// ---------------------------------------------------------------------------------------------

/** One step sent by `applyVaultDiff`. */
export type AppliedStep =
  | { readonly type: "instant"; readonly summary: string; readonly transactionHash: string }
  | { readonly type: "proposal"; readonly summary: string; readonly transactionHash: string; readonly id: bigint; readonly eta: bigint };

/**
 * Writes the chain: sends the diff's instant steps, then its new proposals, with `signer`, waiting for
 * each. Checks first, from `policy`, that the signer may send every step (instant ones need the admin or
 * a guardian, `lengthenDelays` and proposals the admin); if not, throws `MissingRoleError` and sends nothing.
 */
export async function applyVaultDiff(o: {
  diff: VaultConfigDiff;
  policy: VaultPolicy;
  signer: Signer;
  onProgress?: (message: string) => void;
}): Promise<AppliedStep[]> {
  const signer = getAddress(await o.signer.getAddress());
  const isAdmin = same(o.policy.admin, signer);
  const isGuardian = o.policy.guardians.some((x) => same(x, signer));
  const refused: string[] = [];
  for (const step of o.diff.instant) {
    if (!(isAdmin || (step.requires === "adminOrGuardian" && isGuardian))) refused.push(`${step.summary} (needs ${step.requires === "admin" ? "the admin" : "the admin or a guardian"})`);
  }
  const proposals = o.diff.proposals.filter((p) => p.pending === null);
  if (!isAdmin) for (const p of proposals) refused.push(`${p.summary} (needs the admin ${o.policy.admin})`);
  if (refused.length) throw new MissingRoleError(signer, refused);

  const applied: AppliedStep[] = [];
  for (const step of o.diff.instant) {
    o.onProgress?.(step.summary);
    const sent = await send(o.signer, step.tx, asReceipt);
    const receipt = await sent.wait();
    applied.push({ type: "instant", summary: step.summary, transactionHash: receipt.hash });
  }
  const admin = new AdminClient({ vault: o.diff.vault, signer: o.signer });
  for (const p of proposals) {
    o.onProgress?.(`propose ${p.summary}`);
    const result = await (await admin.proposeChange(p.change)).wait();
    applied.push({ type: "proposal", summary: p.summary, transactionHash: result.receipt.hash, id: result.id, eta: result.eta });
  }
  return applied;
}

// ---------------------------------------------------------------------------------------------
// All of it
// ---------------------------------------------------------------------------------------------

export interface SyncVaultOptions {
  readonly signer: Signer;
  readonly config: VaultConfig;
  /** The vault's deployment record, if one exists: the vault it names is the one to reconcile. */
  readonly record?: DeploymentRecord | null;
  /**
   * A record whose address holds no code is stale (an in-process chain restarted) and ignored. Without
   * this, it is an error: on a persistent chain it means the record belongs elsewhere.
   */
  readonly ignoreStaleRecord?: boolean;
  /** Installs the deterministic-deployment proxy if it is missing (development networks only). */
  readonly installDeterministicDeployer?: (address: string, code: string) => Promise<void>;
  /** Deploy even if some ERC-20 of the config has no code (a dry run on a development network). */
  readonly allowMissingTokens?: boolean;
  /** See `deployVault`. */
  readonly maxGasPerTransaction?: bigint;
  /** Send the diff's steps (instant ones and proposals) with `signer`. */
  readonly apply?: boolean;
  /** Milestones and waits, for a progress display. */
  readonly onProgress?: (message: string) => void;
}

export type SyncVaultResult =
  | {
      readonly status: "deployed";
      readonly vault: string;
      readonly record: DeploymentRecord;
      readonly policy: VaultPolicy;
      readonly factoryDeployed: boolean;
      readonly deterministicDeployerInstalled: boolean;
      readonly tokenProblems: readonly TokenProblem[];
    }
  | {
      /** The vault exists; `diff` says how it differs from the config (empty: nothing to do). */
      readonly status: "exists";
      readonly vault: string;
      /** The record to keep: the one given, or one rebuilt from the factory's log if none was given. */
      readonly record: DeploymentRecord;
      readonly policy: VaultPolicy;
      readonly diff: VaultConfigDiff;
      /** What `apply` sent (null without `apply`), and the difference left afterwards. */
      readonly applied: readonly AppliedStep[] | null;
      readonly after: VaultConfigDiff | null;
      readonly tokenProblems: readonly TokenProblem[];
    };

/**
 * Reads and writes the chain: deploys the config's vault if it does not exist yet, or compares the existing
 * one with the config (and applies the difference with `apply`).
 *
 * Which vault: the one the record names, else the one at `predictVaultAddress(config)` (the config is
 * unchanged since it was deployed). Without either, if the factory already deployed a vault with this
 * name and salt (another config, record lost), throws `DeploymentError` rather than deploying a second
 * one. A fresh deployment is read back and checked against the config
 * (`DeploymentVerificationError` if anything differs). Throws `TokenCheckError` before sending anything if a
 * token's decimals differ from the config, or a token has no code (unless `allowMissingTokens`).
 */
export async function syncVault(o: SyncVaultOptions): Promise<SyncVaultResult> {
  const provider = providerOf(o.signer);
  const chainId = Number((await read(() => provider.getNetwork())).chainId);
  const salt = deploymentSalt(o.config);
  let record = o.record ?? null;
  if (record) {
    if (record.chainId !== chainId) throw new DeploymentError(`the deployment record of "${record.name}" is for chain ${record.chainId}, this is chain ${chainId}`);
    if (record.salt !== salt) {
      throw new DeploymentError(
        `the deployment record of "${record.name}" names a vault with another salt (${record.salt}): the config's name or salt changed; ` +
          "move the record away to deploy a new vault under this name",
      );
    }
    if ((await read(() => provider.getCode(record!.address))) === "0x") {
      if (!o.ignoreStaleRecord) throw new DeploymentError(`the deployment record of "${record.name}" names ${record.address}, which holds no code on chain ${chainId}`);
      o.onProgress?.(`ignoring the stale record of "${record.name}" (no code at ${record.address} on this chain)`);
      record = null;
    }
  }

  const tokenProblems = await checkTokens({ provider, config: o.config });
  const fatal = tokenProblems.filter((t) => t.problem === "decimals" || !o.allowMissingTokens);
  if (fatal.length) throw new TokenCheckError(fatal);

  const predicted = predictVaultAddress(o.config);
  // An interrupted staged deployment of this config: finish it (its vault is paused and has no roles yet).
  if ((!record || record.address === predicted) && (await read(() => provider.getCode(predicted))) !== "0x") {
    const awaited = await read(() => connectVaultFactory(factoryAddress(), provider).pendingConfig(predicted));
    if (awaited !== ZeroHash) {
      const deployed = await deployVault({ signer: o.signer, config: o.config, maxGasPerTransaction: o.maxGasPerTransaction, onProgress: o.onProgress });
      o.onProgress?.(`verifying ${deployed.address} against the config`);
      const policy = await verifyVault({ provider, config: o.config, vault: deployed.address, fromBlock: deployed.blockNumber });
      return { status: "deployed", vault: deployed.address, record: deployed, policy, factoryDeployed: false, deterministicDeployerInstalled: false, tokenProblems };
    }
  }
  if (!record && (await read(() => provider.getCode(predicted))) !== "0x") {
    const found = await vaultDeploymentBlock(provider, predicted);
    const block = await read(() => provider.getBlock(found.blockNumber));
    record = {
      name: o.config.name,
      address: predicted,
      chainId,
      blockNumber: found.blockNumber,
      transactionHash: found.transactionHash ?? "",
      configHash: configHash(o.config),
      initCodeHash: keccak256(vaultInitCode(o.config)),
      factory: factoryAddress(),
      salt,
      deployer: found.deployer ?? ZeroAddress,
      deployedAt: new Date(Number(block?.timestamp ?? 0) * 1000).toISOString(),
    };
  }

  if (record) {
    const admin = new AdminClient({ vault: record.address, provider });
    o.onProgress?.(`reading the policy of ${record.address}`);
    const policy = await admin.readPolicy({ fromBlock: record.blockNumber });
    const diff = diffVaultConfig({ config: o.config, policy, vault: record.address });
    if (!o.apply || !diffHasWork(diff)) return { status: "exists", vault: record.address, record, policy, diff, applied: null, after: null, tokenProblems };
    const applied = await applyVaultDiff({ diff, policy, signer: o.signer, onProgress: o.onProgress });
    const policyAfter = await admin.readPolicy({ fromBlock: record.blockNumber });
    const after = diffVaultConfig({ config: o.config, policy: policyAfter, vault: record.address });
    return { status: "exists", vault: record.address, record, policy: policyAfter, diff, applied, after, tokenProblems };
  }

  // Without a record, a changed config would land at a new address: refuse to open a second vault under
  // the same name and salt (the record is what ties a name to its vault).
  const namesake = await vaultsWithSalt(provider, salt);
  if (namesake === null) o.onProgress?.("could not search the factory's logs for an earlier vault with this name and salt");
  else if (namesake.length) {
    const v = namesake[0];
    throw new DeploymentError(
      `a vault named "${o.config.name}" with salt ${JSON.stringify(o.config.salt)} already exists at ${v.vault} (block ${v.blockNumber}, deployed by ${v.deployer}) ` +
        "with another config, and no deployment record names it: restore its record to compare the config with it, or change `salt` to deploy another vault",
    );
  }
  const { installed } = await ensureDeterministicDeployer({ provider, install: o.installDeterministicDeployer });
  const factory = await ensureFactory({ signer: o.signer, onProgress: o.onProgress });
  const deployed = await deployVault({ signer: o.signer, config: o.config, maxGasPerTransaction: o.maxGasPerTransaction, onProgress: o.onProgress });
  o.onProgress?.(`verifying ${deployed.address} against the config`);
  const policy = await verifyVault({ provider, config: o.config, vault: deployed.address, fromBlock: deployed.blockNumber });
  return { status: "deployed", vault: deployed.address, record: deployed, policy, factoryDeployed: factory.deployed, deterministicDeployerInstalled: installed, tokenProblems };
}

/**
 * Reads the chain: the vault's whole policy, checked against the config (everything the config sets:
 * roles, delays, window, tripwire, tokens, limits, destinations, opt-outs), and that it is neither paused nor
 * has suspended operators or pending changes. Throws `DeploymentVerificationError` listing the differences.
 */
export async function verifyVault(o: { provider: Provider; config: VaultConfig; vault: string; fromBlock: number }): Promise<VaultPolicy> {
  const policy = await new AdminClient({ vault: o.vault, provider: o.provider }).readPolicy({ fromBlock: o.fromBlock });
  let diff: VaultConfigDiff;
  try {
    diff = diffVaultConfig({ config: o.config, policy, vault: o.vault });
  } catch (e) {
    if (e instanceof ImmutableSettingError) throw new DeploymentVerificationError(o.vault, e.settings.map((s) => `${s.field}: ${s.onChain}, expected ${s.config}`));
    throw e;
  }
  const mismatches = [
    ...diff.instant.map((s) => s.summary),
    ...diff.proposals.map((s) => s.summary),
    ...diff.blocked.map((s) => s.summary),
    ...diff.stray.map((s) => `pending ${s.summary}`),
    ...(policy.paused ? ["the vault is paused"] : []),
    ...policy.operators.filter((x) => x.suspended).map((x) => `operator ${x.operator} is suspended`),
  ];
  if (mismatches.length) throw new DeploymentVerificationError(o.vault, mismatches);
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

const iso = (t: bigint): string => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");

/** Pure: a diff as text, one line per step, grouped as instant steps, proposals, pending, blocked, stray. */
export function formatVaultDiff(diff: VaultConfigDiff): string {
  const out: string[] = [];
  const fresh = diff.proposals.filter((p) => p.pending === null);
  const pending = diff.proposals.filter((p) => p.pending !== null);
  if (diff.instant.length) {
    out.push("Safety-increasing, instant (the admin or a guardian; lengthenDelays only the admin):");
    for (const s of diff.instant) out.push(`  - ${s.summary}`);
  }
  if (fresh.length) {
    out.push("Risk-increasing, timelocked proposals (the admin proposes; executable after the change delay, guardians can cancel):");
    for (const p of fresh) out.push(`  - ${p.summary}`);
  }
  if (pending.length) {
    out.push("Already proposed and pending:");
    for (const p of pending) out.push(`  - #${p.pending!.id} ${p.summary}, executable from ${iso(p.pending!.eta)}`);
  }
  if (diff.blocked.length) {
    out.push("Waiting for other changes:");
    for (const b of diff.blocked) out.push(`  - ${b.summary}: ${b.reason}`);
  }
  if (diff.stray.length) {
    out.push("Pending proposals the config does not ask for (if unwanted: vault:cancel --change <id>):");
    for (const c of diff.stray) out.push(`  - #${c.id} ${c.summary}, executable from ${iso(c.eta)}`);
  }
  return out.join("\n");
}
