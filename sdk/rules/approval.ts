/**
 * Approvals of co-signed withdrawals (`IGuardedVault.Approval`), without a network: the EIP-712 domain,
 * types and digest exactly as the vault computes them, a JSON form for handing an approval from the
 * approver's host to the bot, and the vault's checks of `withdrawCosigned` and `executeWithdrawalEarly`
 * as pure functions over the words they read (the same decision and error arguments as the contract).
 *
 * The signed struct is
 * `Approval(address operator,address token,address to,uint256 amount,uint256 withdrawalId,uint256 nonce,uint256 deadline)`
 * in the domain `{ name: "GuardedVault", version: "1", chainId, verifyingContract: vault }`.
 * `withdrawalId` is 0 for `withdrawCosigned` and the queued withdrawal's id for `executeWithdrawalEarly`.
 */
import { Signature, TypedDataEncoder, getAddress, isHexString, recoverAddress, type TypedDataDomain, type TypedDataField } from "ethers";
import type { VaultErrorData } from "../errors/base";
import { InvalidInputError } from "../errors/base";
import { requireAddress, requireAmount, requireUint } from "../errors/validate";
import { GRACE_PERIOD, STATUSES } from "./constants";
import {
  availableAt,
  capOf,
  clockTime,
  consume,
  isListedWord,
  isPausedWord,
  unitOf,
  toUnits,
  usedAt,
  type Clock,
  type QueuedWithdrawalData,
  type Rejection,
} from "./policy";

/** EIP-712 types of an approval (the primary type is `Approval`). */
export const APPROVAL_TYPES: Record<string, TypedDataField[]> = {
  Approval: [
    { name: "operator", type: "address" },
    { name: "token", type: "address" },
    { name: "to", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "withdrawalId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The vault's EIP-712 domain name and version. */
export const APPROVAL_DOMAIN_NAME = "GuardedVault";
export const APPROVAL_DOMAIN_VERSION = "1";

/** The withdrawal an approval is for. Amounts in base units. */
export interface ApprovalRequest {
  readonly vault: string;
  readonly chainId: bigint;
  /** The operator that will present the approval (the caller of `withdrawCosigned`). */
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  /** 0 for a co-signed withdrawal; the queued withdrawal's id for an early release. */
  readonly withdrawalId: bigint;
}

/** What the approver signs: the request, its nonce and deadline. */
export interface ApprovalMessage {
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  readonly withdrawalId: bigint;
  readonly nonce: bigint;
  readonly deadline: bigint;
}

/** A signed approval with everything it binds: what `withdrawCosigned` / `executeWithdrawalEarly` take, and more. */
export interface SignedApproval extends ApprovalRequest {
  /** The approver: a key, or an EIP-1271 contract such as a Safe. */
  readonly approver: string;
  readonly nonce: bigint;
  /** Last block timestamp at which the vault accepts it (inclusive). */
  readonly deadline: bigint;
  /** 65-byte r||s||v for a key; what the contract accepts for an EIP-1271 approver. */
  readonly signature: string;
  /** The EIP-712 digest (what the vault marks used). */
  readonly digest: string;
}

/** The approval as the vault's `Approval` struct (the last argument of the co-signed calls). */
export const approvalStruct = (a: Pick<SignedApproval, "approver" | "nonce" | "deadline" | "signature">) => ({
  approver: a.approver,
  nonce: a.nonce,
  deadline: a.deadline,
  signature: a.signature,
});

/** The EIP-712 domain of a vault on a chain. */
export function approvalDomain(vault: string, chainId: bigint): TypedDataDomain {
  return { name: APPROVAL_DOMAIN_NAME, version: APPROVAL_DOMAIN_VERSION, chainId, verifyingContract: vault };
}

/** Validates a request: addresses, a positive amount, a chain id and a withdrawal id. */
export function normalizeApprovalRequest(r: ApprovalRequest): ApprovalRequest {
  if (r === null || typeof r !== "object") throw new InvalidInputError("request", "expected { vault, chainId, operator, token, to, amount, withdrawalId }");
  return {
    vault: requireAddress(r.vault, "vault", { allowZero: false }),
    chainId: requireUint(r.chainId, "chainId"),
    operator: requireAddress(r.operator, "operator", { allowZero: false }),
    token: requireAddress(r.token, "token", { allowZero: false }),
    to: requireAddress(r.to, "to", { allowZero: false }),
    amount: requireAmount(r.amount, "amount"),
    withdrawalId: requireUint(r.withdrawalId ?? 0n, "withdrawalId"),
  };
}

/** Domain, types and message an approver signs (`signer.signTypedData(domain, types, message)`). */
export function approvalTypedData(r: ApprovalRequest, nonce: bigint, deadline: bigint): {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  primaryType: "Approval";
  message: ApprovalMessage;
} {
  const q = normalizeApprovalRequest(r);
  const message: ApprovalMessage = {
    operator: q.operator,
    token: q.token,
    to: q.to,
    amount: q.amount,
    withdrawalId: q.withdrawalId,
    nonce: requireUint(nonce, "nonce"),
    deadline: requireUint(deadline, "deadline"),
  };
  return { domain: approvalDomain(q.vault, q.chainId), types: APPROVAL_TYPES, primaryType: "Approval", message };
}

/** The approval's EIP-712 digest, as `VaultLens.approvalDigest` and the vault compute it. */
export function approvalDigest(r: ApprovalRequest, nonce: bigint, deadline: bigint): string {
  const { domain, types, message } = approvalTypedData(r, nonce, deadline);
  return TypedDataEncoder.hash(domain, types, message);
}

/** secp256k1 order / 2: the vault (OpenZeppelin ECDSA) refuses a larger s. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * The key that signed `digest`, as OpenZeppelin's ECDSA recovers it for the vault: exactly 65 bytes, low s,
 * v 27 or 28. Null where the vault's check fails (it then refuses the approval).
 */
export function recoverApprover(digest: string, signature: string): string | null {
  if (!isHexString(signature, 65)) return null;
  const s = BigInt("0x" + signature.slice(66, 130));
  const v = parseInt(signature.slice(130, 132), 16);
  if (s > HALF_N || (v !== 27 && v !== 28)) return null;
  try {
    return recoverAddress(digest, Signature.from(signature));
  } catch {
    return null;
  }
}

// -------------------------------------------------------------------------------------------------
// JSON form (what `vault:approve` prints and `vault:withdraw --approval` reads)
// -------------------------------------------------------------------------------------------------

/** The JSON form of a signed approval: numbers as decimal strings. */
export interface SignedApprovalJson {
  readonly type: "GuardedVaultApproval";
  readonly vault: string;
  readonly chainId: string;
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: string;
  readonly withdrawalId: string;
  readonly approver: string;
  readonly nonce: string;
  readonly deadline: string;
  readonly signature: string;
  readonly digest: string;
}

export function approvalToJson(a: SignedApproval): SignedApprovalJson {
  return {
    type: "GuardedVaultApproval",
    vault: a.vault,
    chainId: a.chainId.toString(),
    operator: a.operator,
    token: a.token,
    to: a.to,
    amount: a.amount.toString(),
    withdrawalId: a.withdrawalId.toString(),
    approver: a.approver,
    nonce: a.nonce.toString(),
    deadline: a.deadline.toString(),
    signature: a.signature,
    digest: a.digest,
  };
}

/**
 * Reads the JSON form back (an object or its text). Throws `InvalidInputError` naming the field for
 * anything malformed, and when `digest` does not match the other fields.
 */
export function approvalFromJson(json: unknown): SignedApproval {
  let o: unknown = json;
  if (typeof o === "string") {
    try {
      o = JSON.parse(o);
    } catch {
      throw new InvalidInputError("approval", "not JSON");
    }
  }
  if (o === null || typeof o !== "object" || Array.isArray(o)) throw new InvalidInputError("approval", "expected an object");
  const r = o as Record<string, unknown>;
  if (r.type !== "GuardedVaultApproval") throw new InvalidInputError("approval.type", `expected "GuardedVaultApproval"`);
  const num = (k: string): bigint => {
    const v = r[k];
    if (typeof v !== "string" || !/^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(v)) throw new InvalidInputError(`approval.${k}`, "expected an integer as a string");
    return requireUint(BigInt(v), `approval.${k}`);
  };
  const addr = (k: string): string => requireAddress(r[k], `approval.${k}`, { allowZero: false });
  const request = normalizeApprovalRequest({
    vault: addr("vault"),
    chainId: num("chainId"),
    operator: addr("operator"),
    token: addr("token"),
    to: addr("to"),
    amount: num("amount"),
    withdrawalId: num("withdrawalId"),
  });
  const nonce = num("nonce");
  const deadline = num("deadline");
  if (typeof r.signature !== "string" || !isHexString(r.signature) || r.signature.length < 4) {
    throw new InvalidInputError("approval.signature", "expected 0x-prefixed hex bytes");
  }
  const digest = approvalDigest(request, nonce, deadline);
  if (typeof r.digest !== "string" || r.digest.toLowerCase() !== digest) {
    throw new InvalidInputError("approval.digest", `does not match the approval's fields (expected ${digest})`);
  }
  return { ...request, approver: addr("approver"), nonce, deadline, signature: r.signature.toLowerCase(), digest };
}

/**
 * How `a` differs from the withdrawal `r` (vault, chain, operator, token, destination, amount, queued id), in
 * words; empty if `a` is an approval of exactly `r`.
 */
export function approvalMismatches(a: ApprovalRequest, r: ApprovalRequest): string[] {
  const same = (x: string, y: string) => getAddress(x) === getAddress(y);
  const diffs = [
    !same(a.vault, r.vault) && `vault ${a.vault}`,
    a.chainId !== r.chainId && `chain ${a.chainId}`,
    !same(a.operator, r.operator) && `operator ${a.operator}`,
    !same(a.token, r.token) && `token ${a.token}`,
    !same(a.to, r.to) && `destination ${a.to}`,
    a.amount !== r.amount && `amount ${a.amount} base units`,
    a.withdrawalId !== r.withdrawalId && (a.withdrawalId === 0n ? "a co-signed withdrawal, not a queued one" : `queued withdrawal #${a.withdrawalId}`),
  ];
  return diffs.filter((d): d is string => typeof d === "string");
}

/** Whether `a` is an approval of exactly this withdrawal (same vault, chain, operator, token, to, amount, id). */
export function approvalMatches(a: ApprovalRequest, r: ApprovalRequest): boolean {
  return approvalMismatches(a, r).length === 0;
}

// -------------------------------------------------------------------------------------------------
// The vault's checks (GuardedVault.withdrawCosigned / executeWithdrawalEarly)
// -------------------------------------------------------------------------------------------------

/** What the vault finds about an approval when it checks it. */
export interface ApprovalFacts {
  readonly approver: string;
  readonly digest: string;
  readonly deadline: bigint;
  /** `_approvalUsed[digest]`. */
  readonly used: boolean;
  /** `hasRole(APPROVER_ROLE, approver)`. */
  readonly isApprover: boolean;
  /** `SignatureChecker.isValidSignatureNow(approver, digest, signature)`. */
  readonly validSignature: boolean;
}

/** Everything `withdrawCosigned` reads. */
export interface CosignedInput {
  readonly clock: Clock;
  readonly timestamp: bigint;
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  readonly tokenWord: bigint;
  /** The operator's co-signed limiter word for the token. */
  readonly cosignedWord: bigint;
  readonly registered: boolean;
  readonly suspended: boolean;
  readonly tripwireOptedOut: boolean;
  /** `isApproved(operator, to)`. */
  readonly approved: boolean;
  /** Whether `to` is a co-signed destination of the operator. */
  readonly cosignedOnly: boolean;
  readonly approval: ApprovalFacts;
}

/** A co-signed withdrawal that moves: the units charged and both limiter words as the vault writes them. */
export type CosignedCheck = { readonly ok: true; readonly units: bigint; readonly cosignedWord: bigint; readonly tokenWord: bigint } | Rejection;

const revert = (error: VaultErrorData): Rejection => ({ ok: false, effect: "revert", breach: null, error });
const breach = (optedOut: boolean, reason: "InvalidApproval" | "CosignedCapExceeded" | "DestinationNotApproved", error: VaultErrorData): Rejection =>
  optedOut ? { ok: false, effect: "revert", breach: reason, error } : { ok: false, effect: "trip", breach: reason, error };

/** `_checkApproval`: expired and used revert; an approver that is not one, or a signature that does not verify, trips. */
function checkApproval(a: ApprovalFacts, timestamp: bigint, optedOut: boolean): Rejection | null {
  if (timestamp > a.deadline) return revert({ name: "ApprovalExpired", args: { deadline: a.deadline } });
  if (a.used) return revert({ name: "ApprovalAlreadyUsed", args: { digest: a.digest } });
  if (!a.isApprover) return breach(optedOut, "InvalidApproval", { name: "NotApprover", args: { account: a.approver } });
  if (!a.validSignature) return breach(optedOut, "InvalidApproval", { name: "InvalidApproval", args: { approver: a.approver, digest: a.digest } });
  return null;
}

/** `_chargeCosigned`: the co-signed cap trips, the vault-wide cap reverts. */
function chargeCosigned(i: {
  clock: Clock;
  timestamp: bigint;
  operator: string;
  token: string;
  amount: bigint;
  tokenWord: bigint;
  cosignedWord: bigint;
  tripwireOptedOut: boolean;
}): CosignedCheck {
  const nowT = clockTime(i.clock, i.timestamp);
  const unit = unitOf(i.tokenWord);
  const units = toUnits(i.amount, unit);
  const c = consume(i.cosignedWord, nowT, i.clock.bucket, units);
  if (!c.ok) {
    const available = availableAt(i.cosignedWord, nowT, i.clock.bucket) * unit;
    return breach(i.tripwireOptedOut, "CosignedCapExceeded", {
      name: "CosignedCapExceeded",
      args: { operator: i.operator, token: i.token, requested: i.amount, available },
    });
  }
  const v = consume(i.tokenWord, nowT, i.clock.bucket, units);
  if (!v.ok) {
    const available = availableAt(i.tokenWord, nowT, i.clock.bucket) * unit;
    return revert({ name: "VaultCapExceeded", args: { token: i.token, requested: i.amount, available } });
  }
  return { ok: true, units, cosignedWord: c.updated, tokenWord: v.updated };
}

/** What `withdrawCosigned(token, to, amount, approval)` does when `operator` calls it at `timestamp`. */
export function checkCosigned(i: CosignedInput): CosignedCheck {
  if (i.amount === 0n) return revert({ name: "ZeroAmount", args: {} });
  if ((isListedWord(i.tokenWord) && !isPausedWord(i.tokenWord)) === false) {
    return revert(isListedWord(i.tokenWord) ? { name: "VaultIsPaused", args: {} } : { name: "UnknownToken", args: { token: i.token } });
  }
  if (!i.registered) return revert({ name: "NotOperator", args: { account: i.operator, token: i.token } });
  if (i.suspended) return revert({ name: "OperatorIsSuspended", args: { operator: i.operator } });
  const bad = checkApproval(i.approval, i.timestamp, i.tripwireOptedOut);
  if (bad) return bad;
  if (!i.approved && !i.cosignedOnly) {
    return breach(i.tripwireOptedOut, "DestinationNotApproved", { name: "DestinationNotApproved", args: { operator: i.operator, destination: i.to } });
  }
  return chargeCosigned(i);
}

/** Everything `executeWithdrawalEarly(id, approval)` reads. */
export interface EarlyInput {
  readonly clock: Clock;
  readonly timestamp: bigint;
  readonly id: bigint;
  readonly caller: string;
  readonly withdrawal: QueuedWithdrawalData;
  readonly paused: boolean;
  /** Whether the withdrawal's operator is suspended. */
  readonly suspended: boolean;
  /** Whether the destination is (ordinarily) approved for the operator. */
  readonly approved: boolean;
  readonly tripwireOptedOut: boolean;
  readonly tokenWord: bigint;
  readonly cosignedWord: bigint;
  readonly approval: ApprovalFacts;
}

/** An early release that moves: `charged` is false from the eta on (nothing is charged then). */
export type EarlyCheck = { readonly ok: true; readonly charged: boolean; readonly cosignedWord: bigint; readonly tokenWord: bigint } | Rejection;

/** What `executeWithdrawalEarly(id, approval)` by `caller` at `timestamp` does. */
export function checkEarly(e: EarlyInput): EarlyCheck {
  const w = e.withdrawal;
  if (w.status === "None") return revert({ name: "UnknownWithdrawal", args: { id: e.id } });
  if (e.caller.toLowerCase() !== w.operator.toLowerCase()) return revert({ name: "NotWithdrawalOperator", args: { id: e.id, caller: e.caller } });
  if (w.status !== "Pending") return revert({ name: "WithdrawalNotPending", args: { id: e.id, status: BigInt(STATUSES.indexOf(w.status)) } });
  if (e.timestamp > w.eta + GRACE_PERIOD) return revert({ name: "WithdrawalExpired", args: { id: e.id, expiry: w.eta + GRACE_PERIOD } });
  if (e.paused) return revert({ name: "VaultIsPaused", args: {} });
  if (e.suspended) return revert({ name: "OperatorIsSuspended", args: { operator: w.operator } });
  if (!e.approved) return revert({ name: "DestinationNotApproved", args: { operator: w.operator, destination: w.to } });
  const bad = checkApproval(e.approval, e.timestamp, e.tripwireOptedOut);
  if (bad) return bad;
  if (e.timestamp >= w.eta) return { ok: true, charged: false, cosignedWord: e.cosignedWord, tokenWord: e.tokenWord };
  const c = chargeCosigned({ ...e, operator: w.operator, token: w.token, amount: w.amount });
  return c.ok ? { ok: true, charged: true, cosignedWord: c.cosignedWord, tokenWord: c.tokenWord } : c;
}

// -------------------------------------------------------------------------------------------------
// Views and the bound with an approver
// -------------------------------------------------------------------------------------------------

/** The co-signed fields of `operatorState`, in base units. */
export function cosignedView(o: { clock: Clock; timestamp: bigint; cosignedWord: bigint; tokenWord: bigint }): {
  cosignedCap: bigint;
  cosignedUsed: bigint;
  cosignedAvailable: bigint;
} {
  const unit = unitOf(o.tokenWord);
  const nowT = clockTime(o.clock, o.timestamp);
  return {
    cosignedCap: capOf(o.cosignedWord) * unit,
    cosignedUsed: usedAt(o.cosignedWord, nowT, o.clock.bucket) * unit,
    cosignedAvailable: availableAt(o.cosignedWord, nowT, o.clock.bucket) * unit,
  };
}
