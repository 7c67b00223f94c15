/**
 * What the monitor saw, in SQLite (better-sqlite3): per chain and vault the cursor (next block to read),
 * every vault event decoded, every finding (an alert to raise or resolve), its delivery to each sink, the
 * responder's actions and the latest snapshot of each vault's state.
 *
 * Exactly-once, across restarts: one round of a vault (its events, the findings they raise, the deliveries
 * those need, and the cursor) is written in one transaction, so a monitor killed at any point either did
 * not record the round (and reads it again) or recorded all of it (and never reads it again). Events are
 * unique by position and findings by `(dedup_key, action)`, so even a round read twice cannot alert
 * twice. Deliveries are an outbox: each is sent until delivered, retried with backoff, or marked failed.
 */
import Database from "better-sqlite3";
import type { AlertKind, Severity } from "./config";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chains (
  name TEXT PRIMARY KEY,
  chain_id TEXT NOT NULL,
  head INTEGER,
  checked_at INTEGER
);
CREATE TABLE IF NOT EXISTS vaults (
  chain TEXT NOT NULL,
  address TEXT NOT NULL,
  name TEXT NOT NULL,
  safe TEXT,
  from_block INTEGER NOT NULL,
  next_block INTEGER NOT NULL,
  PRIMARY KEY (chain, address)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  chain TEXT NOT NULL,
  vault TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  log_index INTEGER NOT NULL,
  tx_hash TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  name TEXT NOT NULL,
  operator TEXT,
  token TEXT,
  args TEXT NOT NULL,
  UNIQUE (chain, vault, block_number, log_index)
);
CREATE INDEX IF NOT EXISTS events_by_operator ON events (operator, name);
CREATE INDEX IF NOT EXISTS events_by_vault ON events (chain, vault, block_number);
CREATE TABLE IF NOT EXISTS findings (
  id INTEGER PRIMARY KEY,
  chain TEXT NOT NULL,
  vault TEXT,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('trigger', 'resolve')),
  dedup_key TEXT NOT NULL,
  summary TEXT NOT NULL,
  details TEXT NOT NULL,
  event_id INTEGER REFERENCES events (id),
  created_at INTEGER NOT NULL,
  UNIQUE (dedup_key, action)
);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY,
  finding_id INTEGER NOT NULL REFERENCES findings (id),
  sink TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  delivered_at INTEGER,
  UNIQUE (finding_id, sink)
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (status, sink, id);
CREATE TABLE IF NOT EXISTS conditions (
  key TEXT PRIMARY KEY,
  dedup_key TEXT NOT NULL,
  since INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS actions (
  id INTEGER PRIMARY KEY,
  chain TEXT NOT NULL,
  vault TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  details TEXT NOT NULL,
  tx_hash TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
  chain TEXT NOT NULL,
  vault TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  taken_at INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (chain, vault)
);
`;

/** JSON with bigints as decimal strings (every amount in the store is a decimal string). */
export const toJson = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

/** An event as the monitor records it. */
export interface NewEvent {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly logIndex: number;
  readonly transactionHash: string;
  /** Block timestamp, seconds. */
  readonly timestamp: number;
  readonly name: string;
  /** Arguments by name (amounts are stored as decimal strings). */
  readonly args: Record<string, unknown>;
}

/** A recorded event read back, with where it belongs and the operator and token it names, if any. */
export interface StoredEvent extends NewEvent {
  readonly id: number;
  readonly chain: string;
  readonly vault: string;
  readonly operator: string | null;
  readonly token: string | null;
  /** Arguments by name, amounts as decimal strings. */
  readonly args: Record<string, unknown>;
}

/** What a finding says: the same whether it is about to be recorded (`NewFinding`) or read back (`StoredFinding`). */
export interface FindingFacts {
  readonly chain: string;
  readonly vault: string | null;
  readonly kind: AlertKind;
  readonly severity: Severity;
  readonly action: "trigger" | "resolve";
  readonly dedupKey: string;
  readonly summary: string;
  readonly details: Record<string, unknown>;
}

export interface NewFinding extends FindingFacts {
  /** Position of the event that raised it, if any (linked to the stored event). */
  readonly event?: { readonly blockNumber: number; readonly logIndex: number };
  /** Sinks it goes to (routing is decided by the caller). */
  readonly sinks: readonly string[];
}

export interface StoredFinding extends FindingFacts {
  readonly id: number;
  readonly eventId: number | null;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly deliveries: readonly DeliveryInfo[];
}

export interface DeliveryInfo {
  readonly id: number;
  readonly sink: string;
  readonly status: "pending" | "delivered" | "failed";
  readonly attempts: number;
  readonly lastError: string | null;
  readonly deliveredAt: number | null;
}

export interface PendingDelivery {
  readonly id: number;
  readonly sink: string;
  readonly attempts: number;
  readonly finding: Omit<StoredFinding, "deliveries">;
}

export interface VaultRow {
  readonly chain: string;
  readonly address: string;
  readonly name: string;
  readonly safe: string | null;
  readonly fromBlock: number;
  readonly nextBlock: number;
}

export interface EventQuery {
  readonly chain?: string;
  readonly vault?: string;
  readonly operator?: string;
  readonly token?: string;
  readonly names?: readonly string[];
  readonly fromBlock?: number;
  readonly toBlock?: number;
  /** Newest first when true (default: chain order). */
  readonly newestFirst?: boolean;
  readonly limit?: number;
}

type Row = Record<string, unknown>;

const eventOf = (r: Row): StoredEvent => ({
  id: r.id as number,
  chain: r.chain as string,
  vault: r.vault as string,
  blockNumber: r.block_number as number,
  blockHash: r.block_hash as string,
  logIndex: r.log_index as number,
  transactionHash: r.tx_hash as string,
  timestamp: r.timestamp as number,
  name: r.name as string,
  operator: (r.operator as string | null) ?? null,
  token: (r.token as string | null) ?? null,
  args: JSON.parse(r.args as string) as Record<string, unknown>,
});

const findingOf = (r: Row): Omit<StoredFinding, "deliveries"> => ({
  id: r.id as number,
  chain: r.chain as string,
  vault: (r.vault as string | null) ?? null,
  kind: r.kind as AlertKind,
  severity: r.severity as Severity,
  action: r.action as "trigger" | "resolve",
  dedupKey: r.dedup_key as string,
  summary: r.summary as string,
  details: JSON.parse(r.details as string) as Record<string, unknown>,
  eventId: (r.event_id as number | null) ?? null,
  createdAt: r.created_at as number,
});

export class MonitorStore {
  readonly db: Database.Database;

  /** Opens (creating if needed) the database at `file`, or an in-memory one for `:memory:`. */
  constructor(file: string, options: { readonly?: boolean } = {}) {
    this.db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    if (!options.readonly) {
      if (file !== ":memory:") this.db.pragma("journal_mode = WAL");
      this.db.pragma("foreign_keys = ON");
      this.db.exec(SCHEMA);
    }
    this.db.pragma("busy_timeout = 5000");
  }

  close(): void {
    this.db.close();
  }

  /** Records a chain's id and the head last seen. */
  setChain(name: string, chainId: bigint, head?: number): void {
    this.db
      .prepare(
        `INSERT INTO chains (name, chain_id, head, checked_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET chain_id = excluded.chain_id, head = COALESCE(excluded.head, head), checked_at = excluded.checked_at`,
      )
      .run(name, chainId.toString(), head ?? null, Date.now());
  }

  chains(): { name: string; chainId: string; head: number | null; checkedAt: number | null }[] {
    return (this.db.prepare(`SELECT * FROM chains ORDER BY name`).all() as Row[]).map((r) => ({
      name: r.name as string,
      chainId: r.chain_id as string,
      head: (r.head as number | null) ?? null,
      checkedAt: (r.checked_at as number | null) ?? null,
    }));
  }

  /** Registers a vault (its cursor starts at `fromBlock`); an already known vault keeps its cursor. */
  addVault(v: { chain: string; address: string; name: string; safe?: string; fromBlock: number }): VaultRow {
    this.db
      .prepare(
        `INSERT INTO vaults (chain, address, name, safe, from_block, next_block) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (chain, address) DO UPDATE SET name = excluded.name, safe = excluded.safe`,
      )
      .run(v.chain, v.address, v.name, v.safe ?? null, v.fromBlock, v.fromBlock);
    return this.vault(v.chain, v.address) as VaultRow;
  }

  vault(chain: string, address: string): VaultRow | undefined {
    const r = this.db.prepare(`SELECT * FROM vaults WHERE chain = ? AND address = ?`).get(chain, address) as Row | undefined;
    return r && { chain: r.chain as string, address: r.address as string, name: r.name as string, safe: (r.safe as string | null) ?? null, fromBlock: r.from_block as number, nextBlock: r.next_block as number };
  }

  vaults(): VaultRow[] {
    return (this.db.prepare(`SELECT chain, address FROM vaults ORDER BY name`).all() as Row[]).map((r) => this.vault(r.chain as string, r.address as string) as VaultRow);
  }

  /**
   * One round of one vault, atomically: stores the events (ignoring any already stored), the findings
   * (ignoring any whose dedup key and action are already stored) with a pending delivery per sink, and
   * moves the cursor to `nextBlock`. Returns the findings actually added.
   */
  recordRound(r: { chain: string; vault: string; events: readonly NewEvent[]; findings: readonly NewFinding[]; nextBlock: number }): StoredFinding[] {
    const insertEvent = this.db.prepare(
      `INSERT OR IGNORE INTO events (chain, vault, block_number, block_hash, log_index, tx_hash, timestamp, name, operator, token, args)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const eventId = this.db.prepare(`SELECT id FROM events WHERE chain = ? AND vault = ? AND block_number = ? AND log_index = ?`);
    const cursor = this.db.prepare(`UPDATE vaults SET next_block = ? WHERE chain = ? AND address = ? AND next_block <= ?`);
    return this.db.transaction(() => {
      for (const e of r.events) {
        const operator = typeof e.args.operator === "string" ? e.args.operator : null;
        const token = typeof e.args.token === "string" ? e.args.token : null;
        insertEvent.run(r.chain, r.vault, e.blockNumber, e.blockHash, e.logIndex, e.transactionHash, e.timestamp, e.name, operator, token, toJson(e.args));
      }
      const added: StoredFinding[] = [];
      for (const f of r.findings) {
        const id = f.event ? ((eventId.get(f.chain, f.vault, f.event.blockNumber, f.event.logIndex) as Row | undefined)?.id as number | undefined) : undefined;
        const stored = this.insertFinding(f, id ?? null);
        if (stored) added.push(stored);
      }
      cursor.run(r.nextBlock, r.chain, r.vault, r.nextBlock);
      return added;
    })();
  }

  /**
   * A reorg replaced the blocks from `fromBlock` on: their events are removed (alerts already raised stay,
   * unlinked) and the cursor goes back to `fromBlock`, atomically. Returns the number of events removed.
   */
  rewind(chain: string, vault: string, fromBlock: number): number {
    return this.db.transaction(() => {
      const ids = `SELECT id FROM events WHERE chain = ? AND vault = ? AND block_number >= ?`;
      this.db.prepare(`UPDATE findings SET event_id = NULL WHERE event_id IN (${ids})`).run(chain, vault, fromBlock);
      const removed = this.db.prepare(`DELETE FROM events WHERE chain = ? AND vault = ? AND block_number >= ?`).run(chain, vault, fromBlock).changes;
      this.db.prepare(`UPDATE vaults SET next_block = MIN(next_block, ?) WHERE chain = ? AND address = ?`).run(fromBlock, chain, vault);
      return removed;
    })();
  }

  /** Adds a finding outside a round (monitor conditions, undeliverable alerts); null if already stored. */
  addFinding(f: NewFinding): StoredFinding | null {
    return this.db.transaction(() => this.insertFinding(f, null))();
  }

  private insertFinding(f: NewFinding, eventId: number | null): StoredFinding | null {
    const now = Date.now();
    const res = this.db
      .prepare(
        `INSERT OR IGNORE INTO findings (chain, vault, kind, severity, action, dedup_key, summary, details, event_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(f.chain, f.vault, f.kind, f.severity, f.action, f.dedupKey, f.summary, toJson(f.details), eventId, now);
    if (res.changes === 0) return null;
    const id = Number(res.lastInsertRowid);
    const addDelivery = this.db.prepare(`INSERT OR IGNORE INTO deliveries (finding_id, sink, status, attempts, next_attempt_at) VALUES (?, ?, 'pending', 0, ?)`);
    for (const sink of new Set(f.sinks)) addDelivery.run(id, sink, now);
    return this.finding(id) as StoredFinding;
  }

  /**
   * A condition that holds over time (the monitor behind, a chain unreadable): `open` raises a trigger
   * finding the first time only, `close` the matching resolve. Returns the finding added, if any.
   */
  openCondition(key: string, make: (dedupKey: string) => NewFinding): StoredFinding | null {
    return this.db.transaction(() => {
      if (this.db.prepare(`SELECT 1 FROM conditions WHERE key = ?`).get(key)) return null;
      const since = Date.now();
      const dedupKey = `${key}:${since}`;
      this.db.prepare(`INSERT INTO conditions (key, dedup_key, since) VALUES (?, ?, ?)`).run(key, dedupKey, since);
      return this.insertFinding(make(dedupKey), null);
    })();
  }

  closeCondition(key: string, make: (dedupKey: string) => NewFinding): StoredFinding | null {
    return this.db.transaction(() => {
      const row = this.db.prepare(`SELECT dedup_key FROM conditions WHERE key = ?`).get(key) as Row | undefined;
      if (!row) return null;
      this.db.prepare(`DELETE FROM conditions WHERE key = ?`).run(key);
      return this.insertFinding(make(row.dedup_key as string), null);
    })();
  }

  /** Whether a trigger with this dedup key was raised and not yet resolved. */
  isOpen(dedupKey: string): boolean {
    const rows = this.db.prepare(`SELECT action FROM findings WHERE dedup_key = ?`).all(dedupKey) as Row[];
    return rows.some((r) => r.action === "trigger") && !rows.some((r) => r.action === "resolve");
  }

  finding(id: number): StoredFinding | undefined {
    const r = this.db.prepare(`SELECT * FROM findings WHERE id = ?`).get(id) as Row | undefined;
    return r && { ...findingOf(r), deliveries: this.deliveriesOf(id) };
  }

  private deliveriesOf(findingId: number): DeliveryInfo[] {
    return (this.db.prepare(`SELECT * FROM deliveries WHERE finding_id = ? ORDER BY id`).all(findingId) as Row[]).map((d) => ({
      id: d.id as number,
      sink: d.sink as string,
      status: d.status as DeliveryInfo["status"],
      attempts: d.attempts as number,
      lastError: (d.last_error as string | null) ?? null,
      deliveredAt: (d.delivered_at as number | null) ?? null,
    }));
  }

  /** Findings, newest first, with their deliveries. */
  findings(q: { chain?: string; vault?: string; kinds?: readonly string[]; undeliverable?: boolean; limit?: number } = {}): StoredFinding[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.chain) (where.push("chain = ?"), params.push(q.chain));
    if (q.vault) (where.push("(vault = ? OR vault IS NULL)"), params.push(q.vault));
    if (q.kinds?.length) (where.push(`kind IN (${q.kinds.map(() => "?").join(",")})`), params.push(...q.kinds));
    if (q.undeliverable) where.push(`id IN (SELECT finding_id FROM deliveries WHERE status = 'failed')`);
    const sql = `SELECT * FROM findings ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit ?? 500) as Row[]).map((r) => ({ ...findingOf(r), deliveries: this.deliveriesOf(r.id as number) }));
  }

  /**
   * Deliveries due now, oldest first, at most one per sink: a sink gets its alerts in order, so a
   * PagerDuty resolve never overtakes its trigger.
   */
  dueDeliveries(now = Date.now()): PendingDelivery[] {
    const rows = this.db
      .prepare(
        `SELECT d.id AS delivery_id, d.sink, d.attempts, d.next_attempt_at, f.* FROM deliveries d JOIN findings f ON f.id = d.finding_id
         WHERE d.status = 'pending' AND d.id IN (SELECT MIN(id) FROM deliveries WHERE status = 'pending' GROUP BY sink)
         ORDER BY d.id`,
      )
      .all() as Row[];
    return rows
      .filter((r) => (r.next_attempt_at as number) <= now)
      .map((r) => ({ id: r.delivery_id as number, sink: r.sink as string, attempts: r.attempts as number, finding: findingOf(r) }));
  }

  /** When the next pending delivery is due (ms since the epoch), or null if none is pending. */
  nextDeliveryAt(): number | null {
    const r = this.db.prepare(`SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'`).get() as Row;
    return (r.t as number | null) ?? null;
  }

  markDelivered(id: number): void {
    this.db.prepare(`UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?`).run(Date.now(), id);
  }

  /** A failed attempt: retried at `retryAt`, or failed for good when `retryAt` is null. */
  markAttemptFailed(id: number, error: string, retryAt: number | null): void {
    if (retryAt === null) this.db.prepare(`UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`).run(error, id);
    else this.db.prepare(`UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`).run(error, retryAt, id);
  }

  /** Counts of deliveries by status (for health and tests). */
  deliveryCounts(): Record<"pending" | "delivered" | "failed", number> {
    const out = { pending: 0, delivered: 0, failed: 0 };
    for (const r of this.db.prepare(`SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status`).all() as Row[]) out[r.status as keyof typeof out] = r.n as number;
    return out;
  }

  /** Stored events matching `q` (the history: "every withdrawal by this key, ever"). */
  events(q: EventQuery = {}): StoredEvent[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.chain) (where.push("chain = ?"), params.push(q.chain));
    if (q.vault) (where.push("vault = ?"), params.push(q.vault));
    if (q.operator) (where.push("operator = ?"), params.push(q.operator));
    if (q.token) (where.push("token = ?"), params.push(q.token));
    if (q.names?.length) (where.push(`name IN (${q.names.map(() => "?").join(",")})`), params.push(...q.names));
    if (q.fromBlock !== undefined) (where.push("block_number >= ?"), params.push(q.fromBlock));
    if (q.toBlock !== undefined) (where.push("block_number <= ?"), params.push(q.toBlock));
    const order = q.newestFirst ? "DESC" : "ASC";
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY block_number ${order}, log_index ${order} LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit ?? -1) as Row[]).map(eventOf);
  }

  addAction(a: { chain: string; vault: string; kind: string; status: string; details: Record<string, unknown>; txHash?: string }): void {
    this.db
      .prepare(`INSERT INTO actions (chain, vault, kind, status, details, tx_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(a.chain, a.vault, a.kind, a.status, toJson(a.details), a.txHash ?? null, Date.now());
  }

  actions(q: { chain?: string; vault?: string } = {}): { id: number; chain: string; vault: string; kind: string; status: string; details: Record<string, unknown>; txHash: string | null; createdAt: number }[] {
    const rows = this.db
      .prepare(`SELECT * FROM actions WHERE (? IS NULL OR chain = ?) AND (? IS NULL OR vault = ?) ORDER BY id DESC`)
      .all(q.chain ?? null, q.chain ?? null, q.vault ?? null, q.vault ?? null) as Row[];
    return rows.map((r) => ({
      id: r.id as number,
      chain: r.chain as string,
      vault: r.vault as string,
      kind: r.kind as string,
      status: r.status as string,
      details: JSON.parse(r.details as string) as Record<string, unknown>,
      txHash: (r.tx_hash as string | null) ?? null,
      createdAt: r.created_at as number,
    }));
  }

  putSnapshot(chain: string, vault: string, blockNumber: number, data: unknown): void {
    this.db
      .prepare(
        `INSERT INTO snapshots (chain, vault, block_number, taken_at, data) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (chain, vault) DO UPDATE SET block_number = excluded.block_number, taken_at = excluded.taken_at, data = excluded.data`,
      )
      .run(chain, vault, blockNumber, Date.now(), toJson(data));
  }

  snapshot(chain: string, vault: string): { blockNumber: number; takenAt: number; data: unknown } | undefined {
    const r = this.db.prepare(`SELECT * FROM snapshots WHERE chain = ? AND vault = ?`).get(chain, vault) as Row | undefined;
    return r && { blockNumber: r.block_number as number, takenAt: r.taken_at as number, data: JSON.parse(r.data as string) as unknown };
  }
}
