/**
 * `vault:status` (policy, balances, pause and suspensions, pending queue and changes) and `vault:exposure`
 * (the worst case per operator key and for all keys): reads only.
 */
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseDuration } from "../sdk/deploy/config";
import { InvalidInputError } from "../sdk/errors/base";
import { DEPLOYMENTS_PARAM, JSON_PARAM, Output, VAULT_PARAM, action, resolveVault, type VaultArgs } from "./lib";

export async function runStatus(args: VaultArgs, hre: HardhatRuntimeEnvironment) {
  const { formatVaultStatus, readVaultStatus } = await import("../sdk/format");
  const { lintRisk } = await import("../sdk/monitor");
  const out = new Output(args.json ?? false);
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const status = await out.waiting(`reading ${vault.address}`, () => readVaultStatus({ provider: hre.ethers.provider, vault: vault.address, fromBlock: vault.fromBlock }));
  out.print(formatVaultStatus(status, { labels: vault.labels }));
  const risks = lintRisk({ policy: status.policy, tokens: status.tokens, labels: vault.labels, balancesKnown: true });
  out.print(["", `Risk lint: what one key can move within 24 h (${risks.length ? `${risks.length} warning(s)` : "nothing flagged"})`, ...risks.map((r) => `  warning: ${r.message}`)].join("\n"));
  out.data({ ...status, labels: Object.fromEntries(vault.labels), risks });
  return status;
}

export interface ExposureArgs extends VaultArgs {
  readonly horizons?: string;
}

export async function runExposure(args: ExposureArgs, hre: HardhatRuntimeEnvironment) {
  const { formatExposureTable, readExposure } = await import("../sdk/monitor");
  const out = new Output(args.json ?? false);
  const horizons = (args.horizons ?? "1h,24h,48h").split(",").map((h, i) => {
    const seconds = parseDuration(h.trim(), `horizons[${i}]`);
    if (seconds === 0n) throw new InvalidInputError(`horizons[${i}]`, "must be longer than 0 s");
    return seconds;
  });
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const report = await out.waiting(`reading the exposure of ${vault.address}`, () => readExposure({ provider: hre.ethers.provider, vault: vault.address, horizons }));
  out.print(formatExposureTable(report, { labels: vault.labels }));
  out.print("Each cell: instant withdrawals within the caps plus queued ones that could execute within the horizon, capped by the balance.");
  out.data({ ...report, labels: Object.fromEntries(vault.labels) });
  return report;
}

task("vault:status", "Show a vault's policy, balances, pause state, suspended operators, pending queued withdrawals and pending changes")
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:status", runStatus, { required: ["vault"] }));

task("vault:exposure", "Show the most each operator key, and all keys together, could move per token within each horizon if nobody intervenes (read from the vault)")
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("horizons", "Comma-separated horizons: seconds or durations such as 1h, 24h, 2d", "1h,24h,48h")
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:exposure", runExposure, { required: ["vault"] }));
