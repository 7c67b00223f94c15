/**
 * The vault's limits, accounting and exposure read from its raw storage (`extsload`) and decoded with
 * the pure policy mirror: the same figures `contracts/lens/VaultLens.sol` computes on-chain, without a
 * lens deployment. The storage slots are those of `contracts/libraries/VaultStorage.sol`; a test checks
 * both against the layout the compiler reports.
 */
import { AbiCoder, keccak256, type Provider } from "ethers";
import type { GuardedVault } from "../abi";
import { NATIVE } from "../rules/constants";
import {
  operatorView,
  tokenView,
  availableNow,
  operatorExposure,
  vaultExposure,
  type Clock,
  type Exposure,
  type OperatorExposureInput,
  type OperatorView,
  type TokenView,
} from "../rules/policy";

/** Storage slots of the vault's mappings (`VaultStorage`; `roles` is AccessControl's `_roles`). */
export const STORAGE_SLOTS = {
  roles: 0n,
  operatorWords: 1n,
  tokenWords: 2n,
  operatorInfo: 4n,
  queue: 5n,
  withdrawals: 6n,
  cosignedWords: 18n,
  cosignedOnly: 19n,
  approvalsUsed: 20n,
} as const;

const coder = AbiCoder.defaultAbiCoder();
const MASK_128 = (1n << 128n) - 1n;

/** Slot of `mapping(address => T)` at `slot` for `key`. */
export const mappingSlot = (slot: bigint | string, key: string): string =>
  keccak256(coder.encode(["address", typeof slot === "bigint" ? "uint256" : "bytes32"], [key, slot]));

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
  readonly queueCap: bigint;
  readonly pendingQueued: bigint;
}

/** `operatorState(operator, token)` of IGuardedVault v1, now computed from storage. */
export interface OperatorState extends OperatorView {
  readonly queueCap: bigint;
  readonly pendingQueued: bigint;
}

/** `tokenState(token)` of IGuardedVault v1, now computed from storage. */
export interface TokenState extends TokenView {
  readonly balance: bigint;
}

interface ReadAt {
  readonly blockTag?: number | string;
}

/** Reads the operator's and the token's words and the operator's queue account (one call). */
export async function readOperatorWords(vault: GuardedVault, operator: string, token: string, at: ReadAt = {}): Promise<OperatorWords> {
  const [op, tk, queue] = await vault.extsload(
    [nestedSlot(STORAGE_SLOTS.operatorWords, operator, token), mappingSlot(STORAGE_SLOTS.tokenWords, token), nestedSlot(STORAGE_SLOTS.queue, operator, token)],
    { blockTag: at.blockTag },
  );
  const q = BigInt(queue);
  return { opWord: BigInt(op), tokenWord: BigInt(tk), queueCap: q & MASK_128, pendingQueued: q >> 128n };
}

/** Reads the token's word. */
export async function readTokenWord(vault: GuardedVault, token: string, at: ReadAt = {}): Promise<bigint> {
  const [word] = await vault.extsload([mappingSlot(STORAGE_SLOTS.tokenWords, token)], { blockTag: at.blockTag });
  return BigInt(word);
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
  const [w, time] = await Promise.all([readOperatorWords(vault, operator, token, at), clockAndTime(vault, providerOf(vault), at)]);
  return { ...operatorView({ ...time, opWord: w.opWord, tokenWord: w.tokenWord }), queueCap: w.queueCap, pendingQueued: w.pendingQueued };
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
  const [w, time, paused, balance] = await Promise.all([
    readOperatorWords(vault, operator, token, at),
    clockAndTime(vault, provider, at),
    vault.paused({ blockTag: at.blockTag }),
    readVaultBalance(provider, address, token, at),
  ]);
  return availableNow({ ...time, opWord: w.opWord, tokenWord: w.tokenWord, paused, suspended: (w.opWord >> 255n) === 1n, balance });
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
    vault.operators({ blockTag: at.blockTag }),
    vault.paused({ blockTag: at.blockTag }),
    vault.window({ blockTag: at.blockTag }),
    vault.withdrawalDelay({ blockTag: at.blockTag }),
    readVaultBalance(provider, address, token, at),
    readTokenWord(vault, token, at),
  ]);
  const inputs: OperatorExposureInput[] = await Promise.all(
    operators.map(async (operator) => {
      const [w, suspended] = await Promise.all([readOperatorWords(vault, operator, token, at), vault.isSuspended(operator, { blockTag: at.blockTag })]);
      return { opWord: w.opWord, queueCap: w.queueCap, pendingQueued: w.pendingQueued, suspended };
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
