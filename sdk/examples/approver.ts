import { JsonRpcProvider } from "ethers";
import { ApproverClient, ApprovalDeclinedError, ApprovalRefusedError } from "@guarded-vault/sdk";
import { approvalToJson, type SignedApprovalJson } from "@guarded-vault/sdk/rules";
import { Pkcs11Signer } from "@guarded-vault/sdk/signers";

/** What the firm's treasury system says it asked for (its own API, reached from the approver's host only). */
type TreasuryLookup = (q: { operator: string; token: string; to: string; amount: bigint; requestId: string | null }) => Promise<boolean>;

/**
 * The approval service, on its own host: its own RPC endpoint, its own HSM key (never the bots'), and the
 * firm's check. It signs one withdrawal at a time, for a few minutes, and at most once per request id.
 */
export async function startApprover(vault: string, treasuryAsked: TreasuryLookup): Promise<ApproverClient> {
  const provider = new JsonRpcProvider(process.env.APPROVER_RPC_URL);
  const signer = await Pkcs11Signer.open({ module: process.env.PKCS11_MODULE, token: "approver", key: { label: "approver-1" }, pin: { env: "HSM_PIN" }, provider });
  return ApproverClient.create({
    vault,
    provider,
    signer,
    ttlSeconds: 300,
    check: (r) => treasuryAsked({ operator: r.operator, token: r.token, to: r.to, amount: r.amount, requestId: r.requestId }),
    // Structured, nothing secret in it: ids, digests, addresses and amounts.
    log: (entry) => console.log(JSON.stringify(entry)),
  });
}

/** One request from a bot: the approval as JSON, or why not (the bot then queues or gives up). */
export async function handle(
  approver: ApproverClient,
  req: { operator: string; token: string; to: string; amount: bigint; requestId: string },
): Promise<{ approval: SignedApprovalJson } | { refused: string }> {
  try {
    return { approval: approvalToJson(await approver.approve(req)) };
  } catch (e) {
    if (e instanceof ApprovalRefusedError) return { refused: e.reason };
    if (e instanceof ApprovalDeclinedError) return { refused: "declined" };
    throw e;
  }
}
