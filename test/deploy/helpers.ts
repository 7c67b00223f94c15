import { mkdtempSync, writeFileSync } from "fs";
import os from "os";
import path from "path";
import hre, { ethers } from "hardhat";
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { MockERC20, MockUSDT } from "../../typechain-types";
import type { DeployOutcome } from "../../tasks/deploy";

/** A fresh temporary folder (deployment records and configs of the tests never land in the repository). */
export const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), "deploy-test-"));

/** Runs `fn` and returns its result with everything written to stdout and stderr meanwhile. */
export async function capture<T>(fn: () => Promise<T>): Promise<{ result: T; stdout: string; stderr: string }> {
  const captured = { stdout: "", stderr: "" };
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const sink = (key: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array) => {
      captured[key] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = sink("stdout");
  process.stderr.write = sink("stderr");
  try {
    const result = await fn();
    return { result, ...captured };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Runs a task in-process and returns its result with everything it wrote to stdout and stderr. */
export const runTask = <T = unknown>(name: string, args: Record<string, unknown> = {}) => capture(async () => (await hre.run(name, args)) as T);

/** Runs a task that must fail and returns the typed SDK error behind the Hardhat error (and the output). */
export async function taskError(name: string, args: Record<string, unknown> = {}): Promise<{ error: Error; message: string; stderr: string; exitCode: number | undefined }> {
  const captured = { stderr: "" };
  const err = process.stderr.write.bind(process.stderr);
  const out = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    captured.stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await hre.run(name, args);
  } catch (e) {
    if (!(e instanceof HardhatPluginError)) throw e;
    return { error: e.parent ?? e, message: e.message, stderr: captured.stderr, exitCode: (e as { exitCode?: number }).exitCode };
  } finally {
    process.stderr.write = err;
    process.stdout.write = out;
  }
  throw new Error(`${name} was expected to fail`);
}

export interface Accounts {
  deployer: HardhatEthersSigner;
  admin: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  guardian2: HardhatEthersSigner;
  bot1: HardhatEthersSigner;
  bot2: HardhatEthersSigner;
  exchange: HardhatEthersSigner;
  exchange2: HardhatEthersSigner;
  recovery: HardhatEthersSigner;
  attacker: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
}

export async function accounts(): Promise<Accounts> {
  const [deployer, admin, guardian, guardian2, bot1, bot2, exchange, exchange2, recovery, attacker, stranger] = await ethers.getSigners();
  return { deployer, admin, guardian, guardian2, bot1, bot2, exchange, exchange2, recovery, attacker, stranger };
}

/** A vault config (as JSON) over the test accounts and two mock stablecoins. */
export function testConfig(a: Accounts, tokens: { usdt: string; usdc: string }, name = "test-vault"): Record<string, any> {
  return {
    name,
    admin: a.admin.address,
    guardians: [a.guardian.address, a.guardian2.address],
    recovery: a.recovery.address,
    window: "24h",
    changeDelay: "24h",
    withdrawalDelay: "24h",
    tripwire: { maxCount: 10, period: "60s" },
    tokens: {
      USDT: { address: tokens.usdt, decimals: 6, unitDecimals: 4, vaultCap: "1500000" },
      USDC: { address: tokens.usdc, decimals: 6, unitDecimals: 4, vaultCap: "1000000" },
      ETH: { address: "ETH", decimals: 18, unitDecimals: 12, vaultCap: "300" },
    },
    operators: [
      {
        label: "bot1",
        address: a.bot1.address,
        caps: {
          USDT: { cap: "1000000", instantLimit: "250000", queueCap: "5000000" },
          ETH: { cap: "200", instantLimit: "50", queueCap: "1000" },
        },
        destinations: [{ label: "exchange", address: a.exchange.address }],
      },
      {
        label: "bot2",
        address: a.bot2.address,
        caps: { USDC: { cap: "600000", instantLimit: "150000", queueCap: "3000000" } },
        destinations: [
          { label: "exchange", address: a.exchange.address },
          { label: "exchange2", address: a.exchange2.address },
        ],
      },
    ],
  };
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

export interface DeployedFixture {
  a: Accounts;
  usdt: MockUSDT;
  usdc: MockERC20;
  raw: Record<string, any>;
  dir: string;
  configFile: string;
  vault: string;
  outcome: DeployOutcome;
}

/** Mock tokens, a config file and `vault:deploy` of it, funded with USDT, USDC and ETH. */
export async function deployedFixture(): Promise<DeployedFixture> {
  const a = await accounts();
  await setBalance(a.deployer.address, 10n ** 24n);
  const usdt = await ethers.deployContract("MockUSDT");
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin (mock)", "USDC", 6]);
  const raw = testConfig(a, { usdt: await usdt.getAddress(), usdc: await usdc.getAddress() });
  const dir = tempDir();
  const configFile = writeJson(dir, "vault.json", raw);
  const { result: outcome } = await runTask<DeployOutcome>("vault:deploy", { configFile, deployments: dir });
  await usdt.mint(outcome.vault, 20_000_000n * 10n ** 6n);
  await usdc.mint(outcome.vault, 10_000_000n * 10n ** 6n);
  await a.deployer.sendTransaction({ to: outcome.vault, value: 2_000n * 10n ** 18n });
  return { a, usdt, usdc, raw, dir, configFile, vault: outcome.vault, outcome };
}
