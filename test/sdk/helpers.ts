import { ethers, network } from "hardhat";
import { BrowserProvider, type Eip1193Provider, type Signer } from "ethers";
import type { VaultFixture } from "../helpers/fixture";
import { OperatorClient, type OperatorClientOptions } from "../../sdk/clients";

/** The block the fixture's vault was deployed in (the `fromBlock` of clients and watchers). */
export async function deployBlock(f: VaultFixture): Promise<number> {
  const receipt = await f.vault.deploymentTransaction()!.wait();
  return receipt!.blockNumber;
}

/** An operator client for `signer` (bot1 by default) on the fixture's vault. */
export async function operatorClient(
  f: VaultFixture,
  signer: Signer = f.bot1,
  options: Partial<OperatorClientOptions> = {},
): Promise<OperatorClient> {
  return OperatorClient.create({ vault: f.vaultAddr, signer, fromBlock: await deployBlock(f), ...options });
}

/**
 * An ethers provider over the in-process network that records every JSON-RPC method it is asked for and
 * can be told to fail some of them, to see which calls the SDK makes and how it reports RPC failures.
 */
export function recordingProvider(): { provider: BrowserProvider; calls: string[]; failing: Set<string> } {
  const calls: string[] = [];
  const failing = new Set<string>();
  const eip1193: Eip1193Provider = {
    request: async (args: { method: string; params?: unknown[] | Record<string, unknown> }) => {
      calls.push(args.method);
      if (failing.has(args.method) || failing.has("*")) {
        throw Object.assign(new Error(`injected failure of ${args.method}`), { code: -32603 });
      }
      return network.provider.request(args as { method: string; params?: unknown[] });
    },
  };
  const provider = new BrowserProvider(eip1193, undefined, { cacheTimeout: -1, pollingInterval: 20 });
  return { provider, calls, failing };
}

/** `signer`'s account through a recording provider. */
export async function recordedSigner(address: string) {
  const r = recordingProvider();
  return { ...r, signer: await r.provider.getSigner(address) };
}

export const latestBlock = async () => (await ethers.provider.getBlock("latest"))!;
