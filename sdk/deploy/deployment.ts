import type { Provider } from "ethers";
import { InvalidInputError } from "../errors/base";
import { read } from "../clients/transport";
import { requireAddress } from "../errors/validate";

/**
 * Reads the chain: the block in which `address` was deployed, by binary search on `eth_getCode`
 * (about log2(head) calls, on a node that serves historical state). Use it once and keep the number as
 * the `fromBlock` of the clients and the watcher.
 */
export async function findDeploymentBlock(provider: Provider, address: string): Promise<number> {
  const target = requireAddress(address, "address");
  let hi = await read(() => provider.getBlockNumber());
  const hasCode = async (block: number) => (await read(() => provider.getCode(target, block))) !== "0x";
  if (!(await hasCode(hi))) throw new InvalidInputError("address", `no contract at ${target} as of block ${hi}`);
  let lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await hasCode(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
