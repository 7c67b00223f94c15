/**
 * Deploys the vault of a config file, or shows (and applies) how the deployed one differs from it: the
 * same as `npx hardhat vault:deploy <config file>`, for `hardhat run`, which passes no arguments.
 *
 *   VAULT_CONFIG=config/example.vault.json npx hardhat run scripts/deploy.ts [--network vault]
 *
 * Optional: VAULT_PROPOSE=1 (send the steps), VAULT_FROM=<address> (the account), VAULT_DEPLOYMENTS=<dir>,
 * VAULT_JSON=1. See README.md, "Deploying a vault".
 */
import hre from "hardhat";
import { InvalidInputError } from "../sdk/errors/base";
import type { DeployArgs, DeployOutcome } from "../tasks/deploy";

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<DeployOutcome> {
  if (!env.VAULT_CONFIG) throw new InvalidInputError("VAULT_CONFIG", "set it to the path of the vault's config file");
  const args: DeployArgs = {
    configFile: env.VAULT_CONFIG,
    propose: env.VAULT_PROPOSE === "1",
    from: env.VAULT_FROM,
    deployments: env.VAULT_DEPLOYMENTS,
    json: env.VAULT_JSON === "1",
  };
  return (await hre.run("vault:deploy", args)) as DeployOutcome;
}

if (require.main === module) {
  main().catch((e: Error & { parent?: Error }) => {
    console.error(e.message);
    process.exitCode = 1;
  });
}
