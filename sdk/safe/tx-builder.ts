/**
 * What a Safe's owners need to act on the vault without this SDK on their machines:
 *
 * - a **Transaction Builder batch file**, the JSON that Safe{Wallet}'s Transaction Builder app imports
 *   ("Drag and drop a JSON file"), for any guardian or admin action or a batch of several;
 * - the **Safe transaction hash and EIP-712 typed data** of one vault transaction (or of a MultiSend batch)
 *   at a given Safe nonce, for owners who sign with a hardware wallet or `eth_signTypedData_v4`;
 * - execution through `execTransaction` with signatures collected separately.
 *
 * ## The batch file
 *
 * ```
 * { version: "1.0", chainId: "<decimal>", createdAt: <ms since epoch>,
 *   meta: { name, description, txBuilderVersion, createdFromSafeAddress, createdFromOwnerAddress, checksum },
 *   transactions: [{ to, value: "<decimal wei>", data, contractMethod?, contractInputsValues? }] }
 * ```
 *
 * Every number is a string (the Transaction Builder refuses a file whose `value` or inputs are JSON
 * numbers: they would lose precision above 2^53). `data` is always the exact calldata the SDK encoded; the
 * Transaction Builder uses `data` whenever it is present, so `contractMethod` / `contractInputsValues` (the
 * decoded call: method name, ABI inputs with `internalType`, and each input's value as a string, tuples as
 * JSON arrays) are there for the people who review the file, and `verifyTxBuilderBatch` checks that they
 * encode to `data`.
 *
 * ## The checksum (as the Transaction Builder computes and checks it)
 *
 * `meta.checksum = keccak256(utf8(serialize(batch')))`, where `batch'` is the batch without `meta.checksum`
 * and with `meta.name` replaced by `null` (so renaming a batch in the app keeps it valid), and `serialize`
 * is the app's own canonical form rather than plain JSON: an array is `[` + its serialized elements joined
 * by `,` + `]`; an object is `{` + `JSON.stringify` of its sorted keys + each value serialized and followed
 * by `,` + `}`; anything else is its `JSON.stringify` (undefined as `null`). E.g. `{ b: 1, a: [true] }` is
 * `{["a","b"][true],1,}`. On import the app recomputes it and, if it differs, warns that the file was
 * modified since it was generated (it still loads it). The algorithm was checked against the Transaction
 * Builder's published test vectors.
 */
import {
  Contract,
  FunctionFragment,
  Interface,
  TypedDataEncoder,
  ZeroAddress,
  getAddress,
  isHexString,
  keccak256,
  solidityPacked,
  toUtf8Bytes,
  type JsonFragment,
  type JsonFragmentType,
  type ParamType,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import { guardedVaultAbi } from "../abi";
import { InvalidInputError, VaultSdkError } from "../errors/base";
import { toSdkError } from "../errors/revert";
import { SAFE_TX_TYPES, packSignatures, type SafeTransaction } from "./safe";
import { vaultInterface, type UnsignedTransaction } from "../clients/transport";
import { requireAddress, requireUint } from "../errors/validate";

/** The batch file format version the Transaction Builder reads. */
export const TX_BUILDER_FILE_VERSION = "1.0";
/** The Transaction Builder release whose format these files follow (written to `meta.txBuilderVersion`). */
export const TX_BUILDER_VERSION = "1.18.2";

/** One ABI input, as the Transaction Builder stores it (`components` for tuples). */
export interface TxBuilderContractInput {
  readonly internalType: string;
  readonly name: string;
  readonly type: string;
  readonly components?: readonly TxBuilderContractInput[];
}

/** The decoded method of a transaction. */
export interface TxBuilderContractMethod {
  readonly inputs: readonly TxBuilderContractInput[];
  readonly name: string;
  readonly payable: boolean;
}

/** One transaction of a batch file. */
export interface TxBuilderTransaction {
  readonly to: string;
  /** Wei, as a decimal string. */
  readonly value: string;
  /** The calldata; `null` when the call is given only by `contractMethod` and `contractInputsValues`. */
  readonly data: string | null;
  readonly contractMethod?: TxBuilderContractMethod | null;
  /** Each input's value as a string (tuples and arrays as JSON arrays of strings). */
  readonly contractInputsValues?: Readonly<Record<string, string>> | null;
}

export interface TxBuilderMeta {
  readonly name: string;
  readonly description: string;
  readonly txBuilderVersion: string;
  readonly createdFromSafeAddress: string;
  readonly createdFromOwnerAddress: string;
  readonly checksum: string;
}

/** A Transaction Builder batch file. */
export interface TxBuilderBatchFile {
  readonly version: string;
  /** Decimal chain id. */
  readonly chainId: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly meta: TxBuilderMeta;
  readonly transactions: readonly TxBuilderTransaction[];
}

const vaultAbi = guardedVaultAbi as readonly JsonFragment[];

/** The serialization the Transaction Builder hashes (see the module doc). Pure. */
export function txBuilderSerialize(json: unknown): string {
  if (Array.isArray(json)) return `[${json.map((e) => txBuilderSerialize(e)).join(",")}]`;
  if (typeof json === "object" && json !== null) {
    const record = json as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${JSON.stringify(keys)}${keys.map((k) => `${txBuilderSerialize(record[k])},`).join("")}}`;
  }
  return json === undefined ? "null" : JSON.stringify(json);
}

/**
 * The checksum of a batch exactly as given (with `meta.name` set to null): what the Transaction Builder
 * writes when it saves a batch. `meta.checksum`, if present, is hashed too, so pass a batch without it
 * (`verifyTxBuilderBatch` does). Pure.
 */
export function txBuilderChecksum<T extends { readonly meta: object }>(batch: T): string {
  return keccak256(toUtf8Bytes(txBuilderSerialize({ ...batch, meta: { ...batch.meta, name: null } })));
}

/** The method and input values of a vault call, as the Transaction Builder describes them; null if `data` is not a vault call. */
export function describeVaultCall(data: string): { contractMethod: TxBuilderContractMethod; contractInputsValues: Record<string, string> } | null {
  let parsed;
  try {
    parsed = vaultInterface.parseTransaction({ data });
  } catch {
    return null;
  }
  if (!parsed) return null;
  const fragment = vaultAbi.find((f) => f.type === "function" && f.name === parsed.name && FunctionFragment.from(f).selector === parsed.selector);
  if (!fragment) return null;
  const inputs = (fragment.inputs ?? []).map(toContractInput);
  const values: Record<string, string> = {};
  parsed.fragment.inputs.forEach((input, i) => (values[input.name] = inputValue(input, parsed.args[i])));
  return { contractMethod: { inputs, name: parsed.name, payable: fragment.stateMutability === "payable" }, contractInputsValues: values };
}

function toContractInput(p: JsonFragmentType): TxBuilderContractInput {
  const input: TxBuilderContractInput = { internalType: p.internalType ?? p.type ?? "", name: p.name ?? "", type: p.type ?? "" };
  return p.components ? { ...input, components: p.components.map(toContractInput) } : input;
}

/** One decoded argument as the Transaction Builder writes it: scalars as strings, tuples/arrays as JSON arrays. */
function inputValue(param: ParamType, value: unknown): string {
  const plain = (p: ParamType, v: unknown): unknown => {
    if (p.isTuple()) return p.components.map((c, i) => plain(c, (v as unknown[])[i]));
    if (p.isArray()) return (v as unknown[]).map((e) => plain(p.arrayChildren, e));
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "boolean") return v ? "true" : "false";
    return String(v);
  };
  const v = plain(param, value);
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * A Transaction Builder batch file for `transactions` (any `UnsignedTransaction`s: guardian or admin
 * actions from `GuardianTransactions` / `AdminTransactions`, or anything else), to be imported by the Safe
 * at `safe` on chain `chainId`. The Transaction Builder proposes several transactions as one MultiSend,
 * so the batch executes all or nothing. Pure (`createdAt` defaults to now).
 */
export function buildTxBuilderBatch(o: {
  readonly chainId: bigint;
  readonly safe: string;
  readonly transactions: readonly UnsignedTransaction[];
  readonly name?: string;
  readonly description?: string;
  /** The owner who prepared the file, if any (`meta.createdFromOwnerAddress`). */
  readonly owner?: string;
  readonly createdAt?: number;
  readonly txBuilderVersion?: string;
}): TxBuilderBatchFile {
  const chainId = requireUint(o.chainId, "chainId");
  if (chainId === 0n) throw new InvalidInputError("chainId", "must not be 0");
  const safe = requireAddress(o.safe, "safe");
  if (o.transactions.length === 0) throw new InvalidInputError("transactions", "a batch needs at least one transaction");
  const createdAt = o.createdAt ?? Date.now();
  if (!Number.isSafeInteger(createdAt) || createdAt < 0) throw new InvalidInputError("createdAt", "expected milliseconds since the epoch");
  const transactions = o.transactions.map((tx, i): TxBuilderTransaction => {
    const to = requireAddress(tx.to, `transactions[${i}].to`);
    const value = requireUint(tx.value, `transactions[${i}].value`).toString();
    if (!isHexString(tx.data)) throw new InvalidInputError(`transactions[${i}].data`, "expected 0x-prefixed hex calldata");
    const data = tx.data.toLowerCase();
    const described = describeVaultCall(data);
    return described ? { to, value, data, ...described } : { to, value, data };
  });
  const meta = {
    name: o.name ?? `Vault ${transactions.map((t) => t.contractMethod?.name ?? "call").join(", ")}`,
    description: o.description ?? "",
    txBuilderVersion: o.txBuilderVersion ?? TX_BUILDER_VERSION,
    createdFromSafeAddress: safe,
    createdFromOwnerAddress: o.owner === undefined ? "" : requireAddress(o.owner, "owner"),
  };
  const batch = { version: TX_BUILDER_FILE_VERSION, chainId: chainId.toString(), createdAt, meta, transactions };
  return { ...batch, meta: { ...meta, checksum: txBuilderChecksum(batch) } };
}

/** The file's text, as the Transaction Builder downloads it. */
export function formatTxBuilderBatch(batch: TxBuilderBatchFile): string {
  return `${JSON.stringify(batch, null, 2)}\n`;
}

/** What `verifyTxBuilderBatch` found. */
export interface TxBuilderVerification {
  /** The checksum recomputed from the file. */
  readonly checksum: string;
  /** Whether it equals `meta.checksum` (the Transaction Builder warns on import when it does not). */
  readonly checksumValid: boolean;
  /** The transactions to execute, with `data` encoded from `contractMethod` where the file has no `data`. */
  readonly transactions: readonly UnsignedTransaction[];
}

/**
 * Checks a batch file (the parsed JSON or its text) against the format: required fields and their types,
 * numbers as strings, addresses, hex data, `contractMethod`/`contractInputsValues` encoding to `data`
 * where both are given, and the checksum. Throws `InvalidInputError` naming the first bad field (e.g.
 * `transactions[1].value`); a checksum mismatch is reported, not thrown. Pure.
 */
export function verifyTxBuilderBatch(file: unknown, options: { chainId?: bigint; safe?: string } = {}): TxBuilderVerification {
  const json: unknown = typeof file === "string" ? parseJson(file) : file;
  const root = record(json, "batch");
  str(root.version, "version");
  const chainId = str(root.chainId, "chainId");
  if (!/^[1-9][0-9]*$/.test(chainId)) throw new InvalidInputError("chainId", `expected a decimal string, got ${JSON.stringify(chainId)}`);
  if (options.chainId !== undefined && BigInt(chainId) !== options.chainId) {
    throw new InvalidInputError("chainId", `the file is for chain ${chainId}, not ${options.chainId}`);
  }
  if (typeof root.createdAt !== "number" || !Number.isSafeInteger(root.createdAt)) throw new InvalidInputError("createdAt", "expected a number of milliseconds");
  const meta = record(root.meta, "meta");
  str(meta.name, "meta.name");
  for (const k of ["description", "txBuilderVersion", "createdFromOwnerAddress"] as const) {
    if (meta[k] !== undefined && meta[k] !== null) str(meta[k], `meta.${k}`);
  }
  if (meta.createdFromSafeAddress !== undefined && meta.createdFromSafeAddress !== null) {
    const safe = requireAddress(str(meta.createdFromSafeAddress, "meta.createdFromSafeAddress"), "meta.createdFromSafeAddress");
    if (options.safe !== undefined && safe !== requireAddress(options.safe, "safe")) {
      throw new InvalidInputError("meta.createdFromSafeAddress", `the file was made for the Safe ${safe}, not ${options.safe}`);
    }
  }
  const checksum = str(meta.checksum, "meta.checksum");
  if (!Array.isArray(root.transactions) || root.transactions.length === 0) throw new InvalidInputError("transactions", "expected a non-empty array");
  const transactions = root.transactions.map((t: unknown, i: number): UnsignedTransaction => {
    const at = `transactions[${i}]`;
    const tx = record(t, at);
    const to = requireAddress(str(tx.to, `${at}.to`), `${at}.to`);
    const valueText = str(tx.value, `${at}.value`);
    if (!/^(0|[1-9][0-9]*)$/.test(valueText)) throw new InvalidInputError(`${at}.value`, `expected a decimal string of wei, got ${JSON.stringify(valueText)}`);
    const value = requireUint(BigInt(valueText), `${at}.value`);
    const data = tx.data === undefined || tx.data === null ? null : str(tx.data, `${at}.data`);
    if (data !== null && !isHexString(data)) throw new InvalidInputError(`${at}.data`, "expected 0x-prefixed hex");
    const method = tx.contractMethod === undefined || tx.contractMethod === null ? null : contractMethodOf(tx.contractMethod, `${at}.contractMethod`);
    const values = tx.contractInputsValues === undefined || tx.contractInputsValues === null ? null : inputsValuesOf(tx.contractInputsValues, `${at}.contractInputsValues`);
    const encoded = method ? encodeContractMethod(method, values ?? {}, at) : null;
    if (data !== null && encoded !== null && encoded.toLowerCase() !== data.toLowerCase()) {
      throw new InvalidInputError(`${at}.contractMethod`, `${method!.name}(...) with contractInputsValues does not encode to data`);
    }
    const calldata = data ?? encoded;
    if (calldata === null) throw new InvalidInputError(`${at}.data`, "a transaction needs data or contractMethod");
    return { to, value, data: calldata };
  });
  const withoutChecksum = { ...root, meta: { ...meta } } as { meta: Record<string, unknown> };
  delete withoutChecksum.meta.checksum;
  const recomputed = txBuilderChecksum(withoutChecksum);
  return { checksum: recomputed, checksumValid: recomputed === checksum, transactions };
}

function contractMethodOf(v: unknown, at: string): TxBuilderContractMethod {
  const m = record(v, at);
  const name = str(m.name, `${at}.name`);
  if (typeof m.payable !== "boolean") throw new InvalidInputError(`${at}.payable`, "expected a boolean");
  if (!Array.isArray(m.inputs)) throw new InvalidInputError(`${at}.inputs`, "expected an array");
  const input = (x: unknown, p: string): TxBuilderContractInput => {
    const r = record(x, p);
    const base = { internalType: r.internalType === undefined ? str(r.type, `${p}.type`) : str(r.internalType, `${p}.internalType`), name: str(r.name, `${p}.name`), type: str(r.type, `${p}.type`) };
    if (r.components === undefined) return base;
    if (!Array.isArray(r.components)) throw new InvalidInputError(`${p}.components`, "expected an array");
    return { ...base, components: r.components.map((c: unknown, j: number) => input(c, `${p}.components[${j}]`)) };
  };
  return { name, payable: m.payable, inputs: m.inputs.map((x: unknown, j: number) => input(x, `${at}.inputs[${j}]`)) };
}

function inputsValuesOf(v: unknown, at: string): Record<string, string> {
  const r = record(v, at);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(r)) out[k] = str(value, `${at}.${k}`);
  return out;
}

/** Encodes a call from the Transaction Builder's description (inputs values as strings). */
function encodeContractMethod(method: TxBuilderContractMethod, values: Readonly<Record<string, string>>, at: string): string {
  let fragment: FunctionFragment;
  try {
    fragment = FunctionFragment.from({ type: "function", name: method.name, inputs: method.inputs, stateMutability: method.payable ? "payable" : "nonpayable" });
  } catch (e) {
    throw new InvalidInputError(`${at}.contractMethod`, `not a valid ABI method: ${(e as Error).message}`);
  }
  const args = fragment.inputs.map((p) => {
    const raw = values[p.name];
    if (raw === undefined) throw new InvalidInputError(`${at}.contractInputsValues.${p.name}`, "missing");
    if (p.isTuple() || p.isArray()) {
      try {
        return fromStrings(p, JSON.parse(raw));
      } catch {
        throw new InvalidInputError(`${at}.contractInputsValues.${p.name}`, `expected a JSON array for ${p.type}`);
      }
    }
    return fromStrings(p, raw);
  });
  try {
    return new Interface([fragment]).encodeFunctionData(fragment, args);
  } catch (e) {
    throw new InvalidInputError(`${at}.contractInputsValues`, `do not encode as ${fragment.format()}: ${(e as Error).message}`);
  }
}

function fromStrings(p: ParamType, v: unknown): unknown {
  if (p.isTuple()) return p.components.map((c, i) => fromStrings(c, (v as unknown[])[i]));
  if (p.isArray()) return (v as unknown[]).map((e) => fromStrings(p.arrayChildren, e));
  if (p.baseType === "bool") return v === true || v === "true";
  return v;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError("batch", `not JSON: ${(e as Error).message}`);
  }
}

function record(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidInputError(field, "expected an object");
  return v as Record<string, unknown>;
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string") throw new InvalidInputError(field, `expected a string, got ${v === null ? "null" : typeof v}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Safe transactions: hash, typed data, MultiSend, execution with collected signatures
// ---------------------------------------------------------------------------------------------------------

/** EIP-712 typed data in the JSON form `eth_signTypedData_v4` and hardware wallets take (numbers as decimal strings). */
export interface SafeTypedDataJson {
  readonly types: {
    readonly EIP712Domain: readonly { name: string; type: string }[];
    readonly SafeTx: readonly { name: string; type: string }[];
  };
  readonly primaryType: "SafeTx";
  readonly domain: { readonly chainId: string; readonly verifyingContract: string };
  readonly message: {
    readonly to: string;
    readonly value: string;
    readonly data: string;
    readonly operation: number;
    readonly safeTxGas: string;
    readonly baseGas: string;
    readonly gasPrice: string;
    readonly gasToken: string;
    readonly refundReceiver: string;
    readonly nonce: string;
  };
}

/** What owners sign for one Safe transaction. */
export interface SafeSigningRequest {
  /** Every field of the Safe transaction (a plain call, or a delegatecall to MultiSendCallOnly for a batch). */
  readonly safeTx: SafeTransaction;
  /** `Safe.getTransactionHash(...)`: what each owner's signature covers. */
  readonly safeTxHash: string;
  /** The EIP-712 typed data of `safeTx`, JSON-ready. */
  readonly typedData: SafeTypedDataJson;
}

/**
 * The Safe transaction hash and EIP-712 typed data of `tx` (an unsigned vault transaction, or the result of
 * `multiSendTransaction`) executed by the Safe at `safe` on chain `chainId` at Safe nonce `nonce` (the
 * Safe's `nonce()` for the next transaction). No refund, no safeTxGas: a failing call reverts the whole
 * `execTransaction`. Pure.
 */
export function safeSigningRequest(o: {
  readonly chainId: bigint;
  readonly safe: string;
  readonly nonce: bigint;
  readonly tx: UnsignedTransaction & { readonly operation?: 0 | 1 };
}): SafeSigningRequest {
  const chainId = requireUint(o.chainId, "chainId");
  const safe = requireAddress(o.safe, "safe");
  const safeTx: SafeTransaction = {
    to: requireAddress(o.tx.to, "tx.to"),
    value: requireUint(o.tx.value, "tx.value"),
    data: o.tx.data,
    operation: o.tx.operation ?? 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: ZeroAddress,
    refundReceiver: ZeroAddress,
    nonce: requireUint(o.nonce, "nonce"),
  };
  if (!isHexString(safeTx.data)) throw new InvalidInputError("tx.data", "expected 0x-prefixed hex calldata");
  const domain = { chainId, verifyingContract: safe };
  const safeTxHash = TypedDataEncoder.hash(domain, SAFE_TX_TYPES, safeTx);
  const typedData: SafeTypedDataJson = {
    types: {
      EIP712Domain: [
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
      ],
      SafeTx: SAFE_TX_TYPES.SafeTx.map((f) => ({ name: f.name, type: f.type })),
    },
    primaryType: "SafeTx",
    domain: { chainId: chainId.toString(), verifyingContract: safe },
    message: {
      to: safeTx.to,
      value: safeTx.value.toString(),
      data: safeTx.data,
      operation: safeTx.operation,
      safeTxGas: "0",
      baseGas: "0",
      gasPrice: "0",
      gasToken: ZeroAddress,
      refundReceiver: ZeroAddress,
      nonce: safeTx.nonce.toString(),
    },
  };
  return { safeTx, safeTxHash, typedData };
}

const multiSendInterface = new Interface(["function multiSend(bytes transactions) payable"]);

/**
 * One Safe transaction that runs `transactions` in order, all or nothing: a delegatecall to
 * `MultiSendCallOnly.multiSend` (what Safe{Wallet} proposes for a Transaction Builder batch). `multiSend`
 * is the MultiSendCallOnly deployment on the Safe's chain. Pure.
 */
export function multiSendTransaction(o: { readonly multiSend: string; readonly transactions: readonly UnsignedTransaction[] }): UnsignedTransaction & { readonly operation: 1 } {
  const multiSend = requireAddress(o.multiSend, "multiSend");
  if (o.transactions.length === 0) throw new InvalidInputError("transactions", "a batch needs at least one transaction");
  const packed = o.transactions.map((tx, i) => {
    if (!isHexString(tx.data)) throw new InvalidInputError(`transactions[${i}].data`, "expected 0x-prefixed hex calldata");
    const length = (tx.data.length - 2) / 2;
    return solidityPacked(
      ["uint8", "address", "uint256", "uint256", "bytes"],
      [0, requireAddress(tx.to, `transactions[${i}].to`), requireUint(tx.value, `transactions[${i}].value`), length, tx.data],
    );
  });
  const data = multiSendInterface.encodeFunctionData("multiSend", [`0x${packed.map((p) => p.slice(2)).join("")}`]);
  return { to: multiSend, value: 0n, data, operation: 1 };
}

/** Decodes `multiSend(bytes)` calldata back into its calls. Pure. */
export function decodeMultiSend(data: string): UnsignedTransaction[] {
  const [packed] = multiSendInterface.decodeFunctionData("multiSend", data) as unknown as [string];
  const bytes = packed.slice(2);
  const out: UnsignedTransaction[] = [];
  for (let i = 0; i < bytes.length; ) {
    const operation = parseInt(bytes.slice(i, i + 2), 16);
    if (operation !== 0) throw new InvalidInputError("data", "MultiSendCallOnly takes calls only");
    const to = getAddress(`0x${bytes.slice(i + 2, i + 42)}`);
    const value = BigInt(`0x${bytes.slice(i + 42, i + 106)}`);
    const length = Number(BigInt(`0x${bytes.slice(i + 106, i + 170)}`));
    out.push({ to, value, data: `0x${bytes.slice(i + 170, i + 170 + 2 * length)}` });
    i += 170 + 2 * length;
  }
  return out;
}

/** An owner's 65-byte ECDSA signature (r, s, v), as `signTypedData` returns it. */
function safeSignature(signature: string, field: string): string {
  if (!isHexString(signature, 65)) throw new InvalidInputError(field, "expected a 65-byte ECDSA signature");
  return signature;
}

/**
 * Executes `safeTx` on `safe` with owner signatures collected separately (each the EIP-712 signature of
 * its `safeTxHash`, from `signTypedData` or `eth_signTypedData_v4` of the request's `typedData`), sent by
 * `executor` (any account). Reads the chain only to send; the Safe checks the signatures and the nonce.
 * Throws the vault's typed error if the call reverts, and `UnrecognizedRevertError` with reason
 * `Error(GS020)` (too few signatures), `Error(GS026)` (not an owner, or out of order), ... if the Safe refuses.
 */
export async function execSignedSafeTransaction(o: {
  readonly safe: string;
  readonly safeTx: SafeTransaction;
  readonly signatures: readonly { readonly owner: string; readonly signature: string }[];
  readonly executor: Signer;
}): Promise<TransactionReceipt> {
  const safe = new Contract(requireAddress(o.safe, "safe"), SAFE_EXEC_ABI, o.executor);
  const s = o.safeTx;
  const signatures = packSignatures(
    o.signatures.map((x, i) => ({ owner: requireAddress(x.owner, `signatures[${i}].owner`), signature: safeSignature(x.signature, `signatures[${i}].signature`) })),
  );
  let receipt: TransactionReceipt | null;
  try {
    const sent = await safe.execTransaction(s.to, s.value, s.data, s.operation, s.safeTxGas, s.baseGas, s.gasPrice, s.gasToken, s.refundReceiver, signatures);
    receipt = await sent.wait();
  } catch (e) {
    // A vault error bubbles up through the Safe (typed); the Safe's own refusals are `Error("GSxxx")`.
    throw toSdkError(e);
  }
  if (!receipt) throw new VaultSdkError("execSignedSafeTransaction: no receipt");
  return receipt;
}

const SAFE_EXEC_ABI = [
  "function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool)",
];
