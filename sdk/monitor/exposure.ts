/**
 * Exposure: for every operator and token, the most a stolen key could move within each horizon if nobody
 * intervenes, and the same for all keys together, over the closed interval [now, now + horizon]: computed
 * from the vault's storage like `VaultLens.operatorExposure` / `vaultExposure`; as data and as a printable table.
 */
import { formatUnits, type Provider } from "ethers";
import { connectErc20 } from "../abi";
import { NATIVE } from "../rules/constants";
import { InvalidInputError } from "../errors/base";
import { connectVault, read } from "../clients/transport";
import { requireAddress } from "../errors/validate";
import { readTokenExposure, readTokens } from "../clients/state";

/** The default horizons: 1 h, 24 h and 48 h. */
export const DEFAULT_HORIZONS: readonly bigint[] = [3600n, 86_400n, 172_800n];

/** A bound over one horizon, in base units (see `IGuardedVault.Exposure`). */
export interface ExposureBound {
  readonly horizon: bigint;
  readonly instant: bigint;
  readonly queued: bigint;
  /** min(instant + queued, vault balance): a stolen operator key alone. */
  readonly total: bigint;
  /** What the co-signed paths add with a stolen approver too (0 without a co-signed cap). */
  readonly cosigned: bigint;
  /** min(instant + cosigned + queued, vault balance): a stolen operator key plus a stolen approver. */
  readonly totalWithApprover: bigint;
}

export interface TokenExposure {
  readonly token: string;
  readonly symbol: string;
  readonly decimals: number;
  /** One bound per horizon, for each operator. */
  readonly operators: readonly { readonly operator: string; readonly bounds: readonly ExposureBound[] }[];
  /** All operator keys together, one bound per horizon. */
  readonly vault: readonly ExposureBound[];
}

export interface ExposureReport {
  readonly vault: string;
  readonly blockNumber: number;
  readonly horizons: readonly bigint[];
  readonly tokens: readonly TokenExposure[];
}

export interface ExposureOptions {
  readonly provider: Provider;
  readonly vault: string;
  /** Horizons in seconds (default 1 h, 24 h, 48 h). */
  readonly horizons?: readonly bigint[];
  /** Block to read at (default: latest). */
  readonly blockTag?: number;
  /** Symbol and decimals by token address; otherwise read from the token (`symbol()`, `decimals()`). */
  readonly tokenInfo?: Readonly<Record<string, { symbol: string; decimals: number }>>;
}

/**
 * Reads the chain: the listed tokens, the operators, and the storage words of every operator and token
 * (`extsload`), computing the bounds for every horizon, all at one block; token symbols and decimals unless given.
 */
export async function readExposure(options: ExposureOptions): Promise<ExposureReport> {
  const vaultAddress = requireAddress(options.vault, "vault");
  const horizons = options.horizons ?? DEFAULT_HORIZONS;
  if (horizons.length === 0 || horizons.some((h) => typeof h !== "bigint" || h <= 0n)) {
    throw new InvalidInputError("horizons", "expected positive bigint seconds");
  }
  const info = new Map(Object.entries(options.tokenInfo ?? {}).map(([k, v]) => [requireAddress(k, "tokenInfo"), v]));
  const vault = connectVault(vaultAddress, options.provider);
  const blockTag = options.blockTag ?? (await read(() => options.provider.getBlockNumber()));
  const tokens = await read(() => readTokens(vault, { blockTag }));
  const bound = (horizon: bigint, e: Omit<ExposureBound, "horizon">): ExposureBound => ({
    horizon,
    instant: e.instant,
    queued: e.queued,
    total: e.total,
    cosigned: e.cosigned,
    totalWithApprover: e.totalWithApprover,
  });
  const rows = await Promise.all(
    tokens.map(async (token): Promise<TokenExposure> => {
      const meta = info.get(token) ?? (await tokenMeta(options.provider, token));
      const e = await read(() => readTokenExposure(vault, token, horizons, { blockTag }));
      return {
        token,
        symbol: meta.symbol,
        decimals: meta.decimals,
        operators: e.operators.map((o) => ({ operator: o.operator, bounds: o.bounds.map((b, i) => bound(horizons[i], b)) })),
        vault: e.vault.map((b, i) => bound(horizons[i], b)),
      };
    }),
  );
  return { vault: vaultAddress, blockNumber: blockTag, horizons, tokens: rows };
}

async function tokenMeta(provider: Provider, token: string): Promise<{ symbol: string; decimals: number }> {
  if (token === NATIVE) return { symbol: "ETH", decimals: 18 };
  const erc20 = connectErc20(token, provider);
  const [symbol, decimals] = await Promise.all([erc20.symbol().catch(() => null), erc20.decimals().catch(() => null)]);
  return { symbol: symbol ?? `${token.slice(0, 6)}…${token.slice(-4)}`, decimals: decimals === null ? 0 : Number(decimals) };
}

/** A whole-token amount with thousands separators, exact (no floating point). */
export function formatAmount(amount: bigint, decimals: number): string {
  const [whole, fraction = ""] = formatUnits(amount, decimals).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const trimmed = fraction.replace(/0+$/, "");
  return trimmed ? `${grouped}.${trimmed}` : grouped;
}

const horizonLabel = (h: bigint): string => (h % 3600n === 0n ? `${h / 3600n}h` : `${h}s`);
const short = (a: string): string => `${a.slice(0, 6)}…${a.slice(-4)}`;

/**
 * A printable table of a report: one row per token and operator and one "all keys" row per token, one
 * column per horizon, each cell the total bound (instant + queued, capped by the balance) in whole tokens.
 * Where co-signed caps let an approver's signature move more, a "+ approver" row follows with the bound for
 * the key and a stolen approver together (`totalWithApprover`).
 * `labels` names operators (e.g. from the config: "bot1 (0x15d3…6A65)").
 */
export function formatExposureTable(report: ExposureReport, options: { labels?: ReadonlyMap<string, string> } = {}): string {
  const header = ["token", "operator", ...report.horizons.map(horizonLabel)];
  const rows: string[][] = [];
  const who = (a: string) => (options.labels?.get(a) ? `${options.labels.get(a)} (${short(a)})` : short(a));
  for (const t of report.tokens) {
    const withApprover = (label: string, bounds: readonly ExposureBound[]) => {
      if (bounds.some((b) => b.cosigned > 0n)) rows.push([t.symbol, `${label} + approver`, ...bounds.map((b) => formatAmount(b.totalWithApprover, t.decimals))]);
    };
    for (const o of t.operators) {
      rows.push([t.symbol, who(o.operator), ...o.bounds.map((b) => formatAmount(b.total, t.decimals))]);
      withApprover(who(o.operator), o.bounds);
    }
    rows.push([t.symbol, "all keys", ...t.vault.map((b) => formatAmount(b.total, t.decimals))]);
    withApprover("all keys", t.vault);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [
    `Worst case a stolen key moves if nobody intervenes (vault ${report.vault}, block ${report.blockNumber})`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}
