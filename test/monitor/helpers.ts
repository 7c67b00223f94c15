/** Shared by the monitor and console tests: a monitor config for the fixture's vault on the in-process network. */
import { ethers } from "hardhat";
import { parseMonitorConfig, type MonitorConfig } from "../../monitor/config";
import { Monitor, type MonitorLog } from "../../monitor/monitor";
import { MonitorStore } from "../../monitor/store";
import type { VaultFixture } from "../helpers/fixture";

export const PD_KEY = "R0UT1NGKEY0123456789abcdefABCDEF";

/** Config for one vault on the chain `local`, alerts to `receiverUrl` (if given); `extra` is merged into the JSON. */
export function monitorConfig(
  f: VaultFixture,
  o: { receiverUrl?: string; database?: string; fromBlock?: number; routes?: unknown[]; retry?: unknown; chain?: Record<string, unknown>; vault?: Record<string, unknown>; rpc?: string } = {},
): MonitorConfig {
  const sinks = o.receiverUrl
    ? {
        slack: { type: "slack", url: `${o.receiverUrl}/slack` },
        pager: { type: "pagerduty", url: `${o.receiverUrl}/pagerduty`, routingKeyEnv: "TEST_PD_KEY" },
        hook: { type: "webhook", url: `${o.receiverUrl}/webhook`, headers: { "x-vault-monitor": "test" } },
      }
    : {};
  return parseMonitorConfig(
    {
      database: o.database ?? ":memory:",
      chains: { local: { rpc: o.rpc ?? "http://127.0.0.1:1", pollMs: 100, confirmations: 0, ...o.chain } },
      vaults: [{ name: "hot", chain: "local", address: f.vaultAddr, fromBlock: o.fromBlock ?? 0, safe: f.guardian.address, ...o.vault }],
      alerts: {
        sinks,
        routes: o.routes ?? (o.receiverUrl ? [{ minSeverity: "warning", sinks: ["slack"] }, { minSeverity: "critical", sinks: ["pager"] }, { sinks: ["hook"] }] : []),
        retry: o.retry ?? { attempts: 3, initialDelayMs: 50, maxDelayMs: 1000, timeoutMs: 2000 },
      },
    },
    { env: { ...process.env, TEST_PD_KEY: PD_KEY } },
  );
}

/** A monitor on the in-process network (its provider stands for the chain's RPC). */
export function inProcessMonitor(config: MonitorConfig, o: { store?: MonitorStore; log?: MonitorLog } = {}): Monitor {
  return new Monitor({ config, store: o.store, providers: new Map([["local", ethers.provider]]), log: o.log, deliveryPollMs: 20 });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 5000, what = "condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
