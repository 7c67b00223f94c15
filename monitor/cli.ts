/**
 * `npm run monitor -- [run|history|alerts] --config monitor.json [...]`
 *
 *   run (default)  follow every vault of the config until interrupted (SIGINT/SIGTERM)
 *   history        stored events: --vault <name|address> --operator <address> --event <Name,...>
 *                  --format csv|json (default json) --out <file>
 *   alerts         stored alerts with their deliveries (--undeliverable: only those that failed)
 *
 * Exit codes: 0 done, 1 runtime failure, 2 bad arguments or config (one line on stderr).
 */
import { writeFileSync } from "fs";
import { getAddress, isAddress } from "ethers";
import { loadMonitorConfig, MonitorConfigError, type MonitorConfig } from "./config";
import { eventsToCsv, eventsToJson } from "./export";
import { Monitor, safeMessage } from "./monitor";
import { MonitorStore, toJson } from "./store";

class UsageError extends Error {}

function parseArgs(argv: string[]): { command: string; flags: Map<string, string | true> } {
  const flags = new Map<string, string | true>();
  let command = "run";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const [k, inline] = a.slice(2).split("=", 2);
      if (inline !== undefined) flags.set(k, inline);
      else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) flags.set(k, argv[++i]);
      else flags.set(k, true);
    } else if (i === 0) command = a;
    else throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
  }
  return { command, flags };
}

const flag = (flags: Map<string, string | true>, name: string): string | undefined => {
  const v = flags.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
};

function vaultOf(config: MonitorConfig, ref: string | undefined): { chain?: string; address?: string } {
  if (ref === undefined) return {};
  const v = config.vaults.find((x) => x.name === ref || (isAddress(ref) && x.address === getAddress(ref)));
  if (!v) throw new UsageError(`--vault: no vault named or at ${ref} in the config`);
  return { chain: v.chain, address: v.address };
}

async function main(argv: string[]): Promise<number> {
  const { command, flags } = parseArgs(argv);
  const configFile = flag(flags, "config");
  if (!configFile) throw new UsageError("--config <monitor.json> is required");
  const config = loadMonitorConfig(configFile);
  const log = (line: Record<string, unknown>) => process.stdout.write(`${toJson({ time: new Date().toISOString(), ...line })}\n`);
  if (command === "run") {
    const monitor = new Monitor({ config, log });
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    log({ type: "started", chains: config.chains.map((c) => c.name), vaults: config.vaults.map((v) => v.name), database: config.database });
    try {
      await monitor.run({ signal: abort.signal });
    } finally {
      monitor.close();
    }
    log({ type: "stopped" });
    return 0;
  }
  const store = new MonitorStore(config.database);
  try {
    if (command === "history") {
      const { chain, address } = vaultOf(config, flag(flags, "vault"));
      const operatorRef = flag(flags, "operator");
      if (operatorRef !== undefined && !isAddress(operatorRef)) throw new UsageError(`--operator: expected an address, got ${operatorRef}`);
      const names = flag(flags, "event")?.split(",").map((s) => s.trim()).filter(Boolean);
      const format = flag(flags, "format") ?? "json";
      if (format !== "csv" && format !== "json") throw new UsageError(`--format: expected csv or json, got ${format}`);
      const events = store.events({ chain, vault: address, operator: operatorRef && getAddress(operatorRef), names });
      const text = format === "csv" ? eventsToCsv(events) : eventsToJson(events);
      const out = flag(flags, "out");
      if (out) {
        writeFileSync(out, text);
        process.stderr.write(`${events.length} events written to ${out}\n`);
      } else process.stdout.write(text);
      return 0;
    }
    if (command === "alerts") {
      process.stdout.write(`${JSON.stringify(store.findings({ undeliverable: flags.has("undeliverable") }), null, 2)}\n`);
      return 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)} (expected run, history or alerts)`);
  } finally {
    store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof MonitorConfigError) {
      process.stderr.write(`monitor: ${e instanceof MonitorConfigError ? `invalid config: ${e.message}` : e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`monitor: ${safeMessage(e)}\n`);
    process.exit(1);
  },
);
