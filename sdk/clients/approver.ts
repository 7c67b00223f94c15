/**
 * The approval service: the second key of a co-signed withdrawal. It runs on its own host with its own
 * key (an HSM or KMS key through any ethers `Signer`, or the owners of a Safe that is the approver), and
 * signs the EIP-712 approval of exactly one withdrawal only after
 *
 * 1. the vault would accept the request in principle: the token is listed, the operator is registered and
 *    not suspended, the vault is not paused, the destination is approved for the operator (as a
 *    destination or a co-signed destination), this service's key is an approver now, and for an early
 *    release the queued withdrawal is pending with exactly these fields (`ApprovalRefusedError` otherwise,
 *    with the vault's typed error where there is one);
 * 2. the firm's own check said yes: a callback that asks the firm's treasury system "did we really ask for
 *    this?" (`ApprovalDeclinedError` on no, `ApprovalCheckFailedError` if it throws).
 *
 * With a request id (an idempotency key) it never signs twice for the same id: a repeated call returns
 * the approval already signed, a different request under a used id is refused (`DuplicateRequestError`).
 * Every approval is verified before it is handed out (ECDSA recovery for a key, the Safe's own
 * `isValidSignature` for a Safe), so a faulty signer cannot make the bot trip the tripwire.
 *
 * What it logs (through `log`, if given): the request id, the decision, the digest and the withdrawal's
 * fields; never a signature, a key, a PIN or a provider URL.
 */
import { Contract, Interface, getAddress, hexlify, randomBytes, type Provider, type Signer } from "ethers";
import { packSignatures, safeMessageHash, signSafeMessage } from "../safe/safe";
import { VaultSdkError, InvalidInputError, RpcError, type VaultRevertError } from "../errors/base";
import { vaultErrorFromData } from "../errors/revert";
import { requireAddress } from "../errors/validate";
import { APPROVER_ROLE, statusOf, type Status } from "../rules/constants";
import { isListedWord, isPausedWord } from "../rules/policy";
import {
  approvalDigest,
  approvalMatches,
  approvalTypedData,
  normalizeApprovalRequest,
  recoverApprover,
  type ApprovalRequest,
  type SignedApproval,
} from "../rules/approval";
import { connectVault, rawCall, read } from "./transport";
import { STORAGE_OFFSETS, STORAGE_SLOTS, mappingSlot, nestedSlot, readWithdrawal, roleSlot } from "./state";

/** EIP-1271's magic value. */
export const EIP1271_MAGIC = "0x1626ba7e";
const EIP1271 = new Interface(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);
const SAFE_ABI = ["function getThreshold() view returns (uint256)", "function isOwner(address owner) view returns (bool)"];

/** Why the service refused to sign without asking the firm. */
export type ApprovalRefusal =
  | "not-approver"
  | "unknown-token"
  | "paused"
  | "not-operator"
  | "operator-suspended"
  | "destination-not-approved"
  | "withdrawal-mismatch"
  | "wrong-chain"
  | "safe-signers";

/** The request is one the vault would not accept (or this service cannot sign for it). */
export class ApprovalRefusedError extends VaultSdkError {
  readonly reason: ApprovalRefusal;
  /** The vault's error for it, where there is one (source `preflight`). */
  readonly vaultError: VaultRevertError | null;
  constructor(reason: ApprovalRefusal, message: string, vaultError: VaultRevertError | null = null) {
    super(`approval refused (${reason}): ${message}`);
    this.reason = reason;
    this.vaultError = vaultError;
  }
}

/** The firm's check answered no. */
export class ApprovalDeclinedError extends VaultSdkError {
  readonly requestId: string | null;
  constructor(requestId: string | null) {
    super(`approval declined by the firm's check${requestId ? ` (request ${requestId})` : ""}`);
    this.requestId = requestId;
  }
}

/** The firm's check threw; nothing was signed. The thrown value is the `cause` (not in the message). */
export class ApprovalCheckFailedError extends VaultSdkError {
  readonly requestId: string | null;
  constructor(requestId: string | null, cause: unknown) {
    super(`the firm's check failed${requestId ? ` (request ${requestId})` : ""}; nothing was signed`, { cause });
    this.requestId = requestId;
  }
}

/** A request id already signed for a different withdrawal. */
export class DuplicateRequestError extends VaultSdkError {
  readonly requestId: string;
  constructor(requestId: string) {
    super(`request id ${requestId} was already used for a different withdrawal; refusing to sign`);
    this.requestId = requestId;
  }
}

/** The signature produced does not verify (a faulty signer, a Safe that refuses it). */
export class ApprovalSignatureError extends VaultSdkError {}

/** A withdrawal to approve: the vault and chain come from the client. */
export interface ApprovalInput {
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  /** The queued withdrawal to release early; omit (or 0) for a co-signed withdrawal. */
  readonly withdrawalId?: bigint;
  /** Idempotency key from the firm's system: the service signs at most once per id. */
  readonly requestId?: string;
}

/** What the firm's check sees. */
export interface ApprovalCheckRequest extends ApprovalRequest {
  readonly requestId: string | null;
  readonly approver: string;
  readonly deadline: bigint;
}

/** The firm's check: true to sign, false to decline; a throw declines too (`ApprovalCheckFailedError`). */
export type ApprovalCheck = (request: ApprovalCheckRequest) => boolean | Promise<boolean>;

/** One log entry. Nothing secret: no signature, key, PIN or URL. */
export interface ApproverLogEntry {
  readonly event: "signed" | "repeated" | "refused" | "declined" | "check-failed" | "duplicate";
  readonly requestId: string | null;
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: string;
  readonly withdrawalId: string;
  readonly digest?: string;
  readonly deadline?: string;
  readonly reason?: string;
}

/** Where signed request ids are kept (default: in memory; give a persistent one to survive restarts). */
export interface ApprovalStore {
  get(requestId: string): SignedApproval | undefined | Promise<SignedApproval | undefined>;
  set(requestId: string, approval: SignedApproval): void | Promise<void>;
}

export interface ApproverClientOptions {
  readonly vault: string;
  /** Reads the vault (a provider on the approver's own infrastructure). */
  readonly provider: Provider;
  /** The approver's key: any ethers Signer (Wallet, Pkcs11Signer, AwsKmsSigner, ...). Exclusive with `safe`. */
  readonly signer?: Signer;
  /** A Safe as the approver: its address and owners' signers (at least its threshold). */
  readonly safe?: { readonly address: string; readonly owners: readonly Signer[] };
  /** The firm's check. */
  readonly check: ApprovalCheck;
  /** Seconds an approval stays valid after signing (default 300). */
  readonly ttlSeconds?: number;
  readonly store?: ApprovalStore;
  readonly log?: (entry: ApproverLogEntry) => void;
}

/** Signs approvals of co-signed withdrawals and early releases. */
export class ApproverClient {
  readonly vault: string;
  /** The approver address (the key's, or the Safe's). */
  readonly approver: string;
  private readonly provider: Provider;
  private readonly signer: Signer | null;
  private readonly safe: { address: string; owners: readonly Signer[] } | null;
  private readonly check: ApprovalCheck;
  private readonly ttl: bigint;
  private readonly store: ApprovalStore;
  private readonly log: (entry: ApproverLogEntry) => void;
  private readonly inflight = new Map<string, Promise<SignedApproval>>();
  private chainId: bigint | null = null;

  private constructor(o: ApproverClientOptions, approver: string) {
    this.vault = requireAddress(o.vault, "vault", { allowZero: false });
    this.approver = approver;
    this.provider = o.provider;
    this.signer = o.signer ?? null;
    this.safe = o.safe ? { address: requireAddress(o.safe.address, "safe.address", { allowZero: false }), owners: o.safe.owners } : null;
    this.check = o.check;
    this.ttl = BigInt(o.ttlSeconds ?? 300);
    const map = new Map<string, SignedApproval>();
    this.store = o.store ?? { get: (id) => map.get(id), set: (id, a) => void map.set(id, a) };
    this.log = o.log ?? (() => {});
  }

  /** Reads the signer's address (no chain read). */
  static async create(o: ApproverClientOptions): Promise<ApproverClient> {
    if (typeof o.check !== "function") throw new InvalidInputError("check", "the firm's check callback is required");
    if (!o.provider) throw new InvalidInputError("provider", "required");
    if (!!o.signer === !!o.safe) throw new InvalidInputError("signer", "give exactly one of signer and safe");
    if (o.ttlSeconds !== undefined && (!Number.isSafeInteger(o.ttlSeconds) || o.ttlSeconds <= 0)) {
      throw new InvalidInputError("ttlSeconds", `expected a positive number of seconds, got ${String(o.ttlSeconds)}`);
    }
    if (o.safe && (!Array.isArray(o.safe.owners) || o.safe.owners.length === 0)) throw new InvalidInputError("safe.owners", "at least one owner signer");
    const approver = o.safe ? requireAddress(o.safe.address, "safe.address", { allowZero: false }) : requireAddress(await o.signer!.getAddress(), "signer address");
    return new ApproverClient(o, approver);
  }

  /**
   * Reads the chain (the vault's state, the latest block; the Safe for a Safe approver), asks the firm's
   * check, then signs. Returns the approval to hand to the operator (`approvalToJson` for a file).
   */
  async approve(input: ApprovalInput): Promise<SignedApproval> {
    const requestId = input.requestId ?? null;
    if (requestId !== null && (typeof requestId !== "string" || requestId.length === 0 || requestId.length > 200)) {
      throw new InvalidInputError("requestId", "expected a non-empty string of at most 200 characters");
    }
    const chainId = await this.readChainId();
    const request = normalizeApprovalRequest({
      vault: this.vault,
      chainId,
      operator: input.operator,
      token: input.token,
      to: input.to,
      amount: input.amount,
      withdrawalId: input.withdrawalId ?? 0n,
    });
    if (requestId === null) return this.sign(request, null);
    // One signing per id at a time; a repeat gets the same approval.
    const running = this.inflight.get(requestId);
    if (running) {
      const a = await running;
      return this.repeat(requestId, request, a);
    }
    const work = (async () => {
      const before = await this.store.get(requestId);
      if (before) return this.repeat(requestId, request, before);
      const a = await this.sign(request, requestId);
      await this.store.set(requestId, a);
      return a;
    })();
    this.inflight.set(requestId, work);
    try {
      return await work;
    } finally {
      this.inflight.delete(requestId);
    }
  }

  private repeat(requestId: string, request: ApprovalRequest, a: SignedApproval): SignedApproval {
    if (!approvalMatches(a, request)) {
      this.log({ ...this.fields(request, requestId), event: "duplicate" });
      throw new DuplicateRequestError(requestId);
    }
    this.log({ ...this.fields(request, requestId), event: "repeated", digest: a.digest, deadline: a.deadline.toString() });
    return a;
  }

  private async sign(request: ApprovalRequest, requestId: string | null): Promise<SignedApproval> {
    const fields = this.fields(request, requestId);
    let timestamp: bigint;
    try {
      timestamp = await this.verifyRequest(request);
    } catch (e) {
      if (e instanceof ApprovalRefusedError) this.log({ ...fields, event: "refused", reason: e.reason });
      throw e;
    }
    const deadline = timestamp + this.ttl;
    let ok: boolean;
    try {
      ok = (await this.check({ ...request, requestId, approver: this.approver, deadline })) === true;
    } catch (e) {
      this.log({ ...fields, event: "check-failed" });
      throw new ApprovalCheckFailedError(requestId, e);
    }
    if (!ok) {
      this.log({ ...fields, event: "declined" });
      throw new ApprovalDeclinedError(requestId);
    }
    const nonce = BigInt(hexlify(randomBytes(32)));
    const digest = approvalDigest(request, nonce, deadline);
    const signature = this.safe ? await this.signAsSafe(request, digest) : await this.signAsKey(request, nonce, deadline, digest);
    this.log({ ...fields, event: "signed", digest, deadline: deadline.toString() });
    return { ...request, approver: this.approver, nonce, deadline, signature, digest };
  }

  private async signAsKey(request: ApprovalRequest, nonce: bigint, deadline: bigint, digest: string): Promise<string> {
    const { domain, types, message } = approvalTypedData(request, nonce, deadline);
    const signature = (await this.signer!.signTypedData(domain, types, { ...message })).toLowerCase();
    if (recoverApprover(digest, signature) !== this.approver) {
      throw new ApprovalSignatureError("the signer's signature does not recover to its address with a low s: the vault would refuse it");
    }
    return signature;
  }

  /** The owners' EIP-712 signatures of the Safe's `SafeMessage(bytes message)` of `digest`, in owner order, checked by the Safe. */
  private async signAsSafe(request: ApprovalRequest, digest: string): Promise<string> {
    const safe = this.safe!;
    const opts = { chainId: request.chainId, safe: safe.address, message: digest };
    // Owners sign one after the other: an HSM or a hardware wallet signs one request at a time.
    const signed = [];
    for (const o of safe.owners) signed.push(await signSafeMessage(o, opts));
    const signature = packSignatures(signed).toLowerCase();
    if (!(await isValidSignature1271(this.provider, safe.address, digest, signature))) {
      throw new ApprovalSignatureError(`the Safe ${safe.address} does not accept its owners' signatures of Safe message ${safeMessageHash(opts)}`);
    }
    return signature;
  }

  /** The vault's state: refuses what it would not accept in principle; returns the latest block's timestamp. */
  private async verifyRequest(r: ApprovalRequest): Promise<bigint> {
    const vault = connectVault(this.vault, this.provider);
    const refuse = (reason: ApprovalRefusal, message: string, data?: Parameters<typeof vaultErrorFromData>[0]) =>
      new ApprovalRefusedError(reason, message, data ? vaultErrorFromData(data, { source: "preflight" }) : null);
    const slots = [
      mappingSlot(STORAGE_SLOTS.tokenWords, r.token),
      roleSlot(APPROVER_ROLE, this.approver),
      nestedSlot(STORAGE_SLOTS.cosignedOnly, r.operator, r.to),
      mappingSlot(STORAGE_SLOTS.operatorInfo, r.operator),
    ];
    const [words, approved, block, withdrawal, safeOk] = await Promise.all([
      read(() => vault.extsload(slots)),
      read(() => vault.isApproved(r.operator, r.to)),
      read(() => this.provider.getBlock("latest")),
      r.withdrawalId === 0n ? Promise.resolve(null) : readQueuedWithdrawal(this.provider, this.vault, r.withdrawalId),
      this.safe ? this.checkSafeOwners() : Promise.resolve(null),
    ]);
    if (!block) throw new VaultSdkError("the provider returned no latest block");
    if (safeOk) throw refuse("safe-signers", safeOk);
    const tokenWord = BigInt(words[0]);
    if (BigInt(words[1]) !== 1n) throw refuse("not-approver", `${this.approver} is not an approver of the vault`, { name: "NotApprover", args: { account: this.approver } });
    if (!isListedWord(tokenWord)) throw refuse("unknown-token", `${r.token} is not listed`, { name: "UnknownToken", args: { token: r.token } });
    if (isPausedWord(tokenWord)) throw refuse("paused", "the vault is paused", { name: "VaultIsPaused", args: {} });
    const info = BigInt(words[3]);
    const flag = (offset: number) => ((info >> BigInt(offset * 8)) & 0xffn) !== 0n;
    if (!flag(STORAGE_OFFSETS.infoRegistered)) {
      throw refuse("not-operator", `${r.operator} is not an operator`, { name: "NotOperator", args: { account: r.operator, token: r.token } });
    }
    if (flag(STORAGE_OFFSETS.infoSuspended)) throw refuse("operator-suspended", `${r.operator} is suspended`, { name: "OperatorIsSuspended", args: { operator: r.operator } });
    // A co-signed destination holds 1 + the operator's generation when it was approved (a removal voids it).
    const generation = (info >> BigInt(STORAGE_OFFSETS.infoGeneration * 8)) & 0xffffffffn;
    const cosignedOnly = BigInt(words[2]) === generation + 1n;
    if (withdrawal) {
      // An early release needs the ordinary approval of the destination (as executeWithdrawal).
      const status = withdrawal.status;
      const same =
        status === "Pending" &&
        withdrawal.operator.toLowerCase() === r.operator.toLowerCase() &&
        withdrawal.token.toLowerCase() === r.token.toLowerCase() &&
        withdrawal.to.toLowerCase() === r.to.toLowerCase() &&
        withdrawal.amount === r.amount;
      if (!same) throw refuse("withdrawal-mismatch", `queued withdrawal ${r.withdrawalId} is not a pending withdrawal of exactly these fields (status ${status})`);
      if (!approved) throw refuse("destination-not-approved", `${r.to} is not approved for ${r.operator}`, { name: "DestinationNotApproved", args: { operator: r.operator, destination: r.to } });
    } else if (!approved && !cosignedOnly) {
      throw refuse("destination-not-approved", `${r.to} is neither a destination nor a co-signed destination of ${r.operator}`, {
        name: "DestinationNotApproved",
        args: { operator: r.operator, destination: r.to },
      });
    }
    return BigInt(block.timestamp);
  }

  /** For a Safe approver: a reason to refuse when the owners given are not enough owners of it; null if they are. */
  private async checkSafeOwners(): Promise<string | null> {
    const safe = new Contract(this.safe!.address, SAFE_ABI, this.provider);
    const owners = await Promise.all(this.safe!.owners.map(async (o) => getAddress(await o.getAddress())));
    const [threshold, flags] = await Promise.all([
      read(() => safe.getThreshold() as Promise<bigint>),
      Promise.all(owners.map((o) => read(() => safe.isOwner(o) as Promise<boolean>))),
    ]);
    const notOwners = owners.filter((_, i) => !flags[i]);
    if (notOwners.length) return `${notOwners.join(", ")} ${notOwners.length === 1 ? "is not an owner" : "are not owners"} of the Safe`;
    if (BigInt(new Set(owners).size) < threshold) return `the Safe needs ${threshold} owners' signatures, ${new Set(owners).size} given`;
    return null;
  }

  private async readChainId(): Promise<bigint> {
    if (this.chainId === null) this.chainId = (await read(() => this.provider.getNetwork())).chainId;
    return this.chainId;
  }

  private fields(r: ApprovalRequest, requestId: string | null) {
    return { requestId, operator: r.operator, token: r.token, to: r.to, amount: r.amount.toString(), withdrawalId: r.withdrawalId.toString() };
  }
}

/** A queued withdrawal as the vault stores it (status `None` for an unused id): `readWithdrawal` with its status named. */
export async function readQueuedWithdrawal(
  provider: Provider,
  vault: string,
  id: bigint,
): Promise<{ operator: string; eta: bigint; status: Status; token: string; to: string; amount: bigint }> {
  const w = await read(() => readWithdrawal(connectVault(vault, provider), id));
  return { ...w, status: statusOf(w.status) };
}

/** Reads the chain: whether `account`'s EIP-1271 `isValidSignature(digest, signature)` answers the magic value (false if it reverts or has no code). */
export async function isValidSignature1271(provider: Provider, account: string, digest: string, signature: string): Promise<boolean> {
  const data = EIP1271.encodeFunctionData("isValidSignature", [digest, signature]);
  let out: string;
  try {
    out = await rawCall(provider, account, data);
  } catch (e) {
    // A revert means "not valid" (as for the vault's SignatureChecker); a provider failure is not an answer.
    if (e instanceof RpcError) throw e;
    return false;
  }
  // The vault wants exactly the 4-byte magic value, ABI-encoded in a 32-byte word.
  return out.length >= 66 && out.slice(0, 10).toLowerCase() === EIP1271_MAGIC;
}
