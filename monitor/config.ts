/**
 * The monitor's config file: chains (one RPC each), vaults, alert sinks and routing, the database and the
 * console. Validation lists every problem with its JSON path; secrets (RPC URLs with tokens, webhook
 * URLs, PagerDuty routing keys) are read from environment variables named in the file and never appear in
 * an error message or a log line.
 */
import { readFileSync } from "fs";
import path from "path";
import { parseResponderRules, requireAddress, type ChangePattern, type WithdrawalPattern } from "./sdk";

/** PagerDuty's severities, most severe first; every alert kind has one. */
export const SEVERITIES = ["critical", "error", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What the monitor alerts on. */
export const ALERT_KINDS = [
  "TripwireFired",
  "VaultPaused",
  "OperatorSuspended",
  "UnexpectedQueuedWithdrawal",
  "QueuedWithdrawal",
  "ChangeProposed",
  "RoleChanged",
  "Evacuated",
  "MonitorBehind",
  "ReadFailed",
  "AlertUndeliverable",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Default severity of each kind (the config's `alerts.severities` overrides them). */
export const DEFAULT_SEVERITIES: Readonly<Record<AlertKind, Severity>> = {
  TripwireFired: "critical",
  VaultPaused: "critical",
  OperatorSuspended: "error",
  UnexpectedQueuedWithdrawal: "critical",
  QueuedWithdrawal: "info",
  ChangeProposed: "error",
  RoleChanged: "error",
  Evacuated: "critical",
  MonitorBehind: "warning",
  ReadFailed: "error",
  AlertUndeliverable: "error",
};

export interface ChainConfig {
  readonly name: string;
  /** The RPC URL (from `rpc`, or from the environment variable `rpcEnv`); never printed. */
  readonly rpcUrl: string;
  /** Blocks below the head left unread, to sit out shallow reorgs (default: the chain's, see the SDK's `chainDefaults`). */
  readonly confirmations?: number;
  readonly pollMs: number;
  readonly maxBlockRange: number;
  /** Blocks read per vault and round at most (a long backlog is read over several rounds). */
  readonly maxBlocksPerRound: number;
  /** More unread blocks than this behind the head raises `MonitorBehind`. */
  readonly behindBlocks: number;
  /** This many failed rounds in a row raise `ReadFailed`. */
  readonly readFailures: number;
}

/** A guardian key in an HSM, through PKCS#11 (`sdk/signers`): the token, the key, and where the PIN is read from. */
export interface HsmKeyConfig {
  /** Path of the PKCS#11 module (default: SoftHSM2's, or `$PKCS11_MODULE`). */
  readonly module?: string;
  readonly token: string;
  readonly key: { readonly label: string } | { readonly id: string };
  readonly pin: { readonly env: string } | { readonly file: string };
}

export interface ResponderConfig {
  /** Path of a responder rules file (`vault:guard` format), relative to the config file. */
  readonly rulesFile: string;
  /** The responder's guardian key: an environment variable holding it, or a key in an HSM. */
  readonly key: { readonly env: string } | { readonly hsm: HsmKeyConfig };
  readonly dryRun: boolean;
}

export interface VaultConfigEntry {
  readonly name: string;
  readonly chain: string;
  readonly address: string;
  /** The vault's deployment block (history and pending items are read from here). */
  readonly fromBlock: number;
  /** Events before this block are recorded without raising alerts (e.g. history older than the monitor). */
  readonly alertFromBlock?: number;
  /** The guardian Safe the console writes Transaction Builder files for. */
  readonly safe?: string;
  /** Queued withdrawals matching one of these are `QueuedWithdrawal` (info), any other `UnexpectedQueuedWithdrawal`. */
  readonly expectedWithdrawals: readonly WithdrawalPattern[];
  /** Proposed changes matching one of these are reported at `info` severity. */
  readonly expectedChanges: readonly ChangePattern[];
  readonly responder?: ResponderConfig;
  /** Names of addresses (operators, destinations, guardians) for people, e.g. `{ "0x…": "bot1" }`. */
  readonly labels: Readonly<Record<string, string>>;
  /** Seconds between two snapshots of the vault's state when nothing happens (default 30). */
  readonly snapshotSeconds: number;
}

export type SinkConfig =
  | { readonly name: string; readonly type: "slack"; readonly url: string }
  | { readonly name: string; readonly type: "webhook"; readonly url: string; readonly headers: Readonly<Record<string, string>> }
  | { readonly name: string; readonly type: "pagerduty"; readonly url: string; readonly routingKey: string };

export interface RouteConfig {
  /** Kinds this route takes (all if omitted). */
  readonly kinds?: readonly AlertKind[];
  /** Least severe severity this route takes (default `info`: all). */
  readonly minSeverity: Severity;
  /** Vault names this route takes (all if omitted). */
  readonly vaults?: readonly string[];
  readonly sinks: readonly string[];
}

export interface RetryConfig {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
}

export interface MonitorConfig {
  /** SQLite file (relative to the config file), or `:memory:`. */
  readonly database: string;
  readonly chains: readonly ChainConfig[];
  readonly vaults: readonly VaultConfigEntry[];
  readonly alerts: {
    readonly sinks: readonly SinkConfig[];
    readonly routes: readonly RouteConfig[];
    readonly severities: Readonly<Record<AlertKind, Severity>>;
    readonly retry: RetryConfig;
    /** Link put into alerts (e.g. the console's address as people reach it). */
    readonly consoleUrl?: string;
  };
  readonly console: { readonly host: string; readonly port: number };
}

export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A config that failed validation; `issues` lists every problem by its path. */
export class MonitorConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join("; "));
    this.name = "MonitorConfigError";
    this.issues = issues;
  }
}

const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/**
 * Validates a parsed config. `env` supplies the secrets named by `*Env` keys; `baseDir` resolves relative
 * paths (the database, responder rules). Throws `MonitorConfigError` listing every problem. Reads the
 * responder rules files it names.
 */
export function parseMonitorConfig(input: unknown, options: { env?: NodeJS.ProcessEnv; baseDir?: string } = {}): MonitorConfig {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const bad = (p: string, message: string): undefined => {
    issues.push({ path: p, message });
    return undefined;
  };
  const obj = (v: unknown, p: string, keys: readonly string[]): Record<string, unknown> | undefined => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return bad(p, "expected an object");
    for (const k of Object.keys(v)) if (!keys.includes(k)) bad(`${p}.${k}`, `unknown key (expected one of: ${keys.join(", ")})`);
    return v as Record<string, unknown>;
  };
  const str = (v: unknown, p: string): string | undefined => (typeof v === "string" && v.length > 0 ? v : bad(p, "expected a non-empty string"));
  const int = (v: unknown, p: string, fallback: number, min = 0): number => {
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) return bad(p, `expected an integer >= ${min}`) ?? fallback;
    return v;
  };
  const secret = (o: Record<string, unknown>, p: string, key: string, what: string): string | undefined => {
    const direct = o[key];
    const named = o[`${key}Env`];
    if (direct !== undefined && named !== undefined) return bad(p, `give either ${key} or ${key}Env, not both`);
    if (named !== undefined) {
      const name = str(named, `${p}.${key}Env`);
      if (name === undefined) return undefined;
      const value = env[name];
      return value ? value : bad(`${p}.${key}Env`, `the environment variable ${name} (${what}) is not set`);
    }
    return str(direct, `${p}.${key}`);
  };
  const url = (v: string | undefined, p: string): string | undefined => {
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== "http:" && u.protocol !== "https:") return bad(p, "expected an http(s) URL");
      return v;
    } catch {
      // The value may hold a secret: say what is wrong without repeating it.
      return bad(p, "not a valid URL");
    }
  };

  const root = obj(input, "config", ["$schema", "database", "chains", "vaults", "alerts", "console"]) ?? {};
  const databaseText = root.database === undefined ? "monitor.sqlite" : str(root.database, "database") ?? "monitor.sqlite";
  const database = databaseText === ":memory:" ? databaseText : path.resolve(baseDir, databaseText);

  const chains: ChainConfig[] = [];
  const chainsObj = obj(root.chains, "chains", Object.keys((root.chains as object | undefined) ?? {})) ?? {};
  if (Object.keys(chainsObj).length === 0) bad("chains", "expected at least one chain");
  for (const [name, raw] of Object.entries(chainsObj)) {
    const p = `chains.${name}`;
    const c = obj(raw, p, ["rpc", "rpcEnv", "confirmations", "pollMs", "maxBlockRange", "maxBlocksPerRound", "behindBlocks", "readFailures"]);
    if (!c) continue;
    const rpcUrl = url(secret(c, p, "rpc", "the RPC URL"), `${p}.rpc`);
    chains.push({
      name,
      rpcUrl: rpcUrl ?? "",
      confirmations: c.confirmations === undefined ? undefined : int(c.confirmations, `${p}.confirmations`, 0),
      pollMs: int(c.pollMs, `${p}.pollMs`, 4000, 50),
      maxBlockRange: int(c.maxBlockRange, `${p}.maxBlockRange`, 2000, 1),
      maxBlocksPerRound: int(c.maxBlocksPerRound, `${p}.maxBlocksPerRound`, 10_000, 1),
      behindBlocks: int(c.behindBlocks, `${p}.behindBlocks`, 100, 1),
      readFailures: int(c.readFailures, `${p}.readFailures`, 3, 1),
    });
  }

  const vaults: VaultConfigEntry[] = [];
  if (!Array.isArray(root.vaults) || root.vaults.length === 0) bad("vaults", "expected a non-empty array");
  const names = new Set<string>();
  (Array.isArray(root.vaults) ? root.vaults : []).forEach((raw: unknown, i: number) => {
    const p = `vaults[${i}]`;
    const v = obj(raw, p, ["name", "chain", "address", "fromBlock", "alertFromBlock", "safe", "expected", "responder", "snapshotSeconds", "labels"]);
    if (!v) return;
    const name = str(v.name, `${p}.name`) ?? `#${i}`;
    if (names.has(name)) bad(`${p}.name`, `duplicate vault name ${JSON.stringify(name)}`);
    names.add(name);
    const chain = str(v.chain, `${p}.chain`) ?? "";
    if (chain && !chains.some((c) => c.name === chain)) bad(`${p}.chain`, `no chain named ${JSON.stringify(chain)} in chains`);
    const address = addressOf(v.address, `${p}.address`, bad) ?? "";
    const safe = v.safe === undefined ? undefined : addressOf(v.safe, `${p}.safe`, bad);
    let expectedWithdrawals: readonly WithdrawalPattern[] = [];
    let expectedChanges: readonly ChangePattern[] = [];
    if (v.expected !== undefined) {
      const e = obj(v.expected, `${p}.expected`, ["withdrawals", "changes"]) ?? {};
      try {
        const rules = parseResponderRules({
          tripwire: { pause: false, cancelPending: false },
          withdrawals: { expected: e.withdrawals ?? [], onUnexpected: "log" },
          changes: { expected: e.changes ?? [], onUnexpected: "log" },
        });
        expectedWithdrawals = rules.withdrawals.expected;
        expectedChanges = rules.changes.expected;
      } catch (err) {
        const problems = (err as { problems?: { path: string; message: string }[] }).problems ?? [{ path: "rules", message: (err as Error).message }];
        for (const q of problems) bad(q.path.replace(/^rules\.(withdrawals|changes)\.expected/, `${p}.expected.$1`), q.message);
      }
    }
    let responder: ResponderConfig | undefined;
    if (v.responder !== undefined) {
      const q = `${p}.responder`;
      const r = obj(v.responder, q, ["rules", "keyEnv", "hsm", "dryRun"]);
      if (r) {
        const rules = str(r.rules, `${q}.rules`);
        let key: ResponderConfig["key"] | undefined;
        if ((r.keyEnv === undefined) === (r.hsm === undefined)) bad(q, "give the guardian key as keyEnv or hsm (one of them)");
        else if (r.keyEnv !== undefined) {
          const keyEnv = str(r.keyEnv, `${q}.keyEnv`);
          if (keyEnv && !env[keyEnv]) bad(`${q}.keyEnv`, `the environment variable ${keyEnv} (the responder's key) is not set`);
          else if (keyEnv) key = { env: keyEnv };
        } else {
          const h = obj(r.hsm, `${q}.hsm`, ["module", "token", "keyLabel", "keyId", "pinEnv", "pinFile"]);
          if (h) {
            const token = str(h.token, `${q}.hsm.token`);
            const module = h.module === undefined ? undefined : str(h.module, `${q}.hsm.module`);
            const keySel = h.keyLabel !== undefined && h.keyId === undefined ? { label: str(h.keyLabel, `${q}.hsm.keyLabel`) ?? "" } : h.keyId !== undefined && h.keyLabel === undefined ? { id: str(h.keyId, `${q}.hsm.keyId`) ?? "" } : bad(`${q}.hsm`, "name the key by keyLabel or keyId (one of them)");
            const pin = h.pinEnv !== undefined && h.pinFile === undefined ? { env: str(h.pinEnv, `${q}.hsm.pinEnv`) ?? "" } : h.pinFile !== undefined && h.pinEnv === undefined ? { file: path.resolve(baseDir, str(h.pinFile, `${q}.hsm.pinFile`) ?? "") } : bad(`${q}.hsm`, "give the PIN's source as pinEnv or pinFile (one of them)");
            if (pin && "env" in pin && pin.env && !env[pin.env]) bad(`${q}.hsm.pinEnv`, `the environment variable ${pin.env} (the token's PIN) is not set`);
            if (token && keySel && pin) key = { hsm: { module, token, key: keySel, pin } };
          }
        }
        if (r.dryRun !== undefined && typeof r.dryRun !== "boolean") bad(`${q}.dryRun`, "expected true or false");
        if (rules && key) responder = { rulesFile: path.resolve(baseDir, rules), key, dryRun: r.dryRun === true };
      }
    }
    const labels: Record<string, string> = {};
    if (v.labels !== undefined) {
      const l = obj(v.labels, `${p}.labels`, Object.keys((v.labels as object | null) ?? {})) ?? {};
      for (const [a, text] of Object.entries(l)) {
        const address = addressOf(a, `${p}.labels.${a}`, bad);
        if (typeof text !== "string" || text.length === 0) bad(`${p}.labels.${a}`, "expected a non-empty string");
        else if (address) labels[address] = text;
      }
    }
    vaults.push({
      name,
      labels,
      chain,
      address,
      fromBlock: int(v.fromBlock, `${p}.fromBlock`, 0),
      alertFromBlock: v.alertFromBlock === undefined ? undefined : int(v.alertFromBlock, `${p}.alertFromBlock`, 0),
      safe,
      expectedWithdrawals,
      expectedChanges,
      responder,
      snapshotSeconds: int(v.snapshotSeconds, `${p}.snapshotSeconds`, 30, 1),
    });
  });
  const seen = new Set<string>();
  for (const v of vaults) {
    const key = `${v.chain}/${v.address}`;
    if (seen.has(key)) bad("vaults", `the vault ${v.address} on ${v.chain} is listed twice`);
    seen.add(key);
  }

  const alertsObj = root.alerts === undefined ? {} : obj(root.alerts, "alerts", ["sinks", "routes", "severities", "retry", "consoleUrl"]) ?? {};
  const sinks: SinkConfig[] = [];
  const sinksObj = alertsObj.sinks === undefined ? {} : obj(alertsObj.sinks, "alerts.sinks", Object.keys(alertsObj.sinks as object)) ?? {};
  for (const [name, raw] of Object.entries(sinksObj)) {
    const p = `alerts.sinks.${name}`;
    const s = obj(raw, p, ["type", "url", "urlEnv", "routingKey", "routingKeyEnv", "headers"]);
    if (!s) continue;
    if (s.type === "slack" || s.type === "webhook") {
      const u = url(secret(s, p, "url", "the webhook URL"), `${p}.url`);
      if (s.routingKey !== undefined || s.routingKeyEnv !== undefined) bad(`${p}.routingKey`, `only for pagerduty sinks`);
      if (s.type === "slack") {
        if (s.headers !== undefined) bad(`${p}.headers`, "only for webhook sinks");
        if (u) sinks.push({ name, type: "slack", url: u });
      } else {
        const headers: Record<string, string> = {};
        if (s.headers !== undefined) {
          const h = obj(s.headers, `${p}.headers`, Object.keys(s.headers as object)) ?? {};
          for (const [k, hv] of Object.entries(h)) {
            // A header value may be a secret: `{ "Authorization": { "env": "SIEM_TOKEN" } }`.
            if (typeof hv === "string") headers[k] = hv;
            else {
              const e = obj(hv, `${p}.headers.${k}`, ["env"]);
              const n = e ? str(e.env, `${p}.headers.${k}.env`) : undefined;
              if (n && env[n]) headers[k] = env[n] as string;
              else if (n) bad(`${p}.headers.${k}.env`, `the environment variable ${n} is not set`);
            }
          }
        }
        if (u) sinks.push({ name, type: "webhook", url: u, headers });
      }
    } else if (s.type === "pagerduty") {
      const routingKey = secret(s, p, "routingKey", "the PagerDuty routing key");
      const u = s.url === undefined && s.urlEnv === undefined ? PAGERDUTY_EVENTS_URL : url(secret(s, p, "url", "the events URL"), `${p}.url`);
      if (s.headers !== undefined) bad(`${p}.headers`, "only for webhook sinks");
      if (routingKey && u) sinks.push({ name, type: "pagerduty", url: u, routingKey });
    } else {
      bad(`${p}.type`, `expected "slack", "pagerduty" or "webhook"`);
    }
  }

  const severities: Record<AlertKind, Severity> = { ...DEFAULT_SEVERITIES };
  if (alertsObj.severities !== undefined) {
    const s = obj(alertsObj.severities, "alerts.severities", ALERT_KINDS) ?? {};
    for (const [k, v] of Object.entries(s)) {
      if (!SEVERITIES.includes(v as Severity)) bad(`alerts.severities.${k}`, `expected one of ${SEVERITIES.join(", ")}`);
      else if (ALERT_KINDS.includes(k as AlertKind)) severities[k as AlertKind] = v as Severity;
    }
  }

  const routes: RouteConfig[] = [];
  const sinkNames = new Set(Object.keys(sinksObj));
  if (alertsObj.routes !== undefined && !Array.isArray(alertsObj.routes)) bad("alerts.routes", "expected an array");
  (Array.isArray(alertsObj.routes) ? alertsObj.routes : []).forEach((raw: unknown, i: number) => {
    const p = `alerts.routes[${i}]`;
    const r = obj(raw, p, ["kinds", "minSeverity", "vaults", "sinks"]);
    if (!r) return;
    const list = (v: unknown, q: string): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : bad(q, "expected an array of strings"));
    const kinds = r.kinds === undefined ? undefined : list(r.kinds, `${p}.kinds`);
    kinds?.forEach((k, j) => {
      if (!ALERT_KINDS.includes(k as AlertKind)) bad(`${p}.kinds[${j}]`, `unknown alert kind ${JSON.stringify(k)} (expected one of: ${ALERT_KINDS.join(", ")})`);
    });
    const minSeverity = r.minSeverity === undefined ? "info" : (r.minSeverity as Severity);
    if (!SEVERITIES.includes(minSeverity)) bad(`${p}.minSeverity`, `expected one of ${SEVERITIES.join(", ")}`);
    const vaultNames = r.vaults === undefined ? undefined : list(r.vaults, `${p}.vaults`);
    vaultNames?.forEach((n, j) => {
      if (!names.has(n)) bad(`${p}.vaults[${j}]`, `no vault named ${JSON.stringify(n)}`);
    });
    const to = list(r.sinks, `${p}.sinks`) ?? [];
    if (to.length === 0) bad(`${p}.sinks`, "expected at least one sink");
    to.forEach((n, j) => {
      if (!sinkNames.has(n)) bad(`${p}.sinks[${j}]`, `no sink named ${JSON.stringify(n)} in alerts.sinks`);
    });
    routes.push({ kinds: kinds as AlertKind[] | undefined, minSeverity, vaults: vaultNames, sinks: to });
  });

  const retryObj = alertsObj.retry === undefined ? {} : obj(alertsObj.retry, "alerts.retry", ["attempts", "initialDelayMs", "maxDelayMs", "timeoutMs"]) ?? {};
  const retry: RetryConfig = {
    attempts: int(retryObj.attempts, "alerts.retry.attempts", 8, 1),
    initialDelayMs: int(retryObj.initialDelayMs, "alerts.retry.initialDelayMs", 1000, 1),
    maxDelayMs: int(retryObj.maxDelayMs, "alerts.retry.maxDelayMs", 300_000, 1),
    timeoutMs: int(retryObj.timeoutMs, "alerts.retry.timeoutMs", 10_000, 1),
  };
  const consoleUrl = alertsObj.consoleUrl === undefined ? undefined : url(str(alertsObj.consoleUrl, "alerts.consoleUrl"), "alerts.consoleUrl");

  const consoleObj = root.console === undefined ? {} : obj(root.console, "console", ["host", "port"]) ?? {};
  const host = consoleObj.host === undefined ? "127.0.0.1" : str(consoleObj.host, "console.host") ?? "127.0.0.1";
  const port = int(consoleObj.port, "console.port", 8787, 0);
  if (port > 65535) bad("console.port", "expected a port number (0-65535)");

  if (issues.length > 0) throw new MonitorConfigError(issues);
  return { database, chains, vaults, alerts: { sinks, routes, severities, retry, consoleUrl }, console: { host, port } };
}

function addressOf(v: unknown, p: string, bad: (p: string, m: string) => undefined): string | undefined {
  try {
    return requireAddress(v, p);
  } catch (e) {
    return bad(p, (e as Error).message.replace(/^invalid [^:]*: /, ""));
  }
}

/** Reads and validates a config file (JSON). Throws `MonitorConfigError` for a missing or malformed file too. */
export function loadMonitorConfig(file: string, env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new MonitorConfigError([{ path: file, message: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? "error"})` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MonitorConfigError([{ path: file, message: `not valid JSON: ${(e as Error).message}` }]);
  }
  return parseMonitorConfig(json, { env, baseDir: path.dirname(path.resolve(file)) });
}
