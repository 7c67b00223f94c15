/**
 * Replaying a few of the vault's events over a long range with as few `eth_getLogs` calls as the node
 * allows: the whole range in one call, filtered by topic, and when the node refuses (too many blocks or
 * results), the `LogReader`'s halving, down to single blocks. The cost is one call for a node without a
 * range limit, and about `blocks / limit` calls plus `log2(blocks / limit)` refusals for one with a limit.
 */
import type { Provider } from "ethers";
import type { VaultEvent, VaultEventName } from "../monitor/events";
import { LogReader, type KnownHead, type RetryOptions } from "../monitor/log-reader";

export interface ReplayOptions {
  readonly provider: Provider;
  readonly vault: string;
  /** The events to replay, by name. */
  readonly events: readonly VaultEventName[];
  readonly fromBlock: number;
  readonly toBlock: number;
  /** Most blocks per call; by default the whole range first. */
  readonly maxBlockRange?: number;
  /** Retries before a range is halved (default: none, any refusal halves it at once). */
  readonly retry?: RetryOptions;
  /** The head, if `toBlock` is it and the caller has it (saves a request). */
  readonly head?: KnownHead;
}

/**
 * Reads the chain: the matching vault events in `[fromBlock, toBlock]`, in chain order. Throws
 * `UnreadableBlockError` if a single block cannot be read.
 */
export async function replayVaultEvents(o: ReplayOptions): Promise<VaultEvent[]> {
  if (o.toBlock < o.fromBlock) return [];
  const reader = new LogReader({
    provider: o.provider,
    vault: o.vault,
    fromBlock: o.fromBlock,
    events: o.events,
    maxBlockRange: o.maxBlockRange ?? o.toBlock - o.fromBlock + 1,
    retry: o.retry ?? { attempts: 1 },
    confirmations: 0,
    reorgWindow: 1,
  });
  const out: VaultEvent[] = [];
  await reader.poll({ batch: (b) => void out.push(...b.events) }, { toBlock: o.toBlock, head: o.head });
  return out;
}
