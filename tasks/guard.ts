/**
 * `npx hardhat vault:guard --rules guard-rules.json --vault 0x… --key-env GUARD_KEY [--network …]`
 *
 * The automatic responder (`Responder` in sdk/responder.ts) with one guardian key: it reads the vault's
 * events every `--poll-ms`, and pauses, suspends or cancels as the rules file says, logging one JSON line
 * per finding and action (to stdout, or appended to `--log`). It runs until interrupted (Ctrl-C), or for
 * one round (`--once`), or until `--blocks` blocks past the head at start have been handled. The task
 * returns every action taken, as data.
 *
 * The key comes from an environment variable (`--key-env NAME`, a hex private key), or is an account the
 * node unlocks (`--guardian 0x…`, e.g. on the in-process network). For a key in a KMS or HSM, use the
 * `Responder` class with the KMS signer (sdk/examples/kms-signer.ts).
 */
import fs from "fs";
import { task } from "hardhat/config";
import type { Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ResponderAction, ResponderRules } from "../sdk";
import { InvalidInputError } from "../sdk/errors";
import { action, intParam, toInt } from "./cli";

type Sdk = typeof import("../sdk");

const TASK = "vault:guard";

interface GuardArgs {
  rules: string;
  vault?: string;
  guardian?: string;
  keyEnv?: string;
  fromBlock?: number | string;
  reactFrom?: number | string;
  blocks?: number | string;
  once: boolean;
  dryRun: boolean;
  noReview: boolean;
  pollMs: number | string;
  confirmations: number | string;
  log?: string;
}

task(TASK, "Automatic responder: with one guardian key, pauses or cancels what the rules file does not expect")
  .addOptionalParam("rules", "Path of the rules file (required; JSON, see parseResponderRules in sdk/responder.ts)")
  .addOptionalParam("vault", 'The vault (default: the rules file\'s "vault")')
  .addOptionalParam("keyEnv", "Name of the environment variable that holds the guardian key (hex private key)")
  .addOptionalParam("guardian", "Address of a guardian account the node unlocks (instead of --key-env)")
  .addOptionalParam("fromBlock", "The vault's deployment block (default: found from the chain)", undefined, intParam)
  .addOptionalParam("reactFrom", "First block whose events are acted on (default: the next block)", undefined, intParam)
  .addOptionalParam("blocks", "Stop once this many blocks past the head at start are handled", undefined, intParam)
  .addFlag("once", "One round: catch up, judge what is pending, act, exit")
  .addFlag("dryRun", "Decide and log, but send nothing")
  .addFlag("noReview", "Do not judge withdrawals and changes already pending at start")
  .addOptionalParam("pollMs", "Milliseconds between rounds", 2000, intParam)
  .addOptionalParam("confirmations", "Blocks to stay behind the head", 0, intParam)
  .addOptionalParam("log", "Append the JSON log lines to this file instead of printing them")
  .setAction(action(TASK, runGuard, { required: ["rules"] }));

export async function runGuard(args: GuardArgs, hre: HardhatRuntimeEnvironment): Promise<ResponderAction[]> {
  // Loaded here, not at the top: hardhat.config.ts imports this file before the SDK's TypeChain types exist.
  const sdk = await import("../sdk");
  const rules = readRules(args.rules, sdk);
  const vault = args.vault ?? rules.vault;
  if (!vault) throw new InvalidInputError("vault", 'pass --vault, or set "vault" in the rules file');
  const blocks = toInt(args.blocks, "blocks");
  if (args.once && blocks !== undefined) throw new InvalidInputError("blocks", "--once and --blocks do not go together");
  const provider = hre.ethers.provider;
  const signer = await guardianSigner(args, hre.ethers);
  const write = args.log ? (line: string) => fs.appendFileSync(args.log as string, `${line}\n`) : (line: string) => console.log(line);
  const fromBlock = toInt(args.fromBlock, "fromBlock") ?? (await sdk.findDeploymentBlock(provider, vault));
  const responder = await sdk.Responder.create({
    vault,
    signer,
    rules,
    fromBlock,
    reactFrom: toInt(args.reactFrom, "reactFrom"),
    reviewPending: !args.noReview,
    dryRun: args.dryRun,
    pollIntervalMs: toInt(args.pollMs, "pollMs"),
    confirmations: toInt(args.confirmations, "confirmations"),
    log: (entry) => write(sdk.formatResponderLog(entry)),
  });
  if (args.once) return [...(await responder.poll()).actions];
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    return await responder.run({ blocks, signal: stop.signal });
  } finally {
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
  }
}

function readRules(path: string, sdk: Sdk): ResponderRules {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new InvalidInputError("rules", `cannot read the rules file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError("rules", `the rules file ${path} is not JSON: ${(e as Error).message}`);
  }
  try {
    return sdk.parseResponderRules(json);
  } catch (e) {
    if (!(e instanceof sdk.ResponderRulesError)) throw e;
    const lines = e.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n");
    throw new InvalidInputError("rules", `the rules file ${path} is not valid:\n${lines}`);
  }
}

async function guardianSigner(args: GuardArgs, ethers: HardhatRuntimeEnvironment["ethers"]): Promise<Signer> {
  if (args.keyEnv !== undefined && args.guardian !== undefined) throw new InvalidInputError("keyEnv", "pass either --key-env or --guardian, not both");
  if (args.keyEnv !== undefined) {
    const key = process.env[args.keyEnv];
    if (!key) throw new InvalidInputError("keyEnv", `the environment variable ${args.keyEnv} (--key-env) is not set`);
    try {
      return new ethers.Wallet(key, ethers.provider);
    } catch {
      throw new InvalidInputError("keyEnv", `the environment variable ${args.keyEnv} does not hold a valid private key`);
    }
  }
  if (args.guardian !== undefined) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(args.guardian)) throw new InvalidInputError("guardian", `not an address: ${args.guardian}`);
    return ethers.getSigner(args.guardian);
  }
  throw new InvalidInputError("keyEnv", "pass the guardian key: --key-env NAME (a variable holding the private key) or --guardian ADDRESS (an account the node unlocks)");
}
