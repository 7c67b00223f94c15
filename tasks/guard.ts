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
import { task } from "hardhat/config";
import type { Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ResponderAction, ResponderRules } from "../sdk/monitor";
import { InvalidInputError, VaultSdkError } from "../sdk/errors/base";
import { parseAmount } from "../sdk/deploy/config";
import type { TokenMeta } from "../sdk/format/human";
import { action, intParam, toInt } from "./cli";
import { keySigner, namesKey, withHsmParams, type KeyArgs } from "./keys";
import { DEPLOYMENTS_PARAM, resolveVault } from "./lib";

type Monitor = typeof import("../sdk/monitor");

const TASK = "vault:guard";

interface GuardArgs extends KeyArgs {
  rules: string;
  vault?: string;
  guardian?: string;
  fromBlock?: number | string;
  reactFrom?: number | string;
  blocks?: number | string;
  once: boolean;
  dryRun: boolean;
  noReview: boolean;
  pollMs: number | string;
  confirmations?: number | string;
  log?: string;
  deployments?: string;
}

withHsmParams(task(TASK, "Automatic responder: with one guardian key, pauses or cancels what the rules file does not expect"))
  .addOptionalParam("rules", "Path of the rules file (required; JSON, see parseResponderRules in sdk/monitor/responder.ts; tokens by symbol, operators and destinations by label, whole-token amounts with \"units\": \"tokens\")")
  .addOptionalParam("vault", 'The vault (default: the rules file\'s "vault")')
  .addOptionalParam("keyEnv", "Name of the environment variable that holds the guardian key (hex private key); prefer an HSM key")
  .addOptionalParam("guardian", "Address of a guardian account the node unlocks (instead of a key)")
  .addOptionalParam("fromBlock", "The vault's deployment block (default: found from the chain)", undefined, intParam)
  .addOptionalParam("reactFrom", "First block whose events are acted on (default: the next block)", undefined, intParam)
  .addOptionalParam("blocks", "Stop once this many blocks past the head at start are handled", undefined, intParam)
  .addFlag("once", "One round: catch up, judge what is pending, act, exit")
  .addFlag("dryRun", "Decide and log, but send nothing")
  .addFlag("noReview", "Do not judge withdrawals and changes already pending at start")
  .addOptionalParam("pollMs", "Milliseconds between rounds", 2000, intParam)
  .addOptionalParam("confirmations", "Blocks to stay behind the head (default: the chain's: 2 on Ethereum, 0 on a local node; see chainDefaults)", undefined, intParam)
  .addOptionalParam("log", "Append the JSON log lines to this file instead of printing them")
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .setAction(action(TASK, runGuard, { required: ["rules"] }));

export async function runGuard(args: GuardArgs, hre: HardhatRuntimeEnvironment): Promise<ResponderAction[]> {
  // Loaded here, not at the top: hardhat.config.ts imports this file before the SDK's TypeChain types exist.
  const monitor = await import("../sdk/monitor");
  const { findDeploymentBlock } = await import("../sdk/deploy");
  const { readListedTokens } = await import("../sdk/format");
  const json = readRulesJson(args.rules);
  const vaultRef = args.vault ?? (json as { vault?: unknown } | null)?.vault;
  if (vaultRef === undefined) {
    parseRules(args.rules, json, monitor); // every problem of the file first
    throw new InvalidInputError("vault", 'pass --vault, or set "vault" in the rules file');
  }
  const ref = await resolveVault(hre, vaultRef, args.deployments);
  const vault = ref.address;
  const tokens = await readListedTokens({ provider: hre.ethers.provider, vault });
  const rules = parseRules(args.rules, withAddressesAndBaseUnits(json, { tokens, labels: ref.labels, source: args.rules }), monitor);
  const names = new Map<string, string>([...ref.labels, ...tokens.map((t) => [t.token, t.symbol] as [string, string])]);
  const blocks = toInt(args.blocks, "blocks");
  if (args.once && blocks !== undefined) throw new InvalidInputError("blocks", "--once and --blocks do not go together");
  const provider = hre.ethers.provider;
  const signer = await guardianSigner(args, hre);
  const write = args.log ? (line: string) => fs.appendFileSync(args.log as string, `${line}\n`) : (line: string) => console.log(line);
  const fromBlock = toInt(args.fromBlock, "fromBlock") ?? (await findDeploymentBlock(provider, vault));
  const responder = await monitor.Responder.create({
    vault,
    signer,
    rules,
    fromBlock,
    reactFrom: toInt(args.reactFrom, "reactFrom"),
    reviewPending: !args.noReview,
    dryRun: args.dryRun,
    pollIntervalMs: toInt(args.pollMs, "pollMs"),
    confirmations: toInt(args.confirmations, "confirmations"),
    log: (entry) => write(withNames(monitor.formatResponderLog(entry), names, tokens)),
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
    if (stuck) throw new VaultSdkError(`block ${stuck.block} could not be read: acted on the blocks before it (${round.actions.length} action(s), logged), nothing after it was read`);
    return [...round.actions];
  }
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

function readRulesJson(path: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new InvalidInputError("rules", `cannot read the rules file ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError("rules", `the rules file ${path} is not JSON: ${(e as Error).message}`);
  }
}

function parseRules(path: string, json: unknown, monitor: Monitor): ResponderRules {
  try {
    return monitor.parseResponderRules(json);
  } catch (e) {
    if (!(e instanceof monitor.ResponderRulesError)) throw e;
    const lines = e.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n");
    throw new InvalidInputError("rules", `the rules file ${path} is not valid:\n${lines}`);
  }
}

/** The guardian's signer: a key (HSM or environment variable, tasks/keys.ts), or an account the node unlocks. */
async function guardianSigner(args: GuardArgs, hre: HardhatRuntimeEnvironment): Promise<Signer> {
  if (namesKey(args)) {
    if (args.guardian !== undefined) throw new InvalidInputError("guardian", "pass either a key (--hsm-token and --hsm-key, or --key-env) or --guardian, not both");
    return keySigner(hre, args);
  }
  if (args.guardian !== undefined) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(args.guardian)) throw new InvalidInputError("guardian", `not an address: ${args.guardian}`);
    return hre.ethers.getSigner(args.guardian);
  }
  throw new InvalidInputError(
    "keyEnv",
    "pass the guardian key: --hsm-token LABEL --hsm-key LABEL (a key in an HSM, PIN in $HSM_PIN), --key-env NAME (a variable holding the private key) or --guardian ADDRESS (an account the node unlocks)",
  );
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The rules file as `parseResponderRules` takes it, from the forms people write: tokens by the vault's
 * symbols ("USDT"), operators and destinations by the config's labels ("bot1"), and with `"units": "tokens"`
 * amounts in whole tokens like the config ("250000.5"); without it, amounts stay base units. Names that
 * match nothing are refused here, naming the field.
 */
export function withAddressesAndBaseUnits(json: unknown, o: { tokens: readonly TokenMeta[]; labels: ReadonlyMap<string, string>; source: string }): unknown {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return json;
  const { units, ...root } = json as Record<string, unknown>;
  if (units !== undefined && units !== "tokens" && units !== "baseUnits") throw new InvalidInputError("rules.units", `expected "tokens" or "baseUnits", got ${JSON.stringify(units)}`);
  const byLabel = new Map([...o.labels].map(([address, label]) => [label.toLowerCase(), address]));
  const who = (v: unknown, at: string): unknown => {
    if (typeof v !== "string" || v === "*" || ADDRESS.test(v)) return v;
    const address = byLabel.get(v.toLowerCase());
    if (!address) throw new InvalidInputError(at, `${JSON.stringify(v)} is neither an address nor a label of the vault's deployment record${o.labels.size ? ` (labels: ${[...o.labels.values()].join(", ")})` : ""}`);
    return address;
  };
  const withdrawals = root.withdrawals as Record<string, unknown> | undefined;
  if (!withdrawals || typeof withdrawals !== "object" || !Array.isArray(withdrawals.expected)) return root;
  const expected = withdrawals.expected.map((p: unknown, i: number) => {
    if (p === null || typeof p !== "object" || Array.isArray(p)) return p;
    const at = `rules.withdrawals.expected[${i}]`;
    const pattern = { ...(p as Record<string, unknown>) };
    let token: TokenMeta | null = null;
    if (typeof pattern.token === "string" && pattern.token !== "*") {
      const ref = pattern.token;
      token = o.tokens.find((t) => t.symbol.toLowerCase() === ref.toLowerCase() || t.token.toLowerCase() === ref.toLowerCase()) ?? null;
      if (!token && !ADDRESS.test(ref) && ref !== "ETH") {
        throw new InvalidInputError(`${at}.token`, `${ref} is not listed by the vault; listed: ${o.tokens.map((t) => t.symbol).join(", ") || "none"}`);
      }
      if (token) pattern.token = token.token;
    }
    pattern.operator = who(pattern.operator, `${at}.operator`);
    if (Array.isArray(pattern.destinations)) pattern.destinations = pattern.destinations.map((d, j) => who(d, `${at}.destinations[${j}]`));
    if (units === "tokens") {
      for (const [key, value] of Object.entries(pattern)) {
        if (!/amount|total/i.test(key) || typeof value !== "string") continue;
        if (!token) throw new InvalidInputError(`${at}.${key}`, 'an amount in whole tokens needs one token (not "*"): give "token", or "units": "baseUnits"');
        pattern[key] = parseAmount(value, token.decimals, `${at}.${key}`).toString();
      }
    }
    return pattern;
  });
  return { ...root, withdrawals: { ...withdrawals, expected } };
}

/**
 * A responder log line with the names of the addresses it mentions (`names`: tokens by symbol, the rest by
 * the record's labels), the base-unit amounts of tokens it mentions in whole tokens (`amounts`), and its
 * `detail` with both substituted (`detailNamed`).
 */
export function withNames(line: string, names: ReadonlyMap<string, string>, tokens: readonly TokenMeta[]): string {
  const entry = JSON.parse(line) as Record<string, unknown>;
  const found: Record<string, string> = {};
  const amounts: string[] = [];
  const token = (address: string) => tokens.find((t) => t.token.toLowerCase() === address.toLowerCase());
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      for (const [address] of v.matchAll(ADDRESSES)) if (names.has(address)) found[address] = names.get(address)!;
      // The responder's details say "<base units> of <token address>".
      for (const [, amount, address] of v.matchAll(AMOUNT_OF_TOKEN)) {
        const t = token(address);
        if (t) amounts.push(`${formatUnitsExact(BigInt(amount), t.decimals)} ${t.symbol}`);
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const t = typeof o.token === "string" ? token(o.token) : undefined;
      if (t && typeof o.amount === "string" && /^\d+$/.test(o.amount)) amounts.push(`${formatUnitsExact(BigInt(o.amount), t.decimals)} ${t.symbol}`);
      Object.values(o).forEach(visit);
    }
  };
  visit(entry);
  const detailNamed =
    typeof entry.detail === "string"
      ? entry.detail
          .replace(AMOUNT_OF_TOKEN, (all, amount: string, address: string) => {
            const t = token(address);
            return t ? `${formatUnitsExact(BigInt(amount), t.decimals)} ${t.symbol}` : all;
          })
          .replace(ADDRESSES, (address) => (names.has(address) ? `${names.get(address)} (${address})` : address))
      : undefined;
  return JSON.stringify({
    ...entry,
    ...(Object.keys(found).length ? { names: found } : {}),
    ...(amounts.length ? { amounts: [...new Set(amounts)] } : {}),
    ...(detailNamed !== undefined && detailNamed !== entry.detail ? { detailNamed } : {}),
  });
}

const ADDRESSES = /0x[0-9a-fA-F]{40}/g;
const AMOUNT_OF_TOKEN = /\b(\d+) of (0x[0-9a-fA-F]{40})/g;

function formatUnitsExact(amount: bigint, decimals: number): string {
  const base = 10n ** BigInt(decimals);
  const fraction = (amount % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${amount / base}${fraction ? `.${fraction}` : ""}`;
}
