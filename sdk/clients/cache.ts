/**
 * The operator's policy cache: everything the vault's instant and queue paths read for one operator,
 * as of a known block, so that a decision needs no network call.
 *
 * What it holds and where each part comes from:
 * - the packed words of the operator and the token and the operator's queue account (`extsload`) of every
 *   listed token: read at load, and re-read (at the refreshed block) for each token that an event in the
 *   new blocks touched — any `Withdrawn` of the token (the vault-wide cap is shared), this operator's
 *   `OperatorLimitsSet`, `VaultCapSet`, `TokenListed`, queue events, and for all tokens `VaultPaused`,
 *   `VaultUnpaused`, `TripwireSet` and this operator's suspension events. Those are all the ways the
 *   words change;
 * - the operator's approved destinations, which the vault cannot enumerate: with `fromBlock` (the vault's
 *   deployment block), replayed from the `DestinationApproved` / `DestinationRevoked` logs (one
 *   `eth_getLogs` filtered by those topics, whatever else the vault logged); without it, each destination
 *   is read (`isApproved(operator, to)`, one call) the first time a withdrawal names it. Either way the
 *   events of each refresh keep them current;
 * - its own queued withdrawals, from `WithdrawalQueued` / `WithdrawalExecuted` / `WithdrawalCancelled`:
 *   replayed from `fromBlock` in the same `eth_getLogs`, and only then, when `operatorState` says the
 *   operator has withdrawals pending; without `fromBlock`, those queued before the client started are
 *   not listed (`execute` and `cancel` leave unknown ids to the chain);
 * - opt-out, registration and the withdrawal delay, from their events;
 * - reservations: the operator's own withdrawals sent through the client and not yet seen in a refreshed
 *   block, applied optimistically on top of the words at decision time (see `effective`).
 *
 * After load, the logs come from a `LogReader` that asks only for `CACHE_EVENTS` (so deposits anyone can
 * send do not count against a provider's result cap), splits ranges a provider refuses, and never skips a
 * block: if one cannot be read, `refresh()` rejects with `UnreadableBlockError` and the cache stays at its
 * block rather than moving past events it has not seen; what was read before that block is kept for the
 * next refresh. When a reorg replaces blocks the cache has applied (checked by block hash, the load's
 * block included), the cache is derived again: words and settings are read at the new head, and
 * destinations and queued withdrawals are replayed from the events that remain plus the new chain's.
 */
import type { Block, Provider } from "ethers";
import type { VaultEvent, VaultEventName } from "../monitor/events";
import { LogReader, type RetryOptions } from "../monitor/log-reader";
import {
  checkInstant,
  checkQueue,
  withSuspended,
  type Clock,
  type QueuedWithdrawalData,
} from "../rules/policy";
import { readOperatorRecord, readOperatorWords, readTokens } from "./state";
import { connectVault, read } from "./transport";
import { NotAVaultError, NotAnOperatorError, RpcError } from "../errors/base";
import { toSdkError } from "../errors/revert";

/** An ethers "could not decode result data" failure: the address answered with something that is not the ABI's. */
const isBadData = (e: RpcError): boolean => e.code === "BAD_DATA" || e.code === "CALL_EXCEPTION";
import { replayVaultEvents } from "./replay";

/** The block a cache reflects. */
export interface CachePosition {
  readonly blockNumber: number;
  readonly timestamp: bigint;
}

/** A queued withdrawal of this operator, as its events describe it. */
export interface OwnQueuedWithdrawal extends QueuedWithdrawalData {
  readonly id: bigint;
}

interface TokenEntry {
  opWord: bigint;
  tokenWord: bigint;
  queueCap: bigint;
  pendingQueued: bigint;
}

interface CacheState {
  position: CachePosition;
  withdrawalDelay: bigint;
  registered: boolean;
  /** The operator's record says suspended (its words' HELD bit also marks an operator added again after a removal). */
  suspended: boolean;
  optedOut: boolean;
  tokens: Map<string, TokenEntry>;
  /** Approved destinations (complete when replayed from the deployment block). */
  destinations: Set<string>;
  /** Addresses known not to be approved (read on demand, or revoked). */
  notApproved: Set<string>;
  queued: Map<bigint, OwnQueuedWithdrawal>;
}

/** An own withdrawal sent (or being sent) but not yet reflected in the cached words. */
export interface Reservation {
  readonly kind: "instant" | "queue";
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  hash: string | null;
}

/** The state a decision sees: cached words with the reservations applied. */
export interface EffectiveState {
  readonly opWord: bigint;
  readonly tokenWord: bigint;
  readonly queueCap: bigint;
  readonly pendingQueued: bigint;
  readonly suspended: boolean;
}

export interface CacheLoadOptions {
  readonly provider: Provider;
  readonly vault: string;
  readonly operator: string;
  /** The vault's deployment block (or earlier), to replay destinations and pending withdrawals from; omit to start from current state. */
  readonly fromBlock?: number;
  readonly maxBlockRange?: number;
  /** Retries of a failed log request before its range is split (see `LogReader`). */
  readonly retry?: RetryOptions;
  /** Blocks whose hashes are kept to detect reorgs (default: the chain's). */
  readonly reorgWindow?: number;
}

/** The events a refresh reads (every way the cached state changes), and no others. */
export const CACHE_EVENTS: readonly VaultEventName[] = [
  "Withdrawn",
  "OperatorLimitsSet",
  "VaultCapSet",
  "TokenListed",
  "VaultPaused",
  "VaultUnpaused",
  "TripwireSet",
  "OperatorSuspended",
  "OperatorUnsuspended",
  "TripwireFired",
  "TripwireOptOutSet",
  "DelaysSet",
  "DestinationApproved",
  "DestinationRevoked",
  "WithdrawalQueued",
  "WithdrawalExecuted",
  "WithdrawalCancelled",
  "OperatorRemoved",
];

/** Events the replayed (non-word) state is folded from: kept to derive it again after a reorg. */
const KEPT = new Set<VaultEventName>(["OperatorLimitsSet", "TokenListed", "TripwireOptOutSet", "DelaysSet", "DestinationApproved", "DestinationRevoked", "WithdrawalQueued", "WithdrawalExecuted", "WithdrawalCancelled", "OperatorRemoved"]);

const headOf = (b: Block) => ({ number: b.number, hash: b.hash, parentHash: b.parentHash });

/** Events replayed at load: the only ones whose history the cache needs. */
const REPLAYED = ["DestinationApproved", "DestinationRevoked", "OperatorRemoved", "WithdrawalQueued", "WithdrawalExecuted", "WithdrawalCancelled"] as const;

export class OperatorPolicyCache {
  private constructor(
    private readonly provider: Provider,
    readonly vault: string,
    readonly operator: string,
    readonly clock: Clock,
    private readonly reader: LogReader,
    private state: CacheState,
    /** Whether `destinations` holds every approved destination (replayed from the deployment block). */
    private readonly destinationsComplete: boolean,
    private positionHash: string | null,
  ) {}

  /** Events applied so far that the replayed state is folded from. */
  private history: VaultEvent[] = [];
  /** Events read but not applied yet (a refresh that failed after reading them). */
  private unapplied: VaultEvent[] = [];
  /** The first block a reorg replaced among those applied, until the cache is derived again. */
  private replacedFrom: number | null = null;

  private readonly reservations: Reservation[] = [];
  /** Base fee of the latest block read (null on a chain without one). */
  baseFee: bigint | null = null;
  private refreshing: Promise<boolean> | null = null;

  /**
   * Reads the chain: the operator's whole policy at the latest block (about 20 calls in 2 requests for
   * three tokens), and with `fromBlock`, the destination and queue logs since then (one `eth_getLogs` if
   * the node accepts the range, else the range is halved until it does).
   */
  static async load(o: CacheLoadOptions): Promise<OperatorPolicyCache> {
    const vault = connectVault(o.vault, o.provider);
    const head = await read(() => o.provider.getBlock("latest"));
    if (!head) throw new Error("provider returned no latest block");
    const blockTag = head.number;
    const views = await Promise.all([
      vault.clockStart({ blockTag }),
      vault.window({ blockTag }),
      vault.withdrawalDelay({ blockTag }),
      readTokens(vault, { blockTag }),
      readOperatorRecord(vault, o.operator, { blockTag }),
    ]).then(
      (values) => ({ values, error: null }),
      (error: unknown) => ({ values: null, error: toSdkError(error) }),
    );
    if (views.error) {
      // Only now is the code worth reading (a vault's is large): none there, or code that is not a vault's.
      if ((await read(() => o.provider.getCode(o.vault, blockTag))) === "0x") throw new NotAVaultError(o.vault, `no contract code there as of block ${blockTag}`);
      // A node or network failure is not the vault's fault; anything else means the code is not a vault's.
      if (views.error instanceof RpcError && !isBadData(views.error)) throw views.error;
      throw new NotAVaultError(o.vault, `its code does not answer the vault's views (${views.error.message.slice(0, 120)})`, views.error);
    }
    const [start, window, withdrawalDelay, tokenList, record] = views.values;
    if (!record.registered) throw new NotAnOperatorError(o.vault, o.operator);
    const reader = new LogReader({
      provider: o.provider,
      vault: o.vault,
      fromBlock: head.number + 1,
      anchor: head.hash ? { block: head.number, hash: head.hash } : undefined,
      events: CACHE_EVENTS,
      maxBlockRange: o.maxBlockRange,
      retry: o.retry,
      reorgWindow: o.reorgWindow,
      // The words are read at the head, so the events must reach it; reorgs are detected by hash instead.
      confirmations: 0,
    });
    const cache = new OperatorPolicyCache(o.provider, o.vault, o.operator, { start, bucket: window / 3n }, reader, {
      position: { blockNumber: head.number, timestamp: BigInt(head.timestamp) },
      withdrawalDelay,
      registered: record.registered,
      suspended: record.suspended,
      optedOut: record.tripwireOptedOut,
      tokens: new Map(),
      destinations: new Set(),
      notApproved: new Set(),
      queued: new Map(),
    }, o.fromBlock !== undefined, head.hash);
    cache.baseFee = head.baseFeePerGas;
    const entries = await cache.readTokens(tokenList, blockTag);
    for (const [token, entry] of entries) cache.state.tokens.set(token, entry);
    if (o.fromBlock !== undefined) {
      const pendingQueue = [...entries.values()].some((e) => e.pendingQueued > 0n);
      // Destinations need their removals too (a removal voids them all); the queue events only if something is pending.
      const names = pendingQueue ? REPLAYED : REPLAYED.slice(0, 3);
      const events = await replayVaultEvents({ provider: o.provider, vault: o.vault, events: names, fromBlock: o.fromBlock, toBlock: blockTag, maxBlockRange: o.maxBlockRange, retry: o.retry, head: headOf(head) });
      for (const e of events) cache.applyEvent(cache.state, e, new Set());
      cache.history = events.filter((e) => KEPT.has(e.name));
    }
    return cache;
  }

  /** Reads the chain: the settings and every listed token's words at `head`; destinations and queue left empty. */
  private async readState(head: Block): Promise<CacheState> {
    const vault = connectVault(this.vault, this.provider);
    const blockTag = head.number;
    const [withdrawalDelay, tokenList, record] = await read(() =>
      Promise.all([
        vault.withdrawalDelay({ blockTag }),
        readTokens(vault, { blockTag }),
        readOperatorRecord(vault, this.operator, { blockTag }),
      ]),
    );
    return {
      position: { blockNumber: head.number, timestamp: BigInt(head.timestamp) },
      withdrawalDelay,
      registered: record.registered,
      suspended: record.suspended,
      optedOut: record.tripwireOptedOut,
      tokens: await this.readTokens(tokenList, blockTag),
      destinations: new Set(),
      notApproved: new Set(),
      queued: new Map(),
    };
  }

  /** The block the cached state reflects. */
  get position(): CachePosition {
    return this.state.position;
  }

  get withdrawalDelay(): bigint {
    return this.state.withdrawalDelay;
  }

  get registered(): boolean {
    return this.state.registered;
  }

  get optedOut(): boolean {
    return this.state.optedOut;
  }

  /** Listed tokens, as of the cached block. */
  get tokens(): string[] {
    return [...this.state.tokens.keys()];
  }

  /** Destinations approved for the operator, as of the cached block. */
  get destinations(): string[] {
    return [...this.state.destinations];
  }

  /** No network: whether `to` is approved for the operator, as far as the cache knows (unknown counts as not). */
  isApproved(to: string): boolean {
    return this.state.destinations.has(to);
  }

  /** Whether the cache can tell if `to` is approved without reading the chain. */
  knowsDestination(to: string): boolean {
    return this.destinationsComplete || this.state.destinations.has(to) || this.state.notApproved.has(to);
  }

  /**
   * Reads the chain only if the cache cannot tell: `isApproved(operator, to)` at the cached block (one
   * call), remembered from then on and kept current by the events of each refresh.
   */
  async readDestination(to: string): Promise<boolean> {
    while (!this.knowsDestination(to)) {
      const at = this.state.position.blockNumber;
      const approved = await read(() => connectVault(this.vault, this.provider).isApproved(this.operator, to, { blockTag: at }));
      // A refresh that moved on meanwhile may have seen events for it: only an answer for the current block counts.
      if (this.state.position.blockNumber !== at || this.knowsDestination(to)) continue;
      (approved ? this.state.destinations : this.state.notApproved).add(to);
    }
    return this.isApproved(to);
  }

  isListed(token: string): boolean {
    return this.state.tokens.has(token);
  }

  /** The operator's queued withdrawals seen so far, by id. */
  get queued(): ReadonlyMap<bigint, OwnQueuedWithdrawal> {
    return this.state.queued;
  }

  /** Own withdrawals sent but not yet reflected in a refreshed block. */
  get pendingReservations(): readonly Reservation[] {
    return this.reservations;
  }

  /**
   * Reads the chain: the latest block, the vault's logs since the cached block, and the words of the
   * tokens those logs touched, all at that block; then applies them at once. Concurrent calls share one
   * round. Returns whether the cache moved to a newer block.
   */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.refreshOnce().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /**
   * The state a decision at `timestamp` sees for `token`: the cached words with every reservation applied
   * as if mined at `timestamp`, in the order sent. `timestamp` is the cached block's; the real block is
   * later, and later only frees capacity (buckets leave the ring, tripwire periods end), so counting the
   * reservations there over-counts rather than under-counts.
   */
  effective(token: string, timestamp: bigint): EffectiveState | null {
    const base = this.state.tokens.get(token);
    if (!base) return null;
    const words = new Map<string, TokenEntry>();
    for (const [t, e] of this.state.tokens) words.set(t, { ...e });
    // The record says whether the operator is suspended; the words' HELD bit alone cannot (an operator
    // added again after a removal carries it too).
    let suspended = this.state.suspended;
    for (const r of this.reservations) {
      const w = words.get(r.token);
      if (!w) continue;
      const common = {
        timestamp,
        operator: this.operator,
        token: r.token,
        to: r.to,
        amount: r.amount,
        opWord: suspended ? withSuspended(w.opWord, true) : w.opWord,
        tokenWord: w.tokenWord,
        approved: this.state.destinations.has(r.to),
        registered: this.state.registered,
        tripwireOptedOut: this.state.optedOut,
        suspended,
      };
      if (r.kind === "instant") {
        const result = checkInstant({ ...common, clock: this.clock });
        if (result.ok) {
          w.opWord = result.opWord;
          w.tokenWord = result.tokenWord;
        } else if (result.effect === "trip") suspended = true;
      } else {
        const q = { ...common, queueCap: w.queueCap, pending: w.pendingQueued, withdrawalDelay: this.state.withdrawalDelay };
        const result = checkQueue(q);
        if (result.ok) w.pendingQueued = result.pending;
        else if (result.effect === "trip") suspended = true;
      }
    }
    const w = words.get(token)!;
    return {
      opWord: suspended ? withSuspended(w.opWord, true) : w.opWord,
      tokenWord: w.tokenWord,
      queueCap: w.queueCap,
      pendingQueued: w.pendingQueued,
      suspended,
    };
  }

  /** Records an own withdrawal about to be sent, so that decisions made meanwhile count it. */
  reserve(r: Omit<Reservation, "hash">): Reservation {
    const reservation: Reservation = { ...r, hash: null };
    this.reservations.push(reservation);
    return reservation;
  }

  /** Drops a reservation whose transaction was never broadcast. */
  release(r: Reservation): void {
    const i = this.reservations.indexOf(r);
    if (i >= 0) this.reservations.splice(i, 1);
  }

  private async readTokens(tokens: readonly string[], blockTag: number): Promise<Map<string, TokenEntry>> {
    const vault = connectVault(this.vault, this.provider);
    const rows = await read(() =>
      Promise.all(
        tokens.map(async (token) => {
          const w = await readOperatorWords(vault, this.operator, token, { blockTag });
          return [token, { opWord: w.opWord, tokenWord: w.tokenWord, queueCap: w.queueCap, pendingQueued: w.pendingQueued }] as const;
        }),
      ),
    );
    return new Map(rows);
  }

  private async refreshOnce(): Promise<boolean> {
    const head = await read(() => this.provider.getBlock("latest"));
    if (head) this.baseFee = head.baseFeePerGas;
    // A head below the cached block is a lagging node (a shorter chain is seen once it grows again).
    if (!head || head.number < this.state.position.blockNumber) return false;
    if (head.number === this.state.position.blockNumber && head.hash === this.positionHash) return false;
    const blockTag = head.number;
    // What the reader hands on is kept until applied, so a refresh that fails later loses nothing.
    await this.reader.poll(
      {
        batch: (b) => void this.unapplied.push(...b.events),
        reorg: (r) => {
          this.unapplied = this.unapplied.filter((e) => e.blockNumber < r.fromBlock);
          if (r.fromBlock <= this.state.position.blockNumber) this.replacedFrom = Math.min(this.replacedFrom ?? r.fromBlock, r.fromBlock);
        },
      },
      { toBlock: blockTag, head: headOf(head) },
    );
    const events = this.unapplied;
    let next: CacheState;
    let history = this.history;
    if (this.replacedFrom !== null) {
      // A reorg replaced blocks already applied: derive everything again at the new head. Destinations read
      // on demand are forgotten (read again when needed): the answer may have been for a replaced block.
      const kept = this.replacedFrom;
      history = this.history.filter((e) => e.blockNumber < kept);
      next = await this.readState(head);
      for (const e of [...history, ...events]) this.applyEvent(next, e, new Set());
    } else {
      // Work on a copy so that a failure half-way leaves the cache as it was, and decisions never see a mix.
      next = {
        ...this.state,
        tokens: new Map(this.state.tokens),
        destinations: new Set(this.state.destinations),
        notApproved: new Set(this.state.notApproved),
        queued: new Map(this.state.queued),
      };
      const touched = new Set<string>();
      for (const e of events) this.applyEvent(next, e, touched);
      const fresh = await this.readTokens([...touched], blockTag);
      for (const [token, entry] of fresh) next.tokens.set(token, entry);
      next.position = { blockNumber: head.number, timestamp: BigInt(head.timestamp) };
    }

    // Reservations whose transactions emitted logs in these blocks are now in the words; the others are
    // checked by receipt (a transaction that reverted on-chain emits nothing).
    const seen = new Set(events.map((e) => e.transactionHash));
    const settled: Reservation[] = [];
    for (const r of this.reservations) {
      if (r.hash === null) continue;
      if (seen.has(r.hash)) settled.push(r);
      else {
        const hash = r.hash;
        const receipt = await read(() => this.provider.getTransactionReceipt(hash));
        if (receipt && receipt.blockNumber <= blockTag) settled.push(r);
      }
    }
    this.state = next;
    this.positionHash = head.hash;
    this.history = [...history, ...events.filter((e) => KEPT.has(e.name))];
    this.unapplied = [];
    this.replacedFrom = null;
    for (const r of settled) this.release(r);
    return true;
  }

  /** Applies one event to the (non-word) state and notes which tokens' words it changed. */
  private applyEvent(s: CacheState, e: VaultEvent, touched: Set<string>): void {
    const mine = (address: string) => address === this.operator;
    const all = () => s.tokens.forEach((_, t) => touched.add(t));
    switch (e.name) {
      case "Withdrawn":
        touched.add(e.args.token);
        break;
      case "OperatorLimitsSet":
        if (mine(e.args.operator)) {
          s.registered = true;
          touched.add(e.args.token);
        }
        break;
      case "VaultCapSet":
        touched.add(e.args.token);
        break;
      case "TokenListed":
        if (!s.tokens.has(e.args.token)) s.tokens.set(e.args.token, { opWord: 0n, tokenWord: 0n, queueCap: 0n, pendingQueued: 0n });
        touched.add(e.args.token);
        break;
      case "VaultPaused":
      case "VaultUnpaused":
      case "TripwireSet":
        all();
        break;
      case "OperatorSuspended":
      case "OperatorUnsuspended":
        if (mine(e.args.operator)) {
          s.suspended = e.name === "OperatorSuspended";
          all();
        }
        break;
      case "TripwireFired":
        if (mine(e.args.operator)) {
          s.suspended = true;
          all();
        }
        break;
      case "OperatorRemoved":
        if (mine(e.args.operator)) {
          // Limits, destinations, opt-out and suspension are gone; pending queued withdrawals are cancelled.
          s.registered = false;
          s.suspended = false;
          s.optedOut = false;
          for (const d of s.destinations) s.notApproved.add(d);
          s.destinations.clear();
          for (const [id, w] of s.queued) if (w.status === "Pending") s.queued.set(id, { ...w, status: "Cancelled" });
          all();
        }
        break;
      case "TripwireOptOutSet":
        if (mine(e.args.operator)) s.optedOut = e.args.optOut;
        break;
      case "DelaysSet":
        s.withdrawalDelay = e.args.withdrawalDelay;
        break;
      case "DestinationApproved":
        if (mine(e.args.operator)) {
          s.destinations.add(e.args.destination);
          s.notApproved.delete(e.args.destination);
        }
        break;
      case "DestinationRevoked":
        if (mine(e.args.operator)) {
          s.destinations.delete(e.args.destination);
          s.notApproved.add(e.args.destination);
        }
        break;
      case "WithdrawalQueued":
        if (mine(e.args.operator)) {
          const { id, token, to, amount, eta } = e.args;
          s.queued.set(id, { id, operator: this.operator, token, to, amount, eta, status: "Pending" });
          touched.add(token);
        }
        break;
      case "WithdrawalExecuted":
      case "WithdrawalCancelled": {
        const w = s.queued.get(e.args.id);
        if (w) {
          s.queued.set(w.id, { ...w, status: e.name === "WithdrawalExecuted" ? "Executed" : "Cancelled" });
          touched.add(w.token);
        }
        break;
      }
      default:
        break;
    }
  }
}

