/**
 * A subscription to the vault's events, read by a `LogReader` (by topic, in atomic pages, retried, split
 * while a provider refuses a range, reorgs detected by block hash): typed events, with anomalies flagged (a
 * tripwire, a proposed change, a queued withdrawal above a threshold). Usable with callbacks (`onEvent`,
 * `onAnomaly`, `onAlert`, `onReorg` + `start()`), as an async iterator (`for await (const e of watcher)`),
 * or one round at a time (`poll()`). It resumes from any block: persist `nextBlock` and pass it back as
 * `fromBlock`.
 *
 * When a reorg replaces blocks it already handed on, the events from those blocks are handed on again
 * marked `removed: true` (newest first, as `eth_subscribe` does), then the new chain's events follow.
 */
import type { Provider } from "ethers";
import { decodeChange, type ChangeParams } from "../rules/changes";
import { changeKindOf, tripReasonOf, type TripReason } from "../rules/constants";
import type { VaultEvent, VaultEventName } from "./events";
import { InvalidInputError } from "../errors/base";
import { LogReader, type LogReaderAlert, type Reorg, type RetryOptions } from "./log-reader";
import { requireAddress, requireUint } from "../errors/validate";
import { sleep } from "./sleep";

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

/** A vault event with the anomalies it raises (usually none); `removed` when a reorg took it back. */
export type WatchedEvent = VaultEvent & { readonly anomalies: readonly Anomaly[]; readonly removed?: true };

export interface WatcherOptions {
  readonly provider: Provider;
  readonly vault: string;
  /** First block to read: the vault's deployment block, or a saved `nextBlock` to resume. */
  readonly fromBlock: number;
  /** Pause between polls when running in the background or iterating (default 2000 ms). */
  readonly pollIntervalMs?: number;
  /** The events to read (by topic); all of the vault's events if omitted. */
  readonly events?: readonly VaultEventName[];
  /** Most blocks per `eth_getLogs` request (default 2000); smaller while a provider refuses a range. */
  readonly maxBlockRange?: number;
  /** Read only blocks this deep below the head (default: the chain's, see `chainDefaults`; 0 on Hardhat). */
  readonly confirmations?: number;
  /** Blocks whose hashes are kept to detect reorgs (default: the chain's). */
  readonly reorgWindow?: number;
  /** Retries of a failed request before its range is split or its block declared unreadable for the round. */
  readonly retry?: RetryOptions;
  /** A queued withdrawal of a token above its threshold (base units) is an anomaly, by token address. */
  readonly queuedThresholds?: Readonly<Record<string, bigint>>;
  /** Threshold for tokens not in `queuedThresholds`; none if omitted. */
  readonly defaultQueuedThreshold?: bigint;
}

/**
 * Reads the chain: the vault's events in `[fromBlock, toBlock]` (only `events`, if given), in chain order,
 * fetched in ranges of at most `maxBlockRange` blocks, retried and split as `LogReader` does. Throws
 * `UnreadableBlockError` if a block cannot be read.
 */
export async function fetchVaultEvents(o: {
  provider: Provider;
  vault: string;
  fromBlock: number;
  toBlock: number;
  maxBlockRange?: number;
  events?: readonly VaultEventName[];
  retry?: RetryOptions;
}): Promise<VaultEvent[]> {
  const reader = new LogReader({ provider: o.provider, vault: o.vault, fromBlock: o.fromBlock, events: o.events, maxBlockRange: o.maxBlockRange, retry: o.retry, confirmations: 0, reorgWindow: 1 });
  const out: VaultEvent[] = [];
  await reader.poll({ batch: (b) => void out.push(...b.events) }, { toBlock: o.toBlock });
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
  private readonly reader: LogReader;
  private readonly interval: number;
  private readonly thresholds: Map<string, bigint>;
  private readonly defaultThreshold: bigint | undefined;
  private readonly eventListeners = new Set<Listener<WatchedEvent>>();
  private readonly anomalyListeners = new Set<(anomaly: Anomaly, event: WatchedEvent) => void | Promise<void>>();
  private readonly errorListeners = new Set<Listener<unknown>>();
  private readonly alertListeners = new Set<Listener<LogReaderAlert>>();
  private readonly reorgListeners = new Set<Listener<Reorg>>();
  private readonly sinks = new Set<IteratorSink>();
  private started = false;
  private loop: Promise<void> | null = null;
  /** Ends the wait between two rounds early (set while the loop waits). */
  private interrupt: AbortController | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: WatcherOptions) {
    this.vault = requireAddress(options.vault, "vault");
    if (!Number.isSafeInteger(options.fromBlock) || options.fromBlock < 0) {
      throw new InvalidInputError("fromBlock", `expected a block number, got ${String(options.fromBlock)}`);
    }
    this.reader = new LogReader({
      provider: options.provider,
      vault: this.vault,
      fromBlock: options.fromBlock,
      events: options.events,
      maxBlockRange: options.maxBlockRange,
      confirmations: options.confirmations,
      reorgWindow: options.reorgWindow,
      retry: options.retry,
    });
    this.interval = options.pollIntervalMs ?? 2000;
    this.thresholds = new Map(
      Object.entries(options.queuedThresholds ?? {}).map(([token, t]) => [requireAddress(token, "queuedThresholds", { allowZero: false }), requireUint(t, "queuedThresholds")]),
    );
    this.defaultThreshold = options.defaultQueuedThreshold === undefined ? undefined : requireUint(options.defaultQueuedThreshold, "defaultQueuedThreshold");
  }

  /** The next block the watcher will read; pass it as `fromBlock` to resume. */
  get nextBlock(): number {
    return this.reader.nextBlock;
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

  /**
   * Calls `listener` when a block cannot be read (`blockUnreadable`: the watcher waits at it and retries
   * every round, it never skips it), when it is read again (`recovered`), and when a reorg is deeper than
   * the hashes kept. Returns an unsubscribe function.
   */
  onAlert(listener: Listener<LogReaderAlert>): () => void {
    this.alertListeners.add(listener);
    return () => this.alertListeners.delete(listener);
  }

  /** Calls `listener` when a reorg replaced blocks already read, before their events are handed on as removed. */
  onReorg(listener: Listener<Reorg>): () => void {
    this.reorgListeners.add(listener);
    return () => this.reorgListeners.delete(listener);
  }

  /** Calls `listener` when a background poll or a listener fails (the loop keeps going). */
  onError(listener: Listener<unknown>): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Reads the chain: fetches the vault's logs from `nextBlock` up to the head (less `confirmations`) or
   * `toBlock`, hands each event to the listeners and open iterators range by range, advances `nextBlock`
   * past each range once its events were handed on, and returns the events (removed ones included, marked).
   * Rounds never overlap. If a block cannot be read, the events before it have been handed on, `nextBlock`
   * is that block, the alert listeners are called, and the round rejects with `UnreadableBlockError`.
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
    const out: WatchedEvent[] = [];
    await this.reader.poll(
      {
        batch: async (b) => {
          for (const e of b.events) {
            const event = { ...e, anomalies: this.anomaliesOf(e) } as WatchedEvent;
            await this.dispatch(event);
            out.push(event);
          }
        },
        reorg: async (r) => {
          for (const listener of this.reorgListeners) await this.guard(() => listener(r));
          for (const e of [...r.removed].reverse()) {
            const event = { ...e, anomalies: [], removed: true } as WatchedEvent;
            await this.dispatch(event);
            out.push(event);
          }
        },
        alert: async (a) => {
          for (const listener of this.alertListeners) await this.guard(() => listener(a));
        },
      },
      { toBlock },
    );
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
        this.interrupt = new AbortController();
        await sleep(this.interval, { signal: this.interrupt.signal, unref: true });
        this.interrupt = null;
      }
    })().finally(() => {
      this.loop = null;
      // A consumer that arrived while the loop was winding down still needs one.
      if (active()) this.ensureLoop();
    });
  }

  private async halt(): Promise<void> {
    this.interrupt?.abort();
    await this.loop;
  }
}
