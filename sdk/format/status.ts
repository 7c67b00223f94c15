/**
 * A vault's status at one block, for people: the whole policy, balances, pause and suspensions, the
 * pending withdrawal queue and the pending changes; as data and as printable tables.
 */
import type { Provider } from "ethers";
import { AdminClient, type VaultPolicy } from "../clients/admin";
import { formatDuration } from "../deploy/config";
import { GRACE_PERIOD, changeKindOf, statusOf, tripReasonOf } from "../rules/constants";
import type { VaultEvent } from "../monitor/events";
import { formatAmount } from "../monitor/exposure";
import { readListedTokens, type TokenMeta } from "./human";
import { connectVault, read } from "../clients/transport";
import { readWithdrawals } from "../clients/state";
import { requireAddress } from "../errors/validate";
import { fetchVaultEvents, type WatchedEvent } from "../monitor/watcher";
import { decodeChange } from "../rules/changes";

/** A pending queued withdrawal. */
export interface PendingQueuedWithdrawal {
  readonly id: bigint;
  readonly operator: string;
  readonly token: string;
  readonly to: string;
  readonly amount: bigint;
  /** Executable from this block timestamp... */
  readonly eta: bigint;
  /** ...until this one. */
  readonly expiresAt: bigint;
  /** Whether it is executable at the status's block. */
  readonly ready: boolean;
}

export interface VaultStatus {
  readonly vault: string;
  readonly blockNumber: number;
  readonly timestamp: bigint;
  readonly policy: VaultPolicy;
  readonly tokens: readonly TokenMeta[];
  readonly queue: readonly PendingQueuedWithdrawal[];
}

/**
 * Reads the chain: the policy (`AdminClient.readPolicy`), token symbols and decimals, and the pending
 * queued withdrawals (ids from the vault's logs since `fromBlock`, each read back with `getWithdrawal`),
 * all at the latest block.
 */
export async function readVaultStatus(o: { provider: Provider; vault: string; fromBlock: number }): Promise<VaultStatus> {
  const vaultAddress = requireAddress(o.vault, "vault");
  const block = await read(() => o.provider.getBlock("latest"));
  if (!block) throw new Error("no latest block");
  const blockTag = block.number;
  const [policy, tokens, events] = await Promise.all([
    new AdminClient({ vault: vaultAddress, provider: o.provider }).readPolicy({ fromBlock: o.fromBlock, blockTag }),
    readListedTokens({ provider: o.provider, vault: vaultAddress }),
    fetchVaultEvents({ provider: o.provider, vault: vaultAddress, fromBlock: o.fromBlock, toBlock: blockTag }),
  ]);
  const ids = new Set<bigint>();
  for (const e of events) if (e.name === "WithdrawalQueued") ids.add(e.args.id);
  const vault = connectVault(vaultAddress, o.provider);
  const timestamp = BigInt(block.timestamp);
  const idList = [...ids];
  const stored = await read(() => readWithdrawals(vault, idList, { blockTag }));
  const rows = idList.map((id, k) => ({ id, w: stored[k] }));
  const queue = rows
    .filter(({ w }) => statusOf(w.status) === "Pending")
    .map(({ id, w }) => ({
      id,
      operator: w.operator,
      token: w.token,
      to: w.to,
      amount: w.amount,
      eta: w.eta,
      expiresAt: w.eta + GRACE_PERIOD,
      ready: timestamp >= w.eta && timestamp <= w.eta + GRACE_PERIOD,
    }));
  return { vault: vaultAddress, blockNumber: blockTag, timestamp, policy, tokens, queue };
}

/** Pure: a table with a header row, left-aligned text and right-aligned numbers. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const iso = (t: bigint): string => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");

/** Pure: the status as text. `labels` names addresses (operators, destinations) where known. */
export function formatVaultStatus(s: VaultStatus, options: { labels?: ReadonlyMap<string, string> } = {}): string {
  const meta = new Map(s.tokens.map((t) => [t.token, t]));
  const sym = (token: string) => meta.get(token)?.symbol ?? token;
  const amt = (token: string, v: bigint) => formatAmount(v, meta.get(token)?.decimals ?? 0);
  const who = (a: string) => (options.labels?.get(a) ? `${options.labels.get(a)} (${a})` : a);
  const p = s.policy;
  const trip = p.tripwire.maxCount === 0 ? "rate rule off" : `more than ${p.tripwire.maxCount} withdrawals per ${formatDuration(p.tripwire.period)} trips`;
  const suspended = p.operators.filter((o) => o.suspended).map((o) => who(o.operator));
  // Co-signing columns and lines only where the vault uses it, so that a vault without approvers reads as before.
  const cosigning = p.approvers.length > 0 || p.operators.some((o) => o.cosignedDestinations.length > 0 || o.limits.some((l) => l.cosignedCap > 0n));
  const cosignedDestinations = p.operators.flatMap((o) => o.cosignedDestinations.map((d) => `${options.labels?.get(o.operator) ?? o.operator} → ${who(d)}`));
  const out: string[] = [
    `Vault ${s.vault} at block ${s.blockNumber} (${iso(s.timestamp)})`,
    `  state:      ${p.paused ? "PAUSED (no operator outflow)" : "active"}; suspended operators: ${suspended.length ? suspended.join(", ") : "none"}`,
    `  admin:      ${who(p.admin)}${p.pendingAdmin !== "0x0000000000000000000000000000000000000000" ? ` (pending: ${who(p.pendingAdmin)})` : ""}`,
    `  guardians:  ${p.guardians.map(who).join(", ") || "none"}`,
    ...(cosigning ? [`  approvers:  ${p.approvers.map(who).join(", ") || "none"}`] : []),
    `  recovery:   ${who(p.recovery)}`,
    `  timing:     window ${formatDuration(p.window)}, change delay ${formatDuration(p.changeDelay)}, withdrawal delay ${formatDuration(p.withdrawalDelay)}; tripwire: ${trip}`,
    "",
    "Tokens",
    formatTable(
      ["token", "balance", "vault cap / window", "used", "available now"],
      p.tokens.map((t) => [sym(t.token), amt(t.token, t.balance), amt(t.token, t.vaultCap), amt(t.token, t.used), amt(t.token, t.available)]),
      [1, 2, 3, 4],
    ),
    "",
    "Operators",
    formatTable(
      [
        "operator",
        "token",
        "cap / window",
        "instant limit",
        "queue cap",
        "used",
        "available",
        "queued",
        ...(cosigning ? ["co-signed cap / window", "co-signed used", "co-signed available"] : []),
        "status",
      ],
      p.operators.flatMap((o) =>
        o.limits
          .filter((l) => l.cap > 0n || l.queueCap > 0n || l.pendingQueued > 0n || l.cosignedCap > 0n)
          .map((l) => [
            options.labels?.get(o.operator) ?? o.operator,
            sym(l.token),
            amt(l.token, l.cap),
            amt(l.token, l.instantLimit),
            amt(l.token, l.queueCap),
            amt(l.token, l.used),
            amt(l.token, l.available),
            amt(l.token, l.pendingQueued),
            ...(cosigning ? [amt(l.token, l.cosignedCap), amt(l.token, l.cosignedUsed), amt(l.token, l.cosignedAvailable)] : []),
            o.suspended ? "SUSPENDED" : o.tripwireOptedOut ? "active (tripwire opted out)" : "active",
          ]),
      ),
      cosigning ? [2, 3, 4, 5, 6, 7, 8, 9, 10] : [2, 3, 4, 5, 6, 7],
    ),
    ...(cosignedDestinations.length ? ["", "Co-signed destinations (paid only with an approver's signature)", ...cosignedDestinations.map((x) => `  ${x}`)] : []),
    "",
    `Pending queue (${s.queue.length})`,
  ];
  if (s.queue.length) {
    out.push(
      formatTable(
        ["id", "operator", "amount", "to", "executable from", "state"],
        s.queue.map((w) => [String(w.id), options.labels?.get(w.operator) ?? w.operator, `${amt(w.token, w.amount)} ${sym(w.token)}`, who(w.to), iso(w.eta), w.ready ? "READY" : "waiting"]),
        [0, 2],
      ),
    );
  }
  out.push("", `Pending changes (${p.pendingChanges.length})`);
  if (p.pendingChanges.length) {
    out.push(
      formatTable(
        ["id", "change", "executable from"],
        p.pendingChanges.map((c) => [String(c.id), describeChange(c.change, sym, amt), iso(c.eta)]),
        [0],
      ),
    );
  }
  return out.join("\n");
}

function describeChange(c: ReturnType<typeof decodeChange>, sym: (t: string) => string, amt: (t: string, v: bigint) => string): string {
  const parts = Object.entries(c)
    .filter(([k]) => k !== "kind")
    .map(([k, v]) => {
      if (k === "token") return `token=${sym(String(v))}`;
      if (typeof v === "bigint" && "token" in c && ["cap", "instantLimit", "queueCap", "vaultCap", "cosignedCap"].includes(k)) return `${k}=${amt(c.token, v)}`;
      if (typeof v === "bigint" && ["changeDelay", "withdrawalDelay", "period"].includes(k)) return `${k}=${formatDuration(v)}`;
      return `${k}=${String(v)}`;
    });
  return `${c.kind}(${parts.join(", ")})`;
}

const AMOUNT_ARGS = new Set(["amount", "cap", "instantLimit", "queueCap", "vaultCap", "cosignedCap"]);

/**
 * Pure: one line for a vault event (and one per anomaly it raises): token addresses shown by symbol and
 * amounts in whole tokens where `tokens` knows the token, other addresses with their `labels` (e.g. the
 * config's: `operator=bot1 (0x15d3…)`).
 */
export function formatVaultEvent(e: WatchedEvent | VaultEvent, tokens: readonly TokenMeta[] = [], options: { labels?: ReadonlyMap<string, string> } = {}): string {
  const meta = new Map(tokens.map((t) => [t.token, t]));
  const args = e.args as unknown as Record<string, unknown>;
  const token = typeof args.token === "string" ? meta.get(args.token) : undefined;
  const who = (a: string) => (options.labels?.get(a) ? `${options.labels.get(a)} (${a})` : a);
  const parts = Object.entries(args).map(([k, v]) => {
    if (k === "token" && token) return `token=${token.symbol}`;
    if (typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v) && k !== "token") return `${k}=${who(v)}`;
    if (typeof v === "bigint" && AMOUNT_ARGS.has(k) && token) return `${k}=${formatAmount(v, token.decimals)}`;
    if (k === "kind" && e.name.startsWith("Change")) return `kind=${changeKindOf(v as bigint)}`;
    if (k === "reason" && e.name === "TripwireFired") return `reason=${tripReasonOf(v as bigint)}`;
    if (k === "eta" && typeof v === "bigint") return `eta=${iso(v)}`;
    if (k === "params") return null;
    return `${k}=${String(v)}`;
  });
  const lines = [`block ${e.blockNumber}  ${e.name}  ${parts.filter((p) => p !== null).join(" ")}`];
  for (const a of "anomalies" in e ? e.anomalies : []) {
    if (a.kind === "TripwireFired") lines.push(`  !! anomaly: tripwire fired on operator ${who(a.operator)} (${a.reason}); the key is suspended`);
    else if (a.kind === "ChangeProposed") lines.push(`  !! anomaly: change #${a.id} proposed: ${describeChange(a.change, (t) => meta.get(t)?.symbol ?? t, (t, v) => formatAmount(v, meta.get(t)?.decimals ?? 0))}, executable from ${iso(a.eta)}`);
    else if (a.kind === "ApproverChanged") lines.push(`  !! anomaly: approver ${who(a.approver)} ${a.added ? "added" : "removed"} (by ${who(a.by)})`);
    else {
      const m = meta.get(a.token);
      const amt = (v: bigint) => (m ? `${formatAmount(v, m.decimals)} ${m.symbol}` : `${v} base units`);
      lines.push(`  !! anomaly: large queued withdrawal #${a.id}: ${amt(a.amount)} to ${who(a.to)} by ${who(a.operator)} (threshold ${amt(a.threshold)}), executable from ${iso(a.eta)}: cancel it if unexpected`);
    }
  }
  return lines.join("\n");
}
