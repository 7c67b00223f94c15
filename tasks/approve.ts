/**
 * `vault:approve`: sign, as an approver, the EIP-712 approval of exactly one withdrawal (a co-signed
 * withdrawal, or the early release of a queued one with `--withdrawal ID`) and print it as JSON (or write it
 * to `--out FILE`) for the operator's `vault:withdraw --approval FILE` / `vault:execute --approval FILE`.
 *
 * It runs the SDK's `ApproverClient`: it refuses (exit code 3, nothing signed) a request the vault would not
 * accept in principle (token not listed, destination neither approved nor co-signed for the operator, the key
 * not an approver, ...). The person running it is the firm's check: a service that signs automatically uses
 * `ApproverClient` with the firm's own check callback instead. The key comes from the usual key parameters
 * (an HSM key with `--hsm-token/--hsm-key`, `--key-env`, or `--from`); no secret is ever printed. The
 * approval itself is a bearer credential for that one withdrawal: hand it to the operator only.
 */
import fs from "fs";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseAmount } from "../sdk/deploy/config";
import { InvalidInputError } from "../sdk/errors/base";
import { requireAddress } from "../sdk/errors/validate";
import { DEPLOYMENTS_PARAM, FROM_PARAM, Output, TaskRefusal, VAULT_PARAM, action, parseId, resolveVault, signerFor, toJson, type SendArgs } from "./lib";
import { withKeyParams } from "./keys";

export interface ApproveArgs extends SendArgs {
  readonly operator: string;
  readonly token?: string;
  readonly to?: string;
  readonly amount?: string;
  readonly withdrawal?: string;
  readonly ttl?: string;
  readonly requestId?: string;
  readonly out?: string;
}

export async function runApprove(args: ApproveArgs, hre: HardhatRuntimeEnvironment) {
  const { ApproverClient, ApprovalRefusedError } = await import("../sdk/clients");
  const { approvalToJson } = await import("../sdk/rules");
  const { findToken, readListedTokens } = await import("../sdk/format");
  const out = new Output(true);
  const operator = requireAddress(args.operator, "operator");
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const provider = hre.ethers.provider;
  let ttlSeconds: number | undefined;
  if (args.ttl !== undefined) {
    if (!/^[1-9][0-9]{0,6}$/.test(args.ttl)) throw new InvalidInputError("ttl", `expected a number of seconds (1 to 9999999), got ${JSON.stringify(args.ttl)}`);
    ttlSeconds = Number(args.ttl);
  }
  let request: { token: string; to: string; amount: bigint; withdrawalId?: bigint };
  if (args.withdrawal !== undefined) {
    // An early release: the queued withdrawal's fields come from the chain; any given must match.
    const id = parseId(args.withdrawal, "withdrawal");
    const { readQueuedWithdrawal } = await import("../sdk/clients/approver");
    const w = await readQueuedWithdrawal(provider, vault.address, id);
    if (w.status === "None") throw new InvalidInputError("withdrawal", `no queued withdrawal #${id} in ${vault.address}`);
    request = { token: w.token, to: w.to, amount: w.amount, withdrawalId: id };
  } else {
    if (!args.token || !args.to || !args.amount) throw new InvalidInputError("token", "missing: pass --token, --to and --amount (or --withdrawal ID for an early release)");
    const tokens = await readListedTokens({ provider, vault: vault.address });
    const token = findToken(tokens, args.token);
    const amount = parseAmount(args.amount, token.decimals, "amount");
    if (amount === 0n) throw new InvalidInputError("amount", "must be greater than zero");
    request = { token: token.token, to: requireAddress(args.to, "to"), amount };
  }
  const signer = await signerFor(hre, args);
  const approver = await ApproverClient.create({ vault: vault.address, provider, signer, check: () => true, ttlSeconds });
  let signed;
  try {
    signed = await approver.approve({ operator, ...request, requestId: args.requestId });
  } catch (e) {
    if (e instanceof ApprovalRefusedError) throw new TaskRefusal(e.message, { cause: e.vaultError ?? e });
    throw e;
  }
  const json = approvalToJson(signed);
  if (args.out) {
    try {
      fs.writeFileSync(args.out, toJson(json) + "\n", { mode: 0o600, flag: "wx" });
    } catch (e) {
      throw new InvalidInputError("out", `cannot create ${args.out} (${(e as NodeJS.ErrnoException).code ?? "error"}); it must not exist yet`);
    }
    out.note(`approval of ${signed.amount} base units to ${signed.to} by ${signed.approver}, valid until ${new Date(Number(signed.deadline) * 1000).toISOString()}, written to ${args.out}`);
  } else {
    out.data(json);
  }
  return json;
}

withKeyParams(task("vault:approve", "Sign, as an approver, the approval of exactly one co-signed withdrawal (or, with --withdrawal, the early release of a queued one) and print it as JSON"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("operator", "The operator that will present the approval (required)")
  .addOptionalParam("token", "Token: its symbol (USDT, ETH...) or address (with --to and --amount)")
  .addOptionalParam("to", "Destination address")
  .addOptionalParam("amount", 'Amount in whole tokens, as a decimal ("300000")')
  .addOptionalParam("withdrawal", "Id of a queued withdrawal to release early (instead of --token/--to/--amount)")
  .addOptionalParam("ttl", "Seconds the approval stays valid (default 300)")
  .addOptionalParam("requestId", "The firm's id of the request: the same id is never signed for another withdrawal")
  .addOptionalParam("out", "Write the approval to this new file (mode 600) instead of stdout")
  .addOptionalParam("from", `${FROM_PARAM}; must be the approver`)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", "Errors as JSON too (the approval is always JSON)")
  .setAction(action("vault:approve", runApprove, { required: ["vault", "operator"] }));
