/**
 * `vault:monitor <config>`: the multi-vault monitor (`npm run monitor -- --config <file>` is the same
 * without Hardhat). It follows every vault of the config on every chain, until Ctrl-C or `--rounds`.
 * `--hre-chain <name>` reads that chain of the config through Hardhat's selected network instead of its RPC
 * URL (e.g. the in-process network or `--network localhost`). The config is a positional argument:
 * `--config` is Hardhat's own option.
 */
import { task, types } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { PLUGIN_NAME, toJsonLine } from "./lib";

export interface MonitorTaskArgs {
  readonly configFile: string;
  readonly rounds?: number;
  readonly hreChain?: string;
}

export async function runMonitorTask(args: MonitorTaskArgs, hre: HardhatRuntimeEnvironment): Promise<{ rounds: number; events: number; findings: number }> {
  const { loadMonitorConfig, MonitorConfigError } = await import("../monitor/config");
  const { Monitor } = await import("../monitor/monitor");
  let config;
  try {
    config = loadMonitorConfig(args.configFile);
  } catch (e) {
    if (e instanceof MonitorConfigError) throw new HardhatPluginError(PLUGIN_NAME, `invalid monitor config: ${e.message}`, e);
    throw e;
  }
  if (args.hreChain !== undefined && !config.chains.some((c) => c.name === args.hreChain)) {
    throw new HardhatPluginError(PLUGIN_NAME, `--hre-chain: no chain named ${args.hreChain} in the config`);
  }
  const providers = new Map(args.hreChain ? [[args.hreChain, hre.ethers.provider]] : []);
  const log = (line: Record<string, unknown>) => process.stdout.write(`${toJsonLine({ time: new Date().toISOString(), ...line })}\n`);
  const monitor = new Monitor({ config, providers, log });
  const totals = { rounds: 0, events: 0, findings: 0 };
  try {
    if (args.rounds === undefined) {
      const abort = new AbortController();
      process.once("SIGINT", () => abort.abort());
      await monitor.run({ signal: abort.signal });
    } else {
      for (let i = 0; i < args.rounds; i++) {
        for (const c of config.chains) {
          for (const r of await monitor.pollChain(c.name)) {
            totals.events += r.events;
            totals.findings += r.findings.length;
          }
        }
        await monitor.deliverAlerts();
        totals.rounds++;
      }
    }
  } finally {
    monitor.close();
  }
  return totals;
}

task("vault:monitor", "Follow every vault of a monitor config: events and alerts into SQLite, alerts to Slack, PagerDuty and webhooks")
  .addPositionalParam("configFile", "The monitor config (JSON)")
  .addOptionalParam("rounds", "Stop after this many rounds (default: run until Ctrl-C)", undefined, types.int)
  .addOptionalParam("hreChain", "Read this chain of the config through Hardhat's selected network")
  .setAction(runMonitorTask);
