/**
 * How the monitor reads the chain. A vault's events come from a `VaultEventSource`: by default the SDK's
 * `LogReader` (topic-filtered `eth_getLogs`, atomic pages handed on before its cursor moves, retries with
 * backoff, ranges split when a provider refuses them, never a block skipped, confirmations and reorg
 * detection by block hash). The monitor depends only on these interfaces, so tests can put a failing or
 * scripted source in its place.
 */
import type { Provider } from "ethers";
import { LogReader, read, type KnownHead, type LogConsumer, type ReadRound } from "./sdk";

/** One vault's events, page by page, from a cursor the source keeps (see the SDK's `LogReader`). */
export interface VaultEventSource {
  /** The next block to read. */
  readonly nextBlock: number;
  /** Blocks kept below the head; null until the first round resolves the chain's default. */
  readonly confirmationDepth: number | null;
  /** Reads up to the head less the confirmations (or `toBlock`), handing each page to `consumer.batch` first. */
  poll(consumer: LogConsumer, o?: { toBlock?: number; head?: KnownHead }): Promise<ReadRound>;
}

export interface VaultEventSourceOptions {
  readonly provider: Provider;
  readonly vault: string;
  readonly fromBlock: number;
  /** Blocks left unread below the head (default: the chain's, see the SDK's `chainDefaults`). */
  readonly confirmations?: number;
  readonly maxBlockRange?: number;
}

/** The default source: the SDK's `LogReader` over every event of the vault. */
export function logReaderSource(o: VaultEventSourceOptions): VaultEventSource {
  return new LogReader({ provider: o.provider, vault: o.vault, fromBlock: o.fromBlock, confirmations: o.confirmations, maxBlockRange: o.maxBlockRange });
}

/** The head and block timestamps (cached) of a chain. */
export interface ChainReader {
  headBlock(): Promise<number>;
  blockTimestamp(block: number): Promise<number>;
}

export function chainReader(provider: Provider): ChainReader {
  const timestamps = new Map<number, number>();
  return {
    headBlock: () => read(() => provider.getBlockNumber()),
    async blockTimestamp(block) {
      const known = timestamps.get(block);
      if (known !== undefined) return known;
      const b = await read(() => provider.getBlock(block));
      if (!b) throw new Error(`block ${block} not found`);
      if (timestamps.size > 10_000) timestamps.clear();
      timestamps.set(block, b.timestamp);
      return b.timestamp;
    },
  };
}
