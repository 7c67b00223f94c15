/**
 * Typed parameters of every `ChangeKind`, encoded exactly as the NatSpec on `IGuardedVault.ChangeKind`
 * says (and as the vault decodes them), and decoded back. Pure: no network.
 */
import { AbiCoder } from "ethers";
import { CHANGE_KINDS, changeKindIndex, changeKindOf, type ChangeKind } from "./constants";
import { InvalidInputError } from "../errors/base";
import { requireAddress, requireSmallInt, requireUint } from "../errors/validate";

/** A proposed change, by kind, with its parameters. Amounts are in token base units; delays in seconds. */
export type ChangeParams =
  | { readonly kind: "SetOperatorLimits"; readonly operator: string; readonly token: string; readonly cap: bigint; readonly instantLimit: bigint; readonly queueCap: bigint }
  | { readonly kind: "ApproveDestination"; readonly operator: string; readonly destination: string }
  | { readonly kind: "ListToken"; readonly token: string; readonly unitDecimals: number; readonly vaultCap: bigint }
  | { readonly kind: "SetVaultCap"; readonly token: string; readonly vaultCap: bigint }
  | { readonly kind: "Unpause" }
  | { readonly kind: "UnsuspendOperator"; readonly operator: string }
  | { readonly kind: "SetRecovery"; readonly recovery: string }
  | { readonly kind: "SetDelays"; readonly changeDelay: bigint; readonly withdrawalDelay: bigint }
  | { readonly kind: "AddGuardian"; readonly guardian: string }
  | { readonly kind: "RemoveGuardian"; readonly guardian: string }
  | { readonly kind: "TransferAdmin"; readonly newAdmin: string }
  | { readonly kind: "SetTripwire"; readonly maxCount: number; readonly period: bigint }
  | { readonly kind: "SetTripwireOptOut"; readonly operator: string; readonly optOut: boolean }
  | { readonly kind: "AddApprover"; readonly approver: string }
  | { readonly kind: "ApproveCosignedDestination"; readonly operator: string; readonly destination: string }
  | { readonly kind: "SetCosignedCap"; readonly operator: string; readonly token: string; readonly cosignedCap: bigint };

/** The parameters of one kind of change. */
export type ChangeOf<K extends ChangeKind> = Extract<ChangeParams, { kind: K }>;
/** The parameters of one kind of change, without the `kind` tag. */
export type ChangeInput<K extends ChangeKind> = Omit<ChangeOf<K>, "kind">;

/** The ABI types of each kind's `params`, from the NatSpec on `ChangeKind`. */
export const CHANGE_PARAM_TYPES: { readonly [K in ChangeKind]: readonly string[] } = {
  SetOperatorLimits: ["address operator", "address token", "uint256 cap", "uint256 instantLimit", "uint256 queueCap"],
  ApproveDestination: ["address operator", "address destination"],
  ListToken: ["address token", "uint8 unitDecimals", "uint256 vaultCap"],
  SetVaultCap: ["address token", "uint256 vaultCap"],
  Unpause: [],
  UnsuspendOperator: ["address operator"],
  SetRecovery: ["address recovery"],
  SetDelays: ["uint32 changeDelay", "uint32 withdrawalDelay"],
  AddGuardian: ["address guardian"],
  RemoveGuardian: ["address guardian"],
  TransferAdmin: ["address newAdmin"],
  SetTripwire: ["uint8 maxCount", "uint32 period"],
  SetTripwireOptOut: ["address operator", "bool optOut"],
  AddApprover: ["address approver"],
  ApproveCosignedDestination: ["address operator", "address destination"],
  SetCosignedCap: ["address operator", "address token", "uint256 cosignedCap"],
};

const coder = AbiCoder.defaultAbiCoder();

/** Validates a change's parameters (types and ranges only; the vault checks the policy rules). */
function normalize(change: ChangeParams): unknown[] {
  const a = (v: unknown, f: string) => requireAddress(v, f);
  switch (change.kind) {
    case "SetOperatorLimits":
      return [a(change.operator, "operator"), a(change.token, "token"), requireUint(change.cap, "cap"), requireUint(change.instantLimit, "instantLimit"), requireUint(change.queueCap, "queueCap")];
    case "ApproveDestination":
      return [a(change.operator, "operator"), a(change.destination, "destination")];
    case "ListToken":
      return [a(change.token, "token"), requireSmallInt(change.unitDecimals, "unitDecimals", 8), requireUint(change.vaultCap, "vaultCap")];
    case "SetVaultCap":
      return [a(change.token, "token"), requireUint(change.vaultCap, "vaultCap")];
    case "Unpause":
      return [];
    case "UnsuspendOperator":
      return [a(change.operator, "operator")];
    case "SetRecovery":
      return [a(change.recovery, "recovery")];
    case "SetDelays":
      return [requireUint(change.changeDelay, "changeDelay", 32), requireUint(change.withdrawalDelay, "withdrawalDelay", 32)];
    case "AddGuardian":
    case "RemoveGuardian":
      return [a(change.guardian, "guardian")];
    case "TransferAdmin":
      return [a(change.newAdmin, "newAdmin")];
    case "SetTripwire":
      return [requireSmallInt(change.maxCount, "maxCount", 8), requireUint(change.period, "period", 32)];
    case "SetTripwireOptOut":
      if (typeof change.optOut !== "boolean") throw new InvalidInputError("optOut", "expected a boolean");
      return [a(change.operator, "operator"), change.optOut];
    case "AddApprover":
      return [a(change.approver, "approver")];
    case "ApproveCosignedDestination":
      return [a(change.operator, "operator"), a(change.destination, "destination")];
    case "SetCosignedCap":
      return [a(change.operator, "operator"), a(change.token, "token"), requireUint(change.cosignedCap, "cosignedCap")];
    default:
      throw new InvalidInputError("kind", `unknown change kind ${JSON.stringify((change as { kind: unknown }).kind)}`);
  }
}

/** `proposeChange(kind, params)` arguments for a change: the kind's on-chain number and the ABI-encoded params. */
export function encodeChange(change: ChangeParams): { kind: ChangeKind; kindIndex: number; params: string } {
  const values = normalize(change);
  const types = CHANGE_PARAM_TYPES[change.kind];
  return { kind: change.kind, kindIndex: changeKindIndex(change.kind), params: types.length ? coder.encode(types, values) : "0x" };
}

/** The typed parameters of an on-chain change (`getChange(id)` or a `ChangeProposed` event). */
export function decodeChange(kind: ChangeKind | bigint | number, params: string): ChangeParams {
  const k = typeof kind === "string" ? kind : changeKindOf(kind);
  if (!(CHANGE_KINDS as readonly string[]).includes(k)) throw new InvalidInputError("kind", `unknown change kind ${k}`);
  const v = CHANGE_PARAM_TYPES[k].length ? coder.decode(CHANGE_PARAM_TYPES[k], params) : [];
  switch (k) {
    case "SetOperatorLimits":
      return { kind: k, operator: v[0], token: v[1], cap: v[2], instantLimit: v[3], queueCap: v[4] };
    case "ApproveDestination":
      return { kind: k, operator: v[0], destination: v[1] };
    case "ListToken":
      return { kind: k, token: v[0], unitDecimals: Number(v[1]), vaultCap: v[2] };
    case "SetVaultCap":
      return { kind: k, token: v[0], vaultCap: v[1] };
    case "Unpause":
      return { kind: k };
    case "UnsuspendOperator":
      return { kind: k, operator: v[0] };
    case "SetRecovery":
      return { kind: k, recovery: v[0] };
    case "SetDelays":
      return { kind: k, changeDelay: v[0], withdrawalDelay: v[1] };
    case "AddGuardian":
    case "RemoveGuardian":
      return { kind: k, guardian: v[0] };
    case "TransferAdmin":
      return { kind: k, newAdmin: v[0] };
    case "SetTripwire":
      return { kind: k, maxCount: Number(v[0]), period: v[1] };
    case "SetTripwireOptOut":
      return { kind: k, operator: v[0], optOut: v[1] };
    case "AddApprover":
      return { kind: k, approver: v[0] };
    case "ApproveCosignedDestination":
      return { kind: k, operator: v[0], destination: v[1] };
    case "SetCosignedCap":
      return { kind: k, operator: v[0], token: v[1], cosignedCap: v[2] };
  }
}
