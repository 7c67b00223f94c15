/**
 * `vault:watch`: the vault's events as they happen (the SDK's `VaultWatcher`), with anomalies flagged: a
 * tripwire, a proposed change, a queued withdrawal above a threshold. Runs until Ctrl-C, or for `--blocks`
 * new blocks or `--timeout`, whichever comes first; with `--blocks`, also until the chain has made no new
 * block for `--idle`.
 */
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseAmount, parseDuration } from "../sdk/deploy/config";
import { InvalidInputError } from "../sdk/errors/base";
import type { WatchedEvent } from "../sdk/monitor";
import { sleep } from "../sdk/monitor/sleep";
import { DEPLOYMENTS_PARAM, Output, VAULT_PARAM, action, parseId, resolveVault, toJsonLine, type VaultArgs } from "./lib";

export interface WatchArgs extends VaultArgs {
  /** First block to read: a number, "deployment" (the vault's deployment block), or the next block by default. */
  readonly fromBlock?: string;
  /** Stop after reading this many blocks from the first one. */
  readonly blocks?: string;
  /** Stop after this long (seconds or a duration). */
  readonly timeout?: string;
  /** Stop after this long without a new block (seconds or a duration). */
  readonly idle?: string;
  /** Milliseconds between polls. */
  readonly pollInterval?: string;
  /** Large-queue thresholds, e.g. "USDT=1000000,ETH=500". */
  readonly threshold?: string;
}

export async function runWatch(args: WatchArgs, hre: HardhatRuntimeEnvironment) {
  const { findToken, formatVaultEvent, readListedTokens } = await import("../sdk/format");
  const { VaultWatcher } = await import("../sdk/monitor");
  const out = new Output(args.json ?? false, 10_000);
  const blocks = args.blocks === undefined ? null : Number(parseId(args.blocks, "blocks"));
  const timeoutMs = args.timeout === undefined ? null : Number(parseDuration(/^\d+$/.test(args.timeout) ? Number(args.timeout) : args.timeout, "timeout")) * 1000;
  const interval = args.pollInterval === undefined ? 1000 : Number(parseId(args.pollInterval, "pollInterval"));
  const idleGiven = args.idle === undefined ? null : Number(parseDuration(/^\d+$/.test(args.idle) ? Number(args.idle) : args.idle, "idle")) * 1000;
  if (interval < 10) throw new InvalidInputError("pollInterval", "at least 10 ms");
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const provider = hre.ethers.provider;
  const tokens = await readListedTokens({ provider, vault: vault.address });
  const queuedThresholds: Record<string, bigint> = {};
  for (const [i, entry] of (args.threshold ? args.threshold.split(",") : []).entries()) {
    const [ref, amount] = entry.split("=").map((x) => x.trim());
    if (!ref || amount === undefined) throw new InvalidInputError(`threshold[${i}]`, `expected TOKEN=AMOUNT, got ${JSON.stringify(entry)}`);
    const t = findToken(tokens, ref, `threshold[${i}]`);
    queuedThresholds[t.token] = parseAmount(amount, t.decimals, `threshold[${i}]`);
  }
  const head = await provider.getBlockNumber();
  const fromBlock =
    args.fromBlock === undefined ? head + 1 : args.fromBlock === "deployment" ? vault.fromBlock : Number(parseId(args.fromBlock, "fromBlock"));
  const lastBlock = blocks === null ? Infinity : fromBlock + blocks - 1;
  const deadline = timeoutMs === null ? Infinity : Date.now() + timeoutMs;
  const watcher = new VaultWatcher({ provider, vault: vault.address, fromBlock, queuedThresholds });
  watcher.onAlert((a) => {
    if (a.kind === "blockUnreadable") out.note(`ALERT: block ${a.block} cannot be read (${a.attempts} attempts); waiting there and retrying, nothing after it is shown until it is read`);
    else if (a.kind === "recovered") out.note(`block ${a.block} read after ${a.attempts} failed attempts`);
    else out.note(`ALERT: a reorg replaced every block remembered, from block ${a.fromBlock}`);
  });
  // A bounded watch must end on a chain that makes no blocks (a local node mines only when sent a
  // transaction): it stops once no new block has come for --idle, by default 5 s on an automining
  // development node and 60 s elsewhere (five missed slots on Ethereum).
  const idleMs = idleGiven ?? (blocks === null ? null : (await automines(hre)) ? 5_000 : 60_000);

  let interrupted = false;
  const onSigint = () => (interrupted = true);
  const unbounded = blocks === null && timeoutMs === null;
  if (unbounded) process.once("SIGINT", onSigint);
  const bounds = [blocks !== null ? `${blocks} block(s)` : null, timeoutMs !== null ? `${timeoutMs / 1000} s` : null].filter(Boolean).join(" or ");
  out.note(`watching vault ${vault.address} from block ${fromBlock}${bounds ? ` for ${bounds}` : " (Ctrl-C to stop)"}`);
  const seen: WatchedEvent[] = [];
  let newest = -1;
  let headSince = Date.now();
  let idleStop = false;
  try {
    for (;;) {
      const latest = await provider.getBlockNumber();
      if (latest > newest) {
        newest = latest;
        headSince = Date.now();
      }
      const to = Math.min(latest, lastBlock);
      if (watcher.nextBlock <= to) {
        out.done();
        // An unreadable block is an alert (above), not the end: the next poll tries it again.
        const events = await watcher.poll({ toBlock: to }).catch((e: unknown) => {
          if (e instanceof Error && e.name === "UnreadableBlockError") return [];
          throw e;
        });
        for (const e of events) {
          seen.push(e);
          if (out.json) process.stdout.write(toJsonLine({ ...e, labels: labelsIn(e.args as unknown as Record<string, unknown>, vault.labels, tokens) }) + "\n");
          else out.print(`${e.removed ? "removed by a reorg: " : ""}${formatVaultEvent(e, tokens, { labels: vault.labels })}`);
        }
      }
      if (watcher.nextBlock > lastBlock || Date.now() >= deadline || interrupted) break;
      if (idleMs !== null && watcher.nextBlock > newest && Date.now() - headSince >= idleMs) {
        idleStop = true;
        break;
      }
      out.progress(`watching, read up to block ${watcher.nextBlock - 1}`);
      const untilIdle = idleMs === null ? Infinity : headSince + idleMs - Date.now();
      await sleep(Math.max(0, Math.min(interval, deadline - Date.now(), untilIdle)));
    }
  } finally {
    out.done();
    if (unbounded) process.removeListener("SIGINT", onSigint);
  }
  const anomalies = seen.reduce((n, e) => n + e.anomalies.length, 0);
  if (idleStop) out.note(`no new block for ${Math.round(idleMs! / 1000)} s: the chain is idle`);
  out.note(`stopped after block ${watcher.nextBlock - 1}: ${seen.length} event(s), ${anomalies} anomal${anomalies === 1 ? "y" : "ies"}; resume with --from-block ${watcher.nextBlock}`);
  return { events: seen, nextBlock: watcher.nextBlock, idle: idleStop };
}

/** The names of the addresses an event mentions: tokens by symbol, others by the record's labels. */
function labelsIn(args: Record<string, unknown>, labels: ReadonlyMap<string, string>, tokens: readonly { token: string; symbol: string }[]): Record<string, string> {
  const named: Record<string, string> = {};
  for (const v of Object.values(args)) {
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v)) continue;
    const name = tokens.find((t) => t.token === v)?.symbol ?? labels.get(v);
    if (name) named[v] = name;
  }
  return named;
}

/** Reads the node: whether it mines only when sent a transaction (Hardhat's automine), as far as it says. */
async function automines(hre: HardhatRuntimeEnvironment): Promise<boolean> {
  try {
    return (await hre.network.provider.send("hardhat_getAutomine", [])) === true;
  } catch {
    return false;
  }
}

task("vault:watch", "Stream the vault's events and flag anomalies (tripwire, proposed change, large queued withdrawal) until Ctrl-C, --blocks or --timeout")
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("fromBlock", 'First block to read: a number, or "deployment" for the vault\'s whole history (default: the next block)')
  .addOptionalParam("blocks", "Stop after reading this many blocks, counted from the first one (with the default start: new blocks)")
  .addOptionalParam("timeout", 'Stop after this long: seconds, or a duration such as "90s", "10m"')
  .addOptionalParam("idle", 'With --blocks: stop after this long without a new block, e.g. "5s" (default: 5 s on an automining development node, 60 s elsewhere)')
  .addOptionalParam("pollInterval", "Milliseconds between polls of the node", "1000")
  .addOptionalParam("threshold", 'Flag queued withdrawals above these amounts, e.g. "USDT=1000000,ETH=500" (whole tokens)')
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", "Print one JSON object per event and line (amounts in base units as strings)")
  .setAction(action("vault:watch", runWatch, { required: ["vault"] }));
