/**
 * Constants and enums of the vault, as declared in `contracts/interfaces/IGuardedVault.sol` and
 * `contracts/GuardedVault.sol`. Enums are exposed as string names; `*_FROM_INDEX` style helpers convert
 * the numbers the chain uses.
 */

/** Sentinel address that stands for ETH (`NATIVE()` on the vault). */
export const NATIVE = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";

/** `keccak256("GUARDIAN_ROLE")`, the vault's guardian role id. */
export const GUARDIAN_ROLE = "0x55435dd261a4b9b3364963f7738a7a662ad9c84396d64be3365284bb7f0a5041";

/** How long after its eta a change or queued withdrawal can still be executed (`GRACE_PERIOD`). */
export const GRACE_PERIOD = 14n * 24n * 3600n;

/** Most tokens a vault lists (`MAX_TOKENS`). */
export const MAX_TOKENS = 32;
/** Most operators a vault has (`MAX_OPERATORS`). */
export const MAX_OPERATORS = 64;
/** Shortest and longest change or withdrawal delay, in seconds. */
export const MIN_DELAY = 3600n;
export const MAX_DELAY = 30n * 24n * 3600n;
/** Largest tripwire max count (`MAX_TRIP_COUNT`). */
export const MAX_TRIP_COUNT = 126;
/** Longest tripwire period in seconds (`MAX_TRIP_PERIOD`, 28 bits). */
export const MAX_TRIP_PERIOD = (1n << 28n) - 1n;
/** Largest unitDecimals (`MAX_UNIT_DECIMALS`): every limit, queue caps included, is a whole number of units below 2^36. */
export const MAX_UNIT_DECIMALS = 54;
/** Shortest and longest rate-limit window, in seconds (`MIN_WINDOW`, `MAX_WINDOW`). */
export const MIN_WINDOW = 3600n;
export const MAX_WINDOW = 30n * 24n * 3600n;
/** Fewest guardians a vault has (`MIN_GUARDIANS`). */
export const MIN_GUARDIANS = 2;

/** `IGuardedVault.ChangeKind`, in declaration order (the index is the on-chain value). */
export const CHANGE_KINDS = [
  "SetOperatorLimits",
  "ApproveDestination",
  "ListToken",
  "SetVaultCap",
  "Unpause",
  "UnsuspendOperator",
  "SetRecovery",
  "SetDelays",
  "AddGuardian",
  "RemoveGuardian",
  "TransferAdmin",
  "SetTripwire",
  "SetTripwireOptOut",
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** `IGuardedVault.Status`, in declaration order. */
export const STATUSES = ["None", "Pending", "Executed", "Cancelled"] as const;
export type Status = (typeof STATUSES)[number];

/** `IGuardedVault.TripReason`, in declaration order. */
export const TRIP_REASONS = [
  "DestinationNotApproved",
  "TokenNotAllowed",
  "InstantLimitExceeded",
  "CapExceeded",
  "RateExceeded",
  "QueueCapExceeded",
] as const;
export type TripReason = (typeof TRIP_REASONS)[number];

function fromIndex<T extends readonly string[]>(names: T, what: string, value: bigint | number): T[number] {
  const i = Number(value);
  const name = names[i];
  if (!Number.isInteger(i) || name === undefined) throw new RangeError(`unknown ${what} ${value}`);
  return name;
}

/** The on-chain number of a change kind. */
export const changeKindIndex = (kind: ChangeKind): number => CHANGE_KINDS.indexOf(kind);
/** The change kind of an on-chain number. */
export const changeKindOf = (value: bigint | number): ChangeKind => fromIndex(CHANGE_KINDS, "ChangeKind", value);
/** The status of an on-chain number. */
export const statusOf = (value: bigint | number): Status => fromIndex(STATUSES, "Status", value);
/** The on-chain number of a trip reason. */
export const tripReasonIndex = (reason: TripReason): number => TRIP_REASONS.indexOf(reason);
/** The trip reason of an on-chain number. */
export const tripReasonOf = (value: bigint | number): TripReason => fromIndex(TRIP_REASONS, "TripReason", value);
