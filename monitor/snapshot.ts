/**
 * A vault's state at one block, as the console shows it: balances, pause, roles, per operator and token
 * the limits and what counts against the cap with when it stops counting (the release schedule), the
 * worst case per key and for all keys, the pending queue and the pending changes. Read from the chain
 * with the SDK (`readVaultStatus`, `readExposure`, and the limiter words for the schedule).
 */
import type { Provider } from "ethers";
import { DEFAULT_HORIZONS, connectVault, policy, read, readExposure, readOperatorWords, readVaultStatus, type ExposureReport, type VaultStatus } from "./sdk";

/** Amount counted against a cap from `at` on (base units), a step of the release schedule. */
export interface SchedulePoint {
  readonly at: bigint;
  readonly used: bigint;
}

export interface VaultSnapshot {
  readonly vault: string;
  readonly chainId: bigint;
  readonly blockNumber: number;
  /** Block timestamp, seconds. */
  readonly timestamp: bigint;
  readonly status: VaultStatus;
  readonly exposure: ExposureReport;
  /** Release schedule per `operator|token`: used now, then after each bucket boundary until nothing counts. */
  readonly schedules: Readonly<Record<string, readonly SchedulePoint[]>>;
}

/**
 * The release schedule of one limiter word: what counts now, and at each of the next bucket starts (the
 * moments the ring drops a bucket), in base units. Pure.
 */
export function releaseSchedule(o: { word: bigint; clockStart: bigint; bucket: bigint; timestamp: bigint; unit: bigint }): SchedulePoint[] {
  const nowT = o.timestamp - o.clockStart;
  const points: SchedulePoint[] = [{ at: o.timestamp, used: policy.usedAt(o.word, nowT, o.bucket) * o.unit }];
  for (let i = 1n; i <= policy.BUCKETS; i++) {
    const t = (nowT / o.bucket + i) * o.bucket;
    const used = policy.usedAt(o.word, t, o.bucket) * o.unit;
    if (used !== points[points.length - 1].used) points.push({ at: o.clockStart + t, used });
    if (used === 0n) break;
  }
  return points;
}

/** Reads the chain: the snapshot at the latest block. */
export async function readVaultSnapshot(o: { provider: Provider; vault: string; fromBlock: number; chainId: bigint }): Promise<VaultSnapshot> {
  const status = await readVaultStatus({ provider: o.provider, vault: o.vault, fromBlock: o.fromBlock });
  const tokenInfo = Object.fromEntries(status.tokens.map((t) => [t.token, { symbol: t.symbol, decimals: t.decimals }]));
  const exposure = await readExposure({ provider: o.provider, vault: o.vault, horizons: DEFAULT_HORIZONS, blockTag: status.blockNumber, tokenInfo });
  const vault = connectVault(status.vault, o.provider);
  const p = status.policy;
  const bucket = p.window / 3n;
  const units = new Map(p.tokens.map((t) => [t.token, 10n ** BigInt(t.unitDecimals)]));
  const schedules: Record<string, SchedulePoint[]> = {};
  await read(() =>
    Promise.all(
      p.operators.flatMap((op) =>
        op.limits
          .filter((l) => l.cap > 0n || l.used > 0n)
          .map(async (l) => {
            const { opWord } = await readOperatorWords(vault, op.operator, l.token, { blockTag: status.blockNumber });
            schedules[`${op.operator}|${l.token}`] = releaseSchedule({ word: opWord, clockStart: p.clockStart, bucket, timestamp: status.timestamp, unit: units.get(l.token) ?? 1n });
          }),
      ),
    ),
  );
  return { vault: status.vault, chainId: o.chainId, blockNumber: status.blockNumber, timestamp: status.timestamp, status, exposure, schedules };
}
