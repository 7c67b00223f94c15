/**
 * The SDK as a bot developer gets it: `npm pack` of sdk/, installed into a fresh project outside the
 * repository (ethers and @types/node from the registry, or npm's cache), type-checked as an ES module and
 * as CommonJS (moduleResolution node16, bundler and the classic node10), then the README's bot example,
 * verbatim, run by Node against the in-process network served on 127.0.0.1: its `runBot` with a plain
 * Wallet, several withdrawals back to back, all landing (its HSM `openSigner` is the signers' tests' part).
 */
import { expect } from "chai";
import { spawn } from "child_process";
import fs from "fs";
import os from "os";
import path from "path";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployVaultFixture, usdt } from "../helpers/fixture";
import { startRpcServer, type RpcServer } from "../helpers/rpc-server";
import { defaultAccountKey } from "../../bench/sdk-requests";

const ROOT = path.join(__dirname, "../..");
const SDK = path.join(ROOT, "sdk");
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");
const version = (name: string) => (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process (the JSON-RPC server in it must keep answering). */
function run(cmd: string, args: string[], o: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 180_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(cmd: string, args: string[], o: Parameters<typeof run>[2]): Promise<Run> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const write = (dir: string, file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Uses every subpath, values and types, as a consumer would. */
const SUBPATHS = `import { OperatorClient, GuardianTransactions, VaultSdkError, NotAVaultError, type WithdrawResult } from "@guarded-vault/sdk";
import { AdminTransactions } from "@guarded-vault/sdk/clients";
import { CapExceededError, toSdkError, type VaultErrorName } from "@guarded-vault/sdk/errors";
import { policy, CHANGE_KINDS, type ChangeKind } from "@guarded-vault/sdk/rules";
import { VaultWatcher, type Anomaly } from "@guarded-vault/sdk/monitor";
import { safeTransactionHash, type SafeTransaction } from "@guarded-vault/sdk/safe";
import { parseVaultConfig, type VaultConfig } from "@guarded-vault/sdk/deploy";
import { formatVaultStatus } from "@guarded-vault/sdk/format";
import { guardedVaultAbi, connectGuardedVault, type GuardedVault } from "@guarded-vault/sdk/abi";
import { AwsKmsSigner, Pkcs11Signer } from "@guarded-vault/sdk/signers";

export const used = [OperatorClient, GuardianTransactions, AdminTransactions, CapExceededError, toSdkError, policy.checkInstant, VaultWatcher, safeTransactionHash, parseVaultConfig, formatVaultStatus, connectGuardedVault, AwsKmsSigner, Pkcs11Signer];
export const kinds: readonly ChangeKind[] = CHANGE_KINDS;
export const abiLength: number = guardedVaultAbi.length;
export type Types = [WithdrawResult, VaultErrorName, Anomaly, SafeTransaction, VaultConfig, GuardedVault];
export const isSdkError = (e: unknown): boolean => e instanceof VaultSdkError && !(e instanceof NotAVaultError);

// Each line must be a type error; if a subpath's types were lost (any), the directive itself fails.
// @ts-expect-error a withdrawal result is not a number
export const notAResult: WithdrawResult = 5;
// @ts-expect-error not a change kind
export const notAKind: ChangeKind = "Nope";
// @ts-expect-error not an error of the vault
export const notAnError: VaultErrorName = "Nope";
// @ts-expect-error policy.checkInstant takes one input object
policy.checkInstant();
// @ts-expect-error the typed vault has no such method
export const noMethod = (v: GuardedVault) => v.noSuchMethod();
// @ts-expect-error a config needs its fields
export const notAConfig: VaultConfig = {};
`;

/** Feeds the bot the payments given in PAYMENTS and exits when it returns. */
const RUNNER = `import { JsonRpcProvider, Wallet } from "ethers";
import { runBot } from "./bot.js";

type Raw = { token: string; to: string; amount: string };
const payments = (JSON.parse(process.env.PAYMENTS ?? "[]") as Raw[]).map((p) => ({ ...p, amount: BigInt(p.amount) }));

async function* source() {
  for (const p of payments) yield p;
}

await runBot(new Wallet(process.env.BOT_KEY ?? "", new JsonRpcProvider(process.env.RPC_URL)), source());
`;

/** The CommonJS build: one class per error across subpaths (no second copy of the code). */
const REQUIRE_CHECK = `import { VaultSdkError, OperatorClient } from "@guarded-vault/sdk";
import * as errors from "@guarded-vault/sdk/errors";
const same: boolean = errors.VaultSdkError === VaultSdkError && typeof OperatorClient.create === "function";
console.log(same ? "cjs: one VaultSdkError across subpaths" : "cjs: two copies");
`;

describe("SDK package: pack, install in a fresh project, type-check, run the README bot", function () {
  this.timeout(600_000);
  let work: string;
  let project: string;
  let packed: string[];

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "guarded-vault-sdk-"));
    const pack = await ok("npm", ["pack", "--json", "--pack-destination", work], { cwd: SDK });
    const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    packed = info[0].files.map((f) => f.path);
    const tarball = path.join(work, info[0].filename);
    project = path.join(work, "consumer");
    write(project, "package.json", json({ name: "consumer-bot", version: "1.0.0", private: true, type: "module" }));
    await ok(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball, `ethers@${version("ethers")}`, `@types/node@${version("@types/node")}`],
      { cwd: project },
    );
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("the tarball holds both builds with their types and nothing else of the repository", () => {
    expect(packed).to.include.members(["package.json", "README.md", "dist/esm/index.js", "dist/esm/index.d.ts", "dist/cjs/index.js", "dist/cjs/index.d.ts", "dist/esm/package.json", "dist/cjs/package.json"]);
    for (const folder of ["clients", "errors", "rules", "monitor", "safe", "deploy", "format", "signers", "abi"]) {
      expect(packed).to.include.members([`dist/esm/${folder}/index.js`, `dist/cjs/${folder}/index.d.ts`]);
    }
    const strays = packed.filter((f) => !f.startsWith("dist/") && !["package.json", "README.md"].includes(f));
    expect(strays).to.deep.equal([]);
    expect(packed.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).to.deep.equal([]);
  });

  it("installs with ethers as its only required dependency: no Hardhat, TypeChain or forge in the consumer's node_modules", () => {
    const modules = path.join(project, "node_modules");
    expect(fs.existsSync(path.join(modules, "@guarded-vault/sdk/dist/esm/index.js"))).to.equal(true);
    for (const absent of ["hardhat", "typechain", "@typechain", "@foundry-rs", "@nomicfoundation", "solc", "@safe-global"]) {
      expect(fs.existsSync(path.join(modules, absent)), absent).to.equal(false);
    }
    const lock = JSON.parse(fs.readFileSync(path.join(project, "package-lock.json"), "utf8")) as { packages: Record<string, { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> }> };
    const sdk = lock.packages["node_modules/@guarded-vault/sdk"];
    expect(sdk.dependencies ?? {}).to.deep.equal({});
    expect(sdk.peerDependencies).to.have.keys(["ethers", "pkcs11js", "@aws-sdk/client-kms"]);
    // The key stores' clients are optional peers: not installed unless the bot asks for them.
    for (const optional of ["pkcs11js", "@aws-sdk"]) expect(fs.existsSync(path.join(modules, optional)), optional).to.equal(false);
  });

  it("type-checks a consumer with moduleResolution node16 (ESM and CommonJS), bundler and node10", async () => {
    write(project, "src/bot.ts", fs.readFileSync(path.join(SDK, "examples/bot.ts"), "utf8"));
    write(project, "src/run.ts", RUNNER);
    write(project, "src/subpaths.ts", SUBPATHS);
    write(project, "src/require-check.cts", REQUIRE_CHECK);
    // The node16 build also checks the package's declaration files themselves (skipLibCheck off); the
    // others skip them for time, and the @ts-expect-error lines in subpaths.ts fail if a type became any.
    const strict = { strict: true, target: "es2022", lib: ["es2022"], types: ["node"], skipLibCheck: true };
    write(project, "tsconfig.node16.json", json({ compilerOptions: { ...strict, skipLibCheck: false, module: "node16", moduleResolution: "node16", outDir: "out", rootDir: "src" }, include: ["src"] }));
    write(project, "tsconfig.bundler.json", json({ compilerOptions: { ...strict, module: "esnext", moduleResolution: "bundler", noEmit: true }, files: ["src/bot.ts", "src/subpaths.ts"] }));
    write(project, "tsconfig.node10.json", json({ compilerOptions: { ...strict, module: "commonjs", moduleResolution: "node10", noEmit: true, ignoreDeprecations: "5.0" }, files: ["src/subpaths.ts"] }));
    for (const config of ["tsconfig.node16.json", "tsconfig.bundler.json", "tsconfig.node10.json"]) {
      const r = await run(process.execPath, [TSC, "-p", config], { cwd: project });
      expect(r.code, `${config}\n${r.stdout}${r.stderr}`).to.equal(0);
    }
    expect(fs.readFileSync(path.join(project, "src/bot.ts"), "utf8")).to.equal(fs.readFileSync(path.join(SDK, "examples/bot.ts"), "utf8"));
    const cjs = await ok(process.execPath, ["out/require-check.cjs"], { cwd: project });
    expect(cjs.stdout.trim()).to.equal("cjs: one VaultSdkError across subpaths");
  });

  describe("the README bot against a local node", () => {
    let server: RpcServer;
    before(async () => {
      server = await startRpcServer();
    });
    after(async () => {
      await server.close();
    });

    it("sends several withdrawals back to back with a plain Wallet and every one lands", async () => {
      const f = await loadFixture(deployVaultFixture);
      const amounts = [1_000, 2_000, 3_000, 4_000, 5_000].map((n) => usdt(n));
      const before = await f.usdtToken.balanceOf(f.exchange.address);
      const nonceBefore = await ethers.provider.getTransactionCount(f.bot1.address);
      const payments = amounts.map((amount) => ({ token: f.usdtAddr, to: f.exchange.address, amount: amount.toString() }));
      server.reset();
      const r = await run(process.execPath, ["out/run.js"], {
        cwd: project,
        timeoutMs: 120_000,
        env: { RPC_URL: server.url, BOT_KEY: defaultAccountKey(3), VAULT_ADDRESS: f.vaultAddr, PAYMENTS: JSON.stringify(payments) },
      });
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      expect(r.stderr).to.equal("");
      const lines = r.stdout.trim().split("\n");
      expect(lines).to.have.length(amounts.length);
      for (const line of lines) expect(line).to.match(/^withdrawn; \d+ more can go out now$/);
      expect(await f.usdtToken.balanceOf(f.exchange.address)).to.equal(before + amounts.reduce((a, b) => a + b));
      expect(await ethers.provider.getTransactionCount(f.bot1.address)).to.equal(nonceBefore + amounts.length);
      // Each withdrawal was one raw transaction; the first of this token and path also estimated its gas once.
      expect(server.counts.methods.eth_sendRawTransaction).to.equal(amounts.length);
      expect(server.counts.methods.eth_estimateGas).to.equal(1);
    });
  });
});
