/**
 * The vault's rules as pure functions over the two packed words the instant path reads
 * (`policyWords(operator, token)`), mirroring `contracts/GuardedVault.sol` and
 * `contracts/libraries/RateLimit.sol` operation for operation, so that an off-chain caller reaches the
 * same decision, the same error arguments and the same next words as the contract, bit for bit.
 *
 * Nothing here touches the network, a clock or any global state: time is always a parameter (a block
 * timestamp), and every function returns new values instead of changing its inputs. Amounts in words
 * are in *units* of the token (10**unitDecimals base units); amounts in and out of the `check*` and
 * `*View` functions are in base units, like the contract's external interface.
 */
import { GRACE_PERIOD, STATUSES, type Status, type TripReason } from "./constants";
import type { VaultErrorData } from "../errors/base";

// -------------------------------------------------------------------------------------------------
// Bit layout (RateLimit.sol for the low 212 bits, GuardedVault.sol above them)
// -------------------------------------------------------------------------------------------------

const U256 = (1n << 256n) - 1n;
/** Buckets in the ring. */
export const BUCKETS = 4n;
/** Bits of one bucket, of a cap and of an instant limit (in units). */
export const AMOUNT_BITS = 36n;
/** Largest amount of units a bucket, cap or instant limit holds. */
export const AMOUNT_MASK = (1n << AMOUNT_BITS) - 1n;
const RING_BITS = AMOUNT_BITS * BUCKETS;
const RING_MASK = (1n << RING_BITS) - 1n;
const LAST_SHIFT = RING_BITS;
const LAST_MASK = (1n << 32n) - 1n;
const CAP_SHIFT = LAST_SHIFT + 32n;
const STATE_MASK = (1n << CAP_SHIFT) - 1n;

const INSTANT_SHIFT = 212n;
const COUNT_SHIFT = 248n;
const COUNT_MASK = 0x7fn;
/** The HELD bit: the instant path reads the operator's record (suspended, or removed and added again). */
const HELD = 1n << 255n;

const UNIT_SHIFT = 212n;
const TRIP_MAX_SHIFT = 219n;
const TRIP_PERIOD_SHIFT = 226n;
const SEVEN_BITS = 0x7fn;
const TRIP_PERIOD_MASK = (1n << 28n) - 1n;
const PAUSED = 1n << 254n;
const LISTED = 1n << 255n;

// -------------------------------------------------------------------------------------------------
// Types
// -------------------------------------------------------------------------------------------------

/** The limiter's clock: its origin (`clockStart()`) and bucket length (`window() / 3`), in seconds. */
export interface Clock {
  readonly start: bigint;
  readonly bucket: bigint;
}

/** Ring of four buckets in units; index 0 holds the bucket of `last`, index i the one i buckets older. */
export type Ring = readonly [bigint, bigint, bigint, bigint];

/** An operator's word for one token, decoded (amounts in units, `last` in seconds since clockStart). */
export interface OperatorWord {
  readonly ring: Ring;
  readonly last: bigint;
  readonly cap: bigint;
  readonly instantLimit: bigint;
  /** Instant withdrawals counted in the tripwire period of `last`. */
  readonly count: bigint;
  readonly suspended: boolean;
}

/** A token's word, decoded (amounts in units, `last` in seconds since clockStart). */
export interface TokenWord {
  readonly ring: Ring;
  readonly last: bigint;
  /** Vault-wide cap in units. */
  readonly cap: bigint;
  readonly unitDecimals: number;
  readonly tripwireMaxCount: number;
  readonly tripwirePeriod: bigint;
  readonly paused: boolean;
  readonly listed: boolean;
}

/** A rejected call: either the tripwire fires (the call succeeds, moves nothing and suspends the
 * operator) or the call reverts with `error`. `breach` names the policy rule broken, if any; an operator
 * that opted out of the tripwire gets a revert where others would trip. */
export type Rejection =
  | { readonly ok: false; readonly effect: "trip"; readonly breach: TripReason; readonly error: VaultErrorData }
  | { readonly ok: false; readonly effect: "revert"; readonly breach: TripReason | null; readonly error: VaultErrorData };

/** What both withdrawal paths (`withdrawInstant`, `queueWithdrawal`) read, as the contract holds it. */
export interface WithdrawalInput {
  /** Timestamp of the block the call executes in. */
  readonly timestamp: bigint;
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  readonly opWord: bigint;
  readonly tokenWord: bigint;
  /** `isApproved(operator, to)`. */
  readonly approved: boolean;
  /** Whether the operator ever had limits (it is in `operators()`). */
  readonly registered: boolean;
  /** `isTripwireOptedOut(operator)`. */
  readonly tripwireOptedOut: boolean;
  /** `isSuspended(operator)`: needed for a token the operator has no limits for, whose word does not
   * carry the HELD bit (the vault then refuses with OperatorIsSuspended, not a trip), and for an operator
   * that was removed and added again, whose words always carry it. Omitted: the HELD bit decides. */
  readonly suspended?: boolean;
}

/** Everything `withdrawInstant` reads. */
export interface InstantInput extends WithdrawalInput {
  readonly clock: Clock;
}

/** The result of an instant withdrawal: moved funds (with the words as the contract writes them), or a rejection. */
export type InstantCheck =
  | { readonly ok: true; readonly units: bigint; readonly opWord: bigint; readonly tokenWord: bigint }
  | Rejection;

/** Everything `queueWithdrawal` reads. */
export interface QueueInput extends WithdrawalInput {
  /** `isSuspended(operator)`. */
  readonly suspended: boolean;
  /** Queue cap and pending queued total of the operator for the token, in base units. */
  readonly queueCap: bigint;
  readonly pending: bigint;
  /** `withdrawalDelay()`. */
  readonly withdrawalDelay: bigint;
}

/** The result of queueing: the new pending total and the eta, or a rejection. */
export type QueueCheck = { readonly ok: true; readonly pending: bigint; readonly eta: bigint } | Rejection;

/** A queued withdrawal as `getWithdrawal(id)` returns it. */
export interface QueuedWithdrawalData {
  readonly operator: string;
  readonly eta: bigint;
  readonly status: Status;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
}

/** Everything `executeWithdrawal` checks before sending. */
export interface ExecuteInput {
  readonly id: bigint;
  readonly caller: string;
  readonly withdrawal: QueuedWithdrawalData;
  readonly timestamp: bigint;
  readonly paused: boolean;
  /** Whether the withdrawal's operator is suspended. */
  readonly suspended: boolean;
  /** Whether the withdrawal's destination is approved for its operator. */
  readonly approved: boolean;
}

export type ExecuteCheck = { readonly ok: true } | { readonly ok: false; readonly effect: "revert"; readonly breach: null; readonly error: VaultErrorData };

/** Limits and accounting of an operator for a token, in base units (`operatorState` without the queue fields). */
export interface OperatorView {
  readonly cap: bigint;
  readonly instantLimit: bigint;
  readonly used: bigint;
  readonly available: bigint;
  /** Timestamp at which some counted outflow stops counting (0 if none). */
  readonly nextRelease: bigint;
  readonly suspended: boolean;
}

/** Vault-wide limits and accounting of a token, in base units (`tokenState` without the balance). */
export interface TokenView {
  readonly listed: boolean;
  readonly unitDecimals: number;
  readonly vaultCap: bigint;
  readonly used: bigint;
  readonly available: bigint;
  readonly nextRelease: bigint;
}

// -------------------------------------------------------------------------------------------------
// Limiter (RateLimit.sol)
// -------------------------------------------------------------------------------------------------

/** The cap field of a limiter word, in units. */
export const capOf = (word: bigint): bigint => (word >> CAP_SHIFT) & AMOUNT_MASK;

/** The `last` field of a limiter word (seconds since clockStart). */
export const lastOf = (word: bigint): bigint => (word >> LAST_SHIFT) & LAST_MASK;

/** The word with its cap replaced (`cap` in units, at most 36 bits). */
export const withCap = (word: bigint, cap: bigint): bigint =>
  (word & ~(AMOUNT_MASK << CAP_SHIFT)) | ((cap << CAP_SHIFT) & U256);

/** The ring as seen at `nowT`: buckets that left the window are dropped. */
export function advance(word: bigint, nowT: bigint, bucketLen: bigint): bigint {
  // The contract subtracts unchecked: time running backwards would wrap to a huge count, i.e. an empty ring.
  const elapsed = nowT / bucketLen - lastOf(word) / bucketLen;
  if (elapsed < 0n || elapsed >= BUCKETS) return 0n;
  return (word << (elapsed * AMOUNT_BITS)) & RING_MASK;
}

/** Total counted in a ring. */
export const ringSum = (ring: bigint): bigint =>
  (ring & AMOUNT_MASK) +
  ((ring >> AMOUNT_BITS) & AMOUNT_MASK) +
  ((ring >> (2n * AMOUNT_BITS)) & AMOUNT_MASK) +
  ((ring >> (3n * AMOUNT_BITS)) & AMOUNT_MASK);

/** Records `units` at `nowT` if they fit the cap (`updated` is meaningful only if `ok`). */
export function consume(
  word: bigint,
  nowT: bigint,
  bucketLen: bigint,
  units: bigint,
): { updated: bigint; used: bigint; ok: boolean } {
  const ring = advance(word, nowT, bucketLen);
  const used = ringSum(ring);
  const cap = capOf(word);
  const ok = used <= cap && units <= cap - used;
  const updated = (word & ~STATE_MASK & U256) | ((nowT << LAST_SHIFT) & U256) | ((ring + units) & U256);
  return { updated, used, ok };
}

/** Outflow counted at `nowT`, in units. */
export const usedAt = (word: bigint, nowT: bigint, bucketLen: bigint): bigint => ringSum(advance(word, nowT, bucketLen));

/** What the cap still admits at `nowT`, in units. */
export function availableAt(word: bigint, nowT: bigint, bucketLen: bigint): bigint {
  const used = usedAt(word, nowT, bucketLen);
  const cap = capOf(word);
  return used >= cap ? 0n : cap - used;
}

/** Time (seconds since clockStart) at which the oldest counted outflow stops counting; 0 if none. */
export function nextReleaseAt(word: bigint, nowT: bigint, bucketLen: bigint): bigint {
  const ring = advance(word, nowT, bucketLen);
  if (ring === 0n) return 0n;
  const oldest = BigInt(ring.toString(2).length - 1) / AMOUNT_BITS;
  return (nowT / bucketLen + BUCKETS - oldest) * bucketLen;
}

// -------------------------------------------------------------------------------------------------
// Word fields (GuardedVault.sol)
// -------------------------------------------------------------------------------------------------

/** One unit of the token, in base units (10**unitDecimals). */
export const unitOf = (tokenWord: bigint): bigint => 10n ** ((tokenWord >> UNIT_SHIFT) & SEVEN_BITS);

/** An operator's instant limit, in units. */
export const instantLimitOf = (opWord: bigint): bigint => (opWord >> INSTANT_SHIFT) & AMOUNT_MASK;

/**
 * Whether the word carries the HELD bit: the operator is suspended, or it was removed and added again (its
 * destinations then carry its generation). For an operator never removed it means suspended; the record
 * (`isSuspended(operator)`, `readOperatorRecord`) tells which.
 */
export const isHeldWord = (opWord: bigint): boolean => (opWord & HELD) !== 0n;
/** `isHeldWord`: exact for an operator that was never removed. */
export const isSuspendedWord = isHeldWord;
export const isPausedWord = (tokenWord: bigint): boolean => (tokenWord & PAUSED) !== 0n;
export const isListedWord = (tokenWord: bigint): boolean => (tokenWord & LISTED) !== 0n;

/** The tripwire's rate rule as copied into a token word. */
export const tripwireOf = (tokenWord: bigint): { maxCount: bigint; period: bigint } => ({
  maxCount: (tokenWord >> TRIP_MAX_SHIFT) & SEVEN_BITS,
  period: (tokenWord >> TRIP_PERIOD_SHIFT) & TRIP_PERIOD_MASK,
});

/** An outflow in units, rounded up so that accounting never under-counts. */
export function toUnits(amount: bigint, unit: bigint): bigint {
  const units = amount / unit;
  return units * unit === amount ? units : units + 1n;
}

/** A configured limit in units, or null where the contract reverts `LimitNotRepresentable`. */
export function toLimitUnits(amount: bigint, unit: bigint): bigint | null {
  const units = amount / unit;
  return units * unit !== amount || units > AMOUNT_MASK ? null : units;
}

/** The limiter's clock reading at a block timestamp: seconds since clockStart. */
export const clockTime = (clock: Clock, timestamp: bigint): bigint => timestamp - clock.start;

/** This withdrawal's number within the operator's current tripwire period, and the maximum (0: rule off). */
export function periodCount(opWord: bigint, tokenWord: bigint, nowT: bigint): { count: bigint; maxCount: bigint } {
  const { maxCount, period } = tripwireOf(tokenWord);
  let count = 1n;
  if (maxCount === 0n) return { count, maxCount };
  if (nowT / period === lastOf(opWord) / period) count += (opWord >> COUNT_SHIFT) & COUNT_MASK;
  return { count, maxCount };
}

/** Decodes an operator word. */
export function decodeOperatorWord(word: bigint): OperatorWord {
  return {
    ring: decodeRing(word),
    last: lastOf(word),
    cap: capOf(word),
    instantLimit: instantLimitOf(word),
    count: (word >> COUNT_SHIFT) & COUNT_MASK,
    suspended: isSuspendedWord(word),
  };
}

/** Encodes an operator word (the inverse of `decodeOperatorWord`). */
export function encodeOperatorWord(w: OperatorWord): bigint {
  return (
    encodeLimiter(w.ring, w.last, w.cap) |
    (w.instantLimit << INSTANT_SHIFT) |
    (w.count << COUNT_SHIFT) |
    (w.suspended ? HELD : 0n)
  );
}

/** Decodes a token word. */
export function decodeTokenWord(word: bigint): TokenWord {
  const { maxCount, period } = tripwireOf(word);
  return {
    ring: decodeRing(word),
    last: lastOf(word),
    cap: capOf(word),
    unitDecimals: Number((word >> UNIT_SHIFT) & SEVEN_BITS),
    tripwireMaxCount: Number(maxCount),
    tripwirePeriod: period,
    paused: isPausedWord(word),
    listed: isListedWord(word),
  };
}

/** Encodes a token word (the inverse of `decodeTokenWord`). */
export function encodeTokenWord(w: TokenWord): bigint {
  return (
    encodeLimiter(w.ring, w.last, w.cap) |
    (BigInt(w.unitDecimals) << UNIT_SHIFT) |
    (BigInt(w.tripwireMaxCount) << TRIP_MAX_SHIFT) |
    (w.tripwirePeriod << TRIP_PERIOD_SHIFT) |
    (w.paused ? PAUSED : 0n) |
    (w.listed ? LISTED : 0n)
  );
}

function decodeRing(word: bigint): Ring {
  return [0n, 1n, 2n, 3n].map((i) => (word >> (i * AMOUNT_BITS)) & AMOUNT_MASK) as unknown as Ring;
}

function encodeLimiter(ring: Ring, last: bigint, cap: bigint): bigint {
  let word = (cap << CAP_SHIFT) | (last << LAST_SHIFT);
  ring.forEach((b, i) => (word |= b << (BigInt(i) * AMOUNT_BITS)));
  return word;
}

// -------------------------------------------------------------------------------------------------
// Word updates made by the vault's state-changing functions
// -------------------------------------------------------------------------------------------------

/** `_setOperatorLimits` on the operator word: new cap and instant limit (in units), suspension carried over. */
export function withOperatorLimits(
  opWord: bigint,
  limits: { capUnits: bigint; instantUnits: bigint; suspended: boolean },
): bigint {
  let word = withCap(opWord, limits.capUnits);
  word = (word & ~(AMOUNT_MASK << INSTANT_SHIFT)) | (limits.instantUnits << INSTANT_SHIFT);
  return limits.suspended ? word | HELD : word;
}

/** `_setSuspendedBits` on one operator word. */
export const withSuspended = (opWord: bigint, on: boolean): bigint => (on ? opWord | HELD : opWord & ~HELD);

/** `_setPaused` on one token word. */
export const withPaused = (tokenWord: bigint, on: boolean): bigint => (on ? tokenWord | PAUSED : tokenWord & ~PAUSED);

/** `_setTripwire` on one token word. */
export function withTripwire(tokenWord: bigint, maxCount: bigint, period: bigint): bigint {
  const clear = ~((SEVEN_BITS << TRIP_MAX_SHIFT) | (TRIP_PERIOD_MASK << TRIP_PERIOD_SHIFT));
  return (tokenWord & clear) | (maxCount << TRIP_MAX_SHIFT) | (period << TRIP_PERIOD_SHIFT);
}

/** `_listToken`: the word of a newly listed token. */
export function listedTokenWord(t: {
  unitDecimals: number;
  capUnits: bigint;
  tripwireMaxCount: bigint;
  tripwirePeriod: bigint;
  paused: boolean;
}): bigint {
  let word = LISTED | (BigInt(t.unitDecimals) << UNIT_SHIFT);
  word |= (t.tripwireMaxCount << TRIP_MAX_SHIFT) | (t.tripwirePeriod << TRIP_PERIOD_SHIFT);
  if (t.paused) word |= PAUSED;
  return withCap(word, t.capUnits);
}

// -------------------------------------------------------------------------------------------------
// Decisions
// -------------------------------------------------------------------------------------------------

const revert = (error: VaultErrorData, breach: TripReason | null = null): Rejection => ({
  ok: false,
  effect: "revert",
  breach,
  error,
});

const breachOf = (optedOut: boolean, breach: TripReason, error: VaultErrorData): Rejection =>
  optedOut ? revert(error, breach) : { ok: false, effect: "trip", breach, error };

const closed = (token: string, tokenWord: bigint): VaultErrorData =>
  isListedWord(tokenWord) ? { name: "VaultIsPaused", args: {} } : { name: "UnknownToken", args: { token } };

/**
 * The operator's side of an instant withdrawal (`_chargeOperator`): instant limit, window cap, tripwire
 * rate, in that order. Returns the updated word or the rule that was broken.
 */
export function chargeOperator(
  opWord: bigint,
  tokenWord: bigint,
  nowT: bigint,
  bucketLen: bigint,
  units: bigint,
): { ok: true; updated: bigint } | { ok: false; breach: "InstantLimitExceeded" | "CapExceeded" | "RateExceeded" } {
  if (units > instantLimitOf(opWord)) return { ok: false, breach: "InstantLimitExceeded" };
  const consumed = consume(opWord, nowT, bucketLen, units);
  if (!consumed.ok) return { ok: false, breach: "CapExceeded" };
  const { count, maxCount } = periodCount(opWord, tokenWord, nowT);
  if (maxCount !== 0n && count > maxCount) return { ok: false, breach: "RateExceeded" };
  return { ok: true, updated: (consumed.updated & ~(COUNT_MASK << COUNT_SHIFT)) | (count << COUNT_SHIFT) };
}

/** What `withdrawInstant(token, to, amount)` does when `operator` calls it at `timestamp`. */
export function checkInstant(i: InstantInput): InstantCheck {
  const { operator, token, to, amount, opWord, tokenWord } = i;
  if (amount === 0n) return revert({ name: "ZeroAmount", args: {} });
  if ((tokenWord & (LISTED | PAUSED)) !== LISTED) return revert(closed(token, tokenWord));
  if (isHeldWord(opWord) && i.suspended !== false) return revert({ name: "OperatorIsSuspended", args: { operator } });
  if (capOf(opWord) === 0n) {
    if (!i.registered) return revert({ name: "NotOperator", args: { account: operator, token } });
    if (i.suspended) return revert({ name: "OperatorIsSuspended", args: { operator } });
    return breachOf(i.tripwireOptedOut, "TokenNotAllowed", { name: "TokenNotAllowed", args: { operator, token } });
  }
  if (!i.approved) {
    const error: VaultErrorData = { name: "DestinationNotApproved", args: { operator, destination: to } };
    return breachOf(i.tripwireOptedOut, "DestinationNotApproved", error);
  }

  const nowT = clockTime(i.clock, i.timestamp);
  const bucket = i.clock.bucket;
  const unit = unitOf(tokenWord);
  const units = toUnits(amount, unit);
  const charged = chargeOperator(opWord, tokenWord, nowT, bucket, units);
  if (!charged.ok) {
    let error: VaultErrorData;
    if (charged.breach === "InstantLimitExceeded") {
      error = { name: "InstantLimitExceeded", args: { operator, token, amount, instantLimit: instantLimitOf(opWord) * unit } };
    } else if (charged.breach === "CapExceeded") {
      const available = availableAt(opWord, nowT, bucket) * unit;
      error = { name: "CapExceeded", args: { operator, token, requested: amount, available } };
    } else {
      const { count, maxCount } = periodCount(opWord, tokenWord, nowT);
      error = { name: "RateExceeded", args: { operator, token, count, maxCount } };
    }
    return breachOf(i.tripwireOptedOut, charged.breach, error);
  }
  const vault = consume(tokenWord, nowT, bucket, units);
  if (!vault.ok) {
    const available = availableAt(tokenWord, nowT, bucket) * unit;
    return revert({ name: "VaultCapExceeded", args: { token, requested: amount, available } });
  }
  return { ok: true, units, opWord: charged.updated, tokenWord: vault.updated };
}

/** What `queueWithdrawal(token, to, amount)` does when `operator` calls it at `timestamp`. */
export function checkQueue(q: QueueInput): QueueCheck {
  const { operator, token, to, amount } = q;
  if (amount === 0n) return revert({ name: "ZeroAmount", args: {} });
  if ((q.tokenWord & (LISTED | PAUSED)) !== LISTED) return revert(closed(token, q.tokenWord));
  if (!q.registered) return revert({ name: "NotOperator", args: { account: operator, token } });
  if (q.suspended) return revert({ name: "OperatorIsSuspended", args: { operator } });
  if (!q.approved) {
    const error: VaultErrorData = { name: "DestinationNotApproved", args: { operator, destination: to } };
    return breachOf(q.tripwireOptedOut, "DestinationNotApproved", error);
  }
  if (q.queueCap === 0n && capOf(q.opWord) === 0n) {
    return breachOf(q.tripwireOptedOut, "TokenNotAllowed", { name: "TokenNotAllowed", args: { operator, token } });
  }
  // A queue cap lowered below what is already pending leaves no room.
  const room = q.queueCap > q.pending ? q.queueCap - q.pending : 0n;
  if (amount > room) {
    const error: VaultErrorData = { name: "QueueCapExceeded", args: { operator, token, requested: amount, available: room } };
    return breachOf(q.tripwireOptedOut, "QueueCapExceeded", error);
  }
  return { ok: true, pending: q.pending + amount, eta: q.timestamp + q.withdrawalDelay };
}

/** Whether `executeWithdrawal(id)` by `caller` at `timestamp` passes the vault's checks (the transfer
 * itself can still fail: balance, token, receiver). */
export function checkExecute(e: ExecuteInput): ExecuteCheck {
  const w = e.withdrawal;
  const fail = (error: VaultErrorData): ExecuteCheck => ({ ok: false, effect: "revert", breach: null, error });
  if (w.status === "None") return fail({ name: "UnknownWithdrawal", args: { id: e.id } });
  if (e.caller.toLowerCase() !== w.operator.toLowerCase()) {
    return fail({ name: "NotWithdrawalOperator", args: { id: e.id, caller: e.caller } });
  }
  if (w.status !== "Pending") {
    return fail({ name: "WithdrawalNotPending", args: { id: e.id, status: BigInt(STATUSES.indexOf(w.status)) } });
  }
  if (e.timestamp < w.eta) return fail({ name: "WithdrawalNotReady", args: { id: e.id, eta: w.eta } });
  if (e.timestamp > w.eta + GRACE_PERIOD) {
    return fail({ name: "WithdrawalExpired", args: { id: e.id, expiry: w.eta + GRACE_PERIOD } });
  }
  if (e.paused) return fail({ name: "VaultIsPaused", args: {} });
  if (e.suspended) return fail({ name: "OperatorIsSuspended", args: { operator: w.operator } });
  if (!e.approved) return fail({ name: "DestinationNotApproved", args: { operator: w.operator, destination: w.to } });
  return { ok: true };
}

// -------------------------------------------------------------------------------------------------
// Views
// -------------------------------------------------------------------------------------------------

const toTimestamp = (clock: Clock, t: bigint): bigint => (t === 0n ? 0n : clock.start + t);

/** `operatorState` (limits and accounting) from the two words, at `timestamp`. */
export function operatorView(o: { clock: Clock; timestamp: bigint; opWord: bigint; tokenWord: bigint; suspended?: boolean }): OperatorView {
  const unit = unitOf(o.tokenWord);
  const nowT = clockTime(o.clock, o.timestamp);
  return {
    cap: capOf(o.opWord) * unit,
    instantLimit: instantLimitOf(o.opWord) * unit,
    used: usedAt(o.opWord, nowT, o.clock.bucket) * unit,
    available: availableAt(o.opWord, nowT, o.clock.bucket) * unit,
    nextRelease: toTimestamp(o.clock, nextReleaseAt(o.opWord, nowT, o.clock.bucket)),
    suspended: o.suspended ?? isHeldWord(o.opWord),
  };
}

/** `tokenState` (vault-wide limits and accounting, without the balance) from the token word, at `timestamp`. */
export function tokenView(t: { clock: Clock; timestamp: bigint; tokenWord: bigint }): TokenView {
  if (!isListedWord(t.tokenWord)) {
    return { listed: false, unitDecimals: 0, vaultCap: 0n, used: 0n, available: 0n, nextRelease: 0n };
  }
  const unit = unitOf(t.tokenWord);
  const nowT = clockTime(t.clock, t.timestamp);
  return {
    listed: true,
    unitDecimals: decodeTokenWord(t.tokenWord).unitDecimals,
    vaultCap: capOf(t.tokenWord) * unit,
    used: usedAt(t.tokenWord, nowT, t.clock.bucket) * unit,
    available: availableAt(t.tokenWord, nowT, t.clock.bucket) * unit,
    nextRelease: toTimestamp(t.clock, nextReleaseAt(t.tokenWord, nowT, t.clock.bucket)),
  };
}

/** `availableNow(operator, token)`: what the operator can withdraw instantly, all limits and the balance
 * considered, including the tripwire's rate rule (0 while one more withdrawal in the current period would
 * trip it). The token must be listed (the contract reverts `UnknownToken` otherwise). */
export function availableNow(a: {
  clock: Clock;
  timestamp: bigint;
  opWord: bigint;
  tokenWord: bigint;
  paused: boolean;
  suspended: boolean;
  balance: bigint;
}): bigint {
  if (a.paused || a.suspended) return 0n;
  const { count, maxCount } = periodCount(a.opWord, a.tokenWord, clockTime(a.clock, a.timestamp));
  if (maxCount !== 0n && count > maxCount) return 0n;
  const o = operatorView(a);
  const t = tokenView(a);
  return min(min(o.available, o.instantLimit), min(t.available, a.balance));
}

/**
 * Block timestamps after `timestamp` at which the limiter or the tripwire can let more through: the
 * next four bucket starts and the next tripwire period start (when the rule is on), ascending. Between
 * two of these nothing that the rules admit changes, so re-checking at each of them finds the earliest
 * time a refused withdrawal would pass.
 */
export function nextBoundaries(clock: Clock, timestamp: bigint, tokenWord: bigint): bigint[] {
  const nowT = clockTime(clock, timestamp);
  const out = new Set<bigint>();
  for (let i = 1n; i <= BUCKETS; i++) out.add(clock.start + (nowT / clock.bucket + i) * clock.bucket);
  const { maxCount, period } = tripwireOf(tokenWord);
  if (maxCount !== 0n && period !== 0n) out.add(clock.start + (nowT / period + 1n) * period);
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

// -------------------------------------------------------------------------------------------------
// Exposure (contracts/libraries/ExposureLib.sol): bounds over the closed interval [now, now + horizon]
// -------------------------------------------------------------------------------------------------

const saturate = (x: bigint): bigint => (x > U256 ? U256 : x);

/** Bound on instant outflow: perWindow * (floor(horizon / window) + 1), saturating at 2**256 - 1. */
export const instantBound = (perWindow: bigint, horizon: bigint, window: bigint): bigint =>
  saturate(perWindow * (horizon / window + 1n));

/** Bound on queued outflow: pending + queueCap * floor(horizon / delay), saturating at 2**256 - 1. */
export const queuedBound = (pending: bigint, queueCap: bigint, horizon: bigint, delay: bigint): bigint =>
  saturate(pending + queueCap * (horizon / delay));

/** Worst case over a horizon, in base units (`IGuardedVault.Exposure`). */
export interface Exposure {
  readonly instant: bigint;
  readonly queued: bigint;
  /** min(instant + queued, balance): what a stolen operator key alone can move. */
  readonly total: bigint;
  /**
   * What the co-signed paths add with a stolen approver too: min(cosignedCap, vaultCap - min(cap, vaultCap))
   * per window (vault-wide: min(vaultCap per window, sum of instant + co-signed) - instant).
   */
  readonly cosigned: bigint;
  /** min(instant + cosigned + queued, balance): what a stolen operator key plus a stolen approver can move. */
  readonly totalWithApprover: bigint;
}

/** One operator's words and queue account for a token, as `VaultLens` reads them. */
export interface OperatorExposureInput {
  readonly opWord: bigint;
  /** The operator's co-signed limiter word for the token (`VaultStorage.COSIGNED_WORDS_SLOT`); absent: no co-signed cap. */
  readonly cosignedWord?: bigint;
  readonly queueCap: bigint;
  readonly pendingQueued: bigint;
  readonly suspended: boolean;
}

/** `VaultLens.operatorExposure`: what one key could move at timestamps in [now, now + horizon]. */
export function operatorExposure(e: {
  tokenWord: bigint;
  operator: OperatorExposureInput;
  paused: boolean;
  horizon: bigint;
  window: bigint;
  withdrawalDelay: bigint;
  balance: bigint;
}): Exposure {
  const b = e.paused ? { instant: 0n, cosigned: 0n, queued: 0n } : operatorBound(e.tokenWord, e.operator, e.horizon, e.window, e.withdrawalDelay);
  return totals(b, e.balance);
}

/** total and totalWithApprover from the terms, capped by the balance (the lens's `_totals`). */
function totals(b: { instant: bigint; cosigned: bigint; queued: bigint }, balance: bigint): Exposure {
  const total = min(saturate(b.instant + b.queued), balance);
  return { instant: b.instant, queued: b.queued, total, cosigned: b.cosigned, totalWithApprover: min(saturate(total + b.cosigned), balance) };
}

/** `VaultLens.vaultExposure`: what all keys together could move of a token at timestamps in [now, now + horizon]. */
export function vaultExposure(e: {
  tokenWord: bigint;
  operators: readonly OperatorExposureInput[];
  paused: boolean;
  horizon: bigint;
  window: bigint;
  withdrawalDelay: bigint;
  balance: bigint;
}): Exposure {
  let instant = 0n;
  let cosigned = 0n;
  let queued = 0n;
  if (!e.paused) {
    for (const o of e.operators) {
      const b = operatorBound(e.tokenWord, o, e.horizon, e.window, e.withdrawalDelay);
      instant = saturate(instant + b.instant);
      cosigned = saturate(cosigned + saturate(b.instant + b.cosigned));
      queued = saturate(queued + b.queued);
    }
    const vaultBound = instantBound(capOf(e.tokenWord) * unitOf(e.tokenWord), e.horizon, e.window);
    instant = min(instant, vaultBound);
    cosigned = min(cosigned, vaultBound) - instant;
  }
  return totals({ instant, cosigned, queued }, e.balance);
}

function operatorBound(tokenWord: bigint, o: OperatorExposureInput, horizon: bigint, window: bigint, delay: bigint) {
  if (o.suspended) return { instant: 0n, cosigned: 0n, queued: 0n };
  const unit = unitOf(tokenWord);
  const cap = min(capOf(o.opWord), capOf(tokenWord));
  // ExposureLib.cosignedBound: the co-signed paths add at most cosignedCap a window, within the vault cap.
  const cosignedPerWindow = min(capOf(o.cosignedWord ?? 0n), capOf(tokenWord) - cap) * unit;
  return {
    instant: instantBound(cap * unit, horizon, window),
    cosigned: instantBound(cosignedPerWindow, horizon, window),
    queued: queuedBound(o.pendingQueued, o.queueCap, horizon, delay),
  };
}
