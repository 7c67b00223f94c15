/**
 * A subscription to the vault's events by polling `eth_getLogs` over block ranges: typed events, with
 * anomalies flagged (a tripwire, a proposed change, a queued withdrawal above a threshold). Usable with
 * callbacks (`onEvent`, `onAnomaly` + `start()`), as an async iterator (`for await (const e of watcher)`),
 * or one round at a time (`poll()`). It resumes from any block: persist `nextBlock` and pass it back as
 * `fromBlock`.
 */
import type { Provider } from "ethers";
import { decodeChange, type ChangeParams } from "../rules/changes";
import { changeKindOf, tripReasonOf, type TripReason } from "../rules/constants";
import { decodeVaultLog, type VaultEvent } from "./events";
import { InvalidInputError } from "../errors/base";
import { read } from "../clients/transport";
import { requireAddress, requireUint } from "../errors/validate";

/** Something a guardian should look at. */
export type Anomaly =
  | {
      readonly kind: "TripwireFired";
      readonly operator: string;
      readonly token: string;
      readonly reason: TripReason;
      readonly to: string;
      readonly amount: bigint;
    }
  | { readonly kind: "ChangeProposed"; readonly id: bigint; readonly change: ChangeParams; readonly eta: bigint }
  | {
      readonly kind: "LargeQueuedWithdrawal";
      readonly id: bigint;
      readonly operator: string;
      readonly token: string;
      readonly to: string;
      readonly amount: bigint;
      readonly eta: bigint;
      readonly threshold: bigint;
    };

/** A vault event with the anomalies it raises (usually none). */
export type WatchedEvent = VaultEvent & { readonly anomalies: readonly Anomaly[] };

export interface WatcherOptions {
  readonly provider: Provider;
  readonly vault: string;
  /** First block to read: the vault's deployment block, or a saved `nextBlock` to resume. */
  readonly fromBlock: number;
  /** Pause between polls when running in the background or iterating (default 2000 ms). */
  readonly pollIntervalMs?: number;
  /** Most blocks per `eth_getLogs` request (default 2000). */
  readonly maxBlockRange?: number;
  /** Read only blocks this deep below the head, to sit out shallow reorgs (default 0). */
  readonly confirmations?: number;
  /** A queued withdrawal of a token above its threshold (base units) is an anomaly, by token address. */
  readonly queuedThresholds?: Readonly<Record<string, bigint>>;
  /** Threshold for tokens not in `queuedThresholds`; none if omitted. */
  readonly defaultQueuedThreshold?: bigint;
}

/**
 * Reads the chain: the vault's events in `[fromBlock, toBlock]`, in chain order, fetched in ranges of at
 * most `maxBlockRange` blocks.
 */
export async function fetchVaultEvents(o: {
  provider: Provider;
  vault: string;
  fromBlock: number;
  toBlock: number;
  maxBlockRange?: number;
}): Promise<VaultEvent[]> {
  const range = o.maxBlockRange ?? 2000;
  const out: VaultEvent[] = [];
  for (let from = o.fromBlock; from <= o.toBlock; from += range) {
    const to = Math.min(from + range - 1, o.toBlock);
    const logs = await read(() => o.provider.getLogs({ address: o.vault, fromBlock: from, toBlock: to }));
    for (const log of logs.slice().sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)) {
      const event = decodeVaultLog(log);
      if (event) out.push(event);
    }
  }
  return out;
}

type Listener<T> = (value: T) => void | Promise<void>;

interface IteratorSink {
  buffer: WatchedEvent[];
  wake: (() => void) | null;
  error: unknown;
  done: boolean;
}

export class VaultWatcher implements AsyncIterable<WatchedEvent> {
  readonly vault: string;
  private readonly provider: Provider;
  private readonly interval: number;
  private readonly range: number;
  private readonly confirmations: number;
  private readonly thresholds: Map<string, bigint>;
  private readonly defaultThreshold: bigint | undefined;
  private next: number;
  private readonly eventListeners = new Set<Listener<WatchedEvent>>();
  private readonly anomalyListeners = new Set<(anomaly: Anomaly, event: WatchedEvent) => void | Promise<void>>();
  private readonly errorListeners = new Set<Listener<unknown>>();
  private readonly sinks = new Set<IteratorSink>();
  private started = false;
  private loop: Promise<void> | null = null;
  private sleeper: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: WatcherOptions) {
    this.vault = requireAddress(options.vault, "vault");
    this.provider = options.provider;
    if (!Number.isSafeInteger(options.fromBlock) || options.fromBlock < 0) {
      throw new InvalidInputError("fromBlock", `expected a block number, got ${String(options.fromBlock)}`);
    }
    this.next = options.fromBlock;
    this.interval = options.pollIntervalMs ?? 2000;
    this.range = options.maxBlockRange ?? 2000;
    this.confirmations = options.confirmations ?? 0;
    if (this.range < 1) throw new InvalidInputError("maxBlockRange", "must be at least 1");
    this.thresholds = new Map(
      Object.entries(options.queuedThresholds ?? {}).map(([token, t]) => [requireAddress(token, "queuedThresholds", { allowZero: false }), requireUint(t, "queuedThresholds")]),
    );
    this.defaultThreshold = options.defaultQueuedThreshold === undefined ? undefined : requireUint(options.defaultQueuedThreshold, "defaultQueuedThreshold");
  }

  /** The next block the watcher will read; pass it as `fromBlock` to resume. */
  get nextBlock(): number {
    return this.next;
  }

  /** Whether the background loop is running (after `start()`, or while an iterator is open). */
  get running(): boolean {
    return this.loop !== null;
  }

  /** Calls `listener` for every event, in chain order. Returns an unsubscribe function. */
  onEvent(listener: Listener<WatchedEvent>): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Calls `listener` for every anomaly, with the event that raised it. Returns an unsubscribe function. */
  onAnomaly(listener: (anomaly: Anomaly, event: WatchedEvent) => void | Promise<void>): () => void {
    this.anomalyListeners.add(listener);
    return () => this.anomalyListeners.delete(listener);
  }

  /** Calls `listener` when a background poll or a listener fails (the loop keeps going). */
  onError(listener: Listener<unknown>): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Reads the chain: fetches the vault's logs from `nextBlock` up to the head (less `confirmations`) or
   * `toBlock`, hands each event to the listeners and open iterators, advances `nextBlock`, and returns the
   * events. Rounds never overlap; on failure `nextBlock` stays at the first unread block.
   */
  poll(options: { toBlock?: number } = {}): Promise<WatchedEvent[]> {
    const run = this.queue.then(() => this.pollOnce(options.toBlock));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Starts polling in the background; events go to the listeners. */
  start(): void {
    this.started = true;
    this.ensureLoop();
  }

  /** Stops the background loop (open iterators end). Resolves once the current round is over. */
  async stop(): Promise<void> {
    this.started = false;
    for (const sink of this.sinks) {
      sink.done = true;
      sink.wake?.();
    }
    this.sinks.clear();
    await this.halt();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchedEvent> {
    const sink: IteratorSink = { buffer: [], wake: null, error: undefined, done: false };
    this.sinks.add(sink);
    this.ensureLoop();
    const close = async (): Promise<IteratorResult<WatchedEvent>> => {
      sink.done = true;
      this.sinks.delete(sink);
      if (!this.started && this.sinks.size === 0) await this.halt();
      return { done: true, value: undefined };
    };
    return {
      next: async (): Promise<IteratorResult<WatchedEvent>> => {
        for (;;) {
          const value = sink.buffer.shift();
          if (value) return { done: false, value };
          if (sink.error !== undefined) {
            const error = sink.error;
            await close();
            throw error;
          }
          if (sink.done) return close();
          await new Promise<void>((resolve) => (sink.wake = resolve));
          sink.wake = null;
        }
      },
      return: close,
    };
  }

  private async pollOnce(toBlock?: number): Promise<WatchedEvent[]> {
    const head = toBlock ?? (await read(() => this.provider.getBlockNumber())) - this.confirmations;
    const out: WatchedEvent[] = [];
    while (this.next <= head) {
      const from = this.next;
      const to = Math.min(from + this.range - 1, head);
      const events = (await fetchVaultEvents({ provider: this.provider, vault: this.vault, fromBlock: from, toBlock: to, maxBlockRange: this.range }))
        .map((e) => ({ ...e, anomalies: this.anomaliesOf(e) }) as WatchedEvent);
      this.next = to + 1;
      for (const event of events) await this.dispatch(event);
      out.push(...events);
    }
    return out;
  }

  private anomaliesOf(e: VaultEvent): Anomaly[] {
    if (e.name === "TripwireFired") {
      const { operator, token, reason, to, amount } = e.args;
      return [{ kind: "TripwireFired", operator, token, reason: tripReasonOf(reason), to, amount }];
    }
    if (e.name === "ChangeProposed") {
      return [{ kind: "ChangeProposed", id: e.args.id, change: decodeChange(changeKindOf(e.args.kind), e.args.params), eta: e.args.eta }];
    }
    if (e.name === "WithdrawalQueued") {
      const threshold = this.thresholds.get(e.args.token) ?? this.defaultThreshold;
      if (threshold !== undefined && e.args.amount > threshold) {
        const { id, operator, token, to, amount, eta } = e.args;
        return [{ kind: "LargeQueuedWithdrawal", id, operator, token, to, amount, eta, threshold }];
      }
    }
    return [];
  }

  private async dispatch(event: WatchedEvent): Promise<void> {
    for (const sink of this.sinks) {
      sink.buffer.push(event);
      sink.wake?.();
    }
    for (const listener of this.eventListeners) await this.guard(() => listener(event));
    for (const anomaly of event.anomalies) {
      for (const listener of this.anomalyListeners) await this.guard(() => listener(anomaly, event));
    }
  }

  private async guard(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      await this.reportError(e);
    }
  }

  private async reportError(error: unknown): Promise<void> {
    for (const listener of this.errorListeners) {
      try {
        await listener(error);
      } catch {
        // An error listener that throws has nowhere left to report to.
      }
    }
  }

  private ensureLoop(): void {
    if (this.loop) return;
    const active = () => this.started || this.sinks.size > 0;
    this.loop = (async () => {
      while (active()) {
        try {
          await this.poll();
        } catch (e) {
          for (const sink of this.sinks) {
            sink.error = e;
            sink.wake?.();
          }
          await this.reportError(e);
        }
        if (!active()) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.interval);
          timer.unref?.();
          this.sleeper = { timer, resolve };
        });
        this.sleeper = null;
      }
    })().finally(() => {
      this.loop = null;
      // A consumer that arrived while the loop was winding down still needs one.
      if (active()) this.ensureLoop();
    });
  }

  private async halt(): Promise<void> {
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.resolve();
    }
    await this.loop;
  }
}
