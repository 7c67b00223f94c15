/**
 * What a vault's events mean for the people who watch it: each event that needs attention raises a
 * finding (an alert kind, a severity, a summary and a dedup key derived from the event itself, so that
 * reading the same event twice raises the same key); the events that end a situation (an unpause, a
 * cancelled withdrawal or change) resolve the finding that opened it. Pure, given what is open.
 */
import type { AlertKind, MonitorConfig, Severity, VaultConfigEntry } from "./config";
import { APPROVER_ROLE, GRACE_PERIOD, GUARDIAN_ROLE, changeKindOf, decodeChange, formatAmount, matchesChange, matchesWithdrawal, tripReasonOf, type TokenMeta, type VaultEvent } from "./sdk";
import type { NewEvent, NewFinding } from "./store";


export interface FindingContext {
  readonly chain: string;
  readonly chainId: bigint;
  readonly vault: VaultConfigEntry;
  readonly alerts: MonitorConfig["alerts"];
  /** Token symbols and decimals, for summaries (addresses are shown where unknown). */
  readonly tokens: ReadonlyMap<string, TokenMeta>;
  /** Whether a trigger with this dedup key is open in the store. */
  readonly isOpen: (dedupKey: string) => boolean;
  /** The open trigger of `kind` whose dedup key starts with `prefix`, if any. */
  readonly openWithPrefix: (prefix: string) => string | undefined;
  /** Dedup keys of the open queued-withdrawal triggers (either kind) of this vault whose operator is `operator`. */
  readonly openWithdrawalsOf: (operator: string) => string[];
  readonly route: (kind: AlertKind, severity: Severity) => string[];
}

/** An event with its block timestamp, as the store keeps it, plus the decoded original. */
export interface TimedEvent {
  readonly event: VaultEvent;
  readonly timestamp: number;
}

const iso = (t: bigint | number): string => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");

/** The event's arguments as stored: plain JSON values, plus decoded names for enums and change params. */
export function storedArgs(e: VaultEvent): Record<string, unknown> {
  const args: Record<string, unknown> = { ...(e.args as unknown as Record<string, unknown>) };
  if (e.name === "TripwireFired") args.reasonName = tripReasonOf(e.args.reason);
  if (e.name === "ChangeProposed" || e.name === "ChangeExecuted") args.kindName = changeKindOf(e.args.kind);
  if (e.name === "ChangeProposed") args.change = decodeChange(changeKindOf(e.args.kind), e.args.params);
  return args;
}

export function toNewEvent(t: TimedEvent): NewEvent {
  const e = t.event;
  return { blockNumber: e.blockNumber, blockHash: e.blockHash, logIndex: e.logIndex, transactionHash: e.transactionHash, timestamp: t.timestamp, name: e.name, args: storedArgs(e) };
}

/** The findings raised and resolved by a round's events, in order. */
export function findingsOf(events: readonly TimedEvent[], ctx: FindingContext): NewFinding[] {
  const out: NewFinding[] = [];
  const opened = new Set<string>();
  const resolved = new Set<string>();
  const base = `${ctx.chainId}:${ctx.vault.address}`;
  const sym = (token: string) => ctx.tokens.get(token)?.symbol ?? token;
  const amt = (token: string, v: bigint) => {
    const m = ctx.tokens.get(token);
    return m ? `${formatAmount(v, m.decimals)} ${m.symbol}` : `${v} base units of ${token}`;
  };
  const open = (key: string) => (opened.has(key) || ctx.isOpen(key)) && !resolved.has(key);
  /** The newest open trigger whose key starts with `prefix`: raised by these events, or earlier (the store). */
  const openKey = (prefix: string) => [...opened].reverse().find((k) => k.startsWith(prefix) && open(k)) ?? ctx.openWithPrefix(prefix);
  const common = { chain: ctx.chain, vault: ctx.vault.address };
  const details = (e: VaultEvent, timestamp: number, extra: Record<string, unknown>) => ({
    vaultName: ctx.vault.name,
    chainId: ctx.chainId.toString(),
    vault: ctx.vault.address,
    event: e.name,
    blockNumber: e.blockNumber,
    transactionHash: e.transactionHash,
    logIndex: e.logIndex,
    time: iso(timestamp),
    ...extra,
  });
  const trigger = (kind: AlertKind, key: string, e: VaultEvent, timestamp: number, summary: string, extra: Record<string, unknown>, severity = ctx.alerts.severities[kind]) => {
    opened.add(key);
    out.push({ ...common, kind, severity, action: "trigger", dedupKey: key, summary, details: details(e, timestamp, extra), event: { blockNumber: e.blockNumber, logIndex: e.logIndex }, sinks: ctx.route(kind, severity) });
  };
  const resolve = (kind: AlertKind, key: string, e: VaultEvent, timestamp: number, summary: string) => {
    if (!open(key)) return;
    resolved.add(key);
    const severity = ctx.alerts.severities[kind];
    out.push({ ...common, kind, severity, action: "resolve", dedupKey: key, summary, details: details(e, timestamp, {}), event: { blockNumber: e.blockNumber, logIndex: e.logIndex }, sinks: ctx.route(kind, severity) });
  };
  // Queued-withdrawal triggers raised by these events, by operator (the store knows the earlier ones).
  const queuedBy = new Map<string, string>();
  const tripped = new Set(events.filter((t) => t.event.name === "TripwireFired").map((t) => `${t.event.transactionHash}|${(t.event.args as { operator: string }).operator}`));

  for (const { event: e, timestamp } of events) {
    const at = `${e.blockNumber}:${e.logIndex}`;
    switch (e.name) {
      case "TripwireFired": {
        const { operator, token, to, amount } = e.args;
        const reason = tripReasonOf(e.args.reason);
        trigger("TripwireFired", `tripwire:${base}:${at}`, e, timestamp, `Tripwire fired on operator ${operator} (${reason}): it tried ${amt(token, amount)} to ${to}; the key is suspended and nothing moved`, {
          operator, token: sym(token), to, amount: amount.toString(), reason,
        });
        break;
      }
      case "VaultPaused":
        trigger("VaultPaused", `paused:${base}:${at}`, e, timestamp, `Vault ${ctx.vault.name} paused by ${e.args.by}: no operator outflow until an Unpause change executes`, { by: e.args.by });
        break;
      case "VaultUnpaused": {
        const key = openKey(`paused:${base}:`);
        if (key) resolve("VaultPaused", key, e, timestamp, `Vault ${ctx.vault.name} unpaused`);
        break;
      }
      case "OperatorSuspended":
        // A tripwire suspends in the same transaction and is already alerted as such.
        if (!tripped.has(`${e.transactionHash}|${e.args.operator}`)) {
          trigger("OperatorSuspended", `suspended:${base}:${e.args.operator}:${at}`, e, timestamp, `Operator ${e.args.operator} suspended by ${e.args.by}`, { operator: e.args.operator, by: e.args.by });
        }
        break;
      case "OperatorUnsuspended": {
        const key = openKey(`suspended:${base}:${e.args.operator}:`);
        if (key) resolve("OperatorSuspended", key, e, timestamp, `Operator ${e.args.operator} unsuspended`);
        break;
      }
      case "OperatorRemoved": {
        const { operator, by } = e.args;
        trigger("RoleChanged", `role:${base}:${at}`, e, timestamp, `Operator ${operator} removed by ${by}: its limits, destinations and queued withdrawals are void`, {
          role: "operator", account: operator, change: "removed", by,
        });
        // A removal ends the operator's suspension and cancels its queued withdrawals: their alerts close.
        const suspended = openKey(`suspended:${base}:${operator}:`);
        if (suspended) resolve("OperatorSuspended", suspended, e, timestamp, `Operator ${operator} removed: its suspension ends with it`);
        const queued = new Set([...[...queuedBy].filter(([, o]) => o === operator).map(([k]) => k), ...ctx.openWithdrawalsOf(operator)]);
        for (const key of queued) {
          const id = key.slice(key.lastIndexOf(":") + 1);
          for (const kind of ["UnexpectedQueuedWithdrawal", "QueuedWithdrawal"] as const) resolve(kind, key, e, timestamp, `Queued withdrawal #${id} cancelled: operator ${operator} removed`);
        }
        break;
      }
      case "WithdrawalQueued": {
        const { id, operator, token, to, amount, eta } = e.args;
        const facts = { operator, token, to, amount, timestamp: BigInt(timestamp) };
        const expected = ctx.vault.expectedWithdrawals.some((p) => matchesWithdrawal(facts, p));
        const kind: AlertKind = expected ? "QueuedWithdrawal" : "UnexpectedQueuedWithdrawal";
        queuedBy.set(`withdrawal:${base}:${id}`, operator);
        trigger(kind, `withdrawal:${base}:${id}`, e, timestamp, `${expected ? "Queued" : "Unexpected queued"} withdrawal #${id}: ${amt(token, amount)} to ${to} by ${operator}, executable from ${iso(eta)}${expected ? "" : ": cancel it if nobody asked for it"}`, {
          id: id.toString(), operator, token: sym(token), to, amount: amount.toString(), eta: iso(eta), expected,
        });
        break;
      }
      case "WithdrawalCancelled":
      case "WithdrawalExecuted": {
        const key = `withdrawal:${base}:${e.args.id}`;
        const verb = e.name === "WithdrawalCancelled" ? "cancelled" : "executed";
        for (const kind of ["UnexpectedQueuedWithdrawal", "QueuedWithdrawal"] as const) resolve(kind, key, e, timestamp, `Queued withdrawal #${e.args.id} ${verb}`);
        break;
      }
      case "ChangeProposed": {
        const { id, eta } = e.args;
        const change = decodeChange(changeKindOf(e.args.kind), e.args.params);
        const expected = ctx.vault.expectedChanges.some((p) => matchesChange(change, p));
        const params = Object.entries(change).filter(([k]) => k !== "kind").map(([k, v]) => `${k}=${k === "token" ? sym(String(v)) : String(v)}`).join(", ");
        trigger("ChangeProposed", `change:${base}:${id}`, e, timestamp, `${expected ? "Change" : "Unexpected change"} #${id} proposed: ${change.kind}(${params}), executable from ${iso(eta)} until ${iso(eta + GRACE_PERIOD)}${expected ? "" : ": guardians can cancel it"}`, {
          id: id.toString(), changeKind: change.kind, params, eta: iso(eta), expected,
        }, expected ? "info" : ctx.alerts.severities.ChangeProposed);
        break;
      }
      case "ChangeCancelled":
      case "ChangeExecuted":
        resolve("ChangeProposed", `change:${base}:${e.args.id}`, e, timestamp, `Change #${e.args.id} ${e.name === "ChangeCancelled" ? "cancelled" : "executed"}`);
        break;
      case "RoleGranted":
      case "RoleRevoked": {
        const role = e.args.role === GUARDIAN_ROLE ? "guardian" : e.args.role === APPROVER_ROLE ? "approver" : null;
        if (role === null) break;
        const verb = e.name === "RoleGranted" ? "added" : "removed";
        trigger("RoleChanged", `role:${base}:${at}`, e, timestamp, `${role === "guardian" ? "Guardian" : "Approver"} ${e.args.account} ${verb}`, { role, account: e.args.account, change: verb });
        break;
      }
      case "AdminTransferStarted":
        trigger("RoleChanged", `role:${base}:${at}`, e, timestamp, `Admin transfer started to ${e.args.newAdmin} (it takes effect when that account accepts)`, { role: "admin", account: e.args.newAdmin, change: "transfer started" });
        break;
      case "AdminTransferred":
        trigger("RoleChanged", `role:${base}:${at}`, e, timestamp, `Admin role transferred from ${e.args.previousAdmin} to ${e.args.newAdmin}`, { role: "admin", account: e.args.newAdmin, previous: e.args.previousAdmin, change: "transferred" });
        break;
      case "Evacuated":
        trigger("Evacuated", `evacuated:${base}:${at}`, e, timestamp, `${amt(e.args.token, e.args.amount)} evacuated to the recovery address ${e.args.to} by ${e.args.by}`, {
          token: sym(e.args.token), amount: e.args.amount.toString(), to: e.args.to, by: e.args.by,
        });
        break;
      default:
        break;
    }
  }
  return out;
}
