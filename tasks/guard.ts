/**
 * `npx hardhat vault:guard --rules guard-rules.json --vault 0x… --key-env GUARD_KEY [--network …]`
 *
 * The automatic responder (`Responder` in sdk/monitor/responder.ts) with one guardian key: it reads the vault's
 * events every `--poll-ms`, and pauses, suspends or cancels as the rules file says, logging one JSON line
 * per finding and action (to stdout, or appended to `--log`). It runs until interrupted (Ctrl-C), or for
 * one round (`--once`), or until `--blocks` blocks past the head at start have been handled. The task
 * returns every action taken, as data.
 *
 * The key is in an HSM (`--hsm-token LABEL --hsm-key LABEL`, the PIN in `$HSM_PIN` or `--hsm-pin-file`;
 * see tasks/keys.ts), in an environment variable (`--key-env NAME`, a hex private key), or is an account
 * the node unlocks (`--guardian 0x…`, e.g. on the in-process network). For a key in AWS KMS, run the
 * `Responder` class with `AwsKmsSigner` (sdk/signers).
 */
import fs from "fs";
import { task, types } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ResponderAction, ResponderRules } from "../sdk/monitor";
import { VaultSdkError } from "../sdk/errors/base";
import { keySigner, namesKey, withHsmParams, type KeyArgs } from "./keys";

type Monitor = typeof import("../sdk/monitor");

const TASK = "vault:guard";

interface GuardArgs extends KeyArgs {
  rules: string;
  vault?: string;
  guardian?: string;
  fromBlock?: number;
  reactFrom?: number;
  blocks?: number;
  once: boolean;
  dryRun: boolean;
  noReview: boolean;
  pollMs: number;
  confirmations?: number;
  log?: string;
}

withHsmParams(task(TASK, "Automatic responder: with one guardian key, pauses or cancels what the rules file does not expect"))
  .addParam("rules", "Path of the rules file (JSON; see parseResponderRules in sdk/monitor/responder.ts)")
  .addOptionalParam("vault", 'The vault (default: the rules file\'s "vault")')
  .addOptionalParam("keyEnv", "Name of the environment variable that holds the guardian key (hex private key); prefer an HSM key")
  .addOptionalParam("guardian", "Address of a guardian account the node unlocks (instead of a key)")
  .addOptionalParam("fromBlock", "The vault's deployment block (default: found from the chain)", undefined, types.int)
  .addOptionalParam("reactFrom", "First block whose events are acted on (default: the next block)", undefined, types.int)
  .addOptionalParam("blocks", "Stop once this many blocks past the head at start are handled", undefined, types.int)
  .addFlag("once", "One round: catch up, judge what is pending, act, exit")
  .addFlag("dryRun", "Decide and log, but send nothing")
  .addFlag("noReview", "Do not judge withdrawals and changes already pending at start")
  .addOptionalParam("pollMs", "Milliseconds between rounds", 2000, types.int)
  .addOptionalParam("confirmations", "Blocks to stay behind the head (default: the chain's: 2 on Ethereum, 0 on a local node; see chainDefaults)", undefined, types.int)
  .addOptionalParam("log", "Append the JSON log lines to this file instead of printing them")
  .setAction(async (args: GuardArgs, hre): Promise<ResponderAction[]> => {
    // Loaded here, not at the top: hardhat.config.ts imports this file before the SDK's TypeChain types exist.
    const monitor = await import("../sdk/monitor");
    const { findDeploymentBlock } = await import("../sdk/deploy");
    const { InvalidInputError } = await import("../sdk/errors/base");
    const rules = readRules(args.rules, monitor);
    const vault = args.vault ?? rules.vault;
    if (!vault) throw new HardhatPluginError(TASK, 'pass --vault, or set "vault" in the rules file');
    if (args.once && args.blocks !== undefined) throw new HardhatPluginError(TASK, "--once and --blocks do not go together");
    const provider = hre.ethers.provider;
    const signer = await guardianSigner(args, hre);
    const write = args.log ? (line: string) => fs.appendFileSync(args.log as string, `${line}\n`) : (line: string) => console.log(line);
    try {
      const fromBlock = args.fromBlock ?? (await findDeploymentBlock(provider, vault));
      const responder = await monitor.Responder.create({
        vault,
        signer,
        rules,
        fromBlock,
        reactFrom: args.reactFrom,
        reviewPending: !args.noReview,
        dryRun: args.dryRun,
        pollIntervalMs: args.pollMs,
        confirmations: args.confirmations,
        log: (entry) => write(monitor.formatResponderLog(entry)),
        // Besides the JSON line: a block it cannot read leaves it blind past that block, so say so on stderr too.
        onAlert: (a) => {
          if (a.kind === "blockUnreadable") console.error(`ALERT: block ${a.block} of the vault's logs cannot be read (${a.attempts} attempts); the responder waits there and retries: ${a.error.message}`);
          else if (a.kind === "recovered") console.error(`block ${a.block} read after ${a.attempts} failed attempts; the responder is caught up past it`);
          else console.error(`ALERT: a reorg replaced every block the responder remembers, from block ${a.fromBlock}; events before it may have changed too`);
        },
      });
      if (args.once) {
        const round = await responder.poll();
        const stuck = round.alerts.find((a) => a.kind === "blockUnreadable");
        if (stuck) throw new HardhatPluginError(TASK, `block ${stuck.block} could not be read: acted on the blocks before it (${round.actions.length} action(s), logged), nothing after it was read`);
        return [...round.actions];
      }
      const stop = new AbortController();
      const interrupt = () => stop.abort();
      process.once("SIGINT", interrupt);
      process.once("SIGTERM", interrupt);
      try {
        return await responder.run({ blocks: args.blocks, signal: stop.signal });
      } finally {
        process.removeListener("SIGINT", interrupt);
        process.removeListener("SIGTERM", interrupt);
      }
    } catch (e) {
      if (e instanceof InvalidInputError) throw new HardhatPluginError(TASK, e.message);
      throw e;
    }
  });

function readRules(path: string, monitor: Monitor): ResponderRules {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new HardhatPluginError(TASK, `cannot read the rules file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HardhatPluginError(TASK, `the rules file ${path} is not JSON: ${(e as Error).message}`);
  }
  try {
    return monitor.parseResponderRules(json);
  } catch (e) {
    if (!(e instanceof monitor.ResponderRulesError)) throw e;
    const lines = e.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n");
    throw new HardhatPluginError(TASK, `the rules file ${path} is not valid:\n${lines}`);
  }
}

async function guardianSigner(args: GuardArgs, hre: HardhatRuntimeEnvironment): Promise<Signer> {
  if (namesKey(args)) {
    if (args.guardian !== undefined) throw new HardhatPluginError(TASK, "pass either a key (--hsm-token and --hsm-key, or --key-env) or --guardian, not both");
    try {
      return await keySigner(hre, args);
    } catch (e) {
      if (e instanceof VaultSdkError) throw new HardhatPluginError(TASK, e.message, e);
      throw e;
    }
  }
  if (args.guardian !== undefined) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(args.guardian)) throw new HardhatPluginError(TASK, `--guardian: not an address: ${args.guardian}`);
    return hre.ethers.getSigner(args.guardian);
  }
  throw new HardhatPluginError(
    TASK,
    "pass the guardian key: --hsm-token LABEL --hsm-key LABEL (a key in an HSM, PIN in $HSM_PIN), --key-env NAME (a variable holding the private key) or --guardian ADDRESS (an account the node unlocks)",
  );
}
