/**
 * The vault's limits, accounting and exposure read from its raw storage (`extsload`) and decoded with
 * the pure policy mirror: the same figures `contracts/lens/VaultLens.sol` computes on-chain, without a
 * lens deployment. The storage slots are those of `contracts/libraries/VaultStorage.sol`; a test checks
 * both against the layout the compiler reports.
 */
import { AbiCoder, concat, dataSlice, getAddress, keccak256, toBeHex, type Provider } from "ethers";
import type { GuardedVault } from "../abi";
import { NATIVE } from "../rules/constants";
import {
  operatorView,
  tokenView,
  unitOf,
  availableNow,
  operatorExposure,
  vaultExposure,
  type Clock,
  type Exposure,
  type OperatorExposureInput,
  type OperatorView,
  type TokenView,
} from "../rules/policy";
import { cosignedView } from "../rules/approval";

/** Storage slots of the vault's state that the SDK decodes (`VaultStorage`; `roles` is AccessControl's `_roles`). */
export const STORAGE_SLOTS = {
  roles: 0n,
  operatorWords: 1n,
  tokenWords: 2n,
  approved: 3n,
  operatorInfo: 4n,
  queue: 5n,
  withdrawals: 6n,
  changes: 7n,
  tokens: 8n,
  operators: 9n,
  tripMax: 13n,
  tripPeriod: 14n,
  cosignedWords: 18n,
  cosignedOnly: 19n,
  approvalsUsed: 20n,
} as const;

/** Byte offsets within their slots of the packed values the SDK decodes (`VaultStorage`). */
export const STORAGE_OFFSETS = {
  tripMax: 28,
  tripPeriod: 0,
  infoRegistered: 0,
  infoSuspended: 1,
  infoOptOut: 2,
  /** OperatorInfo's uint32 generation (how many times the operator was removed). */
  infoGeneration: 23,
  /** A stored withdrawal's uint32 generation, in its second slot after the token. */
  withdrawalGeneration: 20,
} as const;

const coder = AbiCoder.defaultAbiCoder();
const MASK_40 = (1n << 40n) - 1n;

/** Slot of `mapping(address => T)` at `slot` for `key`. */
export const mappingSlot = (slot: bigint | string, key: string): string =>
  keccak256(coder.encode(["address", typeof slot === "bigint" ? "uint256" : "bytes32"], [key, slot]));

/** Slot of `mapping(uint256 => T)` at `slot` for `key`. */
export const uintMappingSlot = (slot: bigint, key: bigint): string => keccak256(coder.encode(["uint256", "uint256"], [key, slot]));

/** Slot of `mapping(address => mapping(address => T))` at `slot` for `key1`, then `key2`. */
export const nestedSlot = (slot: bigint, key1: string, key2: string): string => mappingSlot(mappingSlot(slot, key1), key2);

/** Slot of `mapping(bytes32 => T)` at `slot` for `key`. */
export const bytes32Slot = (slot: bigint, key: string): string => keccak256(coder.encode(["bytes32", "uint256"], [key, slot]));

/** Slot of AccessControl's `_roles[role].hasRole[account]`. */
export const roleSlot = (role: string, account: string): string => mappingSlot(bytes32Slot(STORAGE_SLOTS.roles, role), account);

/** One operator's words and queue account for one token, as stored. */
export interface OperatorWords {
  readonly opWord: bigint;
  readonly tokenWord: bigint;
  /** The operator's co-signed limiter for the token: the same layout as the op word's limiter, its cap the co-signed cap. */
  readonly cosignedWord: bigint;
  readonly queueCap: bigint;
  readonly pendingQueued: bigint;
}

/** `VaultLens.operatorState(operator, token)`, computed from storage. */
export interface OperatorState extends OperatorView {
  readonly queueCap: bigint;
  readonly pendingQueued: bigint;
  /** Most the co-signed paths may move in any window (0: none). */
  readonly cosignedCap: bigint;
  /** What the co-signed paths moved in the current window. */
  readonly cosignedUsed: bigint;
  /** What the co-signed paths may still move now. */
  readonly cosignedAvailable: bigint;
}

/** `tokenState(token)` of IGuardedVault v1, now computed from storage. */
export interface TokenState extends TokenView {
  readonly balance: bigint;
}

interface ReadAt {
  readonly blockTag?: number | string;
}

/** Reads the operator's, the token's and the operator's co-signed words and its queue account (one call). */
export async function readOperatorWords(vault: GuardedVault, operator: string, token: string, at: ReadAt = {}): Promise<OperatorWords> {
  const [op, tk, queue, cosigned] = await vault.extsload(
    [
      nestedSlot(STORAGE_SLOTS.operatorWords, operator, token),
      mappingSlot(STORAGE_SLOTS.tokenWords, token),
      nestedSlot(STORAGE_SLOTS.queue, operator, token),
      nestedSlot(STORAGE_SLOTS.cosignedWords, operator, token),
    ],
    { blockTag: at.blockTag },
  );
  // The queue cap is kept in units (40 bits), the pending total in base units above it.
  const q = BigInt(queue);
  return { opWord: BigInt(op), tokenWord: BigInt(tk), cosignedWord: BigInt(cosigned), queueCap: (q & MASK_40) * unitOf(BigInt(tk)), pendingQueued: q >> 40n };
}

/** Reads the token's word. */
export async function readTokenWord(vault: GuardedVault, token: string, at: ReadAt = {}): Promise<bigint> {
  const [word] = await vault.extsload([mappingSlot(STORAGE_SLOTS.tokenWords, token)], { blockTag: at.blockTag });
  return BigInt(word);
}

const slotAt = (base: string | bigint, i: bigint): string => toBeHex(BigInt(base) + i, 32);
const byteAt = (word: bigint, offset: number): bigint => (word >> BigInt(offset * 8)) & 0xffn;
const uint32At = (word: bigint, offset: number): bigint => (word >> BigInt(offset * 8)) & 0xffffffffn;
const addressOf = (word: bigint): string => getAddress(toBeHex(word & ((1n << 160n) - 1n), 20));

/** Reads raw storage words of the vault (`extsload`), in order. */
export async function readWords(vault: GuardedVault, slots: readonly (string | bigint)[], at: ReadAt = {}): Promise<bigint[]> {
  if (slots.length === 0) return [];
  const words = await vault.extsload(
    slots.map((s) => (typeof s === "bigint" ? toBeHex(s, 32) : s)),
    { blockTag: at.blockTag },
  );
  return words.map((w) => BigInt(w));
}

/** Element slots read together with a list's length, so that a short list costs one call. */
const LIST_GUESS = 8;

/**
 * A storage `address[]`: its length word and its first LIST_GUESS element slots in one call (the rest, for
 * a longer list, in a second one).
 */
async function readAddressArray(vault: GuardedVault, slot: bigint, at: ReadAt): Promise<string[]> {
  const first = keccak256(toBeHex(slot, 32));
  const element = (i: number) => slotAt(first, BigInt(i));
  const [length, ...words] = await readWords(vault, [slot, ...Array.from({ length: LIST_GUESS }, (_, i) => element(i))], at);
  const n = Number(length);
  if (n > LIST_GUESS) words.push(...(await readWords(vault, Array.from({ length: n - LIST_GUESS }, (_, i) => element(LIST_GUESS + i)), at)));
  return words.slice(0, n).map(addressOf);
}

/** The listed tokens, in listing order (what `tokens()` of IGuardedVault v1 returned). */
export function readTokens(vault: GuardedVault, at: ReadAt = {}): Promise<string[]> {
  return readAddressArray(vault, STORAGE_SLOTS.tokens, at);
}

/** The vault's operators (what `operators()` of IGuardedVault v1 returned). */
export function readOperators(vault: GuardedVault, at: ReadAt = {}): Promise<string[]> {
  return readAddressArray(vault, STORAGE_SLOTS.operators, at);
}

/** The tripwire's rate rule (maxCount 0: off). */
export interface TripwireSettings {
  readonly maxCount: bigint;
  readonly period: bigint;
}

/** The tripwire's rate rule as stored. */
export async function readTripwire(vault: GuardedVault, at: ReadAt = {}): Promise<TripwireSettings> {
  const [maxWord, periodWord] = await readWords(vault, [STORAGE_SLOTS.tripMax, STORAGE_SLOTS.tripPeriod], at);
  return {
    maxCount: byteAt(maxWord, STORAGE_OFFSETS.tripMax),
    period: (periodWord >> BigInt(STORAGE_OFFSETS.tripPeriod * 8)) & 0xffffffffn,
  };
}

/** An operator's record: whether it is an operator, suspended, opted out of the tripwire. */
export interface OperatorRecord {
  readonly registered: boolean;
  readonly suspended: boolean;
  readonly tripwireOptedOut: boolean;
  /** How many times the operator was removed (its destinations and queued withdrawals carry it). */
  readonly generation: bigint;
}

/** The operator's record as stored. */
export async function readOperatorRecord(vault: GuardedVault, operator: string, at: ReadAt = {}): Promise<OperatorRecord> {
  const [word] = await readWords(vault, [mappingSlot(STORAGE_SLOTS.operatorInfo, operator)], at);
  return {
    registered: byteAt(word, STORAGE_OFFSETS.infoRegistered) !== 0n,
    suspended: byteAt(word, STORAGE_OFFSETS.infoSuspended) !== 0n,
    tripwireOptedOut: byteAt(word, STORAGE_OFFSETS.infoOptOut) !== 0n,
    generation: uint32At(word, STORAGE_OFFSETS.infoGeneration),
  };
}

/** A queued withdrawal as stored (all zero for an unused id). */
export interface StoredWithdrawal {
  readonly operator: string;
  readonly eta: bigint;
  readonly status: bigint;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
}

/**
 * A queued withdrawal (`VaultLens.getWithdrawal`): one that was pending when its operator was removed
 * reads as Cancelled (status 3).
 */
export async function readWithdrawal(vault: GuardedVault, id: bigint, at: ReadAt = {}): Promise<StoredWithdrawal> {
  return (await readWithdrawals(vault, [id], at))[0];
}

/** Most withdrawals read in one `extsload` call: 4 cold slots each, far below a node's `eth_call` gas cap. */
const WITHDRAWALS_PER_CALL = 500;

/**
 * Many queued withdrawals (as `readWithdrawal`) in a few calls: their slots WITHDRAWALS_PER_CALL at a time,
 * then the records of the operators of the pending ones (for the generation check) in one more.
 */
export async function readWithdrawals(vault: GuardedVault, ids: readonly bigint[], at: ReadAt = {}): Promise<StoredWithdrawal[]> {
  const chunks: bigint[][] = [];
  for (let i = 0; i < ids.length; i += WITHDRAWALS_PER_CALL) {
    const slots = ids.slice(i, i + WITHDRAWALS_PER_CALL).flatMap((id) => {
      const base = uintMappingSlot(STORAGE_SLOTS.withdrawals, id);
      return [0n, 1n, 2n, 3n].map((k) => slotAt(base, k));
    });
    chunks.push(await readWords(vault, slots, at));
  }
  const words = chunks.flat();
  const stored = ids.map((_, k) => {
    const [head, token, to, amount] = words.slice(4 * k, 4 * k + 4);
    return {
      operator: addressOf(head),
      eta: (head >> 160n) & ((1n << 64n) - 1n),
      status: (head >> 224n) & 0xffn,
      token: addressOf(token),
      generation: uint32At(token, STORAGE_OFFSETS.withdrawalGeneration),
      to: addressOf(to),
      amount,
    };
  });
  const operators = [...new Set(stored.filter((w) => w.status === 1n).map((w) => w.operator))];
  const records = await readWords(vault, operators.map((o) => mappingSlot(STORAGE_SLOTS.operatorInfo, o)), at);
  const generationOf = new Map(operators.map((o, k) => [o, uint32At(records[k], STORAGE_OFFSETS.infoGeneration)]));
  return stored.map(({ generation, ...w }) => ({
    ...w,
    // Pending but queued in an earlier generation of its operator: its removal cancelled it.
    status: w.status === 1n && generation !== generationOf.get(w.operator) ? 3n : w.status,
  }));
}

/** A proposed change as stored (all zero for an unused id). */
export interface StoredChange {
  readonly kind: bigint;
  readonly status: bigint;
  readonly eta: bigint;
  readonly params: string;
}

/** A proposed change (`getChange(id)` of IGuardedVault v1), with its ABI-encoded params. */
export async function readChange(vault: GuardedVault, id: bigint, at: ReadAt = {}): Promise<StoredChange> {
  const base = uintMappingSlot(STORAGE_SLOTS.changes, id);
  const [head, paramsHead] = await readWords(vault, [base, slotAt(base, 1n)], at);
  let params: string;
  if ((paramsHead & 1n) === 0n) {
    // Under 32 bytes: kept in the length word itself, whose lowest byte is 2 * length.
    const length = Number((paramsHead & 0xffn) / 2n);
    params = dataSlice(toBeHex(paramsHead, 32), 0, length);
  } else {
    const length = Number((paramsHead - 1n) / 2n);
    const first = keccak256(slotAt(base, 1n));
    const words = await readWords(vault, Array.from({ length: Math.ceil(length / 32) }, (_, i) => slotAt(first, BigInt(i))), at);
    params = dataSlice(concat(words.map((w) => toBeHex(w, 32))), 0, length);
  }
  return { kind: head & 0xffn, status: (head >> 8n) & 0xffn, eta: (head >> 16n) & ((1n << 64n) - 1n), params };
}

/** The vault's balance of `token` (or ETH for `NATIVE`); 0 if the token's `balanceOf` fails. */
export async function readVaultBalance(provider: Provider, vault: string, token: string, at: ReadAt = {}): Promise<bigint> {
  if (token.toLowerCase() === NATIVE.toLowerCase()) return provider.getBalance(vault, at.blockTag);
  const data = "0x70a08231" + coder.encode(["address"], [vault]).slice(2);
  try {
    const out = await provider.call({ to: token, data, blockTag: at.blockTag });
    return out.length >= 66 ? BigInt(out.slice(0, 66)) : 0n;
  } catch {
    return 0n;
  }
}

async function clockAndTime(vault: GuardedVault, provider: Provider, at: ReadAt): Promise<{ clock: Clock; timestamp: bigint }> {
  const [start, window, block] = await Promise.all([
    vault.clockStart({ blockTag: at.blockTag }),
    vault.window({ blockTag: at.blockTag }),
    provider.getBlock(at.blockTag ?? "latest"),
  ]);
  if (!block) throw new Error(`block ${String(at.blockTag)} not found`);
  return { clock: { start, bucket: window / 3n }, timestamp: BigInt(block.timestamp) };
}

function providerOf(vault: GuardedVault): Provider {
  const provider = vault.runner?.provider;
  if (!provider) throw new Error("the vault contract needs a runner with a provider");
  return provider;
}

/** Limits and accounting of `operator` for `token` at a block (default latest); zero limits if not listed. */
export async function readOperatorState(vault: GuardedVault, operator: string, token: string, at: ReadAt = {}): Promise<OperatorState> {
  const [w, time, record] = await Promise.all([readOperatorWords(vault, operator, token, at), clockAndTime(vault, providerOf(vault), at), readOperatorRecord(vault, operator, at)]);
  return {
    ...operatorView({ ...time, opWord: w.opWord, tokenWord: w.tokenWord, suspended: record.suspended }),
    queueCap: w.queueCap,
    pendingQueued: w.pendingQueued,
    ...cosignedView({ ...time, cosignedWord: w.cosignedWord, tokenWord: w.tokenWord }),
  };
}

/** Vault-wide limits and accounting of `token` at a block (default latest), with the vault's balance. */
export async function readTokenState(vault: GuardedVault, token: string, at: ReadAt = {}): Promise<TokenState> {
  const provider = providerOf(vault);
  const address = await vault.getAddress();
  const [tokenWord, time, balance] = await Promise.all([readTokenWord(vault, token, at), clockAndTime(vault, provider, at), readVaultBalance(provider, address, token, at)]);
  return { ...tokenView({ ...time, tokenWord }), balance };
}

/** What `operator` can withdraw of `token` instantly at a block (the lens's `availableNow`). */
export async function readAvailableNow(vault: GuardedVault, operator: string, token: string, at: ReadAt = {}): Promise<bigint> {
  const provider = providerOf(vault);
  const address = await vault.getAddress();
  const [w, time, paused, balance, record] = await Promise.all([
    readOperatorWords(vault, operator, token, at),
    clockAndTime(vault, provider, at),
    vault.paused({ blockTag: at.blockTag }),
    readVaultBalance(provider, address, token, at),
    readOperatorRecord(vault, operator, at),
  ]);
  return availableNow({ ...time, opWord: w.opWord, tokenWord: w.tokenWord, paused, suspended: record.suspended, balance });
}

/** Exposure of every operator of `token` and of the vault, for each horizon, at one block. */
export async function readTokenExposure(
  vault: GuardedVault,
  token: string,
  horizons: readonly bigint[],
  at: ReadAt = {},
): Promise<{ operators: { operator: string; bounds: Exposure[] }[]; vault: Exposure[] }> {
  const provider = providerOf(vault);
  const address = await vault.getAddress();
  const [operators, paused, window, delay, balance, tokenWord] = await Promise.all([
    readOperators(vault, at),
    vault.paused({ blockTag: at.blockTag }),
    vault.window({ blockTag: at.blockTag }),
    vault.withdrawalDelay({ blockTag: at.blockTag }),
    readVaultBalance(provider, address, token, at),
    readTokenWord(vault, token, at),
  ]);
  const inputs: OperatorExposureInput[] = await Promise.all(
    operators.map(async (operator) => {
      const [w, record] = await Promise.all([readOperatorWords(vault, operator, token, at), readOperatorRecord(vault, operator, at)]);
      return { opWord: w.opWord, cosignedWord: w.cosignedWord, queueCap: w.queueCap, pendingQueued: w.pendingQueued, suspended: record.suspended };
    }),
  );
  const common = { tokenWord, paused, window, withdrawalDelay: BigInt(delay), balance };
  return {
    operators: operators.map((operator, i) => ({
      operator,
      bounds: horizons.map((horizon) => operatorExposure({ ...common, operator: inputs[i], horizon })),
    })),
    vault: horizons.map((horizon) => vaultExposure({ ...common, operators: inputs, horizon })),
  };
}
