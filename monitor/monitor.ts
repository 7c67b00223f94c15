/**
 * The monitor: follows every vault of the config on its chain (one RPC per chain), records each round in
 * the store, raises findings and delivers them as alerts, keeps a snapshot of each vault for the console,
 * and runs the optional per-vault responder. Resumes from the store's cursors after a restart without
 * alerting twice (see `store.ts`).
 */
import { JsonRpcProvider, Wallet, type Provider, type Signer } from "ethers";
import { readFileSync } from "fs";
import { AlertDispatcher, routeFinding } from "./alerts";
import type { AlertKind, ChainConfig, MonitorConfig, Severity, VaultConfigEntry } from "./config";
import { findingsOf, toNewEvent, type FindingContext, type TimedEvent } from "./findings";
import { chainReader, logReaderSource, type ChainReader, type VaultEventSource, type VaultEventSourceOptions } from "./reader";
import { Responder, parseResponderRules, readVaultStatus, sleep, type ResponderAction, type TokenMeta } from "./sdk";
import { readVaultSnapshot } from "./snapshot";
import { MonitorStore, type NewFinding, type StoredFinding } from "./store";

export type MonitorLog = (line: Record<string, unknown>) => void;

export interface MonitorOptions {
  readonly config: MonitorConfig;
  /** An open store (default: opens `config.database`). */
  readonly store?: MonitorStore;
  /** Providers by chain name, instead of one `JsonRpcProvider` per configured RPC URL (tests). */
  readonly providers?: ReadonlyMap<string, Provider>;
  /** Makes each vault's event source (default: the SDK's `LogReader`). */
  readonly sources?: (o: VaultEventSourceOptions & { readonly chain: string }) => VaultEventSource;
  readonly log?: MonitorLog;
  /** How often the outbox is checked for due deliveries (default 250 ms). */
  readonly deliveryPollMs?: number;
}

/** What one round of one vault did. */
export interface VaultRound {
  readonly vault: string;
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly events: number;
  readonly findings: readonly StoredFinding[];
}

interface ChainState {
  readonly config: ChainConfig;
  readonly provider: Provider;
  readonly reader: ChainReader;
  chainId: bigint | null;
  failures: number;
  /** The newest head seen and when it was first seen (ms): a block's timestamp is the chain's time then. */
  head: { block: number; seenAt: number } | null;
}

interface VaultState {
  readonly config: VaultConfigEntry;
  tokens: Map<string, TokenMeta>;
  snapshotAt: number;
  /** The event source, created at the store's cursor on the first round. */
  source: VaultEventSource | null;
  responder: Responder | null;
}

export class Monitor {
  readonly store: MonitorStore;
  readonly config: MonitorConfig;
  private readonly chains = new Map<string, ChainState>();
  private readonly vaults = new Map<string, VaultState>();
  private readonly dispatcher: AlertDispatcher;
  private readonly log: MonitorLog;
  private readonly ownsStore: boolean;
  private readonly deliveryPollMs: number;
  private readonly makeSource: (o: VaultEventSourceOptions & { readonly chain: string }) => VaultEventSource;

  constructor(o: MonitorOptions) {
    this.config = o.config;
    this.ownsStore = o.store === undefined;
    this.store = o.store ?? new MonitorStore(o.config.database);
    this.log = o.log ?? (() => undefined);
    this.deliveryPollMs = o.deliveryPollMs ?? 250;
    this.makeSource = o.sources ?? logReaderSource;
    for (const c of o.config.chains) {
      const provider = o.providers?.get(c.name) ?? new JsonRpcProvider(c.rpcUrl, undefined, { staticNetwork: true, polling: false });
      const reader = chainReader(provider);
      this.chains.set(c.name, { config: c, provider, reader, chainId: null, failures: 0, head: null });
    }
    for (const v of o.config.vaults) {
      this.vaults.set(this.key(v.chain, v.address), { config: v, tokens: new Map(), snapshotAt: 0, source: null, responder: null });
      this.store.addVault({ chain: v.chain, address: v.address, name: v.name, safe: v.safe, fromBlock: v.fromBlock });
    }
    this.dispatcher = new AlertDispatcher(this.store, o.config.alerts, (l) => this.log(l));
  }

  private key(chain: string, address: string): string {
    return `${chain}/${address}`;
  }

  /** Reads the chain: one round of every vault on `chain`. Errors are recorded (`ReadFailed`) and rethrown. */
  async pollChain(chain: string): Promise<VaultRound[]> {
    const c = this.chains.get(chain);
    if (!c) throw new Error(`unknown chain ${chain}`);
    try {
      if (c.chainId === null) c.chainId = (await c.provider.getNetwork()).chainId;
      const latest = await c.reader.headBlock();
      if (c.head === null || latest > c.head.block) c.head = { block: latest, seenAt: Date.now() };
      this.store.setChain(chain, c.chainId, latest);
      const rounds: VaultRound[] = [];
      for (const v of this.vaults.values()) if (v.config.chain === chain) rounds.push(await this.pollVault(c, v, latest));
      this.recovered(c);
      c.failures = 0;
      return rounds;
    } catch (e) {
      c.failures++;
      const message = safeMessage(e);
      this.log({ type: "error", chain, failures: c.failures, error: message });
      if (c.failures >= c.config.readFailures && c.chainId !== null) {
        const chainId = c.chainId;
        const kind: AlertKind = "ReadFailed";
        const severity = this.config.alerts.severities[kind];
        this.store.openCondition(`read:${chainId}:${chain}`, (dedupKey) => ({
          chain, vault: null, kind, severity, action: "trigger", dedupKey,
          summary: `The monitor cannot read chain ${chain}: ${c.failures} rounds failed in a row (${message}); nothing is lost, it keeps retrying the same blocks`,
          details: { chainId: chainId.toString(), failures: c.failures, error: message },
          sinks: routeFinding(this.config.alerts, { kind, severity }),
        }));
      }
      throw e;
    }
  }

  private recovered(c: ChainState): void {
    if (c.chainId === null) return;
    const kind: AlertKind = "ReadFailed";
    const severity = this.config.alerts.severities[kind];
    const chainId = c.chainId;
    this.store.closeCondition(`read:${chainId}:${c.config.name}`, (dedupKey) => ({
      chain: c.config.name, vault: null, kind, severity, action: "resolve", dedupKey,
      summary: `The monitor reads chain ${c.config.name} again`, details: { chainId: chainId.toString() },
      sinks: routeFinding(this.config.alerts, { kind, severity }),
    }));
  }

  private async pollVault(c: ChainState, v: VaultState, latest: number): Promise<VaultRound> {
    const chain = c.config.name;
    const chainId = c.chainId as bigint;
    const row = this.store.vault(chain, v.config.address);
    const fromBlock = row?.nextBlock ?? v.config.fromBlock;
    if (v.source === null) {
      v.source = this.makeSource({ chain, provider: c.provider, vault: v.config.address, fromBlock, confirmations: c.config.confirmations, maxBlockRange: c.config.maxBlockRange });
    }
    const source = v.source;
    const head = latest - (source.confirmationDepth ?? c.config.confirmations ?? 0);
    // The responder acts on what the monitor has not seen yet: from the cursor when it resumes, from the
    // next block when the vault is new (it still reviews what is pending, as `vault:guard` does).
    if (v.responder === null && v.config.responder) v.responder = await this.createResponder(c, v, fromBlock > v.config.fromBlock ? fromBlock : head + 1);
    const ctx: FindingContext = {
      chain,
      chainId,
      vault: v.config,
      alerts: this.config.alerts,
      tokens: v.tokens,
      isOpen: (k) => this.store.isOpen(k),
      openWithPrefix: (prefix) => this.openWithPrefix(prefix),
      openWithdrawalsOf: (operator) => this.openWithdrawalsOf(`withdrawal:${chainId}:${v.config.address}:`, operator),
      route: (kind: AlertKind, severity: Severity) => routeFinding(this.config.alerts, { kind, severity, vaultName: v.config.name }),
    };
    const findings: StoredFinding[] = [];
    let count = 0;
    // Each page is recorded (events, findings, cursor) in one transaction before the source moves on.
    const round = await source.poll(
      {
        batch: async (page) => {
          const timed: TimedEvent[] = [];
          for (const event of page.events) timed.push({ event, timestamp: await c.reader.blockTimestamp(event.blockNumber) });
          if (v.tokens.size === 0 && page.events.length > 0) await this.refreshTokens(c, v);
          const added = this.store.recordRound({ chain, vault: v.config.address, events: timed.map(toNewEvent), findings: findingsOf(timed.filter((t) => this.alertable(v.config, t.event.blockNumber)), ctx), nextBlock: page.toBlock + 1 });
          findings.push(...added);
          count += page.events.length;
          for (const f of added) this.log({ type: "finding", chain, vault: v.config.name, kind: f.kind, severity: f.severity, action: f.action, summary: f.summary });
        },
        reorg: (r) => {
          const removed = this.store.rewind(chain, v.config.address, r.fromBlock);
          this.log({ type: "reorg", chain, vault: v.config.name, fromBlock: r.fromBlock, removedEvents: removed });
        },
        alert: (a) => this.log({ type: "reader", chain, vault: v.config.name, ...a }),
      },
      { toBlock: fromBlock + c.config.maxBlocksPerRound - 1, head: { number: latest, hash: null } },
    );
    const toBlock = round.toBlock;
    this.behind(c, v, latest - (source.confirmationDepth ?? 0), toBlock + 1);
    if (count > 0 || round.reorg || Date.now() - v.snapshotAt >= v.config.snapshotSeconds * 1000) await this.snapshot(c, v);
    if (v.responder) await this.runResponder(chain, v);
    return { vault: v.config.address, fromBlock, toBlock, events: count, findings };
  }

  /** Events of the deployment block (the initial policy, the first guardians) and before `alertFromBlock` are recorded, not alerted. */
  private alertable(v: VaultConfigEntry, block: number): boolean {
    return block > v.fromBlock && block >= (v.alertFromBlock ?? 0);
  }

  /** Dedup keys of the open triggers starting with `prefix` whose details name `operator`. */
  private openWithdrawalsOf(prefix: string, operator: string): string[] {
    const rows = this.store.db
      .prepare(
        `SELECT dedup_key FROM findings f WHERE action = 'trigger' AND dedup_key LIKE ? ESCAPE '\\'
         AND lower(json_extract(details, '$.operator')) = lower(?)
         AND NOT EXISTS (SELECT 1 FROM findings r WHERE r.dedup_key = f.dedup_key AND r.action = 'resolve') ORDER BY id`,
      )
      .all(`${prefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`, operator) as { dedup_key: string }[];
    return rows.map((r) => r.dedup_key);
  }

  private openWithPrefix(prefix: string): string | undefined {
    const row = this.store.db
      .prepare(
        `SELECT dedup_key FROM findings f WHERE action = 'trigger' AND dedup_key LIKE ? ESCAPE '\\'
         AND NOT EXISTS (SELECT 1 FROM findings r WHERE r.dedup_key = f.dedup_key AND r.action = 'resolve') ORDER BY id DESC LIMIT 1`,
      )
      .get(`${prefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`) as { dedup_key: string } | undefined;
    return row?.dedup_key;
  }

  private behind(c: ChainState, v: VaultState, head: number, nextBlock: number): void {
    const lag = head - nextBlock + 1;
    const chainId = c.chainId as bigint;
    const key = `behind:${chainId}:${v.config.address}`;
    const kind: AlertKind = "MonitorBehind";
    const severity = this.config.alerts.severities[kind];
    const make = (action: "trigger" | "resolve") => (dedupKey: string): NewFinding => ({
      chain: c.config.name, vault: v.config.address, kind, severity, action, dedupKey,
      summary: action === "trigger" ? `The monitor is ${lag} blocks behind the head on ${c.config.name} for vault ${v.config.name}` : `The monitor caught up with the head on ${c.config.name} for vault ${v.config.name}`,
      details: { vaultName: v.config.name, chainId: chainId.toString(), head, nextBlock, lag },
      sinks: routeFinding(this.config.alerts, { kind, severity, vaultName: v.config.name }),
    });
    if (lag > c.config.behindBlocks) this.store.openCondition(key, make("trigger"));
    else this.store.closeCondition(key, make("resolve"));
  }

  private async refreshTokens(c: ChainState, v: VaultState): Promise<void> {
    const status = await readVaultStatus({ provider: c.provider, vault: v.config.address, fromBlock: v.config.fromBlock });
    v.tokens = new Map(status.tokens.map((t) => [t.token, t]));
  }

  private async snapshot(c: ChainState, v: VaultState): Promise<void> {
    const startedAt = Date.now();
    const s = await readVaultSnapshot({ provider: c.provider, vault: v.config.address, fromBlock: v.config.fromBlock, chainId: c.chainId as bigint });
    // When the snapshot's block was first seen: the page counts down from its timestamp from then on.
    const observedAt = c.head && c.head.block === s.blockNumber ? c.head.seenAt : startedAt;
    v.tokens = new Map(s.status.tokens.map((t) => [t.token, t]));
    v.snapshotAt = Date.now();
    this.store.putSnapshot(c.config.name, v.config.address, s.blockNumber, { ...s, labels: v.config.labels, observedAt });
  }

  private async createResponder(c: ChainState, v: VaultState, reactFrom: number): Promise<Responder> {
    const r = v.config.responder!;
    const rules = parseResponderRules(JSON.parse(readFileSync(r.rulesFile, "utf8")));
    let signer: Signer;
    if ("env" in r.key) signer = new Wallet(process.env[r.key.env] ?? "", c.provider);
    else {
      // Loaded only when a vault's responder keeps its key in an HSM (pkcs11js is optional).
      const { Pkcs11Signer } = await import("../sdk/signers");
      const hsm = r.key.hsm;
      signer = await Pkcs11Signer.open({ module: hsm.module, token: hsm.token, key: hsm.key, pin: hsm.pin, provider: c.provider });
    }
    return Responder.create({
      vault: v.config.address,
      signer,
      provider: c.provider,
      rules,
      fromBlock: v.config.fromBlock,
      reactFrom,
      dryRun: r.dryRun,
      confirmations: v.source?.confirmationDepth ?? c.config.confirmations,
      maxBlockRange: c.config.maxBlockRange,
      log: (entry) => this.log({ ...entry, source: "responder", vault: v.config.name }),
    });
  }

  private async runResponder(chain: string, v: VaultState): Promise<void> {
    try {
      const round = await (v.responder as Responder).poll();
      for (const a of round.actions) this.recordAction(chain, v, a);
    } catch (e) {
      // The round's events are recorded; the responder takes its round up again next time.
      this.log({ type: "error", source: "responder", chain, vault: v.config.name, error: safeMessage(e) });
    }
  }

  private recordAction(chain: string, v: VaultState, a: ResponderAction): void {
    const { status, transactionHash, ...details } = a as ResponderAction & { status?: string; transactionHash?: string };
    this.store.addAction({ chain, vault: v.config.address, kind: a.action.kind, status: status ?? "done", details: details as Record<string, unknown>, txHash: transactionHash });
  }

  /** Delivers the alerts due now. */
  deliverAlerts(): Promise<number> {
    return this.dispatcher.deliverDue();
  }

  /**
   * Runs until `signal` aborts: one loop per chain (every `pollMs`) and the alert outbox. A failed round is
   * logged and retried from the same block.
   */
  async run(o: { signal?: AbortSignal } = {}): Promise<void> {
    const loops = [...this.chains.keys()].map(async (chain) => {
      const c = this.chains.get(chain) as ChainState;
      while (!o.signal?.aborted) {
        let more = false;
        try {
          const rounds = await this.pollChain(chain);
          more = rounds.some((r) => r.toBlock - r.fromBlock + 1 >= c.config.maxBlocksPerRound);
        } catch {
          // Logged and recorded by pollChain; the next round reads the same blocks again.
        }
        if (!more) await sleep(c.config.pollMs, { signal: o.signal });
      }
    });
    const delivery = (async () => {
      while (!o.signal?.aborted) {
        try {
          await this.dispatcher.deliverDue();
        } catch (e) {
          this.log({ type: "error", source: "alerts", error: safeMessage(e) });
        }
        await sleep(this.deliveryPollMs, { signal: o.signal });
      }
    })();
    await Promise.all([...loops, delivery]);
  }

  /** Closes the store if the monitor opened it, and the providers it created. */
  close(): void {
    for (const c of this.chains.values()) if (c.provider instanceof JsonRpcProvider) c.provider.destroy();
    if (this.ownsStore) this.store.close();
  }
}

/** An error message without URLs (an RPC URL may carry an API key). */
export function safeMessage(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"')]+/gi, "<url>").split("\n")[0].slice(0, 300);
}
