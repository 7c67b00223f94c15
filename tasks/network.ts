/**
 * The optional RPC network of the vault tasks, from environment variables, so that no URL or key is
 * written in the repository:
 *
 * - `VAULT_RPC_URL`: JSON-RPC endpoint; the network exists only when it is set;
 * - `VAULT_DEPLOYER_KEY`: the private key that signs (32 bytes hex); without it the network has no
 *   accounts and only read-only tasks work;
 * - `VAULT_NETWORK`: the network's name (default `vault`), used with `--network` and for the folder of
 *   deployment records (`deployments/<name>/`);
 * - `VAULT_LOCALHOST_URL`: where `--network localhost` finds a local node (default `http://127.0.0.1:8545`,
 *   what `npx hardhat node` listens on).
 *
 * Errors never repeat the key or the URL.
 */
import type { NetworkUserConfig } from "hardhat/types";

/** The environment defines a network badly, or the command line asks for a network that is not defined. */
export class NetworkSetupError extends Error {}

export function rpcNetworkFromEnv(env: NodeJS.ProcessEnv): Record<string, NetworkUserConfig> {
  const url = env.VAULT_RPC_URL;
  if (!url) return {};
  const name = env.VAULT_NETWORK || "vault";
  if (!/^[a-z][a-z0-9_-]*$/i.test(name) || name === "hardhat" || name === "localhost") {
    throw new NetworkSetupError(`VAULT_NETWORK must be a plain name other than hardhat and localhost, got ${JSON.stringify(name)}`);
  }
  if (!/^(https?|wss?):\/\//.test(url)) throw new NetworkSetupError("VAULT_RPC_URL must be an http(s) or ws(s) URL (its value is not shown)");
  const key = env.VAULT_DEPLOYER_KEY;
  if (key !== undefined && key !== "" && !/^(0x)?[0-9a-fA-F]{64}$/.test(key)) {
    throw new NetworkSetupError("VAULT_DEPLOYER_KEY is set but is not a 32-byte hex private key (its value is not shown)");
  }
  const accounts = key ? [key.startsWith("0x") ? key : `0x${key}`] : [];
  return { [name]: { url, accounts } };
}

/** `--network localhost`, pointed at `VAULT_LOCALHOST_URL` when set. */
export function localhostFromEnv(env: NodeJS.ProcessEnv): Record<string, NetworkUserConfig> {
  const url = env.VAULT_LOCALHOST_URL;
  if (!url) return {};
  if (!/^https?:\/\//.test(url)) throw new NetworkSetupError("VAULT_LOCALHOST_URL must be an http(s) URL");
  return { localhost: { url } };
}

/** The network the command line asks for (`--network X`, `--network=X` or `HARDHAT_NETWORK`), if any. */
export function requestedNetwork(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--network") return argv[i + 1];
    if (argv[i].startsWith("--network=")) return argv[i].slice("--network=".length);
  }
  return env.HARDHAT_NETWORK || undefined;
}

/**
 * Why the requested network does not exist, in words a newcomer can act on (Hardhat's own message is
 * "HH100: Network vault doesn't exist"), or null when it exists.
 */
export function missingNetworkHint(requested: string | undefined, defined: readonly string[], env: NodeJS.ProcessEnv): string | null {
  if (requested === undefined || defined.includes(requested)) return null;
  const vaultName = env.VAULT_NETWORK || "vault";
  const known = `defined networks: ${defined.join(", ")}`;
  if (env.VAULT_RPC_URL) {
    return `network "${requested}" is not defined: VAULT_RPC_URL defines the network "${vaultName}"; pass --network ${vaultName}, or set VAULT_NETWORK=${requested} (${known})`;
  }
  return (
    `network "${requested}" is not defined: set VAULT_RPC_URL to its JSON-RPC endpoint (and VAULT_DEPLOYER_KEY to send transactions)` +
    `${requested === vaultName ? "" : `, and VAULT_NETWORK=${requested} to give it this name`}; for a local node started with npx hardhat node, use --network localhost (${known})`
  );
}
