/**
 * The risk lint: pure checks of a policy for what one stolen key could move within a horizon (24 h by
 * default), with the figure, so that a config that lets one key drain a large share of the vault is
 * flagged at deploy and in the status, before anyone relies on it.
 *
 * For an operator and a token, with `W` the window and `D` the withdrawal delay (the bound the README
 * states and `ExposureLib` computes, over the timestamps [now, now + h], with nobody intervening):
 *
 *     instant(h) = min(cap, vaultCap) * (floor(h / W) + 1)
 *     queued(h)  = pending + queueCap * floor(h / D)
 */
import type { VaultPolicy } from "../clients/admin";
import { formatDuration } from "../deploy/config";
import type { TokenMeta } from "../format/human";
import { formatAmount } from "./exposure";

/** Default horizon: 24 h. */
export const RISK_HORIZON = 86_400n;
/** Default share of a token's balance that one key may reach within the horizon before the lint warns: 25% (basis points). */
export const RISK_MAX_SHARE_BPS = 2_500n;

export type RiskFindingKind =
  /** One key can move at least `maxShareBps` of the balance within the horizon. */
  | "largeShare"
  /** The withdrawal delay is shorter than the horizon: queued withdrawals execute within it, beyond the instant cap. */
  | "shortWithdrawalDelay";

export interface RiskFinding {
  readonly kind: RiskFindingKind;
  readonly operator: string;
  readonly token: string;
  /** Most the key can move within the horizon, in base units (capped by the balance when it is known). */
  readonly reach: bigint;
  readonly instant: bigint;
  readonly queued: bigint;
  /** The token's balance, when known. */
  readonly balance: bigint | null;
  /** reach / balance in basis points, when the balance is known and not zero. */
  readonly shareBps: bigint | null;
  readonly horizon: bigint;
  /** One line for people, with the figures in whole tokens and the config's labels. */
  readonly message: string;
}

export interface RiskLintInput {
  readonly policy: Pick<VaultPolicy, "window" | "withdrawalDelay" | "tokens" | "operators">;
  readonly tokens: readonly TokenMeta[];
  /** Names of addresses (e.g. the config's labels). */
  readonly labels?: ReadonlyMap<string, string>;
  /** Whether `policy.tokens[].balance` is the real balance (a status) or not known yet (a vault being deployed). */
  readonly balancesKnown?: boolean;
  readonly horizon?: bigint;
  readonly maxShareBps?: bigint;
}

/** Pure: what one key could move within the horizon, per operator and token, and the findings worth a warning. */
export function lintRisk(input: RiskLintInput): RiskFinding[] {
  const horizon = input.horizon ?? RISK_HORIZON;
  const maxShare = input.maxShareBps ?? RISK_MAX_SHARE_BPS;
  const { window, withdrawalDelay: delay } = input.policy;
  const meta = new Map(input.tokens.map((t) => [t.token, t]));
  const vaultToken = new Map(input.policy.tokens.map((t) => [t.token, t]));
  const name = (a: string) => input.labels?.get(a) ?? a;
  const findings: RiskFinding[] = [];
  for (const o of input.policy.operators) {
    for (const l of o.limits) {
      const t = vaultToken.get(l.token);
      const m = meta.get(l.token);
      if (!t || !m || (l.cap === 0n && l.queueCap === 0n && l.pendingQueued === 0n)) continue;
      const instant = (l.cap < t.vaultCap ? l.cap : t.vaultCap) * (horizon / window + 1n);
      const rounds = horizon / delay;
      const queued = l.pendingQueued + l.queueCap * rounds;
      const balance = input.balancesKnown ? t.balance : null;
      const uncapped = instant + queued;
      const reach = balance !== null && balance < uncapped ? balance : uncapped;
      const shareBps = balance !== null && balance > 0n ? (reach * 10_000n) / balance : null;
      const amt = (v: bigint) => `${formatAmount(v, m.decimals)} ${m.symbol}`;
      const base = { operator: o.operator, token: l.token, reach, instant, queued, balance, shareBps, horizon };
      const within = `within ${formatDuration(horizon)}`;
      const split = `instant ${amt(instant)} + queued ${amt(queued)}`;
      if (shareBps !== null && shareBps >= maxShare) {
        findings.push({
          ...base,
          kind: "largeShare",
          message: `one key (${name(o.operator)}) can move ${amt(reach)} ${within}, ${percent(shareBps)} of the ${amt(balance!)} balance (${split}); lower its limits or lengthen the withdrawal delay`,
        });
      }
      if (delay < horizon && l.queueCap > 0n) {
        findings.push({
          ...base,
          kind: "shortWithdrawalDelay",
          message:
            `the withdrawal delay (${formatDuration(delay)}) is shorter than ${formatDuration(horizon)}: ${name(o.operator)} can queue and execute its queue cap of ` +
            `${amt(l.queueCap)} ${rounds} time(s) ${within}, so one key can move ${amt(uncapped)} (${split})`,
        });
      }
    }
  }
  return findings;
}

const percent = (bps: bigint): string => `${bps / 100n}${bps % 100n ? `.${String(bps % 100n).padStart(2, "0").replace(/0$/, "")}` : ""}%`;
