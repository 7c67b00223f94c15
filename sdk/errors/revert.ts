/**
 * Turning whatever a provider or signer throws into the SDK's error classes, and vault error data into
 * instances of the generated classes.
 */
import { AbiCoder, dataSlice, isCallException, isError, isHexString } from "ethers";
import { guardedVaultInterface } from "../abi";
import {
  RevertWithoutDataError,
  RpcError,
  UnrecognizedRevertError,
  NotAVaultError,
  VaultRevertError,
  VaultSdkError,
  type RevertContext,
  type VaultErrorData,
  type VaultErrorName,
} from "./base";
import { VAULT_ERROR_CLASSES, type VaultErrorArgs } from "./generated";

const vaultInterface = guardedVaultInterface;
const ERROR_STRING = "0x08c379a0";
const PANIC = "0x4e487b71";

type ErrorClass<N extends VaultErrorName> = new (args: VaultErrorArgs[N], context?: RevertContext) => VaultRevertError<N>;

/** The SDK error instance for a vault error given as data (e.g. a preflight's prediction). */
export function vaultError<N extends VaultErrorName>(
  error: { name: N; args: VaultErrorArgs[N] },
  context?: RevertContext,
): VaultRevertError<N> {
  const cls = VAULT_ERROR_CLASSES[error.name] as unknown as ErrorClass<N>;
  return new cls(error.args, context);
}

/** Same as `vaultError`, for the `VaultErrorData` union. */
export const vaultErrorFromData = (data: VaultErrorData, context?: RevertContext): VaultRevertError =>
  vaultError(data as { name: VaultErrorName; args: VaultErrorArgs[VaultErrorName] }, context) as VaultRevertError;

/** Decodes revert data into the vault's error class, or null if the data is not one of the vault's errors. */
export function decodeVaultError(data: string, context: Omit<RevertContext, "data" | "source"> = {}): VaultRevertError | null {
  if (!isHexString(data) || data.length < 10) return null;
  let parsed;
  try {
    parsed = vaultInterface.parseError(data);
  } catch {
    return null;
  }
  if (!parsed || !(parsed.name in VAULT_ERROR_CLASSES)) return null;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => (args[input.name || `arg${i}`] = parsed.args[i]));
  return vaultErrorFromData({ name: parsed.name, args } as VaultErrorData, { ...context, data, source: "chain" });
}

/** The `Error(string)` reason or `Panic(uint256)` code in revert data, if it is one of those. */
function standardReason(data: string): string | null {
  try {
    if (data.startsWith(ERROR_STRING)) return `Error(${AbiCoder.defaultAbiCoder().decode(["string"], dataSlice(data, 4))[0]})`;
    if (data.startsWith(PANIC)) return `Panic(${AbiCoder.defaultAbiCoder().decode(["uint256"], dataSlice(data, 4))[0]})`;
  } catch {
    // Malformed: reported as unrecognized data without a reason.
  }
  return null;
}

interface Found {
  data: string | null;
  transactionHash: string | undefined;
}

/** Revert data and transaction hash anywhere in an error as ethers, Hardhat or a JSON-RPC node report it. */
function dig(e: unknown, found: Found = { data: null, transactionHash: undefined }, depth = 0): Found {
  if (depth > 6 || e === null || typeof e !== "object") return found;
  const o = e as Record<string, unknown>;
  if (found.data === null && typeof o.data === "string" && isHexString(o.data)) found.data = o.data;
  if (found.transactionHash === undefined && typeof o.transactionHash === "string") found.transactionHash = o.transactionHash;
  const receipt = o.receipt as { hash?: unknown } | undefined;
  if (found.transactionHash === undefined && receipt && typeof receipt.hash === "string") found.transactionHash = receipt.hash;
  for (const key of ["data", "error", "info", "cause", "parent"]) dig(o[key], found, depth + 1);
  return found;
}

function looksLikeRevert(e: unknown): boolean {
  if (isCallException(e)) return true;
  const message = e instanceof Error ? e.message : String(e);
  return /\brevert|ran out of gas/i.test(message);
}

/**
 * Classifies anything a provider, signer or contract call threw:
 * a vault error → its generated class; other revert data → `UnrecognizedRevertError`; a revert without
 * data → `RevertWithoutDataError`; anything else → `RpcError`. SDK errors pass through unchanged.
 */
export function toSdkError(e: unknown): VaultSdkError {
  if (e instanceof VaultSdkError) return e;
  if (isError(e, "BAD_DATA") && e.value === "0x") {
    // ethers decoding an empty result: the call reached no contract (or one without this function).
    const method = (e.info as { method?: unknown } | undefined)?.method;
    return new NotAVaultError(
      null,
      `${typeof method === "string" ? `${method}()` : "a call"} returned no data: no vault at this address on this chain (check the address, and that the provider is on the vault's network)`,
      e,
    );
  }
  const found = dig(e);
  if (found.data !== null && found.data !== "0x") {
    return (
      decodeVaultError(found.data, { cause: e, transactionHash: found.transactionHash }) ??
      new UnrecognizedRevertError(found.data, standardReason(found.data), e)
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  if (found.data === "0x" || looksLikeRevert(e)) {
    return new RevertWithoutDataError(`reverted without data: ${message.slice(0, 200)}`, {
      transactionHash: found.transactionHash,
      cause: e,
    });
  }
  const code = (e as { code?: unknown } | null)?.code;
  return new RpcError(`RPC failure: ${message.slice(0, 300)}`, {
    cause: e,
    code: typeof code === "string" || typeof code === "number" ? code : undefined,
  });
}
