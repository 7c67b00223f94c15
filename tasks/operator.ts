/**
 * Operator tasks: `vault:withdraw`, `vault:queue`, and `vault:execute` (a queued withdrawal, or a proposed
 * change for the admin). Withdrawals go through the SDK's `OperatorClient`, which decides locally first and
 * sends nothing that would trip the tripwire on the key or revert, unless `--force`.
 */
import fs from "fs";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseAmount } from "../sdk/deploy/config";
import { InvalidInputError } from "../sdk/errors/base";
import { requireAddress } from "../sdk/errors/validate";
import type { WithdrawResult } from "../sdk/clients";
import type { ApprovalRequest, SignedApproval } from "../sdk/rules";
import { DEPLOYMENTS_PARAM, EXIT, FROM_PARAM, JSON_PARAM, Output, TaskRefusal, VAULT_PARAM, action, parseId, preflightCall, resolveVault, signerFor, type SendArgs } from "./lib";
import { withKeyParams } from "./keys";

export interface WithdrawArgs extends SendArgs {
  readonly token: string;
  readonly to: string;
  readonly amount: string;
  readonly queueIfLarge?: boolean;
  readonly force?: boolean;
  /** A file written by `vault:approve` (or the SDK's `approvalToJson`). */
  readonly approval?: string;
}

/** Reads an approval file; bad files are bad input (exit code 2). */
async function readApprovalFile(file: string) {
  const { approvalFromJson } = await import("../sdk/rules");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new InvalidInputError("approval", `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return approvalFromJson(text);
}

/** Refuses (bad input, exit 2) an approval file for another vault, chain, operator or withdrawal. */
async function requireApprovalFor(a: SignedApproval, r: ApprovalRequest) {
  const { approvalMismatches } = await import("../sdk/rules");
  const diffs = approvalMismatches(a, r);
  if (diffs.length) throw new InvalidInputError("approval", `the approval is for another withdrawal (${diffs.join(", ")}); nothing sent`);
}

const iso = (t: bigint): string => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");

/** The operator client, token and amount for a withdrawal request given on the command line. */
async function prepare(args: WithdrawArgs, hre: HardhatRuntimeEnvironment) {
  const { OperatorClient } = await import("../sdk/clients");
  const { findToken, readListedTokens } = await import("../sdk/format");
  const to = requireAddress(args.to, "to");
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const tokens = await readListedTokens({ provider: hre.ethers.provider, vault: vault.address });
  const token = findToken(tokens, args.token);
  const amount = parseAmount(args.amount, token.decimals, "amount");
  if (amount === 0n) throw new InvalidInputError("amount", "must be greater than zero");
  const signer = await signerFor(hre, args);
  const client = await OperatorClient.create({ vault: vault.address, signer, fromBlock: vault.fromBlock });
  return { client, token, to, amount, vault: vault.address, request: { token: token.token, to, amount } };
}

/** Prints what a withdrawal did; throws the preflight's typed error if it was held back. */
async function report(out: Output, result: WithdrawResult, what: { symbol: string; decimals: number; amountText: string }) {
  const { formatAmount } = await import("../sdk/monitor");
  if (!result.sent) {
    const d = result.decision;
    if (d.action === "queue") {
      throw new TaskRefusal(
        `${what.amountText} ${what.symbol} is above the instant limit (${formatAmount(d.instantLimit, what.decimals)} ${what.symbol}); pass --queue-if-large to queue it (executable from ${iso(d.eta)})`,
      );
    }
    if (d.action === "reject") {
      const reason = d.error.message.replace(/^would revert: /, "");
      throw new TaskRefusal(
        `${d.effect === "trip" ? "would trip the tripwire and suspend this key" : "would revert"}: ${reason}` +
          `${d.retryAt !== null ? `; it would pass from ${iso(d.retryAt)}` : ""}${d.effect === "trip" ? " (--force sends it anyway)" : ""}`,
        { cause: d.error, retryAt: d.retryAt },
      );
    }
  } else {
    if (result.forced) out.note("sent despite the preflight (--force)");
    const outcome = await out.waiting(`waiting for ${result.tx.hash}`, () => result.tx.wait());
    if (outcome.status === "withdrawn") {
      const by = result.decision.action === "cosigned" ? `, co-signed by ${result.decision.approval.approver}` : "";
      out.print(`withdrawn: ${what.amountText} ${what.symbol}${by} (tx ${outcome.receipt.hash})`);
    }
    else if (outcome.status === "queued") out.print(`queued #${outcome.id}: ${what.amountText} ${what.symbol}, executable from ${iso(outcome.eta)} (tx ${outcome.receipt.hash})`);
    else {
      out.print(`TRIPWIRE FIRED (${outcome.reason}): nothing moved and this operator is suspended (tx ${outcome.receipt.hash})`);
      out.note(`tripped: the key is suspended until an UnsuspendOperator change is executed (exit code ${EXIT.tripped})`);
    }
    out.data({ path: result.path, forced: result.forced, outcome: { ...outcome, receipt: undefined, transactionHash: outcome.receipt.hash } });
    return outcome;
  }
  return null;
}

export async function runWithdraw(args: WithdrawArgs, hre: HardhatRuntimeEnvironment) {
  const out = new Output(args.json ?? false);
  const approval = args.approval !== undefined ? await readApprovalFile(args.approval) : undefined;
  const { client, token, request, vault } = await prepare(args, hre);
  if (approval) {
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    await requireApprovalFor(approval, { vault, chainId, operator: client.address, ...request, withdrawalId: 0n });
  }
  const result = await client.withdraw(request, { queueIfLarge: args.queueIfLarge ?? false, force: args.force ?? false, approval });
  return report(out, result, { symbol: token.symbol, decimals: token.decimals, amountText: args.amount });
}

export async function runQueue(args: WithdrawArgs, hre: HardhatRuntimeEnvironment) {
  const out = new Output(args.json ?? false);
  const { client, token, request } = await prepare(args, hre);
  const result = await client.queue(request, { force: args.force ?? false });
  return report(out, result, { symbol: token.symbol, decimals: token.decimals, amountText: args.amount });
}

export interface ExecuteArgs extends SendArgs {
  readonly withdrawal?: string;
  readonly change?: string;
  /** An approval of this queued withdrawal: release it before its eta. */
  readonly approval?: string;
  readonly force?: boolean;
}

export async function runExecute(args: ExecuteArgs, hre: HardhatRuntimeEnvironment) {
  const { AdminClient, OperatorClient, vaultInterface } = await import("../sdk/clients");
  const { readTokenMeta } = await import("../sdk/format");
  const { formatAmount } = await import("../sdk/monitor");
  const out = new Output(args.json ?? false);
  if ((args.withdrawal === undefined) === (args.change === undefined)) throw new InvalidInputError("withdrawal", "give exactly one of --withdrawal <id> and --change <id>");
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const signer = await signerFor(hre, args);
  if (args.approval !== undefined && args.withdrawal === undefined) throw new InvalidInputError("approval", "an approval releases a queued withdrawal: pass --withdrawal <id> with it");
  if (args.withdrawal !== undefined && args.approval !== undefined) {
    const id = parseId(args.withdrawal, "withdrawal");
    const approval = await readApprovalFile(args.approval);
    const client = await OperatorClient.create({ vault: vault.address, signer, fromBlock: vault.fromBlock });
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    await requireApprovalFor(approval, { ...approval, vault: vault.address, chainId, operator: client.address, withdrawalId: id });
    const sent = await client.executeEarly(id, approval, { force: args.force ?? false });
    const r = await out.waiting(`waiting for ${sent.hash}`, () => sent.wait());
    if (r.status === "tripped") {
      out.print(`TRIPWIRE FIRED (${r.reason}): nothing moved and this operator is suspended (tx ${r.receipt.hash})`);
      out.note(`tripped: the key is suspended until an UnsuspendOperator change is executed (exit code ${EXIT.tripped})`);
      out.data({ withdrawal: id, status: r.status, reason: r.reason, transactionHash: r.receipt.hash });
      return { withdrawal: id, status: r.status, transactionHash: r.receipt.hash };
    }
    const meta = await readTokenMeta(hre.ethers.provider, approval.token);
    out.print(`released withdrawal #${id} early: ${formatAmount(approval.amount, meta.decimals)} ${meta.symbol} sent to ${approval.to}, co-signed by ${approval.approver} (tx ${r.receipt.hash})`);
    out.data({ withdrawal: id, status: r.status, amount: approval.amount, approver: approval.approver, transactionHash: r.receipt.hash });
    return { withdrawal: id, status: r.status, amount: approval.amount, transactionHash: r.receipt.hash };
  }
  if (args.withdrawal !== undefined) {
    const id = parseId(args.withdrawal, "withdrawal");
    const client = await OperatorClient.create({ vault: vault.address, signer, fromBlock: vault.fromBlock });
    const queued = client.pending().find((w) => w.id === id);
    // The client refuses what its cache knows would fail; the node judges the rest (ids of other operators).
    if (!queued) await preflightCall(hre, await signer.getAddress(), { to: vault.address, data: vaultInterface.encodeFunctionData("executeWithdrawal", [id]), value: 0n });
    const sent = await client.execute(id);
    const r = await out.waiting(`waiting for ${sent.hash}`, () => sent.wait());
    const meta = queued ? await readTokenMeta(hre.ethers.provider, queued.token) : null;
    const amount = meta ? `${formatAmount(r.amount, meta.decimals)} ${meta.symbol}` : `${r.amount} base units`;
    const to = queued ? (vault.labels.get(queued.to) ? `${vault.labels.get(queued.to)} (${queued.to})` : queued.to) : null;
    out.print(`executed withdrawal #${r.id}: ${amount} sent${to ? ` to ${to}` : ""} (tx ${r.receipt.hash})`);
    out.data({ withdrawal: r.id, amount: r.amount, transactionHash: r.receipt.hash });
    return { withdrawal: r.id, amount: r.amount, transactionHash: r.receipt.hash };
  }
  const id = parseId(args.change, "change");
  const admin = new AdminClient({ vault: vault.address, signer });
  const change = await admin.readChange(id);
  await preflightCall(hre, await signer.getAddress(), admin.tx.executeChange(id));
  const sent = await admin.execute(id);
  const receipt = await out.waiting(`waiting for ${sent.hash}`, () => sent.wait());
  out.print(`executed change #${id}: ${change.kind} (tx ${receipt.hash})`);
  out.data({ change: id, kind: change.kind, params: change.change, transactionHash: receipt.hash });
  return { change: id, kind: change.kind, transactionHash: receipt.hash };
}

withKeyParams(task("vault:withdraw", "Withdraw as an operator: instantly if the policy allows it now; with --approval FILE at once through the co-signed path; above the instant limit otherwise only with --queue-if-large. Nothing that would trip the tripwire or revert is sent unless --force"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("token", "Token: its symbol (USDT, ETH...) or address; it must be listed by the vault (required)")
  .addOptionalParam("to", "Destination address, approved for this operator (required)")
  .addOptionalParam("amount", 'Amount in whole tokens, as a decimal ("250000.5") (required)')
  .addFlag("queueIfLarge", "Queue the withdrawal if it is above the instant limit")
  .addOptionalParam("approval", "An approver's approval of exactly this withdrawal (a file from vault:approve): above the instant limit or to a co-signed destination, it goes out at once")
  .addFlag("force", "Send even if the preflight predicts a trip (suspending this key) or a revert")
  .addOptionalParam("from", `${FROM_PARAM}; must be the operator`)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:withdraw", runWithdraw, { required: ["vault", "token", "to", "amount"], outcome: (r) => (r?.status === "tripped" ? "tripped" : "done") }));

withKeyParams(task("vault:queue", "Queue a withdrawal of any size as an operator; it becomes executable after the withdrawal delay and guardians can cancel it until then"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("token", "Token: its symbol (USDT, ETH...) or address; it must be listed by the vault (required)")
  .addOptionalParam("to", "Destination address, approved for this operator (required)")
  .addOptionalParam("amount", 'Amount in whole tokens, as a decimal ("2000000") (required)')
  .addFlag("force", "Send even if the preflight predicts a trip (suspending this key) or a revert")
  .addOptionalParam("from", `${FROM_PARAM}; must be the operator`)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:queue", runQueue, { required: ["vault", "token", "to", "amount"], outcome: (r) => (r?.status === "tripped" ? "tripped" : "done") }));

withKeyParams(task("vault:execute", "Execute a queued withdrawal whose delay has passed (its operator), or before then with an approver's --approval FILE; or a proposed change whose delay has passed (the admin)"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("withdrawal", "Id of the queued withdrawal to execute")
  .addOptionalParam("approval", "An approver's approval of this queued withdrawal (a file from vault:approve --withdrawal ID): release it now")
  .addFlag("force", "With --approval: send even if the preflight predicts a trip or a revert")
  .addOptionalParam("change", "Id of the proposed change to execute")
  .addOptionalParam("from", `${FROM_PARAM}; the withdrawal's operator, or the admin for a change`)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:execute", runExecute, { required: ["vault"], outcome: (r) => ((r as { status?: string } | undefined)?.status === "tripped" ? "tripped" : "done") }));
