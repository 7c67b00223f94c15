/**
 * Alerts: routing a finding to sinks by kind, severity and vault; the payload each kind of sink expects
 * (a Slack-compatible incoming webhook, PagerDuty Events API v2, a generic JSON webhook); and delivery of
 * the store's outbox with retries and exponential backoff. An alert that cannot be delivered stays
 * `failed` in the store (the console shows it) and raises an `AlertUndeliverable` finding routed to the
 * other sinks.
 */
import type { AlertKind, MonitorConfig, RetryConfig, Severity, SinkConfig } from "./config";
import { SEVERITIES } from "./config";
import type { MonitorStore, NewFinding, PendingDelivery, StoredFinding } from "./store";

/** The sinks a finding goes to under `routes`. */
export function routeFinding(config: MonitorConfig["alerts"], f: { kind: AlertKind; severity: Severity; vaultName?: string }): string[] {
  const out = new Set<string>();
  for (const r of config.routes) {
    if (r.kinds && !r.kinds.includes(f.kind)) continue;
    if (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(r.minSeverity)) continue;
    if (r.vaults && (f.vaultName === undefined || !r.vaults.includes(f.vaultName))) continue;
    for (const s of r.sinks) out.add(s);
  }
  return [...out];
}

type Finding = Omit<StoredFinding, "deliveries">;

const SEVERITY_EMOJI: Record<Severity, string> = { critical: ":rotating_light:", error: ":red_circle:", warning: ":warning:", info: ":information_source:" };

/** Slack incoming webhook: `text` (the notification) and Block Kit `blocks`. */
export function slackPayload(f: Finding, o: { consoleUrl?: string } = {}): { text: string; blocks: unknown[] } {
  const resolved = f.action === "resolve";
  const title = `${resolved ? "RESOLVED" : f.severity.toUpperCase()}: ${f.kind}${f.details.vaultName ? ` on ${String(f.details.vaultName)}` : ""}`;
  const facts = Object.entries(f.details)
    .filter(([, v]) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")
    .slice(0, 10)
    .map(([k, v]) => `*${k}*: \`${String(v)}\``)
    .join("\n");
  const context = [`chain ${f.chain}`, f.vault ? `vault ${f.vault}` : null, `dedup ${f.dedupKey}`, o.consoleUrl ? `<${o.consoleUrl}|console>` : null].filter(Boolean).join(" · ");
  return {
    text: `${resolved ? ":white_check_mark:" : SEVERITY_EMOJI[f.severity]} ${title}: ${f.summary}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: title.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: `${f.summary}${facts ? `\n${facts}` : ""}`.slice(0, 3000) } },
      { type: "context", elements: [{ type: "mrkdwn", text: context }] },
    ],
  };
}

/** PagerDuty Events API v2: `trigger` with the payload, or `resolve` with the same `dedup_key`. */
export function pagerDutyPayload(f: Finding, routingKey: string, o: { consoleUrl?: string } = {}): Record<string, unknown> {
  if (f.action === "resolve") return { routing_key: routingKey, event_action: "resolve", dedup_key: f.dedupKey };
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: f.dedupKey,
    payload: {
      summary: f.summary.slice(0, 1024),
      source: f.vault ? `${f.chain}:${f.vault}` : `monitor:${f.chain}`,
      severity: f.severity,
      timestamp: new Date(f.createdAt).toISOString(),
      component: f.details.vaultName ? String(f.details.vaultName) : "vault-monitor",
      group: f.chain,
      class: f.kind,
      custom_details: f.details,
    },
    client: "guarded-vault monitor",
    ...(o.consoleUrl ? { client_url: o.consoleUrl } : {}),
  };
}

/** The generic JSON webhook: the finding as data, with a stable `id` for receivers that deduplicate. */
export function webhookPayload(f: Finding): Record<string, unknown> {
  return {
    version: 1,
    id: `${f.dedupKey}:${f.action}`,
    kind: f.kind,
    severity: f.severity,
    action: f.action,
    dedupKey: f.dedupKey,
    chain: f.chain,
    vault: f.vault,
    summary: f.summary,
    details: f.details,
    createdAt: new Date(f.createdAt).toISOString(),
  };
}

/** Why a delivery attempt failed; `retry` says whether another attempt can help. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

/** Sends one finding to one sink; throws `DeliveryError`. The error message never contains the URL. */
export async function sendToSink(sink: SinkConfig, f: Finding, o: { timeoutMs: number; consoleUrl?: string }): Promise<void> {
  const body =
    sink.type === "slack" ? slackPayload(f, o) : sink.type === "pagerduty" ? pagerDutyPayload(f, sink.routingKey, o) : webhookPayload(f);
  const headers: Record<string, string> = { "content-type": "application/json", ...(sink.type === "webhook" ? sink.headers : {}) };
  let res: Response;
  try {
    res = await fetch(sink.url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new DeliveryError(`${sink.type} sink ${sink.name}: no response (${cause})`, true);
  }
  const text = await res.text().catch(() => "");
  if (res.ok) return;
  // 429 and 5xx are worth retrying; any other 4xx means the payload or the credentials are wrong.
  const retry = res.status === 429 || res.status >= 500;
  throw new DeliveryError(`${sink.type} sink ${sink.name}: HTTP ${res.status}${text ? ` ${text.slice(0, 200)}` : ""}`, retry);
}

/** Delay before attempt `attempt + 1` (attempt counts the failures so far): exponential, capped, with jitter. */
export function backoffMs(retry: RetryConfig, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + 0.5 * random()));
}

/**
 * Delivers the store's due deliveries, one at a time per sink and in order. Returns the number of
 * attempts made. Never throws for a sink's failure: it is recorded.
 */
export class AlertDispatcher {
  private readonly sinks: Map<string, SinkConfig>;

  constructor(
    private readonly store: MonitorStore,
    private readonly config: MonitorConfig["alerts"],
    private readonly log: (line: Record<string, unknown>) => void = () => undefined,
  ) {
    this.sinks = new Map(config.sinks.map((s) => [s.name, s]));
  }

  /** Attempts every delivery due now. */
  async deliverDue(now = Date.now()): Promise<number> {
    let attempts = 0;
    // Each round takes the oldest pending delivery of each sink; sinks are served in parallel.
    for (;;) {
      const due = this.store.dueDeliveries(now);
      if (due.length === 0) return attempts;
      const results = await Promise.all(due.map((d) => this.attempt(d)));
      attempts += due.length;
      // A sink whose oldest delivery is waiting for a retry holds its later ones back (order), so stop
      // when nothing was delivered or failed for good in this round.
      if (results.every((r) => r === "retry")) return attempts;
    }
  }

  private async attempt(d: PendingDelivery): Promise<"delivered" | "retry" | "failed"> {
    const sink = this.sinks.get(d.sink);
    if (!sink) {
      this.store.markAttemptFailed(d.id, `no sink named ${d.sink} in the config`, null);
      return "failed";
    }
    try {
      await sendToSink(sink, d.finding, { timeoutMs: this.config.retry.timeoutMs, consoleUrl: this.config.consoleUrl });
      this.store.markDelivered(d.id);
      this.log({ type: "delivered", sink: d.sink, kind: d.finding.kind, action: d.finding.action, dedupKey: d.finding.dedupKey });
      return "delivered";
    } catch (e) {
      const error = e instanceof DeliveryError ? e : new DeliveryError(String(e), true);
      const attempts = d.attempts + 1;
      const retryAt = error.retry && attempts < this.config.retry.attempts ? Date.now() + backoffMs(this.config.retry, attempts) : null;
      this.store.markAttemptFailed(d.id, error.message, retryAt);
      this.log({ type: retryAt === null ? "undeliverable" : "retry", sink: d.sink, kind: d.finding.kind, attempts, error: error.message });
      if (retryAt === null) this.undeliverable(d, error.message);
      return retryAt === null ? "failed" : "retry";
    }
  }

  /** Raises `AlertUndeliverable` to every other sink its route names (never about itself, never in a loop). */
  private undeliverable(d: PendingDelivery, error: string): void {
    if (d.finding.kind === "AlertUndeliverable") return;
    const severity = this.config.severities.AlertUndeliverable;
    const sinks = routeFinding(this.config, { kind: "AlertUndeliverable", severity, vaultName: d.finding.details.vaultName as string | undefined }).filter((s) => s !== d.sink);
    const f: NewFinding = {
      chain: d.finding.chain,
      vault: d.finding.vault,
      kind: "AlertUndeliverable",
      severity,
      action: "trigger",
      dedupKey: `undeliverable:${d.id}`,
      summary: `An alert could not be delivered to ${d.sink}: ${d.finding.kind} (${d.finding.summary})`,
      details: { ...d.finding.details, sink: d.sink, error, alertKind: d.finding.kind, alertDedupKey: d.finding.dedupKey },
      sinks,
    };
    this.store.addFinding(f);
  }
}
