/**
 * The guardian client: the instant, safety-increasing actions. Each is available two ways:
 * `client.pause()` signs and sends with the client's Signer; `client.tx.pause()` (or
 * `new GuardianTransactions(vault).pause()`, which needs no signer or network) returns the unsigned
 * `{ to, data, value }` for a multisig such as a Safe to propose and sign. The admin may call all of
 * these too, except `evacuate`.
 */
import type { Signer, TransactionReceipt } from "ethers";
import { MAX_TRIP_PERIOD } from "../rules/constants";
import { InvalidInputError } from "../errors/base";
import { asReceipt, send, vaultInterface, type SendOverrides, type SentTransaction, type UnsignedTransaction } from "./transport";
import { requireAddress, requireAmount, requireSmallInt, requireUint } from "../errors/validate";

const MAX_UINT256 = (1n << 256n) - 1n;

/** New (lower or equal) limits of an operator for a token, in base units. */
export interface LowerOperatorLimits {
  readonly operator: string;
  readonly token: string;
  readonly cap: bigint;
  readonly instantLimit: bigint;
  readonly queueCap: bigint;
}

/** Unsigned guardian transactions. Pure: validates the arguments and encodes the call. */
export class GuardianTransactions {
  readonly vault: string;

  constructor(vault: string) {
    this.vault = requireAddress(vault, "vault");
  }

  /** `pause()`: stops every operator outflow at once. */
  pause(): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("pause"));
  }

  /** `suspendOperator(operator)`: stops every outflow of one operator at once. */
  suspendOperator(operator: string): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("suspendOperator", [requireAddress(operator, "operator")]));
  }

  /**
   * `removeOperator(operator)`: removes an operator at once (a rotated or compromised key): its limits,
   * destinations and pending queued withdrawals are gone and its slot is free. Adding the key again is a
   * timelocked SetOperatorLimits.
   */
  removeOperator(operator: string): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("removeOperator", [requireAddress(operator, "operator")]));
  }

  /** `cancelWithdrawal(id)`: cancels a pending queued withdrawal. */
  cancelWithdrawal(id: bigint): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("cancelWithdrawal", [requireUint(id, "id")]));
  }

  /** `cancelChange(id)`: cancels a pending proposed change. */
  cancelChange(id: bigint): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("cancelChange", [requireUint(id, "id")]));
  }

  /** `evacuate(token, amount)`: sweeps `amount` (or `"all"`, the whole balance) to the recovery address. */
  evacuate(e: { token: string; amount: bigint | "all" }): UnsignedTransaction {
    const token = requireAddress(e.token, "token");
    const amount = e.amount === "all" ? MAX_UINT256 : requireAmount(e.amount);
    return this.call(vaultInterface.encodeFunctionData("evacuate", [token, amount]));
  }

  /** `lowerOperatorLimits(limits)`: each value at most its current one. */
  lowerOperatorLimits(l: LowerOperatorLimits): UnsignedTransaction {
    const limits = {
      operator: requireAddress(l.operator, "operator"),
      token: requireAddress(l.token, "token"),
      cap: requireUint(l.cap, "cap"),
      instantLimit: requireUint(l.instantLimit, "instantLimit"),
      queueCap: requireUint(l.queueCap, "queueCap"),
    };
    if (limits.instantLimit > limits.cap) throw new InvalidInputError("instantLimit", "must not be above cap");
    return this.call(vaultInterface.encodeFunctionData("lowerOperatorLimits", [limits]));
  }

  /** `lowerVaultCap(token, vaultCap)`: at most the current vault-wide cap. */
  lowerVaultCap(l: { token: string; vaultCap: bigint }): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("lowerVaultCap", [requireAddress(l.token, "token"), requireUint(l.vaultCap, "vaultCap")]));
  }

  /** `tightenTripwire(maxCount, period)`: no more withdrawals per no shorter period. */
  tightenTripwire(t: { maxCount: number; period: bigint }): UnsignedTransaction {
    const maxCount = requireSmallInt(t.maxCount, "maxCount", 8);
    if (maxCount === 0) throw new InvalidInputError("maxCount", "0 turns the rule off, which loosens it");
    const period = requireUint(t.period, "period", 32);
    if (period === 0n || period > MAX_TRIP_PERIOD) throw new InvalidInputError("period", `must be in [1, ${MAX_TRIP_PERIOD}]`);
    return this.call(vaultInterface.encodeFunctionData("tightenTripwire", [maxCount, period]));
  }

  /** `optIntoTripwire(operator)`: puts an operator back under the tripwire. */
  optIntoTripwire(operator: string): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("optIntoTripwire", [requireAddress(operator, "operator")]));
  }

  /** `revokeDestination(operator, destination)`. */
  revokeDestination(r: { operator: string; destination: string }): UnsignedTransaction {
    const operator = requireAddress(r.operator, "operator");
    const destination = requireAddress(r.destination, "destination");
    return this.call(vaultInterface.encodeFunctionData("revokeDestination", [operator, destination]));
  }

  private call(data: string): UnsignedTransaction {
    return { to: this.vault, data, value: 0n };
  }
}

export interface GuardianClientOptions {
  readonly vault: string;
  /** Any ethers v6 Signer holding a guardian (or, except for `evacuate`, the admin) key. */
  readonly signer: Signer;
}

/** Sends guardian transactions. Every method validates its input before any network call, then sends
 * (the only network call) and maps failures to SDK errors; `wait()` on the result returns the receipt. */
export class GuardianClient {
  /** The same actions as unsigned transactions, for a multisig. */
  readonly tx: GuardianTransactions;
  private readonly signer: Signer;

  constructor(options: GuardianClientOptions) {
    this.tx = new GuardianTransactions(options.vault);
    this.signer = options.signer;
  }

  /** Sends `pause()`. */
  async pause(overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.pause(), overrides);
  }

  /** Sends `suspendOperator(operator)`. */
  async suspendOperator(operator: string, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.suspendOperator(operator), overrides);
  }

  /** Sends `removeOperator(operator)`. */
  async removeOperator(operator: string, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.removeOperator(operator), overrides);
  }

  /** Sends `cancelWithdrawal(id)`. */
  async cancelWithdrawal(id: bigint, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.cancelWithdrawal(id), overrides);
  }

  /** Sends `cancelChange(id)`. */
  async cancelChange(id: bigint, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.cancelChange(id), overrides);
  }

  /** Sends `evacuate(token, amount)` (guardian role only; `"all"` sweeps the balance). */
  async evacuate(e: { token: string; amount: bigint | "all" }, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.evacuate(e), overrides);
  }

  /** Sends `lowerOperatorLimits(limits)`. */
  async lowerOperatorLimits(l: LowerOperatorLimits, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.lowerOperatorLimits(l), overrides);
  }

  /** Sends `lowerVaultCap(token, vaultCap)`. */
  async lowerVaultCap(l: { token: string; vaultCap: bigint }, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.lowerVaultCap(l), overrides);
  }

  /** Sends `tightenTripwire(maxCount, period)`. */
  async tightenTripwire(t: { maxCount: number; period: bigint }, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.tightenTripwire(t), overrides);
  }

  /** Sends `optIntoTripwire(operator)`. */
  async optIntoTripwire(operator: string, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.optIntoTripwire(operator), overrides);
  }

  /** Sends `revokeDestination(operator, destination)`. */
  async revokeDestination(r: { operator: string; destination: string }, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return this.send(this.tx.revokeDestination(r), overrides);
  }

  private send(tx: UnsignedTransaction, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return send(this.signer, tx, asReceipt, overrides);
  }
}
