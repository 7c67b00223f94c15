/**
 * Running the vault tasks as a user does: `npx hardhat ...` in a child process, against a local node that
 * the test starts on a free port of 127.0.0.1, with its own folder of deployment records. Each `npx
 * hardhat` start costs a few seconds, so the tests batch their checks on one node and one compiled project.
 */
import { spawn, type ChildProcess } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import net from "net";
import os from "os";
import path from "path";

export const ROOT = path.resolve(__dirname, "../..");

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; the port is released before the node binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment of a child: the test's, without what would change Hardhat's network or CI detection, plus `extra`. */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["CI", "HARDHAT_NETWORK", "VAULT_RPC_URL", "VAULT_NETWORK", "VAULT_DEPLOYER_KEY", "VAULT_LOCALHOST_URL", "VAULT_DEPLOYMENTS", "NO_COLOR", "FORCE_COLOR"]) delete env[k];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Runs a command to completion in the project folder. */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A local Hardhat node on a free port, with a temporary folder of deployment records. */
export class LocalNode {
  private constructor(
    readonly url: string,
    readonly deployments: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<LocalNode> {
    const port = await freePort();
    const child = spawn("npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port)], {
      cwd: ROOT,
      env: childEnv({}),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the node did not start within 60 s:\n${output}`)), 60_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes("Started HTTP and WebSocket JSON-RPC server")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.on("exit", (code) => reject(new Error(`the node exited (${code}):\n${output}`)));
    });
    // Keep draining its output so that it never blocks on a full pipe.
    child.stdout!.resume();
    child.stderr!.resume();
    const deployments = mkdtempSync(path.join(os.tmpdir(), "cli-test-"));
    return new LocalNode(`http://127.0.0.1:${port}`, deployments, child);
  }

  /** The environment for tasks against this node; `ci` sets CI=true (Hardhat then shows stack traces for its own errors). */
  env(options: { ci?: boolean } = {}): NodeJS.ProcessEnv {
    return childEnv({ VAULT_LOCALHOST_URL: this.url, VAULT_DEPLOYMENTS: this.deployments, CI: options.ci ? "true" : undefined });
  }

  /** `npx hardhat <args> --network localhost` against this node. */
  hardhat(args: readonly string[], options: { ci?: boolean; env?: Record<string, string> } = {}): Promise<Run> {
    return run("npx", ["hardhat", ...args, "--network", "localhost"], { ...this.env(options), ...options.env });
  }

  /** A JSON-RPC call to the node. */
  async rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const response = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(body.error.message);
    return body.result as T;
  }

  async blockNumber(): Promise<number> {
    return Number(await this.rpc<string>("eth_blockNumber"));
  }

  stop(): void {
    try {
      // The node runs in its own process group (npx and the node under it).
      if (this.child.pid) process.kill(-this.child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    rmSync(this.deployments, { recursive: true, force: true });
  }
}

/** The lines a command wrote to stderr, without blank ones. */
export const lines = (text: string): string[] => text.split("\n").filter((l) => l.trim().length > 0);
