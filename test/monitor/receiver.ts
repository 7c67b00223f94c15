/**
 * A local HTTP receiver on 127.0.0.1 (port 0) for the monitor's alert tests: `/slack`, `/pagerduty` and
 * `/webhook` each check every payload against the format of the service they stand for (a Slack incoming
 * webhook, PagerDuty Events API v2, the monitor's generic webhook) and record it; a payload that breaks the
 * format is answered 400 (as the real services do) and recorded in `violations`. Answers can be scripted
 * (`failNext`) to test retries and undeliverable alerts.
 */
import Fastify, { type FastifyInstance } from "fastify";

export type ReceiverPath = "slack" | "pagerduty" | "webhook";

export interface Received {
  readonly path: ReceiverPath;
  readonly body: Record<string, unknown>;
  readonly at: number;
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

const PD_SEVERITIES = ["critical", "error", "warning", "info"];
const SLACK_BLOCK_TYPES = ["header", "section", "context", "divider", "actions"];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** Problems of a Slack incoming-webhook payload (`text` and/or Block Kit `blocks`). */
export function slackProblems(b: unknown): string[] {
  const p: string[] = [];
  if (!isObj(b)) return ["body is not an object"];
  if (!nonEmpty(b.text)) p.push("text must be a non-empty string (the notification fallback)");
  if (b.blocks !== undefined) {
    if (!Array.isArray(b.blocks) || b.blocks.length === 0 || b.blocks.length > 50) p.push("blocks must be an array of 1-50 blocks");
    else
      b.blocks.forEach((blk: unknown, i: number) => {
        if (!isObj(blk) || !SLACK_BLOCK_TYPES.includes(String(blk.type))) return p.push(`blocks[${i}].type is not a known block type`);
        if (blk.type === "header" && !(isObj(blk.text) && blk.text.type === "plain_text" && nonEmpty(blk.text.text) && blk.text.text.length <= 150)) p.push(`blocks[${i}] header needs plain_text of at most 150 characters`);
        if (blk.type === "section" && !(isObj(blk.text) && ["mrkdwn", "plain_text"].includes(String(blk.text.type)) && nonEmpty(blk.text.text) && blk.text.text.length <= 3000)) p.push(`blocks[${i}] section needs text of at most 3000 characters`);
        if (blk.type === "context" && !(Array.isArray(blk.elements) && blk.elements.length > 0 && blk.elements.length <= 10)) p.push(`blocks[${i}] context needs 1-10 elements`);
      });
  }
  return p;
}

/** Problems of a PagerDuty Events API v2 event. */
export function pagerDutyProblems(b: unknown): string[] {
  const p: string[] = [];
  if (!isObj(b)) return ["body is not an object"];
  if (!nonEmpty(b.routing_key) || b.routing_key.length !== 32) p.push("routing_key must be the 32-character integration key");
  if (!["trigger", "acknowledge", "resolve"].includes(String(b.event_action))) p.push("event_action must be trigger, acknowledge or resolve");
  if (b.dedup_key !== undefined && (!nonEmpty(b.dedup_key) || b.dedup_key.length > 255)) p.push("dedup_key must be a string of at most 255 characters");
  if (b.event_action !== "trigger") {
    if (!nonEmpty(b.dedup_key)) p.push("acknowledge and resolve need the dedup_key of the alert");
    return p;
  }
  const payload = b.payload;
  if (!isObj(payload)) return [...p, "payload is required for trigger"];
  if (!nonEmpty(payload.summary) || payload.summary.length > 1024) p.push("payload.summary must be 1-1024 characters");
  if (!nonEmpty(payload.source)) p.push("payload.source is required");
  if (!PD_SEVERITIES.includes(String(payload.severity))) p.push("payload.severity must be critical, error, warning or info");
  if (payload.timestamp !== undefined && Number.isNaN(Date.parse(String(payload.timestamp)))) p.push("payload.timestamp must be ISO 8601");
  if (payload.custom_details !== undefined && !isObj(payload.custom_details)) p.push("payload.custom_details must be an object");
  for (const k of Object.keys(payload)) {
    if (!["summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"].includes(k)) p.push(`payload.${k} is not a field of the event`);
  }
  return p;
}

/** Problems of the monitor's generic webhook payload (version 1). */
export function webhookProblems(b: unknown): string[] {
  const p: string[] = [];
  if (!isObj(b)) return ["body is not an object"];
  if (b.version !== 1) p.push("version must be 1");
  for (const k of ["id", "kind", "severity", "action", "dedupKey", "chain", "summary", "createdAt"]) if (!nonEmpty(b[k])) p.push(`${k} must be a non-empty string`);
  if (!PD_SEVERITIES.includes(String(b.severity))) p.push("severity must be critical, error, warning or info");
  if (!["trigger", "resolve"].includes(String(b.action))) p.push("action must be trigger or resolve");
  if (!isObj(b.details)) p.push("details must be an object");
  if (b.id !== `${String(b.dedupKey)}:${String(b.action)}`) p.push("id must be dedupKey:action");
  return p;
}

const CHECKS: Record<ReceiverPath, (b: unknown) => string[]> = { slack: slackProblems, pagerduty: pagerDutyProblems, webhook: webhookProblems };

export class AlertReceiver {
  readonly received: Received[] = [];
  readonly violations: { path: ReceiverPath; problems: string[]; body: unknown }[] = [];
  private readonly scripted = new Map<ReceiverPath, number[]>();
  private app: FastifyInstance | null = null;
  url = "";

  /** The next answers of `path` (then 2xx again): e.g. `[500, 500]` or `[400]`. */
  failNext(path: ReceiverPath, statuses: number[]): void {
    this.scripted.set(path, [...(this.scripted.get(path) ?? []), ...statuses]);
  }

  /** Accepted payloads of one path (answered 2xx). */
  accepted(path: ReceiverPath): Record<string, unknown>[] {
    return this.received.filter((r) => r.path === path && r.status < 300).map((r) => r.body);
  }

  async start(): Promise<this> {
    const app = Fastify({ logger: false });
    for (const path of Object.keys(CHECKS) as ReceiverPath[]) {
      app.post(`/${path}`, async (req, reply) => {
        const body = req.body as Record<string, unknown>;
        const problems = CHECKS[path](body);
        const queue = this.scripted.get(path) ?? [];
        const scripted = queue.shift();
        const status = problems.length > 0 ? 400 : scripted ?? (path === "pagerduty" ? 202 : 200);
        if (problems.length > 0) this.violations.push({ path, problems, body });
        this.received.push({ path, body, at: Date.now(), status, headers: req.headers });
        if (path === "pagerduty") {
          return reply.code(status).send(status === 202 ? { status: "success", message: "Event processed", dedup_key: body.dedup_key } : { status: "invalid event", errors: problems });
        }
        return reply.code(status).send(status === 200 ? "ok" : problems.join("; ") || "scripted failure");
      });
    }
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    if (!address || typeof address === "string") throw new Error("receiver did not bind");
    this.url = `http://127.0.0.1:${address.port}`;
    this.app = app;
    return this;
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }
}
