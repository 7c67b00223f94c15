/**
 * Replaying a few of the vault's events over a long range with as few `eth_getLogs` calls as the node
 * allows: the whole range in one call, filtered by topic, and when the node refuses (too many blocks or
 * results), each half in turn, down to single blocks. The cost is one call for a node without a range
 * limit, and about `blocks / limit` calls plus `log2(blocks / limit)` refusals for one with a limit.
 */
import type { Provider } from "ethers";
import { decodeVaultLog, type VaultEvent } from "../monitor/events";
import { RpcError } from "../errors/base";
import { read } from "./transport";

export interface ReplayOptions {
  readonly provider: Provider;
  readonly vault: string;
  /** Topic filter (e.g. `[[topicA, topicB]]`: either event). */
  readonly topics: readonly (string | readonly string[] | null)[];
  readonly fromBlock: number;
  readonly toBlock: number;
  /** Most blocks per call; by default the whole range first. */
  readonly maxBlockRange?: number;
}

/** Reads the chain: the matching vault events in `[fromBlock, toBlock]`, in chain order. */
export async function replayVaultEvents(o: ReplayOptions): Promise<VaultEvent[]> {
  const out: VaultEvent[] = [];
  let span = o.maxBlockRange ?? o.toBlock - o.fromBlock + 1;
  for (let from = o.fromBlock; from <= o.toBlock; ) {
    const to = Math.min(from + span - 1, o.toBlock);
    let logs;
    try {
      logs = await read(() => o.provider.getLogs({ address: o.vault, topics: o.topics.map((t) => (t === null ? null : typeof t === "string" ? t : [...t])), fromBlock: from, toBlock: to }));
    } catch (e) {
      // A node that limits ranges or results answers with an RPC error: halve the span and try again.
      if (!(e instanceof RpcError) || to === from) throw e;
      span = Math.max(1, Math.floor((to - from + 1) / 2));
      continue;
    }
    for (const log of [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)) {
      const event = decodeVaultLog(log);
      if (event) out.push(event);
    }
    from = to + 1;
  }
  return out;
}
