/**
 * How the monitor reads a vault's events: "the events of vault V from block A to B, in chain order". The
 * monitor depends only on this interface, so the chain reading underneath (today the SDK's
 * `fetchVaultEvents`, page by page over `eth_getLogs`) can be swapped for another reader without touching
 * the monitor.
 */
import type { Provider } from "ethers";
import { fetchVaultEvents, read, type VaultEvent } from "./sdk";

export interface VaultEventReader {
  /** The newest block number of the chain (the monitor subtracts its confirmations). */
  headBlock(): Promise<number>;
  /** Every event of `vault` in blocks `[fromBlock, toBlock]`, in chain order; throws rather than skip a page. */
  readVaultEvents(o: { vault: string; fromBlock: number; toBlock: number }): Promise<VaultEvent[]>;
  /** The timestamp (seconds) of a block. */
  blockTimestamp(block: number): Promise<number>;
}

/** The reader over the SDK's `fetchVaultEvents` (ranges of at most `maxBlockRange` blocks). */
export function sdkEventReader(provider: Provider, options: { maxBlockRange?: number } = {}): VaultEventReader {
  const timestamps = new Map<number, number>();
  return {
    headBlock: () => read(() => provider.getBlockNumber()),
    readVaultEvents: ({ vault, fromBlock, toBlock }) => fetchVaultEvents({ provider, vault, fromBlock, toBlock, maxBlockRange: options.maxBlockRange }),
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
