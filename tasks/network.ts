/**
 * The optional RPC network of the vault tasks, from environment variables, so that no URL or key is
 * written in the repository:
 *
 * - `VAULT_RPC_URL`: JSON-RPC endpoint; the network exists only when it is set;
 * - `VAULT_DEPLOYER_KEY`: the private key that signs (32 bytes hex); without it the network has no
 *   accounts and only read-only tasks work;
 * - `VAULT_NETWORK`: the network's name (default `vault`), used with `--network` and for the folder of
 *   deployment records (`deployments/<name>/`).
 *
 * Errors never repeat the key.
 */
import type { NetworkUserConfig } from "hardhat/types";

export function rpcNetworkFromEnv(env: NodeJS.ProcessEnv): Record<string, NetworkUserConfig> {
  const url = env.VAULT_RPC_URL;
  if (!url) return {};
  const name = env.VAULT_NETWORK || "vault";
  if (!/^[a-z][a-z0-9_-]*$/i.test(name) || name === "hardhat" || name === "localhost") {
    throw new Error(`VAULT_NETWORK must be a plain name other than hardhat and localhost, got ${JSON.stringify(name)}`);
  }
  if (!/^(https?|wss?):\/\//.test(url)) throw new Error("VAULT_RPC_URL must be an http(s) or ws(s) URL");
  const key = env.VAULT_DEPLOYER_KEY;
  if (key !== undefined && key !== "" && !/^(0x)?[0-9a-fA-F]{64}$/.test(key)) {
    throw new Error("VAULT_DEPLOYER_KEY is set but is not a 32-byte hex private key (its value is not shown)");
  }
  const accounts = key ? [key.startsWith("0x") ? key : `0x${key}`] : [];
  return { [name]: { url, accounts } };
}
