/**
 * The vault's events, typed from the TypeChain bindings, and decoding of raw logs into them. Pure.
 */
import type { Log } from "ethers";
import type { GuardedVault, TypedContractEvent } from "../abi";
import { vaultInterface } from "../clients/transport";

type Filters = GuardedVault["filters"];

/** Name of an event the vault emits (`Withdrawn`, `TripwireFired`, `ChangeProposed`, ...). */
export type VaultEventName = { [K in keyof Filters]: K extends `${string}(${string}` ? never : K }[keyof Filters] & string;

/** The arguments of one event, by parameter name, as TypeChain types them. */
export type VaultEventArgs<N extends VaultEventName> = Filters[N] extends TypedContractEvent<infer _I, infer _O, infer A> ? A : never;

/** Where a log was emitted. */
export interface EventPosition {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly logIndex: number;
}

/** One decoded vault event. Narrow on `name` to get typed `args`. */
export type VaultEvent = {
  [N in VaultEventName]: { readonly name: N; readonly args: VaultEventArgs<N> } & EventPosition;
}[VaultEventName];

/** One event of a given name. */
export type VaultEventOf<N extends VaultEventName> = Extract<VaultEvent, { name: N }>;

/** Decodes a log of the vault; null if its topic is not one of the vault's events. */
export function decodeVaultLog(log: Log): VaultEvent | null {
  let parsed;
  try {
    parsed = vaultInterface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
  if (!parsed) return null;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => (args[input.name] = parsed.args[i]));
  return {
    name: parsed.name,
    args,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.index,
  } as VaultEvent;
}
