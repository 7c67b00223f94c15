/**
 * What the vault tasks share: error reporting, output (tables or JSON, progress on stderr), choosing the
 * account, and finding the vault. The SDK is imported lazily (inside actions): it needs the TypeChain
 * bindings, which do not exist before the first compile, and this file is loaded by hardhat.config.ts.
 */
import { existsSync, readFileSync } from "fs";
import path from "path";
import type { Signer } from "ethers";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { InvalidInputError, VaultSdkError } from "../sdk/errors/base";
import { requireAddress } from "../sdk/errors/validate";
import { keySigner, namesKey, type KeyArgs } from "./keys";

export const PLUGIN_NAME = "guarded-treasury-vault";

/** Networks whose state may be rewritten (`hardhat_setCode`) and whose records are disposable. */
export const isDevNetwork = (hre: HardhatRuntimeEnvironment): boolean => hre.network.name === "hardhat" || hre.network.name === "localhost";

/**
 * A task action whose SDK errors (typed, with clear messages) become `HardhatPluginError`s: the CLI prints
 * their message without a stack trace, and `parent` keeps the typed error for callers of `hre.run`.
 */
export function action<A>(fn: (args: A, hre: HardhatRuntimeEnvironment) => Promise<unknown>) {
  return async (args: A, hre: HardhatRuntimeEnvironment): Promise<unknown> => {
    try {
      return await fn(args, hre);
    } catch (e) {
      if (e instanceof VaultSdkError) throw new HardhatPluginError(PLUGIN_NAME, `${e.name}: ${e.message}`, e);
      throw e;
    }
  };
}

const jsonValue = (_key: string, v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v);

/** JSON with bigints as decimal strings. */
export const toJson = (value: unknown): string => JSON.stringify(value, jsonValue, 2);

/** The same on one line (for streams of JSON objects). */
export const toJsonLine = (value: unknown): string => JSON.stringify(value, jsonValue);

/**
 * Where a task writes: results to stdout (text, or one JSON document with `--json`), progress and warnings
 * to stderr, so that JSON output stays parseable. While a wait is under way, a line every few seconds says
 * it still is.
 */
export class Output {
  private ticker: ReturnType<typeof setInterval> | null = null;
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

  /** Shows a step; until the next step or `done()`, says every few seconds that it is still waiting. */
  progress(message: string): void {
    this.done();
    this.note(`… ${message}`);
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

/** A non-negative integer id given on the command line. */
export function parseId(value: unknown, field: string): bigint {
  if (typeof value === "bigint" && value >= 0n) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  throw new InvalidInputError(field, `expected a non-negative integer, got ${JSON.stringify(value)}`);
}

/** The folder of deployment records: `deployments/` at the project root unless given. */
export const deploymentsDir = (hre: HardhatRuntimeEnvironment, dir?: string): string =>
  dir ? path.resolve(dir) : path.join(hre.config.paths.root, "deployments");

/** The record file of a named vault on the current network. */
export const recordPath = (hre: HardhatRuntimeEnvironment, name: string, dir?: string): string =>
  path.join(deploymentsDir(hre, dir), hre.network.name, `${name}.json`);

/** A vault to act on, with the block to replay its logs from. */
export interface VaultRef {
  readonly address: string;
  readonly fromBlock: number;
  readonly name: string | null;
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
    const { blockNumber } = await vaultDeploymentBlock(provider, address);
    return { address, fromBlock: blockNumber, name: null };
  }
  const file = recordPath(hre, ref, dir);
  if (!existsSync(file)) throw new InvalidInputError("vault", `no deployment record ${path.relative(process.cwd(), file)} (give the vault's address, or --deployments)`);
  const record = parseDeploymentRecord(JSON.parse(readFileSync(file, "utf8")), file);
  const chainId = Number((await provider.getNetwork()).chainId);
  if (record.chainId !== chainId) throw new InvalidInputError("vault", `${file} is for chain ${record.chainId}, network ${hre.network.name} is chain ${chainId}`);
  if ((await provider.getCode(record.address)) === "0x") throw new InvalidInputError("vault", `${file} names ${record.address}, which holds no code on this chain`);
  return { address: record.address, fromBlock: record.blockNumber, name: record.name };
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

export const VAULT_PARAM = "The vault: its address, or the name of its deployment record (deployments/<network>/<name>.json)";
export const DEPLOYMENTS_PARAM = "Folder of deployment records (default: deployments/ at the project root)";
export const JSON_PARAM = "Print the result as one JSON document (amounts in base units as strings) instead of tables";
export const FROM_PARAM = "Account to send with: an address or an index among the network's accounts (default: the first)";
