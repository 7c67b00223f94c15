/**
 * `npm run console -- --config monitor.json [--host 127.0.0.1] [--port 8787]` (or `--db monitor.sqlite`):
 * serves the console from the monitor's database, read-only, on 127.0.0.1 unless told otherwise.
 * Exit codes: 0 stopped, 1 runtime failure, 2 bad arguments or config.
 */
import { existsSync } from "fs";
import { loadMonitorConfig, MonitorConfigError } from "../monitor/config";
import { safeMessage } from "../monitor/monitor";
import { MonitorStore } from "../monitor/store";
import { createConsoleServer } from "./server";

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--") || argv[i + 1] === undefined) throw new UsageError(`unexpected argument ${JSON.stringify(a)} (expected --config <file>, --db <file>, --host, --port)`);
    flags.set(a.slice(2), argv[++i]);
  }
  for (const k of flags.keys()) if (!["config", "db", "host", "port"].includes(k)) throw new UsageError(`unknown option --${k}`);
  const config = flags.has("config") ? loadMonitorConfig(flags.get("config") as string) : undefined;
  const database = flags.get("db") ?? config?.database;
  if (!database) throw new UsageError("--config <monitor.json> or --db <monitor.sqlite> is required");
  if (database === ":memory:" || !existsSync(database)) throw new UsageError(`no monitor database at ${database}: start the monitor first (npm run monitor -- --config ...)`);
  const host = flags.get("host") ?? config?.console.host ?? "127.0.0.1";
  const portText = flags.get("port") ?? String(config?.console.port ?? 8787);
  if (!/^[0-9]+$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--port: expected a port number, got ${portText}`);
  const store = new MonitorStore(database, { readonly: true });
  const app = await createConsoleServer({ store });
  const address = await app.listen({ host, port: Number(portText) });
  process.stdout.write(`console on ${address} (read-only, from ${database})\n`);
  const stop = async () => {
    await app.close();
    store.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError || e instanceof MonitorConfigError) {
    process.stderr.write(`console: ${e instanceof MonitorConfigError ? `invalid config: ${e.message}` : e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`console: ${safeMessage(e)}\n`);
  process.exit(1);
});
