/**
 * The operator (bot) client. It decides locally, from a policy cache, whether a withdrawal goes out
 * instantly, must be queued, or would be rejected — and whether the rejection would trip the tripwire and
 * suspend the bot's own key — before anything is sent. It never sends a call that the cache predicts
 * would trip or revert unless the caller passes `force: true`, and queues only when asked
 * (`queueIfLarge: true`).
 *
 * How fresh the decision is. The cache reflects one block (`syncedTo`); `refresh()` moves it to the
 * latest block (one `eth_getBlockByNumber`, one `eth_getLogs` for the new blocks, and one `extsload`
 * call per touched token), and `start()` does that every `pollIntervalMs` in the
 * background, so on a chain with blocks slower than the interval the cache is at most one block plus one
 * interval behind. Own withdrawals sent through this client are applied optimistically the moment they are
 * sent. Decisions are evaluated at the cached block's timestamp, which is never later than the block the
 * transaction lands in; since time only frees capacity (buckets leave the ring, tripwire periods end),
 * that errs on the side of holding back.
 *
 * What a stale cache can do. The contract is the final judge. Risk-increasing changes are timelocked, so
 * anything that would let more through (a raised cap, a new destination, an unpause, an unsuspension, a
 * looser tripwire) is only missed: the client then holds back a withdrawal the chain would allow. What
 * the cache can miss in the other direction is what happens at once on-chain: a guardian lowering this
 * operator's cap or instant limit, revoking the destination or tightening the tripwire (the chain then
 * *trips* on a call the cache let through, and suspends the key), a pause or suspension, other operators
 * using the vault-wide cap, or the vault's balance running low (the chain then *reverts*; with a node that
 * estimates gas first nothing is mined and the error comes back typed, e.g. `VaultCapExceededError`).
 * Another process sending with the same key is also invisible until the next refresh: use one client per
 * key.
 *
 * Reading the logs. The cache asks only for the events it needs, splits ranges a provider refuses, and
 * never moves past a block it could not read: `refresh()` then rejects with `UnreadableBlockError` (the
 * background loop reports it to `onError` every round until the block is read). A reorg that replaces
 * blocks the cache applied is detected by block hash, and the cache is derived again at the new head.
 */
import type { Provider, Signer, TransactionReceipt } from "ethers";
import { OperatorPolicyCache, type CachePosition, type OwnQueuedWithdrawal, type Reservation } from "./cache";
import type { RetryOptions } from "../monitor/log-reader";
import { GRACE_PERIOD, STATUSES, tripReasonOf, type TripReason } from "../rules/constants";
import { VaultSdkError, InvalidInputError, type VaultRevertError } from "../errors/base";
import { decodeVaultLog } from "../monitor/events";
import {
  capOf,
  checkExecute,
  checkInstant,
  checkQueue,
  clockTime,
  instantLimitOf,
  isPausedWord,
  lastOf,
  nextBoundaries,
  availableAt,
  consume,
  periodCount,
  toUnits,
  unitOf,
  type Clock,
  type InstantCheck,
  type QueueCheck,
  type Rejection,
  type WithdrawalInput,
} from "../rules/policy";
import { vaultErrorFromData } from "../errors/revert";
import { asReceipt, providerOf, rawCall, sentTransaction, vaultInterface, type SendOverrides, type SentTransaction, type UnsignedTransaction } from "./transport";
import { KeySender } from "./sender";
import { requireAddress, requireAmount, requireUint } from "../errors/validate";
import { sleep } from "../monitor/sleep";
import { APPROVER_ROLE } from "../rules/constants";
import {
  approvalDigest,
  approvalMatches,
  approvalStruct,
  checkCosigned,
  checkEarly,
  recoverApprover,
  type ApprovalFacts,
  type ApprovalRequest,
  type SignedApproval,
} from "../rules/approval";
import { STORAGE_OFFSETS, STORAGE_SLOTS, bytes32Slot, mappingSlot, nestedSlot, roleSlot } from "./state";
import { isValidSignature1271, readQueuedWithdrawal } from "./approver";

export interface OperatorClientOptions {
  readonly vault: string;
  /** Any ethers v6 Signer holding the operator key (Wallet, JSON-RPC account, KMS or HSM signer). */
  readonly signer: Signer;
  /** Provider for reads; defaults to the signer's. */
  readonly provider?: Provider;
  /**
   * The vault's deployment block (or earlier). With it, the client replays the destination and queue
   * events from there (one `eth_getLogs` filtered by topic, whatever else the vault logged), so that
   * `destinations()` and `pending()` are complete from the start. Without it, the client is ready from the
   * current state: each destination is read once, the first time a withdrawal names it, and `pending()`
   * lists only withdrawals queued from now on.
   */
  readonly fromBlock?: number;
  /** Background refresh interval after `start()` (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /**
   * Most blocks per `eth_getLogs` request: for the replay from `fromBlock` (default: the whole range, halved
   * while the node refuses it) and for each refresh (default 2000; smaller while a provider refuses a range).
   */
  readonly maxBlockRange?: number;
  /** Retries of a failed log request before its range is split (see `LogReader`). */
  readonly retry?: RetryOptions;
  /** Blocks whose hashes are kept to detect reorgs (default: the chain's, see `chainDefaults`). */
  readonly reorgWindow?: number;
  /** How often the priority fee is read again, in ms (default 60,000); the base fee follows every refresh. */
  readonly feeRefreshMs?: number;
}

/** A withdrawal request. Amounts are in the token's base units. */
export interface WithdrawalRequest {
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
}

/**
 * An approval of a co-signed withdrawal or early release, or a function that obtains one for a request
 * (e.g. by asking the approval service); it is called only when the withdrawal needs one.
 */
export type ApprovalSource = SignedApproval | ((request: ApprovalRequest) => Promise<SignedApproval>);

export interface WithdrawOptions {
  /** Queue the withdrawal if it is above the instant limit (otherwise it is not sent). */
  readonly queueIfLarge?: boolean;
  /**
   * An approval (or a way to obtain one): a withdrawal the instant path refuses (above the instant limit
   * or the operator's cap, to a co-signed destination, ...) goes out at once through `withdrawCosigned`,
   * after the approval is verified locally. Takes precedence over `queueIfLarge`.
   */
  readonly approval?: ApprovalSource;
  /** Send even if the preflight predicts a trip (suspending this key) or a revert. */
  readonly force?: boolean;
  /** Gas, fee and nonce fields for the transaction. */
  readonly overrides?: SendOverrides;
}

/** What the preflight decided, from the cache as of `asOf`. */
export type WithdrawDecision =
  | {
      readonly action: "instant";
      /** Units (10**unitDecimals base units, rounded up) the withdrawal counts against the caps. */
      readonly units: bigint;
      readonly asOf: CachePosition;
    }
  | {
      readonly action: "queue";
      /** Why it goes to the queue: above the instant limit (from `withdraw`), or asked for (`queue`). The
       * queue accepts it. */
      readonly reason: "aboveInstantLimit" | "requested";
      readonly instantLimit: bigint;
      /** Earliest time the queued withdrawal becomes executable (if queued now). */
      readonly eta: bigint;
      readonly asOf: CachePosition;
    }
  | {
      readonly action: "cosigned";
      /** Units the withdrawal counts against the co-signed and vault-wide caps. */
      readonly units: bigint;
      readonly approval: SignedApproval;
      readonly asOf: CachePosition;
    }
  | {
      readonly action: "reject";
      /** The path that was checked: the instant path, the queue for amounts above the instant limit, or
       * the co-signed path with the approval given. */
      readonly path: "instant" | "queue" | "cosigned";
      /** `trip`: the call would succeed on-chain, move nothing and suspend this key. `revert`: it would revert. */
      readonly effect: "trip" | "revert";
      /** The policy rule broken, if any (null for pause, suspension, vault-wide cap, ...). */
      readonly breach: TripReason | null;
      /** The error the vault reports (or would, for an operator opted out of the tripwire). */
      readonly error: VaultRevertError;
      /** Earliest block timestamp at which the same withdrawal would pass as far as the cache knows, if any. */
      readonly retryAt: bigint | null;
      readonly asOf: CachePosition;
    };

/** What a sent withdrawal did once mined. */
export type WithdrawOutcome =
  | { readonly status: "withdrawn"; readonly receipt: TransactionReceipt; readonly amount: bigint }
  | { readonly status: "queued"; readonly receipt: TransactionReceipt; readonly id: bigint; readonly eta: bigint }
  | { readonly status: "tripped"; readonly receipt: TransactionReceipt; readonly reason: TripReason };

/** The result of `withdraw` or `queue`: held back with the reason, or sent. */
export type WithdrawResult =
  | { readonly sent: false; readonly decision: WithdrawDecision }
  | {
      readonly sent: true;
      readonly path: "instant" | "queue" | "cosigned";
      /** Whether the preflight disagreed and `force` overrode it. */
      readonly forced: boolean;
      readonly decision: WithdrawDecision;
      readonly tx: SentTransaction<WithdrawOutcome>;
    };

/** What can go out instantly now, as far as the cache knows, and when more frees up. */
export interface Availability {
  readonly token: string;
  /** Largest single instant withdrawal that passes now (base units); not capped by the vault's balance. */
  readonly amount: bigint;
  /** What the operator's own window cap leaves. */
  readonly operatorAvailable: bigint;
  /** What the vault-wide cap leaves. */
  readonly vaultAvailable: bigint;
  readonly instantLimit: bigint;
  /** What binds: `paused`, `suspended`, `not-allowed` (no cap for the token), `rate` (tripwire count
   * reached in this period), `operator-cap`, `vault-cap`, `instant-limit`. */
  readonly limitedBy: "paused" | "suspended" | "not-allowed" | "rate" | "operator-cap" | "vault-cap" | "instant-limit";
  /** Earliest block timestamp at which `amount` grows without a policy change; null if it will not. */
  readonly nextIncreaseAt: bigint | null;
  /** Room left in the withdrawal queue (base units). */
  readonly queueRoom: bigint;
  readonly asOf: CachePosition;
}

/** One of the operator's pending queued withdrawals. */
export interface PendingWithdrawal extends OwnQueuedWithdrawal {
  /** Last timestamp at which it can still be executed (eta + GRACE_PERIOD). */
  readonly expiresAt: bigint;
  /** Whether it is executable at the cached block's timestamp. */
  readonly ready: boolean;
}

export class OperatorClient {
  /** The operator's address. */
  readonly address: string;
  readonly vault: string;
  private readonly sender: KeySender;
  private readonly cache: OperatorPolicyCache;
  private readonly interval: number;
  private loop: Promise<void> | null = null;
  /** Ends the wait between two rounds early (set while the loop waits). */
  private interrupt: AbortController | null = null;
  private running = false;
  private readonly errorListeners = new Set<(error: unknown) => void>();

  private constructor(o: { address: string; vault: string; sender: KeySender; cache: OperatorPolicyCache; interval: number }) {
    this.address = o.address;
    this.vault = o.vault;
    this.sender = o.sender;
    this.cache = o.cache;
    this.interval = o.interval;
  }

  /**
   * Reads the chain: the signer's address, then the operator's whole policy at the latest block and the
   * vault's logs since `fromBlock`. Call `start()` afterwards to keep the cache fresh in the background.
   */
  static async create(options: OperatorClientOptions): Promise<OperatorClient> {
    const vault = requireAddress(options.vault, "vault");
    const provider = providerOf(options.signer, options.provider);
    if (options.fromBlock !== undefined && (!Number.isSafeInteger(options.fromBlock) || options.fromBlock < 0)) {
      throw new InvalidInputError("fromBlock", `expected a block number, got ${String(options.fromBlock)}`);
    }
    const address = requireAddress(await options.signer.getAddress(), "signer address");
    const sender = new KeySender({ signer: options.signer, provider, address, feeRefreshMs: options.feeRefreshMs });
    const [cache] = await Promise.all([
      OperatorPolicyCache.load({
        provider,
        vault,
        operator: address,
        fromBlock: options.fromBlock,
        maxBlockRange: options.maxBlockRange,
        retry: options.retry,
        reorgWindow: options.reorgWindow,
      }),
      sender.load(),
    ]);
    await sender.useBlock(cache.baseFee);
    return new OperatorClient({ address, vault, sender, cache, interval: options.pollIntervalMs ?? 1000 });
  }

  /** The block the cache reflects. */
  get syncedTo(): CachePosition {
    return this.cache.position;
  }

  /** Listed tokens, per the cache. */
  tokens(): string[] {
    return this.cache.tokens;
  }

  /** Destinations approved for this operator, per the cache: all of them with `fromBlock`, else those seen so far. */
  destinations(): string[] {
    return this.cache.destinations;
  }

  /**
   * Reads the chain only if the cache cannot tell (a client started without `fromBlock`, an address not
   * seen yet): whether `to` is an approved destination of this operator, remembered from then on.
   */
  readDestination(to: string): Promise<boolean> {
    return this.cache.readDestination(requireAddress(to, "to"));
  }

  /** Whether this operator opted out of the tripwire (it then gets reverts instead of trips), per the cache. */
  get tripwireOptedOut(): boolean {
    return this.cache.optedOut;
  }

  /**
   * Reads the chain: moves the cache to the latest block, and takes the block's base fee for the next
   * transactions (the priority fee is read again at most every `feeRefreshMs`). Returns whether it moved.
   */
  async refresh(): Promise<boolean> {
    const moved = await this.cache.refresh();
    this.sender.observeBlock(this.cache.baseFee);
    await this.sender.refreshFees();
    return moved;
  }

  /** Refreshes the cache every `pollIntervalMs` in the background until `stop()`. Failures go to `onError`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.refresh();
        } catch (e) {
          for (const l of this.errorListeners) {
            try {
              l(e);
            } catch {
              // A failing error listener must not stop the refresh loop.
            }
          }
        }
        if (!this.running) break;
        this.interrupt = new AbortController();
        await sleep(this.interval, { signal: this.interrupt.signal, unref: true });
        this.interrupt = null;
      }
    })().finally(() => (this.loop = null));
  }

  /** Stops the background refresh; resolves when the current round is over. */
  async stop(): Promise<void> {
    this.running = false;
    this.interrupt?.abort();
    await this.loop;
  }

  /** Calls `listener` when a background refresh fails (the loop keeps going). */
  onError(listener: (error: unknown) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * No network: what `withdraw` would do with this request, from the cache. Throws `InvalidInputError`
   * for a bad address, a non-positive amount or a token the vault does not list. A client started without
   * `fromBlock` counts a destination it has not read yet as not approved: `withdraw` reads it first, or
   * call `readDestination(to)`.
   */
  preflight(request: WithdrawalRequest): WithdrawDecision {
    const { token, to, amount } = this.validate(request);
    const asOf = this.cache.position;
    const ctx = this.context(token, asOf.timestamp);
    const instant = this.checkInstantAt(ctx, to, amount, asOf.timestamp);
    if (instant.ok) return { action: "instant", units: instant.units, asOf };
    if (instant.breach === "InstantLimitExceeded") {
      const queued = this.checkQueueAt(ctx, to, amount, asOf.timestamp);
      if (queued.ok) {
        return { action: "queue", reason: "aboveInstantLimit", instantLimit: instantLimitOf(ctx.opWord) * unitOf(ctx.tokenWord), eta: queued.eta, asOf };
      }
      return this.reject("queue", queued, null, asOf);
    }
    return this.reject("instant", instant, this.retryAt(ctx, to, amount, asOf.timestamp), asOf);
  }

  /**
   * Withdraws `amount` of `token` to `to`. Decides from the cache first (no network): sends
   * `withdrawInstant` if the withdrawal passes; if it is above the instant limit, sends `queueWithdrawal`
   * only with `queueIfLarge`; if it would be rejected, sends nothing unless `force`. Sending is the only
   * network call. A revert found when sending (the cache was stale) throws its typed error.
   */
  async withdraw(request: WithdrawalRequest, options: WithdrawOptions = {}): Promise<WithdrawResult> {
    const req = this.validate(request);
    await this.cache.readDestination(req.to);
    // From here to the reservation in sendWithdrawal nothing awaits: concurrent calls see each other.
    const decision = this.preflight(req);
    if (decision.action === "instant") return this.sendWithdrawal("instant", req, decision, false, options.overrides);
    // A withdrawal the instant path refuses goes out co-signed if an approval is at hand; a revert
    // (pause, suspension, vault-wide cap) would stop the co-signed path too.
    if (options.approval !== undefined && (decision.action === "queue" || (decision.action === "reject" && decision.effect === "trip"))) {
      return this.withdrawCosigned(req, options.approval, options);
    }
    if (decision.action === "queue") {
      return options.queueIfLarge ? this.sendWithdrawal("queue", req, decision, false, options.overrides) : { sent: false, decision };
    }
    if (!options.force || decision.action !== "reject") return { sent: false, decision };
    const path = decision.path === "queue" && options.queueIfLarge ? "queue" : "instant";
    return this.sendWithdrawal(path, req, decision, true, options.overrides);
  }

  /**
   * Queues a withdrawal of any size (`queueWithdrawal`). Decides from the cache first; sends nothing if the
   * queue would reject it (trip or revert) unless `force`.
   */
  async queue(request: WithdrawalRequest, options: Omit<WithdrawOptions, "queueIfLarge"> = {}): Promise<WithdrawResult> {
    const req = this.validate(request);
    await this.cache.readDestination(req.to);
    const asOf = this.cache.position;
    const ctx = this.context(req.token, asOf.timestamp);
    const check = this.checkQueueAt(ctx, req.to, req.amount, asOf.timestamp);
    if (check.ok) {
      const decision: WithdrawDecision = {
        action: "queue",
        reason: "requested",
        instantLimit: instantLimitOf(ctx.opWord) * unitOf(ctx.tokenWord),
        eta: check.eta,
        asOf,
      };
      return this.sendWithdrawal("queue", req, decision, false, options.overrides);
    }
    const decision = this.reject("queue", check, null, asOf);
    if (!options.force) return { sent: false, decision };
    return this.sendWithdrawal("queue", req, decision, true, options.overrides);
  }

  /**
   * Executes one of this operator's queued withdrawals. If the cache knows it and the vault would refuse
   * it (not ready, expired, paused, suspended, destination revoked, not pending), throws that typed error
   * with `source: "preflight"` without sending, unless `force`. Ids the cache does not know are left to
   * the chain.
   */
  async execute(id: bigint, options: { force?: boolean; overrides?: SendOverrides } = {}): Promise<SentTransaction<{ receipt: TransactionReceipt; id: bigint; amount: bigint }>> {
    const wid = requireUint(id, "id");
    const w = this.cache.queued.get(wid);
    if (w && !options.force) {
      await this.cache.readDestination(w.to);
      const asOf = this.cache.position;
      const ctx = this.context(w.token, asOf.timestamp);
      const check = checkExecute({
        id: wid,
        caller: this.address,
        withdrawal: w,
        timestamp: asOf.timestamp,
        paused: isPausedWord(ctx.tokenWord),
        suspended: ctx.suspended,
        approved: this.cache.isApproved(w.to),
      });
      if (!check.ok) throw vaultErrorFromData(check.error, { source: "preflight" });
    }
    const tx: UnsignedTransaction = { to: this.vault, data: vaultInterface.encodeFunctionData("executeWithdrawal", [wid]), value: 0n };
    const response = await this.sender.send(tx, { overrides: options.overrides });
    return sentTransaction(response, (receipt) => {
      const e = this.findEvent(receipt, "WithdrawalExecuted");
      if (!e || e.name !== "WithdrawalExecuted") throw new VaultSdkError("no WithdrawalExecuted event in the receipt");
      return { receipt, id: e.args.id, amount: e.args.amount };
    });
  }

  /**
   * Sends `withdrawCosigned` with an approval, after checking locally what the vault will check: the
   * approval is for exactly this withdrawal, its signature verifies (ECDSA recovery for a key; the
   * approver's `isValidSignature` through `eth_call` for a contract such as a Safe), the approver holds
   * the role now, the approval is not used or expired, the destination is approved or co-signed, and the
   * co-signed and vault-wide caps leave room. Reads the chain once (one `extsload`), plus the `eth_call` for
   * a contract approver, then sends. Sends nothing if the vault would refuse, unless `force`.
   */
  async withdrawCosigned(request: WithdrawalRequest, source: ApprovalSource, options: Omit<WithdrawOptions, "approval" | "queueIfLarge"> = {}): Promise<WithdrawResult> {
    const req = this.validate(request);
    const target: ApprovalRequest = { vault: this.vault, chainId: this.sender.chain, operator: this.address, token: req.token, to: req.to, amount: req.amount, withdrawalId: 0n };
    const approval = await this.obtain(source, target);
    const [facts] = await Promise.all([this.readApproval(approval, target), this.cache.readDestination(req.to)]);
    // From here to the reservation nothing awaits.
    const asOf = this.cache.position;
    const timestamp = this.cosignedTime(asOf.timestamp, facts.cosignedWord);
    const ctx = this.context(req.token, timestamp);
    const check = checkCosigned({
      clock: this.cache.clock,
      timestamp,
      operator: this.address,
      token: req.token,
      to: req.to,
      amount: req.amount,
      tokenWord: ctx.tokenWord,
      cosignedWord: this.pendingCosigned(req.token, facts.cosignedWord, timestamp),
      registered: this.cache.registered,
      suspended: ctx.suspended,
      tripwireOptedOut: this.cache.optedOut,
      approved: this.cache.isApproved(req.to),
      cosignedOnly: facts.cosignedOnly,
      approval: facts.approval,
    });
    const decision: WithdrawDecision = check.ok ? { action: "cosigned", units: check.units, approval, asOf } : this.reject("cosigned", check, null, asOf);
    if (!check.ok && !options.force) return { sent: false, decision };
    const data = vaultInterface.encodeFunctionData("withdrawCosigned", [req.token, req.to, req.amount, approvalStruct(approval)]);
    return this.sendReserved("cosigned", req, data, `cosigned:${req.token}:${approval.approver}`, decision, !check.ok, options.overrides);
  }

  /**
   * Executes one of this operator's queued withdrawals before its eta with an approval of it
   * (`executeWithdrawalEarly`). Checks locally first, like `withdrawCosigned` (a withdrawal the cache does
   * not know is read once with `getWithdrawal`); throws the vault's typed error with `source: "preflight"`
   * without sending if the vault would refuse or trip, unless `force`.
   */
  async executeEarly(
    id: bigint,
    source: ApprovalSource,
    options: { force?: boolean; overrides?: SendOverrides } = {},
  ): Promise<SentTransaction<WithdrawOutcome>> {
    const wid = requireUint(id, "id");
    let w = this.cache.queued.get(wid);
    if (!w) {
      const onChain = await readQueuedWithdrawal(this.cache.provider, this.vault, wid);
      const status = onChain.status;
      if (status === "None") throw vaultErrorFromData({ name: "UnknownWithdrawal", args: { id: wid } }, { source: "preflight" });
      w = { id: wid, operator: onChain.operator, token: onChain.token, to: onChain.to, amount: onChain.amount, eta: onChain.eta, status };
    }
    const target: ApprovalRequest = { vault: this.vault, chainId: this.sender.chain, operator: this.address, token: w.token, to: w.to, amount: w.amount, withdrawalId: wid };
    const approval = await this.obtain(source, target);
    const [facts] = await Promise.all([this.readApproval(approval, target), this.cache.readDestination(w.to)]);
    const asOf = this.cache.position;
    const timestamp = this.cosignedTime(asOf.timestamp, facts.cosignedWord);
    const ctx = this.context(w.token, timestamp);
    const check = checkEarly({
      clock: this.cache.clock,
      timestamp,
      id: wid,
      caller: this.address,
      withdrawal: w,
      paused: isPausedWord(ctx.tokenWord),
      suspended: ctx.suspended,
      approved: this.cache.isApproved(w.to),
      tripwireOptedOut: this.cache.optedOut,
      tokenWord: ctx.tokenWord,
      cosignedWord: this.pendingCosigned(w.token, facts.cosignedWord, timestamp),
      approval: facts.approval,
    });
    if (!check.ok && !options.force) throw vaultErrorFromData(check.error, { source: "preflight" });
    const data = vaultInterface.encodeFunctionData("executeWithdrawalEarly", [wid, approvalStruct(approval)]);
    const charged = check.ok ? check.charged : true;
    const reservation = charged ? this.cache.reserve({ kind: "cosigned", token: w.token, to: w.to, amount: w.amount }) : null;
    try {
      const response = await this.sender.send({ to: this.vault, data, value: 0n }, { gasKey: `early:${w.token}:${approval.approver}`, estimate: !check.ok, overrides: options.overrides });
      if (reservation) reservation.hash = response.hash;
      return sentTransaction(response, (receipt) => this.outcomeOf(receipt));
    } catch (e) {
      if (reservation) this.cache.release(reservation);
      throw e;
    }
  }

  /** Cancels one of this operator's queued withdrawals (refused without sending if the cache knows it is not pending). */
  async cancel(id: bigint, options: { overrides?: SendOverrides } = {}): Promise<SentTransaction<TransactionReceipt>> {
    const wid = requireUint(id, "id");
    const w = this.cache.queued.get(wid);
    if (w && w.status !== "Pending") {
      throw vaultErrorFromData({ name: "WithdrawalNotPending", args: { id: wid, status: BigInt(STATUSES.indexOf(w.status)) } }, { source: "preflight" });
    }
    const tx: UnsignedTransaction = { to: this.vault, data: vaultInterface.encodeFunctionData("cancelWithdrawal", [wid]), value: 0n };
    return sentTransaction(await this.sender.send(tx, { overrides: options.overrides }), asReceipt);
  }

  /** No network: what can go out instantly now for `token`, and when more frees up, from the cache. */
  available(token: string): Availability {
    const t = requireAddress(token, "token", { allowZero: false });
    if (!this.cache.isListed(t)) throw new InvalidInputError("token", `${t} is not listed by the vault (as of block ${this.cache.position.blockNumber})`);
    const asOf = this.cache.position;
    const ctx = this.context(t, asOf.timestamp);
    const now = this.instantAvailability(ctx, asOf.timestamp);
    let nextIncreaseAt: bigint | null = null;
    for (const b of nextBoundaries(this.cache.clock, asOf.timestamp, ctx.tokenWord)) {
      if (this.instantAvailability(ctx, b).amount > now.amount) {
        nextIncreaseAt = b;
        break;
      }
    }
    const queueRoom = ctx.queueCap > ctx.pendingQueued ? ctx.queueCap - ctx.pendingQueued : 0n;
    return { token: t, ...now, nextIncreaseAt, queueRoom, asOf };
  }

  /** No network: this operator's pending queued withdrawals, from the cache (confirmed ones only). */
  pending(): PendingWithdrawal[] {
    const now = this.cache.position.timestamp;
    return [...this.cache.queued.values()]
      .filter((w) => w.status === "Pending")
      .map((w) => ({ ...w, expiresAt: w.eta + GRACE_PERIOD, ready: now >= w.eta && now <= w.eta + GRACE_PERIOD }));
  }

  // ---------------------------------------------------------------------------------------------

  private validate(request: WithdrawalRequest): WithdrawalRequest {
    if (request === null || typeof request !== "object") throw new InvalidInputError("request", "expected { token, to, amount }");
    const token = requireAddress(request.token, "token");
    const to = requireAddress(request.to, "to");
    const amount = requireAmount(request.amount, "amount");
    if (!this.cache.isListed(token)) {
      throw new InvalidInputError("token", `${token} is not listed by the vault (as of block ${this.cache.position.blockNumber})`);
    }
    return { token, to, amount };
  }

  private context(token: string, timestamp: bigint) {
    const e = this.cache.effective(token, timestamp);
    if (!e) throw new InvalidInputError("token", `${token} is not listed by the vault`);
    return { token, ...e };
  }

  /** What both withdrawal paths read, from the cache, for this operator. */
  private withdrawalInput(ctx: ReturnType<OperatorClient["context"]>, to: string, amount: bigint, timestamp: bigint): WithdrawalInput {
    return {
      timestamp,
      operator: this.address,
      token: ctx.token,
      to,
      amount,
      opWord: ctx.opWord,
      tokenWord: ctx.tokenWord,
      approved: this.cache.isApproved(to),
      registered: this.cache.registered,
      tripwireOptedOut: this.cache.optedOut,
    };
  }

  private checkInstantAt(ctx: ReturnType<OperatorClient["context"]>, to: string, amount: bigint, timestamp: bigint): InstantCheck {
    // The record's suspension: the words' HELD bit also marks a key added again after a removal.
    return checkInstant({ ...this.withdrawalInput(ctx, to, amount, timestamp), clock: this.cache.clock, suspended: ctx.suspended });
  }

  private checkQueueAt(ctx: ReturnType<OperatorClient["context"]>, to: string, amount: bigint, timestamp: bigint): QueueCheck {
    return checkQueue({
      ...this.withdrawalInput(ctx, to, amount, timestamp),
      suspended: ctx.suspended,
      queueCap: ctx.queueCap,
      pending: ctx.pendingQueued,
      withdrawalDelay: this.cache.withdrawalDelay,
    });
  }

  /** The earliest bucket or tripwire-period start at which the same instant withdrawal passes. */
  private retryAt(ctx: ReturnType<OperatorClient["context"]>, to: string, amount: bigint, timestamp: bigint): bigint | null {
    for (const b of nextBoundaries(this.cache.clock, timestamp, ctx.tokenWord)) {
      if (this.checkInstantAt(ctx, to, amount, b).ok) return b;
    }
    return null;
  }

  private reject(path: "instant" | "queue" | "cosigned", r: Rejection, retryAt: bigint | null, asOf: CachePosition): WithdrawDecision {
    return { action: "reject", path, effect: r.effect, breach: r.breach, error: vaultErrorFromData(r.error, { source: "preflight" }), retryAt, asOf };
  }

  private instantAvailability(ctx: ReturnType<OperatorClient["context"]>, timestamp: bigint): Omit<Availability, "token" | "nextIncreaseAt" | "queueRoom" | "asOf"> {
    const clock: Clock = this.cache.clock;
    const nowT = clockTime(clock, timestamp);
    const unit = unitOf(ctx.tokenWord);
    const operatorAvailable = availableAt(ctx.opWord, nowT, clock.bucket) * unit;
    const vaultAvailable = availableAt(ctx.tokenWord, nowT, clock.bucket) * unit;
    const instantLimit = instantLimitOf(ctx.opWord) * unit;
    const base = { operatorAvailable, vaultAvailable, instantLimit };
    if (isPausedWord(ctx.tokenWord)) return { ...base, amount: 0n, limitedBy: "paused" };
    if (ctx.suspended) return { ...base, amount: 0n, limitedBy: "suspended" };
    if (capOf(ctx.opWord) === 0n) return { ...base, amount: 0n, limitedBy: "not-allowed" };
    const { count, maxCount } = periodCount(ctx.opWord, ctx.tokenWord, nowT);
    if (maxCount !== 0n && count > maxCount) return { ...base, amount: 0n, limitedBy: "rate" };
    const amount = [operatorAvailable, vaultAvailable, instantLimit].reduce((a, b) => (b < a ? b : a));
    const limitedBy = amount === operatorAvailable ? "operator-cap" : amount === vaultAvailable ? "vault-cap" : "instant-limit";
    return { ...base, amount, limitedBy };
  }

  private async sendWithdrawal(
    path: "instant" | "queue",
    req: WithdrawalRequest,
    decision: WithdrawDecision,
    forced: boolean,
    overrides: SendOverrides | undefined,
  ): Promise<WithdrawResult> {
    const data =
      path === "instant"
        ? vaultInterface.encodeFunctionData("withdrawInstant", [req.token, req.to, req.amount])
        : vaultInterface.encodeFunctionData("queueWithdrawal", [req.token, req.to, req.amount]);
    // Reserve before the first await, so that a decision made while this one is in flight counts it.
    const reservation: Reservation = this.cache.reserve({ kind: path, token: req.token, to: req.to, amount: req.amount });
    let tx: SentTransaction<WithdrawOutcome>;
    try {
      // A withdrawal the preflight passed has a kept gas limit per path and token; a forced one is estimated.
      const response = await this.sender.send({ to: this.vault, data, value: 0n }, { gasKey: `${path}:${req.token}`, estimate: forced, overrides });
      tx = sentTransaction(response, (receipt) => this.outcomeOf(receipt));
    } catch (e) {
      this.cache.release(reservation);
      throw e;
    }
    reservation.hash = tx.hash;
    return { sent: true, path, forced, decision, tx };
  }

  private async obtain(source: ApprovalSource, target: ApprovalRequest): Promise<SignedApproval> {
    const a = typeof source === "function" ? await source(target) : source;
    if (a === null || typeof a !== "object" || typeof a.signature !== "string" || typeof a.approver !== "string") {
      throw new InvalidInputError("approval", "expected a signed approval { approver, nonce, deadline, signature, ... }");
    }
    requireAddress(a.approver, "approval.approver");
    requireUint(a.nonce, "approval.nonce");
    requireUint(a.deadline, "approval.deadline");
    return a;
  }

  /**
   * Reads the chain: one `extsload` of the co-signed limiter, the co-signed-only flag of the destination,
   * the used flag of this withdrawal's digest and the approver's role; and, for an approval whose
   * signature is not a key's of exactly this withdrawal, the approver's `isValidSignature` (`eth_call`).
   */
  private async readApproval(a: SignedApproval, target: ApprovalRequest): Promise<{ cosignedWord: bigint; cosignedOnly: boolean; approval: ApprovalFacts }> {
    const digest = approvalDigest(target, a.nonce, a.deadline);
    const slots = [
      nestedSlot(STORAGE_SLOTS.cosignedWords, this.address, target.token),
      nestedSlot(STORAGE_SLOTS.cosignedOnly, this.address, target.to),
      bytes32Slot(STORAGE_SLOTS.approvalsUsed, digest),
      roleSlot(APPROVER_ROLE, a.approver),
      mappingSlot(STORAGE_SLOTS.operatorInfo, this.address),
    ];
    // An approval of another withdrawal (or vault, chain, operator) cannot verify for this one.
    const forThis = approvalMatches(a, target) && (a.digest === undefined || a.digest.toLowerCase() === digest);
    const recovered = forThis ? recoverApprover(digest, a.signature) : null;
    const byKey = recovered !== null && recovered.toLowerCase() === a.approver.toLowerCase();
    const [raw, byContract] = await Promise.all([
      rawCall(this.cache.provider, this.vault, vaultInterface.encodeFunctionData("extsload", [slots])),
      forThis && !byKey ? isValidSignature1271(this.cache.provider, a.approver, digest, a.signature) : Promise.resolve(false),
    ]);
    const [words] = vaultInterface.decodeFunctionResult("extsload", raw) as unknown as [string[]];
    // A co-signed destination holds 1 + the operator's generation when it was approved (a removal voids it).
    const generation = (BigInt(words[4]) >> BigInt(STORAGE_OFFSETS.infoGeneration * 8)) & 0xffffffffn;
    return {
      cosignedWord: BigInt(words[0]),
      cosignedOnly: BigInt(words[1]) === generation + 1n,
      approval: {
        approver: requireAddress(a.approver, "approval.approver"),
        digest,
        deadline: a.deadline,
        used: BigInt(words[2]) !== 0n,
        isApprover: BigInt(words[3]) !== 0n,
        validSignature: byKey || byContract,
      },
    };
  }

  /**
   * When to judge a co-signed path: the cache's block time, or later if the co-signed limiter read at the
   * latest block was charged after it (by another process with this key). The vault runs no earlier than
   * that charge, and judging a word before its own `last` would see an empty ring.
   */
  private cosignedTime(cacheTimestamp: bigint, cosignedWord: bigint): bigint {
    const charged = this.cache.clock.start + lastOf(cosignedWord);
    return charged > cacheTimestamp ? charged : cacheTimestamp;
  }

  /** The co-signed word read from the chain with this client's co-signed withdrawals not yet settled charged on top (may count one twice: errs on holding back). */
  private pendingCosigned(token: string, word: bigint, timestamp: bigint): bigint {
    const nowT = clockTime(this.cache.clock, timestamp);
    const unit = unitOf(this.context(token, timestamp).tokenWord);
    for (const r of this.cache.pendingReservations) {
      if (r.kind !== "cosigned" || r.token !== token) continue;
      const c = consume(word, nowT, this.cache.clock.bucket, toUnits(r.amount, unit));
      if (c.ok) word = c.updated;
    }
    return word;
  }

  private async sendReserved(
    kind: "cosigned",
    req: WithdrawalRequest,
    data: string,
    gasKey: string,
    decision: WithdrawDecision,
    forced: boolean,
    overrides: SendOverrides | undefined,
  ): Promise<WithdrawResult> {
    const reservation: Reservation = this.cache.reserve({ kind, token: req.token, to: req.to, amount: req.amount });
    let tx: SentTransaction<WithdrawOutcome>;
    try {
      const response = await this.sender.send({ to: this.vault, data, value: 0n }, { gasKey, estimate: forced, overrides });
      tx = sentTransaction(response, (receipt) => this.outcomeOf(receipt));
    } catch (e) {
      this.cache.release(reservation);
      throw e;
    }
    reservation.hash = tx.hash;
    return { sent: true, path: kind, forced, decision, tx };
  }

  private findEvent(receipt: TransactionReceipt, ...names: string[]) {
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.vault.toLowerCase()) continue;
      const e = decodeVaultLog(log);
      if (e && names.includes(e.name)) return e;
    }
    return null;
  }

  private outcomeOf(receipt: TransactionReceipt): WithdrawOutcome {
    const e = this.findEvent(receipt, "Withdrawn", "WithdrawalQueued", "WithdrawalExecuted", "TripwireFired");
    if (e?.name === "Withdrawn" || e?.name === "WithdrawalExecuted") return { status: "withdrawn", receipt, amount: e.args.amount };
    if (e?.name === "WithdrawalQueued") return { status: "queued", receipt, id: e.args.id, eta: e.args.eta };
    if (e?.name === "TripwireFired") return { status: "tripped", receipt, reason: tripReasonOf(e.args.reason) };
    throw new VaultSdkError(`transaction ${receipt.hash} emitted no withdrawal event`);
  }
}

