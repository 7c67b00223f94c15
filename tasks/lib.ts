/**
 * What the vault tasks share: error reporting, output (tables or JSON, progress on stderr), choosing the
 * account, and finding the vault. The SDK is imported lazily (inside actions): it needs the TypeChain
 * bindings, which do not exist before the first compile, and this file is loaded by hardhat.config.ts.
 */
import { existsSync, readFileSync, readdirSync } from "fs";
import path from "path";
import type { Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { InvalidInputError } from "../sdk/errors/base";
import { requireAddress } from "../sdk/errors/validate";
import { GUARDIAN_ROLE } from "../sdk/rules/constants";
import { TaskRefusal, toJson } from "./cli";
import { keySigner, namesKey, type KeyArgs } from "./keys";

export { EXIT, PLUGIN_NAME, TaskRefusal, action, missing, toJson, toJsonLine } from "./cli";

/** Networks whose state may be rewritten (`hardhat_setCode`) and whose records are disposable. */
export const isDevNetwork = (hre: HardhatRuntimeEnvironment): boolean => hre.network.name === "hardhat" || hre.network.name === "localhost";

/**
 * Where a task writes: results to stdout (text, or one JSON document with `--json`), progress and warnings
 * to stderr, so that JSON output stays parseable. While a wait is under way, a line every few seconds says
 * it still is.
 */
export class Output {
  private ticker: ReturnType<typeof setInterval> | null = null;
  private lastStep: string | null = null;
  constructor(
    readonly json: boolean,
    private readonly tickMs = 5000,
  ) {}

  /** A result line (text mode only). */
  print(text: string): void {
    if (!this.json) process.stdout.write(text + "\n");
  }

  /** The result as JSON (JSON mode only). */
  data(value: unknown): void {
    if (this.json) process.stdout.write(toJson(value) + "\n");
  }

  /** Progress and warnings, on stderr. */
  note(text: string): void {
    process.stderr.write(text + "\n");
  }

  /**
   * Shows a step; until the next step or `done()`, says every few seconds that it is still waiting (on a
   * terminal only: a log gets the step, not the ticking).
   */
  progress(message: string): void {
    this.done();
    // The same step again (a watch polling an idle chain) is not news.
    if (message !== this.lastStep) this.note(`… ${message}`);
    this.lastStep = message;
    if (!process.stderr.isTTY) return;
    const started = Date.now();
    this.ticker = setInterval(() => this.note(`  still waiting (${Math.round((Date.now() - started) / 1000)} s): ${message}`), this.tickMs);
    this.ticker.unref?.();
  }

  done(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  /** Runs `fn` while showing `message` as progress. */
  async waiting<T>(message: string, fn: () => Promise<T>): Promise<T> {
    this.progress(message);
    try {
      return await fn();
    } finally {
      this.done();
    }
  }
}

/**
 * The key to send with: an HSM key or `--key-env` (see tasks/keys.ts), else `from` as an address or an
 * index among the network's accounts; the first by default.
 */
export async function signerFor(hre: HardhatRuntimeEnvironment, source?: string | (KeyArgs & { readonly from?: string })): Promise<Signer> {
  if (typeof source === "object" && namesKey(source)) {
    if (source.from !== undefined) throw new InvalidInputError("from", "give either --from or a key (--hsm-token/--hsm-key, --key-env), not both");
    return keySigner(hre, source);
  }
  const from = typeof source === "object" ? source.from : source;
  const signers = await hre.ethers.getSigners();
  if (!signers.length) throw new InvalidInputError("from", `network ${hre.network.name} has no accounts (set VAULT_DEPLOYER_KEY)`);
  if (from === undefined || from === "") return signers[0];
  if (/^\d+$/.test(from)) {
    const i = Number(from);
    if (i >= signers.length) throw new InvalidInputError("from", `network ${hre.network.name} has ${signers.length} accounts; index ${i} is out of range`);
    return signers[i];
  }
  const match = signers.find((s) => s.address.toLowerCase() === from.toLowerCase());
  if (!match) throw new InvalidInputError("from", `${from} is not one of the ${signers.length} accounts of network ${hre.network.name}`);
  return match;
}

/**
 * Reads the chain: runs `tx` as `from` with `eth_call` at the latest block and, if it would revert, throws a
 * `TaskRefusal` ("would revert: ...") with the decoded vault error (`source: "preflight"`) as its cause, so that
 * a guardian or admin call that the vault refuses is never sent. Failures of the node itself pass through.
 */
export async function preflightCall(hre: HardhatRuntimeEnvironment, from: string, tx: { to: string; data: string; value: bigint }): Promise<void> {
  const sdk = await import("../sdk/errors");
  try {
    await hre.ethers.provider.call({ from, to: tx.to, data: tx.data, value: tx.value });
  } catch (e) {
    const err = sdk.toSdkError(e);
    if (err instanceof sdk.VaultRevertError) {
      const predicted = sdk.vaultErrorFromData(err.toData(), { source: "preflight" });
      throw new TaskRefusal(explainRevert(predicted), { cause: predicted });
    }
    if (err instanceof sdk.RevertWithoutDataError || err instanceof sdk.UnrecognizedRevertError) throw new TaskRefusal(`would revert: ${err.message}`, { cause: err });
    throw err;
  }
}

/** `--safe`: with `--unsigned`, the Safe that will send the printed transaction, and from which it is checked first. */
export const SAFE_PARAM = "With --unsigned: address of the Safe that will send it; the call is checked from it first (exit code 3 if the vault would refuse)";

/**
 * With `--unsigned`: checks the transaction with `eth_call` from the Safe named by `--safe`, as the Safe will send
 * it, so that nobody collects signatures for a call the vault would refuse. Returns the Safe's address, or null
 * without `--safe`. `--safe` without `--unsigned` is bad input.
 */
export async function preflightUnsigned(hre: HardhatRuntimeEnvironment, args: { readonly unsigned?: boolean; readonly safe?: string }, tx: { to: string; data: string; value: bigint }): Promise<string | null> {
  if (args.safe === undefined || args.safe === "") return null;
  if (!args.unsigned) throw new InvalidInputError("safe", "--safe names the Safe of an --unsigned transaction; without --unsigned the task sends with --from or a key");
  const safe = requireAddress(args.safe, "safe");
  await preflightCall(hre, safe, tx);
  return safe;
}

const ZERO = "0x0000000000000000000000000000000000000000";
const ADMIN_ROLE = "0x0000000000000000000000000000000000000000000000000000000000000000";

/** "would revert: ..." for a predicted vault error, in the words of the task's user where the bare error misleads. */
export function explainRevert(e: import("../sdk/errors").VaultRevertError): string {
  const args = e.args as Record<string, unknown>;
  if (e.errorName === "NotOperator" && args.token === ZERO) {
    return `would revert: NotOperator: ${String(args.account)} is not an operator of this vault (it has no limits for any token); nothing to suspend`;
  }
  if (e.errorName === "AccessControlUnauthorizedAccount") {
    const role = args.neededRole === ADMIN_ROLE ? "the admin" : args.neededRole === GUARDIAN_ROLE ? "a guardian" : `role ${String(args.neededRole)}`;
    return `would revert: AccessControlUnauthorizedAccount: ${String(args.account)} is not ${role} of this vault (choose the account with --from)`;
  }
  return e.message;
}

/** A non-negative integer id given on the command line. */
export function parseId(value: unknown, field: string): bigint {
  if (typeof value === "bigint" && value >= 0n) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  throw new InvalidInputError(field, `expected a non-negative integer, got ${JSON.stringify(value)}`);
}

/** The folder of deployment records: `--deployments`, else `VAULT_DEPLOYMENTS`, else `deployments/` at the project root. */
export const deploymentsDir = (hre: HardhatRuntimeEnvironment, dir?: string): string => {
  const chosen = dir || process.env.VAULT_DEPLOYMENTS;
  return chosen ? path.resolve(chosen) : path.join(hre.config.paths.root, "deployments");
};

/** The record file of a named vault on the current network. */
export const recordPath = (hre: HardhatRuntimeEnvironment, name: string, dir?: string): string =>
  path.join(deploymentsDir(hre, dir), hre.network.name, `${name}.json`);

/** A vault to act on, with the block to replay its logs from and the names its config gave its addresses. */
export interface VaultRef {
  readonly address: string;
  readonly fromBlock: number;
  readonly name: string | null;
  /** From the deployment record (`labels`), by checksummed address; empty without a record. */
  readonly labels: ReadonlyMap<string, string>;
}

/** The deployment record on this network whose vault is `address`, if the folder holds one. */
export function findRecordByAddress(hre: HardhatRuntimeEnvironment, address: string, dir?: string): { file: string; json: unknown } | null {
  const folder = path.join(deploymentsDir(hre, dir), hre.network.name);
  if (!existsSync(folder)) return null;
  for (const entry of readdirSync(folder)) {
    if (!entry.endsWith(".json")) continue;
    const file = path.join(folder, entry);
    try {
      const json = JSON.parse(readFileSync(file, "utf8")) as { address?: unknown };
      if (typeof json.address === "string" && json.address.toLowerCase() === address.toLowerCase()) return { file, json };
    } catch {
      // Not a record (or not readable): other files may share the folder.
    }
  }
  return null;
}

/**
 * Reads the chain: the vault `ref` names (an address, or the name of a deployment record on this network),
 * checked to hold code, and its deployment block (from the record, or from the factory's log).
 */
export async function resolveVault(hre: HardhatRuntimeEnvironment, ref: unknown, dir?: string): Promise<VaultRef> {
  const { parseDeploymentRecord, vaultDeploymentBlock } = await import("../sdk/deploy");
  if (typeof ref !== "string" || !ref.length) throw new InvalidInputError("vault", "expected a vault address or the name of a deployment record");
  const provider = hre.ethers.provider;
  if (ref.startsWith("0x")) {
    const address = requireAddress(ref, "vault");
    if ((await provider.getCode(address)) === "0x") throw new InvalidInputError("vault", `no contract at ${address} on network ${hre.network.name}`);
    const found = findRecordByAddress(hre, address, dir);
    const known = found ? parseDeploymentRecord(found.json, found.file) : null;
    if (known && known.chainId === Number((await provider.getNetwork()).chainId)) {
      return { address, fromBlock: known.blockNumber, name: known.name, labels: new Map(Object.entries(known.labels ?? {})) };
    }
    const { blockNumber } = await vaultDeploymentBlock(provider, address);
    return { address, fromBlock: blockNumber, name: null, labels: new Map() };
  }
  const file = recordPath(hre, ref, dir);
  if (!existsSync(file)) throw new InvalidInputError("vault", `no deployment record ${path.relative(process.cwd(), file)} (give the vault's address, or --deployments)`);
  const record = parseDeploymentRecord(JSON.parse(readFileSync(file, "utf8")), file);
  const chainId = Number((await provider.getNetwork()).chainId);
  if (record.chainId !== chainId) throw new InvalidInputError("vault", `${file} is for chain ${record.chainId}, network ${hre.network.name} is chain ${chainId}`);
  if ((await provider.getCode(record.address)) === "0x") throw new InvalidInputError("vault", `${file} names ${record.address}, which holds no code on this chain`);
  if (isDevNetwork(hre) && (await provider.getCode(record.address, record.blockNumber).catch(() => "0x")) === "0x") {
    // A record left from an earlier run of a development node: the vault was deployed again since.
    const { blockNumber } = await vaultDeploymentBlock(provider, record.address);
    return { address: record.address, fromBlock: blockNumber, name: record.name, labels: new Map(Object.entries(record.labels ?? {})) };
  }
  return { address: record.address, fromBlock: record.blockNumber, name: record.name, labels: new Map(Object.entries(record.labels ?? {})) };
}

/** The common parameters of the tasks that act on a vault. */
export interface VaultArgs {
  readonly vault: string;
  readonly deployments?: string;
  readonly json?: boolean;
}

/** The parameters of tasks that send a transaction: the key is `from`, or named by the key parameters (tasks/keys.ts). */
export interface SendArgs extends VaultArgs, KeyArgs {
  readonly from?: string;
}

export const VAULT_PARAM = "The vault (required): its address, or the name of its deployment record (deployments/<network>/<name>.json)";
export const DEPLOYMENTS_PARAM = "Folder of deployment records (default: $VAULT_DEPLOYMENTS, else deployments/ at the project root)";
export const JSON_PARAM = "Print the result as one JSON document (amounts in base units as strings) instead of tables";
export const FROM_PARAM = "Account to send with: an address or an index among the network's accounts (default: the first)";
