/**
 * The guardian's console: a read-only JSON API over the monitor's database and the web page that shows it
 * (fastify; the page draws its charts with Chart.js, served from node_modules). It holds no key and sends
 * nothing to any chain: guardian actions come back as unsigned `{ to, data, value }` and as a Safe
 * Transaction Builder file to download, for the guardians' Safe to sign.
 *
 * API (all GET, JSON unless said otherwise):
 *   /api/overview                          chains (head, chain id), vaults (cursor, paused, snapshot age), alert counts
 *   /api/vaults/:chain/:vault              the vault's latest snapshot, its event timeline with alerts, responder actions
 *   /api/events?chain&vault&operator&token&event&limit&format=csv|json
 *                                          the stored history (CSV or JSON as a download with format=)
 *   /api/alerts?vault&undeliverable=1      alerts with each delivery's status
 *   /api/vaults/:chain/:vault/tx?a=<action>&a=...&safe&name&download=1
 *                                          guardian transactions: pause | suspendOperator:<op> | cancelWithdrawal:<id>
 *                                          | cancelChange:<id> | revokeDestination:<op>:<dest>
 *                                          | lowerOperatorLimits:<op>:<token>:<cap>:<instantLimit>:<queueCap>
 *                                          | lowerVaultCap:<token>:<vaultCap> (amounts in whole tokens)
 */
import fastifyStatic from "@fastify/static";
import { getAddress, isAddress, parseUnits } from "ethers";
import Fastify, { type FastifyInstance } from "fastify";
import { createReadStream } from "fs";
import path from "path";
import { eventsToCsv, eventsToJson } from "../monitor/export";
import { GuardianTransactions, InvalidInputError, VaultSdkError, buildTxBuilderBatch, formatTxBuilderBatch, type UnsignedTransaction } from "../monitor/sdk";
import type { MonitorStore, StoredEvent, StoredFinding } from "../monitor/store";

export interface ConsoleOptions {
  readonly store: MonitorStore;
  /** Log requests (default off). */
  readonly logger?: boolean;
}

/** A request the console refuses, with the reason (HTTP 400 or 404). */
export class ConsoleRequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "ConsoleRequestError";
  }
}

interface SnapshotData {
  readonly chainId: string;
  readonly timestamp: string;
  readonly status: {
    readonly tokens: readonly { token: string; symbol: string; decimals: number }[];
    readonly policy: {
      readonly operators: readonly { operator: string; limits: readonly { token: string; cap: string; instantLimit: string; queueCap: string }[] }[];
      readonly tokens: readonly { token: string; vaultCap: string }[];
    };
  };
}

const ACTIONS = ["pause", "suspendOperator", "cancelWithdrawal", "cancelChange", "revokeDestination", "lowerOperatorLimits", "lowerVaultCap"] as const;

/** Builds the guardian transactions the `a` parameters ask for. Pure (amounts converted with the snapshot's decimals). */
export function guardianTransactions(vault: string, actions: readonly string[], snapshot: SnapshotData | undefined): { action: string; tx: UnsignedTransaction }[] {
  const g = new GuardianTransactions(vault);
  const tokenMeta = (ref: string, field: string) => {
    const t = snapshot?.status.tokens.find((x) => x.token.toLowerCase() === ref.toLowerCase() || x.symbol.toLowerCase() === ref.toLowerCase());
    if (!t) throw new ConsoleRequestError(`${field}: ${ref} is not a token of this vault`);
    return t;
  };
  const amount = (text: string, decimals: number, field: string) => {
    try {
      return parseUnits(text, decimals);
    } catch {
      throw new ConsoleRequestError(`${field}: expected an amount in whole tokens, got ${JSON.stringify(text)}`);
    }
  };
  const id = (text: string | undefined, field: string) => {
    if (!text || !/^[0-9]+$/.test(text)) throw new ConsoleRequestError(`${field}: expected an id, got ${JSON.stringify(text ?? "")}`);
    return BigInt(text);
  };
  return actions.map((a, i) => {
    const [kind, ...args] = a.split(":");
    const field = `a[${i}]`;
    switch (kind as (typeof ACTIONS)[number]) {
      case "pause":
        return { action: a, tx: g.pause() };
      case "suspendOperator":
        return { action: a, tx: g.suspendOperator(args[0] ?? "") };
      case "cancelWithdrawal":
        return { action: a, tx: g.cancelWithdrawal(id(args[0], field)) };
      case "cancelChange":
        return { action: a, tx: g.cancelChange(id(args[0], field)) };
      case "revokeDestination":
        return { action: a, tx: g.revokeDestination({ operator: args[0] ?? "", destination: args[1] ?? "" }) };
      case "lowerOperatorLimits": {
        const [operator, tokenRef, cap, instantLimit, queueCap] = args;
        if (queueCap === undefined) throw new ConsoleRequestError(`${field}: expected lowerOperatorLimits:<operator>:<token>:<cap>:<instantLimit>:<queueCap>`);
        const t = tokenMeta(tokenRef, field);
        const limits = { operator, token: t.token, cap: amount(cap, t.decimals, field), instantLimit: amount(instantLimit, t.decimals, field), queueCap: amount(queueCap, t.decimals, field) };
        const current = snapshot?.status.policy.operators.find((o) => isAddress(operator) && o.operator === getAddress(operator))?.limits.find((l) => l.token === t.token);
        if (current && (limits.cap > BigInt(current.cap) || limits.instantLimit > BigInt(current.instantLimit) || limits.queueCap > BigInt(current.queueCap))) {
          throw new ConsoleRequestError(`${field}: a guardian can only lower limits (each value at most the current one)`);
        }
        return { action: a, tx: g.lowerOperatorLimits(limits) };
      }
      case "lowerVaultCap": {
        const [tokenRef, cap] = args;
        if (cap === undefined) throw new ConsoleRequestError(`${field}: expected lowerVaultCap:<token>:<vaultCap>`);
        const t = tokenMeta(tokenRef, field);
        const vaultCap = amount(cap, t.decimals, field);
        const current = snapshot?.status.policy.tokens.find((x) => x.token === t.token);
        if (current && vaultCap > BigInt(current.vaultCap)) throw new ConsoleRequestError(`${field}: a guardian can only lower the vault cap`);
        return { action: a, tx: g.lowerVaultCap({ token: t.token, vaultCap }) };
      }
      default:
        throw new ConsoleRequestError(`${field}: unknown action ${JSON.stringify(kind)} (expected one of: ${ACTIONS.join(", ")})`);
    }
  });
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const one = (v: unknown): string | undefined => (Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v));
const plainTx = (tx: UnsignedTransaction) => ({ to: tx.to, data: tx.data, value: tx.value.toString() });

/** The console's fastify app (not listening yet: call `listen`). */
export async function createConsoleServer(o: ConsoleOptions): Promise<FastifyInstance> {
  const store = o.store;
  const app = Fastify({ logger: o.logger ?? false });
  await app.register(fastifyStatic, { root: path.join(__dirname, "public"), prefix: "/" });
  // Chart.js as its UMD build, straight from node_modules.
  const chartJs = path.join(path.dirname(require.resolve("chart.js")), "chart.umd.js");
  app.get("/vendor/chart.umd.js", (_req, reply) => reply.type("application/javascript; charset=utf-8").send(createReadStream(chartJs)));

  app.setErrorHandler((error, _req, reply) => {
    if (error instanceof ConsoleRequestError) return reply.code(error.status).send({ error: error.message });
    if (error instanceof InvalidInputError || error instanceof VaultSdkError) return reply.code(400).send({ error: error.message });
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status).send({ error: status === 500 ? "internal error" : (error as Error).message });
  });

  const vaultOf = (chain: string, address: string) => {
    if (!isAddress(address)) throw new ConsoleRequestError(`not an address: ${address}`);
    const v = store.vault(chain, getAddress(address));
    if (!v) throw new ConsoleRequestError(`no vault ${address} on chain ${chain} in the monitor's database`, 404);
    return v;
  };

  app.get("/api/overview", async () => {
    const chains = store.chains();
    const findings = store.findings({ limit: 5000 });
    return {
      chains,
      vaults: store.vaults().map((v) => {
        const snap = store.snapshot(v.chain, v.address);
        const data = snap?.data as { status?: { policy?: { paused?: boolean } } } | undefined;
        const head = chains.find((c) => c.name === v.chain)?.head ?? null;
        return { ...v, head, lag: head === null ? null : Math.max(0, head - v.nextBlock + 1), paused: data?.status?.policy?.paused ?? null, snapshotBlock: snap?.blockNumber ?? null, snapshotAt: snap?.takenAt ?? null };
      }),
      alerts: {
        open: openTriggers(findings).length,
        undeliverable: findings.filter((f) => f.deliveries.some((d) => d.status === "failed")).length,
      },
    };
  });

  app.get<{ Params: { chain: string; vault: string } }>("/api/vaults/:chain/:vault", async (req) => {
    const v = vaultOf(req.params.chain, req.params.vault);
    const snap = store.snapshot(v.chain, v.address);
    const events = store.events({ chain: v.chain, vault: v.address, newestFirst: true, limit: 200 });
    const findings = store.findings({ chain: v.chain, vault: v.address, limit: 500 });
    const chain = store.chains().find((c) => c.name === v.chain);
    return {
      vault: v,
      chain: chain ?? null,
      snapshot: snap ? { ...(snap.data as object), takenAt: snap.takenAt } : null,
      timeline: timeline(events, findings),
      alerts: findings,
      openAlerts: openTriggers(findings),
      actions: store.actions({ chain: v.chain, vault: v.address }).slice(0, 100),
    };
  });

  app.get<{ Querystring: Record<string, string | string[]> }>("/api/events", async (req, reply) => {
    const q = req.query;
    const chain = one(q.chain);
    const vault = one(q.vault);
    const operator = one(q.operator);
    const token = one(q.token);
    for (const [k, a] of [["vault", vault], ["operator", operator], ["token", token]] as const) {
      if (a !== undefined && !isAddress(a)) throw new ConsoleRequestError(`${k}: not an address: ${a}`);
    }
    const limitText = one(q.limit);
    if (limitText !== undefined && !/^[0-9]+$/.test(limitText)) throw new ConsoleRequestError(`limit: expected a number`);
    const events = store.events({
      chain,
      vault: vault && getAddress(vault),
      operator: operator && getAddress(operator),
      token: token && getAddress(token),
      names: list(q.event).flatMap((e) => e.split(",")).filter(Boolean),
      limit: limitText === undefined ? undefined : Number(limitText),
    });
    const format = one(q.format);
    if (format === "csv") return reply.header("content-type", "text/csv; charset=utf-8").header("content-disposition", `attachment; filename="vault-events.csv"`).send(eventsToCsv(events));
    if (format === "json") return reply.header("content-type", "application/json; charset=utf-8").header("content-disposition", `attachment; filename="vault-events.json"`).send(eventsToJson(events));
    if (format !== undefined) throw new ConsoleRequestError(`format: expected csv or json`);
    return { events };
  });

  app.get<{ Querystring: Record<string, string | string[]> }>("/api/alerts", async (req) => {
    const vault = one(req.query.vault);
    return { alerts: store.findings({ vault: vault && isAddress(vault) ? getAddress(vault) : undefined, undeliverable: one(req.query.undeliverable) === "1" }) };
  });

  app.get<{ Params: { chain: string; vault: string }; Querystring: Record<string, string | string[]> }>("/api/vaults/:chain/:vault/tx", async (req, reply) => {
    const v = vaultOf(req.params.chain, req.params.vault);
    const actions = list(req.query.a);
    if (actions.length === 0) throw new ConsoleRequestError("a: name at least one action");
    const snap = store.snapshot(v.chain, v.address)?.data as SnapshotData | undefined;
    const built = guardianTransactions(v.address, actions, snap);
    const chain = store.chains().find((c) => c.name === v.chain);
    const safe = one(req.query.safe) ?? v.safe ?? undefined;
    const transactions = built.map((b) => ({ action: b.action, ...plainTx(b.tx) }));
    if (!chain || !safe) {
      if (one(req.query.download) === "1") throw new ConsoleRequestError("a Transaction Builder file needs the guardian Safe (vault `safe` in the monitor config, or ?safe=) and the chain id");
      return { transactions, batch: null };
    }
    const batch = buildTxBuilderBatch({
      chainId: BigInt(chain.chainId),
      safe,
      name: one(req.query.name) ?? `${v.name}: ${built.map((b) => b.action.split(":")[0]).join(", ")}`,
      description: `Guardian actions on the vault ${v.name} (${v.address}) on ${v.chain}, prepared in the console`,
      transactions: built.map((b) => b.tx),
    });
    if (one(req.query.download) === "1") {
      const file = `${v.name}-${built.map((b) => b.action.split(":")[0]).join("-")}.json`.replace(/[^A-Za-z0-9._-]/g, "_");
      return reply.header("content-type", "application/json; charset=utf-8").header("content-disposition", `attachment; filename="${file}"`).send(formatTxBuilderBatch(batch));
    }
    return { transactions, batch };
  });

  return app;
}

/** Triggers without their resolve, newest first. */
function openTriggers(findings: readonly StoredFinding[]): StoredFinding[] {
  const resolved = new Set(findings.filter((f) => f.action === "resolve").map((f) => f.dedupKey));
  return findings.filter((f) => f.action === "trigger" && !resolved.has(f.dedupKey));
}

/** Events newest first, each with the alerts it raised; alerts not tied to an event (monitor conditions) as their own entries. */
function timeline(events: readonly StoredEvent[], findings: readonly StoredFinding[]) {
  const byEvent = new Map<number, StoredFinding[]>();
  for (const f of findings) if (f.eventId !== null) byEvent.set(f.eventId, [...(byEvent.get(f.eventId) ?? []), f]);
  const items: { type: "event" | "alert"; at: number; event?: StoredEvent; alerts: StoredFinding[] }[] = events.map((e) => ({ type: "event", at: e.timestamp * 1000, event: e, alerts: byEvent.get(e.id) ?? [] }));
  for (const f of findings) if (f.eventId === null) items.push({ type: "alert", at: f.createdAt, alerts: [f] });
  return items.sort((a, b) => b.at - a.at || (b.event?.blockNumber ?? 0) - (a.event?.blockNumber ?? 0) || (b.event?.logIndex ?? 0) - (a.event?.logIndex ?? 0));
}
