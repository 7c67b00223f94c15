/**
 * An automatic responder: one guardian key (a watcher key, not the guardian Safe) that reads the vault's
 * events with a `VaultWatcher` and acts through a `GuardianClient` in the next block, long before any
 * timelock ends:
 *
 * - a **tripwire** fired: the operator stays suspended (the vault already suspended it; the responder
 *   checks and suspends again if it is not), its pending queued withdrawals are cancelled, and the vault is
 *   paused if the rules say so, or when several tripwires fire within a window;
 * - a **queued withdrawal** that matches no expected pattern (operator, token, largest amount,
 *   destinations, UTC hours and weekdays) is cancelled, and so is one that takes its operator's total or
 *   count for the token over a rolling period past a `totals` rule (so that splitting does not help), and
 *   one to a destination approved only recently (a stolen admin key's first step);
 * - a **proposed change** that matches no expected pattern is cancelled.
 *
 * Rules are plain JSON (`parseResponderRules` validates them and names every bad field). Each round reads
 * new events, applies them in chain order, then acts once per item (a pause is sent at most once, nothing
 * already cancelled or suspended is sent again: the chain is read just before acting). Every finding and
 * action is reported to `log` as a structured entry and returned as data.
 *
 * It reads only the events it needs, through a `LogReader`: a range a provider refuses is split, a block
 * that cannot be read raises an alert (`onAlert`) and is retried every round, never skipped, and what was
 * read before it is still acted on. When a reorg replaces blocks it has read, it rebuilds its state without
 * their events, reads the new blocks, and judges again what is still pending from before the reorg (an
 * action it took may have been in a replaced block).
 */
import { isAddress, type Provider, type Signer } from "ethers";
import { CHANGE_PARAM_TYPES, type ChangeParams } from "../rules/changes";
import { CHANGE_KINDS, GRACE_PERIOD, GUARDIAN_ROLE, NATIVE, changeKindOf, statusOf, tripReasonOf, type ChangeKind } from "../rules/constants";
import { InvalidInputError, VaultRevertError, VaultSdkError } from "../errors/base";
import type { VaultEventName } from "./events";
import { GuardianClient } from "../clients/guardian";
import { connectVault, providerOf, read } from "../clients/transport";
import { readChange, readOperatorRecord, readWithdrawal } from "../clients/state";
import { requireAddress } from "../errors/validate";
import { UnreadableBlockError, type LogReaderAlert, type RetryOptions } from "./log-reader";
import { sleep } from "./sleep";
import { VaultWatcher, type WatchedEvent } from "./watcher";

// ---------------------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------------------

/** What to do with an unexpected item: cancel it, cancel it and pause the vault, or only report it. */
export type UnexpectedAction = "cancel" | "cancelAndPause" | "log";
/** What to do with a withdrawal to a destination approved less than `withinSeconds` ago. */
export type FreshDestinationAction = "cancel" | "cancelAndPause" | "pause" | "log";

/** A queued withdrawal the responder leaves alone. Every given condition must hold. */
export interface WithdrawalPattern {
  /** The operator, or `"*"` for any. */
  readonly operator: string;
  /** The token (`NATIVE` for ETH), or `"*"` for any. */
  readonly token: string;
  /** Largest amount, in base units. */
  readonly maxAmount: bigint;
  /** Allowed destinations; any destination the vault approved if omitted. */
  readonly destinations?: readonly string[];
  /** UTC hours `[from, to)` of the block that queued it (0-24); wraps past midnight when from > to. */
  readonly hoursUtc?: readonly [number, number];
  /** UTC weekdays of that block, 0 = Sunday. */
  readonly weekdaysUtc?: readonly number[];
}

/**
 * A bound on the queued withdrawals of each operator and token over a rolling period: a queued withdrawal
 * that takes the total (or the count) of its operator's queued withdrawals of the token within the last
 * `periodSeconds` (itself included, cancelled ones excluded) past `maxTotal` (or `maxCount`) is unexpected,
 * whatever the patterns say. `"*"` applies the bound to each operator (or token) separately.
 */
export interface WithdrawalTotalRule {
  readonly operator: string;
  readonly token: string;
  readonly periodSeconds: bigint;
  /** Largest total, in base units. */
  readonly maxTotal?: bigint;
  /** Most withdrawals. */
  readonly maxCount?: number;
}

/** A proposed change the responder leaves alone: its kind, and any of its parameters that must match exactly. */
export interface ChangePattern {
  readonly kind: ChangeKind;
  /** Parameter name (as in `ChangeParams`) to its required value, in canonical form (checksummed address, decimal integer, "true"/"false"). */
  readonly params: Readonly<Record<string, string>>;
}

export interface ResponderRules {
  /** If set, the vault these rules are for; the responder refuses to run them on another. */
  readonly vault?: string;
  readonly tripwire: {
    /** Pause the vault on any tripwire. */
    readonly pause: boolean;
    /** Cancel the tripped operator's pending queued withdrawals. */
    readonly cancelPending: boolean;
    /** Pause when at least `count` tripwires fire within `windowSeconds` (whatever `pause` says). */
    readonly burst?: { readonly count: number; readonly windowSeconds: bigint };
  };
  readonly withdrawals: {
    readonly expected: readonly WithdrawalPattern[];
    /** Bounds on totals per operator and token over a rolling period; a withdrawal past one is unexpected. */
    readonly totals?: readonly WithdrawalTotalRule[];
    readonly onUnexpected: UnexpectedAction;
    /** Destinations approved (by an executed change) less than `withinSeconds` before a withdrawal to them. */
    readonly freshDestination?: { readonly withinSeconds: bigint; readonly action: FreshDestinationAction };
  };
  readonly changes: {
    readonly expected: readonly ChangePattern[];
    readonly onUnexpected: UnexpectedAction;
  };
}

/** Rules that failed validation; `problems` lists every bad field with its JSON path. */
export class ResponderRulesError extends InvalidInputError {
  readonly problems: readonly { readonly path: string; readonly message: string }[];
  constructor(problems: readonly { path: string; message: string }[]) {
    super(problems[0].path, problems.length === 1 ? problems[0].message : `${problems[0].message} (and ${problems.length - 1} more: ${problems.slice(1).map((p) => `${p.path}: ${p.message}`).join("; ")})`);
    this.problems = problems;
  }
}

const UNEXPECTED_ACTIONS: readonly UnexpectedAction[] = ["cancel", "cancelAndPause", "log"];
const FRESH_ACTIONS: readonly FreshDestinationAction[] = ["cancel", "cancelAndPause", "pause", "log"];

/**
 * Validates rules given as JSON (the parsed content of a rules file) and returns them typed. Amounts are
 * decimal strings of base units (JSON numbers lose precision); tokens are addresses or `"ETH"`; `"*"`
 * matches any operator or token. Unknown keys are errors, so a typo cannot silently weaken a rule. Throws
 * `ResponderRulesError` listing every problem. Pure. The format:
 *
 * ```json
 * {
 *   "vault": "0x…",                                         // optional
 *   "tripwire": { "pause": true, "cancelPending": true, "burst": { "count": 2, "windowSeconds": 3600 } },
 *   "withdrawals": {
 *     "onUnexpected": "cancel",                              // cancel | cancelAndPause | log (default cancel)
 *     "freshDestination": { "withinSeconds": 172800, "action": "cancelAndPause" },
 *     "expected": [{ "operator": "0x…", "token": "0x…", "maxAmount": "2000000000000",
 *                    "destinations": ["0x…"], "hoursUtc": [6, 22], "weekdaysUtc": [1, 2, 3, 4, 5] }],
 *     "totals": [{ "operator": "*", "token": "0x…", "periodSeconds": 86400, "maxTotal": "3000000000000", "maxCount": 10 }]
 *   },
 *   "changes": { "onUnexpected": "cancel", "expected": [{ "kind": "SetOperatorLimits", "operator": "0x…" }] }
 * }
 * ```
 */
export function parseResponderRules(input: unknown): ResponderRules {
  const problems: { path: string; message: string }[] = [];
  const bad = (path: string, message: string) => {
    problems.push({ path, message });
    return undefined;
  };
  const obj = (v: unknown, path: string, keys: readonly string[]): Record<string, unknown> | undefined => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return bad(path, "expected an object");
    for (const k of Object.keys(v)) if (!keys.includes(k)) bad(`${path}.${k}`, `unknown key (expected one of: ${keys.join(", ")})`);
    return v as Record<string, unknown>;
  };
  const address = (v: unknown, path: string, wildcard = false): string | undefined => {
    if (wildcard && v === "*") return "*";
    try {
      return requireAddress(v, path);
    } catch (e) {
      return bad(path, (e as InvalidInputError).message.replace(/^invalid [^:]*: /, ""));
    }
  };
  const token = (v: unknown, path: string): string | undefined => {
    if (v === "ETH") return NATIVE;
    if (v === "*" || (typeof v === "string" && isAddress(v))) return address(v, path, true);
    return bad(path, `expected a token address, "ETH" or "*", got ${JSON.stringify(v)}`);
  };
  const amount = (v: unknown, path: string): bigint | undefined => {
    if (typeof v !== "string" || !/^(0|[1-9][0-9]*)$/.test(v)) return bad(path, `expected a decimal string of base units (e.g. "2500000000"), got ${JSON.stringify(v)}`);
    return BigInt(v);
  };
  const int = (v: unknown, path: string, min: number, max: number): number | undefined => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) return bad(path, `expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (v: unknown, path: string, fallback: boolean): boolean => {
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") return bad(path, `expected true or false, got ${JSON.stringify(v)}`) ?? fallback;
    return v;
  };
  const oneOf = <T extends string>(v: unknown, path: string, options: readonly T[], fallback: T): T => {
    if (v === undefined) return fallback;
    if (!options.includes(v as T)) return bad(path, `expected one of ${options.map((o) => JSON.stringify(o)).join(", ")}, got ${JSON.stringify(v)}`) ?? fallback;
    return v as T;
  };
  const list = (v: unknown, path: string): unknown[] | undefined => (Array.isArray(v) ? v : bad(path, "expected an array"));

  const root = obj(input, "rules", ["vault", "tripwire", "withdrawals", "changes"]) ?? {};
  const vault = root.vault === undefined ? undefined : address(root.vault, "rules.vault");

  const t = root.tripwire === undefined ? {} : obj(root.tripwire, "rules.tripwire", ["pause", "cancelPending", "burst"]) ?? {};
  let burst: ResponderRules["tripwire"]["burst"];
  if (t.burst !== undefined) {
    const b = obj(t.burst, "rules.tripwire.burst", ["count", "windowSeconds"]);
    if (b) {
      const count = int(b.count, "rules.tripwire.burst.count", 1, 1_000_000);
      const windowSeconds = int(b.windowSeconds, "rules.tripwire.burst.windowSeconds", 1, 365 * 86400);
      if (count !== undefined && windowSeconds !== undefined) burst = { count, windowSeconds: BigInt(windowSeconds) };
    }
  }
  const tripwire = { pause: bool(t.pause, "rules.tripwire.pause", false), cancelPending: bool(t.cancelPending, "rules.tripwire.cancelPending", true), ...(burst ? { burst } : {}) };

  const WITHDRAWALS_REQUIRED = 'required: { "expected": [the withdrawal patterns to leave alone] } (an empty list treats every queued withdrawal as unexpected)';
  const w = (root.withdrawals === undefined ? bad("rules.withdrawals", WITHDRAWALS_REQUIRED) : obj(root.withdrawals, "rules.withdrawals", ["expected", "totals", "onUnexpected", "freshDestination"])) ?? {};
  const expectedWithdrawals: WithdrawalPattern[] = [];
  if (root.withdrawals !== undefined && w.expected === undefined) bad("rules.withdrawals.expected", WITHDRAWALS_REQUIRED.replace(/^required: \{ "expected": \[(.*)\] \}/, "required: $1"));
  (w.expected === undefined ? [] : list(w.expected, "rules.withdrawals.expected") ?? []).forEach((p, i) => {
    const at = `rules.withdrawals.expected[${i}]`;
    const o = obj(p, at, ["operator", "token", "maxAmount", "destinations", "hoursUtc", "weekdaysUtc"]);
    if (!o) return;
    const operator = o.operator === undefined ? bad(`${at}.operator`, 'required (an address or "*")') : address(o.operator, `${at}.operator`, true);
    const tok = o.token === undefined ? bad(`${at}.token`, 'required (an address, "ETH" or "*")') : token(o.token, `${at}.token`);
    const maxAmount = amount(o.maxAmount, `${at}.maxAmount`);
    const destinations = o.destinations === undefined ? undefined : list(o.destinations, `${at}.destinations`)?.map((d, j) => address(d, `${at}.destinations[${j}]`));
    let hoursUtc: [number, number] | undefined;
    if (o.hoursUtc !== undefined) {
      const h = list(o.hoursUtc, `${at}.hoursUtc`);
      if (h && h.length !== 2) bad(`${at}.hoursUtc`, "expected [from, to] in UTC hours");
      else if (h) {
        const from = int(h[0], `${at}.hoursUtc[0]`, 0, 23);
        const to = int(h[1], `${at}.hoursUtc[1]`, 0, 24);
        if (from !== undefined && to !== undefined && from === to) bad(`${at}.hoursUtc`, "from and to are equal: the range would be empty (omit hoursUtc for any hour)");
        else if (from !== undefined && to !== undefined) hoursUtc = [from, to];
      }
    }
    const weekdaysUtc = o.weekdaysUtc === undefined ? undefined : list(o.weekdaysUtc, `${at}.weekdaysUtc`)?.map((d, j) => int(d, `${at}.weekdaysUtc[${j}]`, 0, 6));
    if (operator === undefined || tok === undefined || maxAmount === undefined) return;
    if (destinations?.some((d) => d === undefined) || weekdaysUtc?.some((d) => d === undefined)) return;
    expectedWithdrawals.push({
      operator,
      token: tok,
      maxAmount,
      ...(destinations ? { destinations: destinations as string[] } : {}),
      ...(hoursUtc ? { hoursUtc } : {}),
      ...(weekdaysUtc ? { weekdaysUtc: weekdaysUtc as number[] } : {}),
    });
  });
  const totals: WithdrawalTotalRule[] = [];
  (w.totals === undefined ? [] : list(w.totals, "rules.withdrawals.totals") ?? []).forEach((p, i) => {
    const at = `rules.withdrawals.totals[${i}]`;
    const o = obj(p, at, ["operator", "token", "periodSeconds", "maxTotal", "maxCount"]);
    if (!o) return;
    const operator = o.operator === undefined ? bad(`${at}.operator`, 'required (an address or "*")') : address(o.operator, `${at}.operator`, true);
    const tok = o.token === undefined ? bad(`${at}.token`, 'required (an address, "ETH" or "*")') : token(o.token, `${at}.token`);
    const period = int(o.periodSeconds, `${at}.periodSeconds`, 1, 365 * 86400);
    const maxTotal = o.maxTotal === undefined ? undefined : amount(o.maxTotal, `${at}.maxTotal`);
    const maxCount = o.maxCount === undefined ? undefined : int(o.maxCount, `${at}.maxCount`, 1, 1_000_000);
    if (o.maxTotal === undefined && o.maxCount === undefined) bad(at, "expected maxTotal (base units), maxCount, or both");
    if (operator === undefined || tok === undefined || period === undefined) return;
    if ((o.maxTotal !== undefined && maxTotal === undefined) || (o.maxCount !== undefined && maxCount === undefined)) return;
    if (maxTotal === undefined && maxCount === undefined) return;
    totals.push({ operator, token: tok, periodSeconds: BigInt(period), ...(maxTotal !== undefined ? { maxTotal } : {}), ...(maxCount !== undefined ? { maxCount } : {}) });
  });
  let freshDestination: ResponderRules["withdrawals"]["freshDestination"];
  if (w.freshDestination !== undefined) {
    const fd = obj(w.freshDestination, "rules.withdrawals.freshDestination", ["withinSeconds", "action"]);
    if (fd) {
      const within = int(fd.withinSeconds, "rules.withdrawals.freshDestination.withinSeconds", 1, 365 * 86400);
      const action = oneOf(fd.action, "rules.withdrawals.freshDestination.action", FRESH_ACTIONS, "cancel");
      if (within !== undefined) freshDestination = { withinSeconds: BigInt(within), action };
    }
  }
  const withdrawals = {
    expected: expectedWithdrawals,
    ...(w.totals !== undefined ? { totals } : {}),
    onUnexpected: oneOf(w.onUnexpected, "rules.withdrawals.onUnexpected", UNEXPECTED_ACTIONS, "cancel"),
    ...(freshDestination ? { freshDestination } : {}),
  };

  const CHANGES_REQUIRED = 'required: { "expected": [the proposed changes to leave alone] } (an empty list treats every proposal as unexpected)';
  const c = (root.changes === undefined ? bad("rules.changes", CHANGES_REQUIRED) : obj(root.changes, "rules.changes", ["expected", "onUnexpected"])) ?? {};
  const expectedChanges: ChangePattern[] = [];
  if (root.changes !== undefined && c.expected === undefined) bad("rules.changes.expected", CHANGES_REQUIRED.replace(/^required: \{ "expected": \[(.*)\] \}/, "required: $1"));
  (c.expected === undefined ? [] : list(c.expected, "rules.changes.expected") ?? []).forEach((p, i) => {
    const at = `rules.changes.expected[${i}]`;
    if (typeof p !== "object" || p === null || Array.isArray(p)) return bad(at, "expected an object");
    const { kind, ...rest } = p as Record<string, unknown>;
    if (!(CHANGE_KINDS as readonly unknown[]).includes(kind)) return bad(`${at}.kind`, `expected one of ${CHANGE_KINDS.join(", ")}, got ${JSON.stringify(kind)}`);
    const fields = CHANGE_PARAM_TYPES[kind as ChangeKind].map((f) => f.split(" ") as [string, string]);
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(rest)) {
      const field = fields.find(([, n]) => n === name);
      if (!field) {
        bad(`${at}.${name}`, `not a parameter of ${String(kind)} (its parameters: ${fields.map(([, n]) => n).join(", ") || "none"})`);
        continue;
      }
      const v = canonicalParam(field[0], value, name === "token" && value === "ETH");
      if (v === undefined) bad(`${at}.${name}`, `expected ${describeType(field[0])}, got ${JSON.stringify(value)}`);
      else params[name] = v;
    }
    expectedChanges.push({ kind: kind as ChangeKind, params });
  });
  const changes = { expected: expectedChanges, onUnexpected: oneOf(c.onUnexpected, "rules.changes.onUnexpected", UNEXPECTED_ACTIONS, "cancel") };

  if (problems.length > 0) throw new ResponderRulesError(problems);
  return { ...(vault ? { vault } : {}), tripwire, withdrawals, changes };
}

function describeType(type: string): string {
  if (type === "address") return "an address";
  if (type === "bool") return "true or false";
  return `a decimal integer (${type}; as a string for large values)`;
}

/** A change parameter in canonical string form, or undefined if `value` is not of `type`. */
function canonicalParam(type: string, value: unknown, eth = false): string | undefined {
  if (type === "address") {
    if (eth) return NATIVE;
    try {
      return requireAddress(value, "param", { allowZero: true });
    } catch {
      return undefined;
    }
  }
  if (type === "bool") return typeof value === "boolean" ? String(value) : undefined;
  const bits = Number(type.slice(4));
  let n: bigint;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) n = BigInt(value);
  else if (typeof value === "string" && /^(0|[1-9][0-9]*)$/.test(value)) n = BigInt(value);
  else if (typeof value === "bigint" && value >= 0n) n = value;
  else return undefined;
  return n < 1n << BigInt(bits) ? n.toString() : undefined;
}

/** Whether a change matches a pattern. Pure. */
export function matchesChange(change: ChangeParams, pattern: ChangePattern): boolean {
  if (change.kind !== pattern.kind) return false;
  const types = new Map(CHANGE_PARAM_TYPES[change.kind].map((f) => f.split(" ").reverse() as [string, string]));
  const values = change as unknown as Record<string, unknown>;
  return Object.entries(pattern.params).every(([name, expected]) => canonicalParam(types.get(name) ?? "", values[name]) === expected);
}

/** A queued withdrawal as the responder judges it. */
export interface QueuedWithdrawalFacts {
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  /** Timestamp of the block that queued it. */
  readonly timestamp: bigint;
}

/** Whether a queued withdrawal matches a pattern. Pure. */
export function matchesWithdrawal(w: QueuedWithdrawalFacts, p: WithdrawalPattern): boolean {
  if (p.operator !== "*" && p.operator !== w.operator) return false;
  if (p.token !== "*" && p.token !== w.token) return false;
  if (w.amount > p.maxAmount) return false;
  if (p.destinations && !p.destinations.includes(w.to)) return false;
  const date = new Date(Number(w.timestamp) * 1000);
  if (p.hoursUtc) {
    const [from, to] = p.hoursUtc;
    const h = date.getUTCHours();
    if (from < to ? !(h >= from && h < to) : !(h >= from || h < to)) return false;
  }
  if (p.weekdaysUtc && !p.weekdaysUtc.includes(date.getUTCDay())) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// The responder
// ---------------------------------------------------------------------------------------------------------

/** Something the responder does. */
export type PlannedAction =
  | { readonly kind: "pause" }
  | { readonly kind: "suspendOperator"; readonly operator: string }
  | { readonly kind: "cancelWithdrawal"; readonly id: bigint }
  | { readonly kind: "cancelChange"; readonly id: bigint };

/** The rule that flagged something. */
export type ResponderRule = "tripwire" | "tripwireBurst" | "unexpectedWithdrawal" | "withdrawalTotal" | "freshDestination" | "unexpectedChange";

/** The event a finding is about; `review` when it was pending before the responder started reacting. */
export interface Trigger {
  readonly event: VaultEventName;
  readonly blockNumber: number;
  readonly transactionHash: string;
  readonly logIndex: number;
  readonly review: boolean;
}

/** A rule that fired, why, and what it asks for (nothing for a rule set to `log`). */
export interface Finding {
  readonly rule: ResponderRule;
  readonly detail: string;
  readonly trigger: Trigger;
  readonly actions: readonly PlannedAction[];
}

/** What became of one action. */
export interface ResponderAction {
  readonly action: PlannedAction;
  /** The findings' rules that asked for it. */
  readonly rules: readonly ResponderRule[];
  /** `confirmed`: mined; `skipped`: not needed any more (see `note`); `failed`: see `error`; `dry-run`: not sent. */
  readonly status: "confirmed" | "skipped" | "failed" | "dry-run";
  readonly note?: string;
  readonly transactionHash?: string;
  readonly blockNumber?: number;
  readonly error?: { readonly name: string; readonly message: string };
}

/** One round: the blocks read, what was found and what was done. */
export interface ResponderRound {
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly events: number;
  readonly findings: readonly Finding[];
  readonly actions: readonly ResponderAction[];
  /** Blocks that could not be read (the responder waits at the first one) or were read again. */
  readonly alerts: readonly LogReaderAlert[];
  /** The first block a reorg replaced, if one was found this round. */
  readonly reorgFrom: number | null;
}

/** A structured log entry (see `formatResponderLog` for one JSON line each). */
export type ResponderLogEntry =
  | { readonly type: "started"; readonly level: "info"; readonly vault: string; readonly guardian: string; readonly fromBlock: number; readonly reactFrom: number; readonly dryRun: boolean }
  | { readonly type: "round"; readonly level: "info"; readonly fromBlock: number; readonly toBlock: number; readonly events: number }
  | ({ readonly type: "finding"; readonly level: "warn" } & Finding)
  | ({ readonly type: "action"; readonly level: "info" | "warn" | "error" } & ResponderAction)
  | { readonly type: "error"; readonly level: "error"; readonly message: string; readonly name: string }
  | { readonly type: "alert"; readonly level: "critical"; readonly alert: LogReaderAlert }
  | { readonly type: "reorg"; readonly level: "warn"; readonly fromBlock: number; readonly removed: number };

/** One log entry as a JSON line (bigints as decimal strings, with an ISO time). Pure apart from the clock. */
export function formatResponderLog(entry: ResponderLogEntry, now: Date = new Date()): string {
  return JSON.stringify({ time: now.toISOString(), ...entry }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export interface ResponderOptions {
  readonly vault: string;
  /** The responder's guardian key: any ethers v6 Signer (a KMS/HSM signer in production). */
  readonly signer: Signer;
  readonly rules: ResponderRules;
  /** The vault's deployment block: history is read from here (approvals, pending items, tripwires). */
  readonly fromBlock: number;
  /** First block whose events are acted on; earlier ones only build state. Default: the block after the head at `create`. */
  readonly reactFrom?: number;
  /** Judge withdrawals and changes still pending from before `reactFrom` on the first round (default true). */
  readonly reviewPending?: boolean;
  /** Decide and log, send nothing. */
  readonly dryRun?: boolean;
  readonly log?: (entry: ResponderLogEntry) => void;
  /** Provider for reads; defaults to the signer's. */
  readonly provider?: Provider;
  readonly pollIntervalMs?: number;
  /** Blocks to stay behind the head (default: the chain's, see `chainDefaults`). */
  readonly confirmations?: number;
  /** Blocks whose hashes are kept to detect reorgs (default: the chain's). */
  readonly reorgWindow?: number;
  readonly maxBlockRange?: number;
  readonly retry?: RetryOptions;
  /**
   * Called when a block cannot be read (the responder is then blind past it until it is: page someone),
   * when it is read again, and when a reorg is deeper than the hashes kept. Also logged, level `critical`.
   */
  readonly onAlert?: (alert: LogReaderAlert) => void | Promise<void>;
}

/** The events the responder reads; nothing else it could be flooded with. */
export const RESPONDER_EVENTS: readonly VaultEventName[] = [
  "WithdrawalQueued",
  "WithdrawalExecuted",
  "WithdrawalCancelled",
  "Withdrawn",
  "TripwireFired",
  "ChangeProposed",
  "ChangeExecuted",
  "ChangeCancelled",
  "DestinationApproved",
  "OperatorRemoved",
];

interface QueuedEntry {
  readonly id: bigint;
  readonly operator: string;
  readonly token: string;
  readonly amount: bigint;
  readonly timestamp: bigint;
}

interface PendingWithdrawal extends Omit<QueuedWithdrawalFacts, "timestamp"> {
  readonly id: bigint;
  readonly eta: bigint;
  readonly position: Omit<Trigger, "review">;
}

interface PendingChange {
  readonly id: bigint;
  readonly change: ChangeParams;
  readonly eta: bigint;
  readonly position: Omit<Trigger, "review">;
}

const ACTION_ORDER: Record<PlannedAction["kind"], number> = { pause: 0, suspendOperator: 1, cancelWithdrawal: 2, cancelChange: 3 };

export class Responder {
  readonly vault: string;
  readonly guardian: string;
  readonly rules: ResponderRules;
  readonly reactFrom: number;
  readonly dryRun: boolean;
  /** Every action so far, in order. */
  readonly actions: ResponderAction[] = [];
  private readonly client: GuardianClient;
  private readonly provider: Provider;
  private readonly watcher: VaultWatcher;
  private readonly log: (entry: ResponderLogEntry) => void;
  private readonly pollInterval: number;
  private review: boolean;
  private readonly timestamps = new Map<number, bigint>();
  private readonly pendingWithdrawals = new Map<bigint, PendingWithdrawal>();
  private readonly pendingChanges = new Map<bigint, PendingChange>();
  /** Approvals by an executed change, by `operator|destination`: their block timestamps. */
  private readonly approvals = new Map<string, bigint[]>();
  /** Approvals seen in a transaction not yet known to be a change execution, by transaction hash. */
  private readonly approvalsInTx = new Map<string, { key: string; timestamp: bigint }[]>();
  private readonly tripwires: bigint[] = [];
  /** Every queued withdrawal seen, for the totals rules; cancelled ones are dropped. */
  private readonly queuedLedger = new Map<bigint, QueuedEntry>();
  private inbox: WatchedEvent[] = [];
  /** Every event applied so far, to rebuild the state when a reorg removes some. */
  private history: WatchedEvent[] = [];
  private backlog: Finding[] = [];
  private roundAlerts: LogReaderAlert[] = [];
  private roundEvents = 0;
  private roundReorg: number | null = null;
  /** After a reorg: pending items queued or proposed below this block are judged again. */
  private reviewBelow: number | null = null;
  private readonly onAlert: ResponderOptions["onAlert"];

  private constructor(o: ResponderOptions, guardian: string, provider: Provider, reactFrom: number) {
    this.vault = requireAddress(o.vault, "vault");
    this.guardian = guardian;
    this.rules = o.rules;
    this.reactFrom = reactFrom;
    this.dryRun = o.dryRun ?? false;
    this.client = new GuardianClient({ vault: this.vault, signer: o.signer });
    this.provider = provider;
    this.watcher = new VaultWatcher({
      provider,
      vault: this.vault,
      fromBlock: o.fromBlock,
      events: RESPONDER_EVENTS,
      confirmations: o.confirmations,
      reorgWindow: o.reorgWindow,
      maxBlockRange: o.maxBlockRange,
      retry: o.retry,
    });
    this.watcher.onEvent((e) => {
      if (e.removed) return;
      this.inbox.push(e);
      this.roundEvents++;
    });
    this.watcher.onReorg((r) => this.rewind(r.fromBlock, r.removed.length));
    this.watcher.onError((e) => {
      const error = e instanceof Error ? e : new Error(String(e));
      this.log({ type: "error", level: "error", name: error.name, message: error.message });
    });
    this.watcher.onAlert(async (a) => {
      this.roundAlerts.push(a);
      this.log({ type: "alert", level: "critical", alert: a });
      await this.onAlert?.(a);
    });
    this.onAlert = o.onAlert;
    this.log = o.log ?? (() => undefined);
    this.pollInterval = o.pollIntervalMs ?? 2000;
    this.review = o.reviewPending ?? true;
  }

  /**
   * Reads the chain: checks that the signer holds the guardian role and that the rules are for this vault,
   * and reads the head (the default `reactFrom`). Nothing is sent.
   */
  static async create(o: ResponderOptions): Promise<Responder> {
    const vault = requireAddress(o.vault, "vault");
    if (o.rules.vault !== undefined && o.rules.vault !== vault) throw new InvalidInputError("rules.vault", `the rules are for the vault ${o.rules.vault}, not ${vault}`);
    if (!Number.isSafeInteger(o.fromBlock) || o.fromBlock < 0) throw new InvalidInputError("fromBlock", `expected a block number, got ${String(o.fromBlock)}`);
    const provider = providerOf(o.signer, o.provider);
    const guardian = requireAddress(await read(() => o.signer.getAddress()), "signer");
    const contract = connectVault(vault, provider);
    if (!(await read(() => contract.hasRole(GUARDIAN_ROLE, guardian)))) {
      throw new InvalidInputError("signer", `${guardian} is not a guardian of the vault ${vault}: propose an AddGuardian change for it first`);
    }
    const reactFrom = o.reactFrom ?? (await read(() => provider.getBlockNumber())) + 1;
    if (!Number.isSafeInteger(reactFrom) || reactFrom < o.fromBlock) throw new InvalidInputError("reactFrom", `expected a block number at or after fromBlock, got ${String(reactFrom)}`);
    const responder = new Responder(o, guardian, provider, reactFrom);
    responder.log({ type: "started", level: "info", vault, guardian, fromBlock: o.fromBlock, reactFrom, dryRun: responder.dryRun });
    return responder;
  }

  /** The next block to read. */
  get nextBlock(): number {
    return this.watcher.nextBlock;
  }

  /**
   * Reads the chain and acts: one round over the blocks since the last one (the whole history on the
   * first), then the actions it calls for, each sent and waited for (or only logged in dry-run mode).
   */
  async poll(): Promise<ResponderRound> {
    const fromBlock = this.watcher.nextBlock;
    this.roundAlerts = [];
    this.roundEvents = 0;
    this.roundReorg = null;
    // Events reach the inbox range by range as they are read: a range that fails later in the round does
    // not lose the ranges before it.
    let readError: unknown = null;
    try {
      await this.watcher.poll();
    } catch (e) {
      readError = e;
    }
    const events = this.roundEvents;
    const start = this.roundReorg ?? fromBlock;
    if (events > 0) this.log({ type: "round", level: "info", fromBlock: start, toBlock: this.watcher.nextBlock - 1, events });
    // An event leaves the inbox only once applied, and findings stay in the backlog until acted on, so a
    // round that fails on an RPC error is taken up again by the next one.
    while (this.inbox.length > 0) {
      this.found(await this.apply(this.inbox[0]));
      this.history.push(this.inbox[0]);
      this.inbox.shift();
    }
    if (this.review) {
      this.found(await this.reviewPending(this.reactFrom));
      this.review = false;
    }
    if (this.reviewBelow !== null) {
      this.found(await this.reviewPending(this.reviewBelow));
      this.reviewBelow = null;
    }
    const findings = this.backlog;
    const actions = await this.act(findings);
    this.backlog = [];
    this.actions.push(...actions);
    // A block that cannot be read is an alert (already raised), not a failed round: the rest was acted on.
    if (readError !== null && !(readError instanceof UnreadableBlockError)) throw readError;
    return { fromBlock: start, toBlock: this.watcher.nextBlock - 1, events, findings, actions, alerts: this.roundAlerts, reorgFrom: this.roundReorg };
  }

  /** A reorg replaced the blocks from `fromBlock` on: rebuilds the state from the events before them. */
  private async rewind(fromBlock: number, removed: number): Promise<void> {
    this.log({ type: "reorg", level: "warn", fromBlock, removed });
    this.roundReorg = Math.min(this.roundReorg ?? fromBlock, fromBlock);
    this.inbox = this.inbox.filter((e) => e.blockNumber < fromBlock);
    this.history = this.history.filter((e) => e.blockNumber < fromBlock);
    this.backlog = this.backlog.filter((f) => f.trigger.review || f.trigger.blockNumber < fromBlock);
    for (const block of [...this.timestamps.keys()]) if (block >= fromBlock) this.timestamps.delete(block);
    this.pendingWithdrawals.clear();
    this.pendingChanges.clear();
    this.approvals.clear();
    this.approvalsInTx.clear();
    this.tripwires.length = 0;
    this.queuedLedger.clear();
    for (const e of this.history) await this.apply(e, true);
    // What it did about the items still pending may have been in a replaced block: judge them again (the
    // chain is read before acting, so nothing is sent twice).
    this.reviewBelow = Math.min(this.reviewBelow ?? fromBlock, fromBlock);
  }

  private found(findings: readonly Finding[]): void {
    for (const f of findings) this.log({ type: "finding", level: "warn", ...f });
    this.backlog.push(...findings);
  }

  /**
   * Reads the chain and acts, round after round, until `signal` aborts or, with `blocks`, until every block
   * up to the head at the first round plus `blocks` has been handled. A failed round is logged and retried.
   * Returns every action taken.
   */
  async run(o: { blocks?: number; signal?: AbortSignal } = {}): Promise<ResponderAction[]> {
    if (o.blocks !== undefined && (!Number.isSafeInteger(o.blocks) || o.blocks < 0)) throw new InvalidInputError("blocks", `expected a number of blocks, got ${String(o.blocks)}`);
    const start = this.actions.length;
    let stopAt: number | undefined;
    while (!o.signal?.aborted) {
      try {
        if (stopAt === undefined && o.blocks !== undefined) stopAt = (await read(() => this.provider.getBlockNumber())) + o.blocks;
        await this.poll();
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        this.log({ type: "error", level: "error", name: error.name, message: error.message });
      }
      if (stopAt !== undefined && this.watcher.nextBlock > stopAt) break;
      await sleep(this.pollInterval, { signal: o.signal });
    }
    return this.actions.slice(start);
  }

  private async timestamp(block: number): Promise<bigint> {
    const known = this.timestamps.get(block);
    if (known !== undefined) return known;
    const b = await read(() => this.provider.getBlock(block));
    if (!b) throw new VaultSdkError(`block ${block} not found`);
    const t = BigInt(b.timestamp);
    this.timestamps.set(block, t);
    return t;
  }

  /** Applies one event to the responder's state; returns the findings it raises if it is to be acted on. */
  private async apply(e: WatchedEvent, replay = false): Promise<Finding[]> {
    const live = !replay && e.blockNumber >= this.reactFrom;
    const position = { event: e.name, blockNumber: e.blockNumber, transactionHash: e.transactionHash, logIndex: e.logIndex };
    const trigger: Trigger = { ...position, review: false };
    switch (e.name) {
      case "DestinationApproved": {
        const list = this.approvalsInTx.get(e.transactionHash) ?? [];
        list.push({ key: `${e.args.operator}|${e.args.destination}`, timestamp: await this.timestamp(e.blockNumber) });
        this.approvalsInTx.set(e.transactionHash, list);
        return [];
      }
      case "ChangeExecuted": {
        this.pendingChanges.delete(e.args.id);
        // The approvals this execution made (emitted just before it, in the same transaction).
        for (const a of this.approvalsInTx.get(e.transactionHash) ?? []) this.approvals.set(a.key, [...(this.approvals.get(a.key) ?? []), a.timestamp]);
        this.approvalsInTx.delete(e.transactionHash);
        return [];
      }
      case "ChangeCancelled":
        this.pendingChanges.delete(e.args.id);
        return [];
      case "WithdrawalExecuted":
        this.pendingWithdrawals.delete(e.args.id);
        return [];
      case "WithdrawalCancelled":
        this.pendingWithdrawals.delete(e.args.id);
        this.queuedLedger.delete(e.args.id);
        return [];
      case "OperatorRemoved": {
        // The removal cancelled every pending withdrawal of the operator and voided its destinations.
        const operator = e.args.operator;
        for (const [id, w] of this.pendingWithdrawals) if (w.operator === operator) this.pendingWithdrawals.delete(id);
        for (const [id, w] of this.queuedLedger) if (w.operator === operator) this.queuedLedger.delete(id);
        for (const key of [...this.approvals.keys()]) if (key.startsWith(`${operator}|`)) this.approvals.delete(key);
        return [];
      }
      case "WithdrawalQueued": {
        const w: PendingWithdrawal = { id: e.args.id, operator: e.args.operator, token: e.args.token, to: e.args.to, amount: e.args.amount, eta: e.args.eta, position };
        this.pendingWithdrawals.set(w.id, w);
        if (this.rules.withdrawals.totals?.length) {
          this.queuedLedger.set(w.id, { id: w.id, operator: w.operator, token: w.token, amount: w.amount, timestamp: await this.timestamp(e.blockNumber) });
        }
        return live ? this.judgeWithdrawal(w, trigger) : [];
      }
      case "ChangeProposed": {
        const anomaly = e.anomalies.find((a) => a.kind === "ChangeProposed");
        if (anomaly?.kind !== "ChangeProposed") return [];
        const c: PendingChange = { id: e.args.id, change: anomaly.change, eta: e.args.eta, position };
        this.pendingChanges.set(c.id, c);
        return live ? this.judgeChange(c, trigger) : [];
      }
      case "TripwireFired": {
        const t = await this.timestamp(e.blockNumber);
        this.tripwires.push(t);
        return live ? this.judgeTripwire(e.args.operator, e.args.reason, t, trigger) : [];
      }
      case "Withdrawn": {
        if (!live) return [];
        const fresh = await this.freshness(e.args.operator, e.args.to, await this.timestamp(e.blockNumber));
        const rule = this.rules.withdrawals.freshDestination;
        if (fresh === null || !rule) return [];
        const pause = rule.action === "pause" || rule.action === "cancelAndPause";
        return [{ rule: "freshDestination", detail: `instant withdrawal of ${e.args.amount} to ${e.args.to}, approved for ${e.args.operator} ${fresh} s earlier`, trigger, actions: pause ? [{ kind: "pause" }] : [] }];
      }
      default:
        return [];
    }
  }

  /** Seconds since `destination` was approved for `operator` by a change, if within the fresh-destination window. */
  private async freshness(operator: string, destination: string, at: bigint): Promise<bigint | null> {
    const rule = this.rules.withdrawals.freshDestination;
    if (!rule) return null;
    const times = (this.approvals.get(`${operator}|${destination}`) ?? []).filter((t) => t <= at);
    if (times.length === 0) return null;
    const age = at - times[times.length - 1];
    return age < rule.withinSeconds ? age : null;
  }

  private async judgeWithdrawal(w: PendingWithdrawal, trigger: Trigger): Promise<Finding[]> {
    const timestamp = await this.timestamp(w.position.blockNumber);
    const out: Finding[] = [];
    const what = `withdrawal #${w.id} of ${w.amount} of ${w.token} by ${w.operator} to ${w.to}`;
    const rules = this.rules.withdrawals;
    if (!rules.expected.some((p) => matchesWithdrawal({ ...w, timestamp }, p))) {
      out.push({ rule: "unexpectedWithdrawal", detail: `${what} matches no expected pattern`, trigger, actions: unexpectedActions(rules.onUnexpected, { kind: "cancelWithdrawal", id: w.id }) });
    } else {
      const over = (rules.totals ?? []).map((r) => this.overTotal(w, timestamp, r)).filter((x): x is string => x !== null);
      if (over.length > 0) out.push({ rule: "withdrawalTotal", detail: `${what}: ${over.join("; ")}`, trigger, actions: unexpectedActions(rules.onUnexpected, { kind: "cancelWithdrawal", id: w.id }) });
    }
    const fresh = await this.freshness(w.operator, w.to, timestamp);
    if (fresh !== null && rules.freshDestination) {
      const a = rules.freshDestination.action;
      const cancel: PlannedAction = { kind: "cancelWithdrawal", id: w.id };
      const actions: PlannedAction[] = a === "cancel" ? [cancel] : a === "cancelAndPause" ? [cancel, { kind: "pause" }] : a === "pause" ? [{ kind: "pause" }] : [];
      out.push({ rule: "freshDestination", detail: `${what}: the destination was approved ${fresh} s earlier`, trigger, actions });
    }
    return out;
  }

  /**
   * How `w` breaks a totals rule, or null: the total and count of its operator's queued withdrawals of its
   * token within the rule's period up to it (itself included, cancelled ones excluded).
   */
  private overTotal(w: PendingWithdrawal, at: bigint, rule: WithdrawalTotalRule): string | null {
    if ((rule.operator !== "*" && rule.operator !== w.operator) || (rule.token !== "*" && rule.token !== w.token)) return null;
    let total = 0n;
    let count = 0;
    for (const q of this.queuedLedger.values()) {
      if (q.operator !== w.operator || q.token !== w.token || q.id > w.id || q.timestamp > at || q.timestamp <= at - rule.periodSeconds) continue;
      total += q.amount;
      count++;
    }
    const why: string[] = [];
    if (rule.maxTotal !== undefined && total > rule.maxTotal) why.push(`${total} queued within ${rule.periodSeconds} s, over ${rule.maxTotal} per ${rule.periodSeconds} s`);
    if (rule.maxCount !== undefined && count > rule.maxCount) why.push(`${count} withdrawals queued within ${rule.periodSeconds} s, over ${rule.maxCount} per ${rule.periodSeconds} s`);
    return why.length > 0 ? why.join(", and ") : null;
  }

  private judgeChange(c: PendingChange, trigger: Trigger): Finding[] {
    if (this.rules.changes.expected.some((p) => matchesChange(c.change, p))) return [];
    const params = Object.entries(c.change).filter(([k]) => k !== "kind").map(([k, v]) => `${k}=${String(v)}`).join(", ");
    return [{ rule: "unexpectedChange", detail: `change #${c.id} ${c.change.kind}(${params}) matches no expected pattern`, trigger, actions: unexpectedActions(this.rules.changes.onUnexpected, { kind: "cancelChange", id: c.id }) }];
  }

  private judgeTripwire(operator: string, reason: bigint, at: bigint, trigger: Trigger): Finding[] {
    const rules = this.rules.tripwire;
    const actions: PlannedAction[] = [{ kind: "suspendOperator", operator }];
    if (rules.pause) actions.push({ kind: "pause" });
    if (rules.cancelPending) {
      for (const w of this.pendingWithdrawals.values()) if (w.operator === operator) actions.push({ kind: "cancelWithdrawal", id: w.id });
    }
    const out: Finding[] = [{ rule: "tripwire", detail: `tripwire fired for ${operator} (${tripReasonOf(reason)})`, trigger, actions }];
    const burst = rules.burst;
    if (burst) {
      const recent = this.tripwires.filter((t) => t <= at && at - t < burst.windowSeconds).length;
      if (recent >= burst.count) out.push({ rule: "tripwireBurst", detail: `${recent} tripwires within ${burst.windowSeconds} s`, trigger, actions: [{ kind: "pause" }] });
    }
    return out;
  }

  /** Judges what is still pending from before block `below` and can still execute. */
  private async reviewPending(below: number): Promise<Finding[]> {
    const head = await read(() => this.provider.getBlock("latest"));
    const now = BigInt(head?.timestamp ?? 0);
    const out: Finding[] = [];
    for (const w of this.pendingWithdrawals.values()) {
      if (w.position.blockNumber < below && now <= w.eta + GRACE_PERIOD) out.push(...(await this.judgeWithdrawal(w, { ...w.position, review: true })));
    }
    for (const c of this.pendingChanges.values()) {
      if (c.position.blockNumber < below && now <= c.eta + GRACE_PERIOD) out.push(...this.judgeChange(c, { ...c.position, review: true }));
    }
    return out;
  }

  /** Merges the findings' actions, reads the chain to drop what is no longer needed, and sends the rest. */
  private async act(findings: readonly Finding[]): Promise<ResponderAction[]> {
    const merged = new Map<string, { action: PlannedAction; rules: ResponderRule[] }>();
    for (const f of findings) {
      for (const a of f.actions) {
        const key = actionKey(a);
        const entry = merged.get(key) ?? { action: a, rules: [] };
        if (!entry.rules.includes(f.rule)) entry.rules.push(f.rule);
        merged.set(key, entry);
      }
    }
    const planned = [...merged.values()].sort((a, b) => ACTION_ORDER[a.action.kind] - ACTION_ORDER[b.action.kind]);
    const results: ResponderAction[] = [];
    const sent: { entry: (typeof planned)[number]; wait: () => Promise<{ hash: string; blockNumber: number }> }[] = [];
    for (const entry of planned) {
      const skip = await this.whySkip(entry.action);
      if (skip !== null) {
        results.push(this.record({ action: entry.action, rules: entry.rules, status: "skipped", note: skip }));
        continue;
      }
      if (this.dryRun) {
        results.push(this.record({ action: entry.action, rules: entry.rules, status: "dry-run" }));
        continue;
      }
      try {
        const tx = await this.send(entry.action);
        sent.push({ entry, wait: async () => tx.wait() });
      } catch (e) {
        results.push(this.record({ action: entry.action, rules: entry.rules, status: "failed", error: errorOf(e) }));
      }
    }
    for (const { entry, wait } of sent) {
      try {
        const receipt = await wait();
        results.push(this.record({ action: entry.action, rules: entry.rules, status: "confirmed", transactionHash: receipt.hash, blockNumber: receipt.blockNumber }));
      } catch (e) {
        results.push(this.record({ action: entry.action, rules: entry.rules, status: "failed", error: errorOf(e) }));
      }
    }
    return results.sort((a, b) => ACTION_ORDER[a.action.kind] - ACTION_ORDER[b.action.kind]);
  }

  private record(a: ResponderAction): ResponderAction {
    const level = a.status === "failed" ? "error" : a.status === "skipped" ? "info" : "warn";
    this.log({ type: "action", level, ...a });
    return a;
  }

  /** Reads the chain: why an action is not needed (or not possible) any more, or null. */
  private async whySkip(a: PlannedAction): Promise<string | null> {
    const vault = connectVault(this.vault, this.provider);
    switch (a.kind) {
      case "pause":
        return (await read(() => vault.paused())) ? "already paused" : null;
      case "suspendOperator":
        return (await read(() => readOperatorRecord(vault, a.operator))).suspended ? "already suspended: it stays suspended until a timelocked UnsuspendOperator change" : null;
      case "cancelWithdrawal": {
        const status = statusOf((await read(() => readWithdrawal(vault, a.id))).status);
        return status === "Pending" ? null : `already ${status.toLowerCase()}`;
      }
      case "cancelChange": {
        const c = await read(() => readChange(vault, a.id));
        const status = statusOf(c.status);
        if (status !== "Pending") return `already ${status.toLowerCase()}`;
        const change = this.pendingChanges.get(a.id)?.change;
        if (changeKindOf(c.kind) === "RemoveGuardian" && change?.kind === "RemoveGuardian" && change.guardian === this.guardian) {
          return "this change removes the responder's own key, which may not cancel it: another guardian (the Safe) must";
        }
        return null;
      }
    }
  }

  private async send(a: PlannedAction) {
    switch (a.kind) {
      case "pause":
        return this.client.pause();
      case "suspendOperator":
        return this.client.suspendOperator(a.operator);
      case "cancelWithdrawal":
        return this.client.cancelWithdrawal(a.id);
      case "cancelChange":
        return this.client.cancelChange(a.id);
    }
  }
}

function unexpectedActions(action: UnexpectedAction, cancel: PlannedAction): PlannedAction[] {
  if (action === "log") return [];
  return action === "cancelAndPause" ? [cancel, { kind: "pause" }] : [cancel];
}

function actionKey(a: PlannedAction): string {
  switch (a.kind) {
    case "pause":
      return "pause";
    case "suspendOperator":
      return `suspend:${a.operator}`;
    case "cancelWithdrawal":
      return `withdrawal:${a.id}`;
    case "cancelChange":
      return `change:${a.id}`;
  }
}

function errorOf(e: unknown): { name: string; message: string } {
  if (e instanceof VaultRevertError) return { name: e.errorName, message: e.message };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: "Error", message: String(e) };
}
