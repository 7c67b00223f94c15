/**
 * Reading the vault's events in a way nobody can blind: the one log reader that the watcher, the responder
 * and the bot's policy cache share.
 *
 * - **By topic.** Each consumer asks only for the events it needs (`events`), so logs anyone can make the
 *   vault emit (deposits) or that other contracts emit never count against a provider's result cap.
 * - **Atomic pages.** A block range is handed to the consumer (`batch`) before the cursor moves past it; if
 *   the consumer throws, the range is read again next round. Nothing read is dropped, nothing is skipped.
 * - **Retry, backoff, split.** A failed request is retried with exponential backoff; a range the provider
 *   refuses for its size (`query returned more than 10000 results`, `Log response size exceeded`, ...) is
 *   split in halves, down to a single block. A single block that still cannot be read raises an
 *   `blockUnreadable` alert and `UnreadableBlockError`; the cursor stays on it and every later round tries
 *   it again (a `recovered` alert follows once it is read). Page size grows back after successes.
 * - **Confirmations and reorgs.** Only blocks `confirmations` below the head are read (default per chain:
 *   `chainDefaults`). The hash of the last block of every page, and of every block an event came from, is
 *   remembered for `reorgWindow` blocks; each round checks the newest against the chain and, on a mismatch,
 *   walks back to the newest block that still matches, hands the consumer the events removed (`reorg`),
 *   and reads the range again. A block's hash is read *before* its logs, so a reorg between the two reads
 *   is caught on the next round.
 */
import type { Log, Provider } from "ethers";
import { decodeVaultLog, type VaultEvent, type VaultEventName } from "./events";
import { InvalidInputError, RpcError } from "../errors/base";
import { read, vaultInterface } from "../clients/transport";
import { requireAddress } from "../errors/validate";
import { sleep } from "./sleep";

/** Retries of one request before a range is split (or, for a single block, declared unreadable this round). */
export interface RetryOptions {
  /** Attempts per range and round, the first included (default 3). */
  readonly attempts?: number;
  /** Delay before the first retry; doubles each retry, with jitter (default 250 ms). */
  readonly minDelayMs?: number;
  /** Longest delay between retries (default 5000 ms). */
  readonly maxDelayMs?: number;
}

/** How deep a chain reorganises in practice, and so how far behind the head to read and how long to remember hashes. */
export interface ChainDefaults {
  readonly chain: string;
  /** Blocks to stay behind the head. */
  readonly confirmations: number;
  /** Blocks below the head whose hashes are kept to detect a reorg (beyond it, blocks are taken as final). */
  readonly reorgWindow: number;
}

/**
 * Defaults by chain id. Ethereum and its testnets: reorgs deeper than one block are rare since the merge,
 * and blocks are final after two epochs (64 slots); 2 confirmations cost 24 s against timelocks of hours.
 * OP Stack chains and Arbitrum: the sequencer's blocks reorg only if it misbehaves or the L1 batch is
 * reorged, so 1 confirmation, with a window covering the L1 finality delay at their block times. Polygon
 * PoS has had reorgs of tens of blocks (157 in 2023) before milestones gave it finality in about 16
 * blocks. BNB Chain: fast finality in 2 blocks, 5 to be safe. Avalanche C-Chain: final on acceptance.
 * Local development chains (Hardhat, Anvil): 0. Any other chain: 12 confirmations, 256 blocks remembered.
 */
export const CHAIN_DEFAULTS: Readonly<Record<string, ChainDefaults>> = {
  "1": { chain: "Ethereum", confirmations: 2, reorgWindow: 64 },
  "11155111": { chain: "Sepolia", confirmations: 2, reorgWindow: 64 },
  "17000": { chain: "Holesky", confirmations: 2, reorgWindow: 64 },
  "560048": { chain: "Hoodi", confirmations: 2, reorgWindow: 64 },
  "10": { chain: "OP Mainnet", confirmations: 1, reorgWindow: 512 },
  "8453": { chain: "Base", confirmations: 1, reorgWindow: 512 },
  "42161": { chain: "Arbitrum One", confirmations: 1, reorgWindow: 4096 },
  "137": { chain: "Polygon PoS", confirmations: 16, reorgWindow: 256 },
  "56": { chain: "BNB Chain", confirmations: 5, reorgWindow: 64 },
  "43114": { chain: "Avalanche C-Chain", confirmations: 0, reorgWindow: 16 },
  "31337": { chain: "Hardhat / Anvil", confirmations: 0, reorgWindow: 64 },
  "1337": { chain: "local development chain", confirmations: 0, reorgWindow: 64 },
};

/** The defaults for a chain id (see `CHAIN_DEFAULTS`); 12 confirmations and 256 blocks for a chain not listed. */
export function chainDefaults(chainId: bigint | number): ChainDefaults {
  return CHAIN_DEFAULTS[String(chainId)] ?? { chain: `chain ${String(chainId)}`, confirmations: 12, reorgWindow: 256 };
}

/** Something the operator of a reader must see (not a log line): a block that cannot be read, and its recovery. */
export type LogReaderAlert =
  | {
      readonly kind: "blockUnreadable";
      /** The block the cursor waits at; nothing after it is read until it is. */
      readonly block: number;
      /** Requests for it so far, across rounds. */
      readonly attempts: number;
      /** When it first failed (ms since the epoch). */
      readonly since: number;
      readonly error: { readonly name: string; readonly message: string };
    }
  | { readonly kind: "recovered"; readonly block: number; readonly attempts: number; readonly since: number }
  | {
      /** A reorg replaced every remembered block: events older than the window may have changed too. */
      readonly kind: "reorgBeyondWindow";
      readonly fromBlock: number;
    };

/** A block the provider would not serve within this round's attempts; the cursor stays on it. */
export class UnreadableBlockError extends RpcError {
  readonly block: number;
  readonly attempts: number;
  constructor(block: number, attempts: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`block ${block} could not be read after ${attempts} attempt(s); it will be retried, never skipped: ${why.slice(0, 300)}`, {
      cause,
      code: (cause as { code?: string | number } | null)?.code,
    });
    this.block = block;
    this.attempts = attempts;
  }
}

/** The events of a block range, in chain order, every block of which has been read. */
export interface LogBatch {
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly events: readonly VaultEvent[];
}

/** Blocks from `fromBlock` on were replaced: `removed` are the events handed on before from those blocks, in chain order. */
export interface Reorg {
  readonly fromBlock: number;
  readonly removed: readonly VaultEvent[];
}

/** Where a reader hands what it reads. `batch` runs before the cursor moves; if it throws, the range is read again. */
export interface LogConsumer {
  batch(batch: LogBatch): void | Promise<void>;
  /** Called before the replaced range is read again. */
  reorg?(reorg: Reorg): void | Promise<void>;
  alert?(alert: LogReaderAlert): void | Promise<void>;
}

export interface LogReaderOptions {
  readonly provider: Provider;
  readonly vault: string;
  /** The events to read, by name; all of the vault's events if omitted. */
  readonly events?: readonly VaultEventName[];
  /** First block to read. */
  readonly fromBlock: number;
  /**
   * A block the consumer's state already reflects (usually `fromBlock - 1`, read some other way), checked
   * for a reorg like the blocks this reader read.
   */
  readonly anchor?: { readonly block: number; readonly hash: string };
  /** Blocks to stay behind the head (default: the chain's, see `chainDefaults`). */
  readonly confirmations?: number;
  /** Blocks whose hashes are remembered to detect reorgs (default: the chain's). */
  readonly reorgWindow?: number;
  /** Most blocks per `eth_getLogs` request (default 2000); smaller ranges are used while a provider refuses. */
  readonly maxBlockRange?: number;
  readonly retry?: RetryOptions;
}

/** The head as a caller already knows it, to save requests. */
export interface KnownHead {
  readonly number: number;
  readonly hash: string | null;
  readonly parentHash?: string;
}

/** What one round read. */
export interface ReadRound {
  readonly fromBlock: number;
  /** Last block read (fromBlock - 1 if none). */
  readonly toBlock: number;
  readonly reorg: Reorg | null;
}

/** Errors a provider sends when a log query is too large (by results, range or time). */
const RANGE_REFUSED =
  /more than \d+ results|response size (is )?(exceeded|too (large|big))|log response size|(block )?range (is )?too (large|wide|big)|exceed(s|ed)?( the)? max(imum)?( block)? range|range (limit|exceeded)|too many (results|logs|blocks)|limit(ed)? (is )?exceeded|query timeout|query returned more than|try with this block range|result window is too large|logs matched by query exceeds|(is )?limited to (a )?[\d,]+( block)? range/i;

function errorText(e: unknown, depth = 0): string {
  if (e === null || e === undefined || depth > 4) return "";
  if (typeof e !== "object") return String(e);
  const o = e as { message?: unknown; shortMessage?: unknown; error?: unknown; info?: { error?: unknown }; cause?: unknown };
  return [o.message, o.shortMessage]
    .filter((m) => typeof m === "string")
    .concat([errorText(o.error, depth + 1), errorText(o.info?.error, depth + 1), errorText(o.cause, depth + 1)])
    .join(" | ");
}

/** Whether a provider refused a log query for its size (so splitting it helps). Pure. */
export function isRangeRefusal(e: unknown): boolean {
  return RANGE_REFUSED.test(errorText(e));
}

const nonNegative = (v: number | undefined, field: string, min = 0): void => {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) throw new InvalidInputError(field, `expected an integer of at least ${min}, got ${String(v)}`);
};

interface Checkpoint {
  readonly block: number;
  readonly hash: string;
}

export class LogReader {
  readonly vault: string;
  /** The names of the events read. */
  readonly events: readonly VaultEventName[];
  private readonly provider: Provider;
  private readonly topics: string[];
  private readonly maxRange: number;
  private readonly attempts: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private confirmations: number | undefined;
  private reorgWindow: number | undefined;
  private next: number;
  private readonly origin: number;
  private range: number;
  private successes = 0;
  private checkpoints: Checkpoint[] = [];
  private retained: VaultEvent[] = [];
  private stuck: { block: number; attempts: number; since: number } | null = null;

  /** Validates the options; no network call. */
  constructor(o: LogReaderOptions) {
    this.vault = requireAddress(o.vault, "vault");
    this.provider = o.provider;
    nonNegative(o.fromBlock, "fromBlock");
    if (o.fromBlock === undefined) throw new InvalidInputError("fromBlock", "required");
    nonNegative(o.confirmations, "confirmations");
    nonNegative(o.reorgWindow, "reorgWindow", 1);
    nonNegative(o.maxBlockRange, "maxBlockRange", 1);
    nonNegative(o.retry?.attempts, "retry.attempts", 1);
    nonNegative(o.retry?.minDelayMs, "retry.minDelayMs");
    nonNegative(o.retry?.maxDelayMs, "retry.maxDelayMs");
    const names: VaultEventName[] = [];
    vaultInterface.forEachEvent((e) => names.push(e.name as VaultEventName));
    if (o.events) {
      if (o.events.length === 0) throw new InvalidInputError("events", "expected at least one event name");
      for (const n of o.events) if (!names.includes(n)) throw new InvalidInputError("events", `not an event of the vault: ${String(n)}`);
    }
    this.events = [...(o.events ?? names)];
    this.topics = this.events.map((n) => vaultInterface.getEvent(n)!.topicHash);
    this.next = o.fromBlock;
    this.origin = o.fromBlock;
    if (o.anchor) {
      nonNegative(o.anchor.block, "anchor.block");
      if (o.anchor.block >= o.fromBlock) throw new InvalidInputError("anchor.block", "expected a block before fromBlock");
      this.checkpoints.push({ block: o.anchor.block, hash: o.anchor.hash });
      this.origin = o.anchor.block + 1;
    }
    this.maxRange = o.maxBlockRange ?? 2000;
    this.range = this.maxRange;
    this.confirmations = o.confirmations;
    this.reorgWindow = o.reorgWindow;
    this.attempts = o.retry?.attempts ?? 3;
    this.minDelay = o.retry?.minDelayMs ?? 250;
    this.maxDelay = Math.max(o.retry?.maxDelayMs ?? 5000, this.minDelay);
  }

  /** The next block to read: persist it and pass it back as `fromBlock` to resume. */
  get nextBlock(): number {
    return this.next;
  }

  /** Blocks this reader stays behind the head; null until the first round when the chain's default applies. */
  get confirmationDepth(): number | null {
    return this.confirmations ?? null;
  }

  /**
   * Reads the chain: checks the last blocks read for a reorg (handing `reorg` what it removed), then reads
   * from `nextBlock` to the head less the confirmations (or `toBlock`, if lower), handing each range to
   * `batch` in order. Throws `UnreadableBlockError` (after an alert) if a single block cannot be read; the
   * ranges before it have been handed on and `nextBlock` is that block.
   */
  async poll(consumer: LogConsumer, o: { toBlock?: number; head?: KnownHead } = {}): Promise<ReadRound> {
    await this.resolveDefaults();
    const latest = o.head?.number ?? (await read(() => this.provider.getBlockNumber()));
    const reorg = await this.checkReorg(consumer, latest, o.head);
    const start = this.next;
    const target = Math.min(o.toBlock ?? Infinity, latest - this.confirmations!);
    while (this.next <= target) {
      await this.readRange(this.next, Math.min(this.next + this.range - 1, target), consumer, latest, o.head);
    }
    this.prune(latest);
    return { fromBlock: start, toBlock: this.next - 1, reorg };
  }

  private async resolveDefaults(): Promise<void> {
    if (this.confirmations !== undefined && this.reorgWindow !== undefined) return;
    const network = await read(() => this.provider.getNetwork());
    const d = chainDefaults(network.chainId);
    this.confirmations ??= d.confirmations;
    this.reorgWindow ??= Math.max(d.reorgWindow, this.confirmations + 1);
  }

  private async hashAt(block: number, head?: KnownHead): Promise<string | null> {
    if (head && head.number === block && head.hash) return head.hash;
    if (head?.parentHash && head.number === block + 1) return head.parentHash;
    const b = await read(() => this.provider.getBlock(block));
    return b?.hash ?? null;
  }

  private async checkReorg(consumer: LogConsumer, latest: number, head?: KnownHead): Promise<Reorg | null> {
    const newest = this.checkpoints.at(-1);
    // A head below the last block read is a node lagging behind (or a shorter chain, seen once it grows).
    if (!newest || newest.block > latest) return null;
    if ((await this.hashAt(newest.block, head)) === newest.hash) return null;
    let keep = -1;
    for (let i = this.checkpoints.length - 2; i >= 0; i--) {
      const c = this.checkpoints[i];
      if (c.block <= latest && (await this.hashAt(c.block, head)) === c.hash) {
        keep = i;
        break;
      }
    }
    const fromBlock = keep >= 0 ? this.checkpoints[keep].block + 1 : Math.max(this.origin, this.checkpoints[0].block);
    const removed = this.retained.filter((e) => e.blockNumber >= fromBlock);
    this.retained = this.retained.filter((e) => e.blockNumber < fromBlock);
    this.checkpoints = this.checkpoints.slice(0, keep + 1);
    this.next = Math.min(this.next, fromBlock);
    const reorg: Reorg = { fromBlock, removed };
    if (keep < 0) await this.alert(consumer, { kind: "reorgBeyondWindow", fromBlock });
    await consumer.reorg?.(reorg);
    return reorg;
  }

  /** Reads [from, to] (splitting it if needed) and hands it on, range by range, in order. */
  private async readRange(from: number, to: number, consumer: LogConsumer, latest: number, head?: KnownHead): Promise<void> {
    let failure: unknown;
    let tries = 0;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await sleep(this.delay(attempt), { unref: true });
      tries++;
      let page: { events: VaultEvent[]; hash: string | null };
      try {
        page = await this.fetch(from, to, latest, head);
      } catch (e) {
        failure = e;
        if (from < to && isRangeRefusal(e)) break; // splitting helps; retrying the same size would not
        continue;
      }
      await this.deliver(from, to, page.events, page.hash, consumer, latest);
      if (to - from + 1 >= this.range && ++this.successes >= 4 && this.range < this.maxRange) {
        this.range = Math.min(this.maxRange, this.range * 2);
        this.successes = 0;
      }
      return;
    }
    if (from < to) {
      // Halve the page size and read the range in pages of that size: a provider's limit is found in
      // log2(range / limit) refusals, and the rest of the range is read at the size that works.
      this.range = Math.max(1, Math.ceil((to - from + 1) / 2));
      this.successes = 0;
      for (let a = from; a <= to; a = this.next) await this.readRange(a, Math.min(a + this.range - 1, to), consumer, latest, head);
      return;
    }
    this.stuck = this.stuck?.block === from ? { ...this.stuck, attempts: this.stuck.attempts + tries } : { block: from, attempts: tries, since: Date.now() };
    const error = new UnreadableBlockError(from, this.stuck.attempts, failure);
    const cause = failure instanceof Error ? failure : new Error(String(failure));
    await this.alert(consumer, { kind: "blockUnreadable", block: from, attempts: this.stuck.attempts, since: this.stuck.since, error: { name: cause.name, message: error.message } });
    throw error;
  }

  private delay(attempt: number): number {
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** (attempt - 1));
    return Math.round(base * (0.5 + Math.random() / 2));
  }

  /** One request for the logs (and, inside the reorg window, the hash of the range's last block, read first). */
  private async fetch(from: number, to: number, latest: number, head?: KnownHead): Promise<{ events: VaultEvent[]; hash: string | null }> {
    let hash: string | null = null;
    if (to > latest - this.reorgWindow!) {
      hash = await this.hashAt(to, head);
      if (hash === null) throw new RpcError(`block ${to} not found`, { cause: null });
    }
    let logs: Log[];
    try {
      logs = await this.provider.getLogs({ address: this.vault, topics: [this.topics], fromBlock: from, toBlock: to });
    } catch (e) {
      throw e instanceof Error ? e : new Error(String(e));
    }
    const events: VaultEvent[] = [];
    for (const log of logs.slice().sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)) {
      if (log.removed) continue;
      const event = decodeVaultLog(log);
      if (event) events.push(event);
    }
    return { events, hash };
  }

  private async deliver(from: number, to: number, events: VaultEvent[], hash: string | null, consumer: LogConsumer, latest: number): Promise<void> {
    await consumer.batch({ fromBlock: from, toBlock: to, events });
    this.next = to + 1;
    const horizon = latest - this.reorgWindow!;
    for (const e of events) {
      if (e.blockNumber <= horizon) continue;
      this.retained.push(e);
      const last = this.checkpoints.at(-1);
      if (last?.block !== e.blockNumber) this.checkpoints.push({ block: e.blockNumber, hash: e.blockHash });
    }
    if (hash !== null && this.checkpoints.at(-1)?.block !== to) this.checkpoints.push({ block: to, hash });
    if (this.stuck && this.stuck.block >= from && this.stuck.block <= to) {
      const { block, attempts, since } = this.stuck;
      this.stuck = null;
      await this.alert(consumer, { kind: "recovered", block, attempts, since });
    }
  }

  private async alert(consumer: LogConsumer, alert: LogReaderAlert): Promise<void> {
    try {
      await consumer.alert?.(alert);
    } catch {
      // A failing alert handler must not stop the reading; the error it reports is thrown anyway.
    }
  }

  /** Forgets hashes and events below the reorg window (keeping the newest hash, to check the next round against). */
  private prune(latest: number): void {
    const horizon = latest - this.reorgWindow!;
    const newest = this.checkpoints.at(-1);
    this.checkpoints = this.checkpoints.filter((c) => c.block > horizon);
    if (this.checkpoints.length === 0 && newest) this.checkpoints.push(newest);
    this.retained = this.retained.filter((e) => e.blockNumber > horizon);
  }
}
