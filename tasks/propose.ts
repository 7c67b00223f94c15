/**
 * `vault:propose`: the admin proposes a risk-increasing change (any `ChangeKind`), given in human terms:
 * token symbols, decimal amounts, durations. `--unsigned` prints the transaction for an admin Safe.
 */
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { CHANGE_KINDS } from "../sdk/rules/constants";
import { InvalidInputError } from "../sdk/errors/base";
import { DEPLOYMENTS_PARAM, FROM_PARAM, JSON_PARAM, Output, SAFE_PARAM, VAULT_PARAM, action, preflightCall, preflightUnsigned, resolveVault, signerFor, type SendArgs } from "./lib";
import { withKeyParams } from "./keys";

export interface ProposeArgs extends SendArgs {
  readonly kind: string;
  readonly params?: string;
  readonly unsigned?: boolean;
  readonly safe?: string;
}

const iso = (t: bigint): string => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");

export async function runPropose(args: ProposeArgs, hre: HardhatRuntimeEnvironment) {
  const { AdminClient } = await import("../sdk/clients");
  const { changeFromHuman, findToken, readListedTokens, readTokenMeta } = await import("../sdk/format");
  const { NATIVE } = await import("../sdk/rules");
  const out = new Output(args.json ?? false);
  let params: unknown = {};
  if (args.params !== undefined && args.params !== "") {
    try {
      params = JSON.parse(args.params);
    } catch (e) {
      throw new InvalidInputError("params", `not valid JSON: ${(e as Error).message}`);
    }
  }
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const provider = hre.ethers.provider;
  const listed = await readListedTokens({ provider, vault: vault.address });
  const change = await changeFromHuman({
    kind: args.kind,
    params,
    // A token to list is not listed yet: its decimals come from the token itself.
    resolveToken: async (ref, field) =>
      args.kind === "ListToken" ? readTokenMeta(provider, ref === "ETH" ? NATIVE : ref) : findToken(listed, ref, field),
  });
  const admin = new AdminClient({ vault: vault.address, provider });
  const unsigned = admin.tx.proposeChange(change);
  const checkedFrom = await preflightUnsigned(hre, args, unsigned);
  if (args.unsigned) {
    out.print(`proposeChange ${change.kind}: unsigned transaction for the admin Safe (nothing sent)`);
    out.print(`  to:    ${unsigned.to}\n  value: ${unsigned.value}\n  data:  ${unsigned.data}`);
    out.print(checkedFrom ? `  checked: the vault accepts it from ${checkedFrom}` : "  not checked: give --safe <address> to check it from the Safe first");
    out.data({ change, unsigned, checkedFrom });
    return { change, unsigned, id: null, eta: null };
  }
  const signer = await signerFor(hre, args);
  await preflightCall(hre, await signer.getAddress(), unsigned);
  const sent = await new AdminClient({ vault: vault.address, signer }).proposeChange(change);
  const r = await out.waiting(`waiting for ${sent.hash}`, () => sent.wait());
  out.print(`proposed change #${r.id}: ${change.kind}, executable from ${iso(r.eta)}; guardians can cancel it until then (tx ${r.receipt.hash})`);
  out.data({ id: r.id, eta: r.eta, change: r.change, transactionHash: r.receipt.hash });
  return { change: r.change, unsigned, id: r.id, eta: r.eta };
}

withKeyParams(task("vault:propose", "Propose a risk-increasing change as the admin; it can be executed after the change delay (vault:execute --change) and guardians can cancel it until then"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("kind", `The ChangeKind (required): ${CHANGE_KINDS.join(", ")}`)
  .addOptionalParam(
    "params",
    'The parameters as a JSON object, e.g. \'{"token":"USDT","vaultCap":"2000000"}\': tokens by symbol or address, amounts as decimal strings in whole tokens, delays as seconds or "24h"',
  )
  .addFlag("unsigned", "Print the unsigned { to, data, value } transaction for an admin Safe instead of sending")
  .addOptionalParam("safe", SAFE_PARAM)
  .addOptionalParam("from", `${FROM_PARAM}; the admin`)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:propose", runPropose, { required: ["vault", "kind"] }));
