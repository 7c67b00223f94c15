import { expect } from "chai";
import fs from "fs";
import path from "path";
import hre, { ethers } from "hardhat";
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { ChangeKind, deployVaultFixture, encodeChange, proposeAndExecute, usdt } from "../helpers/fixture";
import { accounts, runTask, taskError, tempDir, testConfig, writeJson } from "../deploy/helpers";
import { guardRules } from "../guard/helpers";
import type { DeployOutcome } from "../../tasks/deploy";
import type { ResponderAction } from "../../sdk/monitor";
import { InvalidInputError } from "../../sdk/index";
import { PinUnavailableError, Pkcs11KeyExistsError, Pkcs11PinIncorrectError } from "../../sdk/signers";
import { MODULE, createToken, type TestToken } from "./softhsm";

// The operator's setup as the README gives it: generate the key in the HSM, put its address in the vault's
// config, deploy, and withdraw with the key still in the HSM; the responder runs on an HSM key too.

let token: TestToken;
const hsm = (key: string) => ({ hsmToken: token.label, hsmKey: key, hsmPinEnv: token.pinEnv, hsmModule: MODULE });

/** `vault:hsm-keygen` for the bot's key, then `vault:deploy` of a config naming that address as bot1. */
async function hsmOperatorVault() {
  const a = await accounts();
  await setBalance(a.deployer.address, 10n ** 24n);
  const { result: key } = await runTask<{ address: string }>("vault:hsm-keygen", { ...hsm("bot-1"), json: true });
  await setBalance(key.address, 10n ** 20n);
  const usdtToken = await ethers.deployContract("MockUSDT");
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin (mock)", "USDC", 6]);
  const raw = testConfig(a, { usdt: await usdtToken.getAddress(), usdc: await usdc.getAddress() }, "hsm-vault");
  raw.operators[0].address = key.address;
  const dir = tempDir();
  const { result: outcome } = await runTask<DeployOutcome>("vault:deploy", { configFile: writeJson(dir, "vault.json", raw), deployments: dir });
  await usdtToken.mint(outcome.vault, usdt(5_000_000));
  return { a, dir, vault: outcome.vault, usdt: usdtToken, operator: key.address };
}

describe("tasks with keys in an HSM (SoftHSM2)", () => {
  before(async () => {
    token = await createToken("tasks");
  });

  it("vault:hsm-keygen prints the new key's address; vault:hsm-address finds it again; a label is never reused", async () => {
    const { stdout, result } = await runTask<{ address: string; id: string }>("vault:hsm-keygen", hsm("treasurer"));
    expect(stdout).to.include(`label "treasurer"`);
    expect(stdout).to.include("cannot be extracted");
    expect(stdout).to.include(`address: ${result.address}`);
    const again = await runTask<{ address: string }>("vault:hsm-address", hsm("treasurer"));
    expect(again.stdout.trim()).to.equal(result.address);
    const dup = await taskError("vault:hsm-keygen", hsm("treasurer"));
    expect(dup.error).to.be.instanceOf(Pkcs11KeyExistsError);
    // The PIN from a file works the same; the file is named in errors, its content never.
    const pinFile = path.join(tempDir(), "pin");
    fs.writeFileSync(pinFile, `${process.env[token.pinEnv]}\n`, { mode: 0o600 });
    const fromFile = await runTask<{ address: string }>("vault:hsm-address", { hsmToken: token.label, hsmKey: "treasurer", hsmPinFile: pinFile, hsmModule: MODULE });
    expect(fromFile.result.address).to.equal(result.address);
  });

  it("vault:withdraw signs in the HSM for the operator whose key was generated there", async () => {
    const f = await loadFixture(hsmOperatorVault);
    const { stdout } = await runTask("vault:withdraw", { vault: "hsm-vault", deployments: f.dir, token: "USDT", to: f.a.exchange.address, amount: "1500.25", ...hsm("bot-1") });
    expect(stdout).to.match(/^withdrawn: 1500\.25 USDT/);
    const second = await runTask("vault:withdraw", { vault: "hsm-vault", deployments: f.dir, token: "USDT", to: f.a.exchange.address, amount: "10", ...hsm("bot-1"), json: true });
    expect(JSON.parse(second.stdout).outcome.status).to.equal("withdrawn");
    expect(await f.usdt.balanceOf(f.a.exchange.address)).to.equal(1_510_250_000n);
    expect(await ethers.provider.getTransactionCount(f.operator)).to.equal(2);
  });

  it("refuses unclear or wrong key parameters with one typed line that never shows the PIN", async () => {
    const f = await loadFixture(hsmOperatorVault);
    const wrongEnv = "TASK_TEST_WRONG_PIN";
    process.env[wrongEnv] = "not-the-pin-42";
    const base = { vault: "hsm-vault", deployments: f.dir, token: "USDT", to: f.a.exchange.address, amount: "1" };
    const cases: [Record<string, unknown>, new (...a: never[]) => Error, RegExp][] = [
      [{ ...base, hsmToken: token.label, hsmPinEnv: token.pinEnv }, InvalidInputError, /--hsm-key LABEL/],
      [{ ...base, hsmKey: "bot-1" }, InvalidInputError, /--hsm-token LABEL/],
      [{ ...base, ...hsm("bot-1"), from: f.a.bot2.address }, InvalidInputError, /either --from or a key/],
      [{ ...base, ...hsm("bot-1"), keyEnv: "SOME_KEY" }, InvalidInputError, /not both/],
      [{ ...base, ...hsm("bot-1"), hsmPinFile: "/tmp/x" }, InvalidInputError, /--hsm-pin-env or --hsm-pin-file, not both/],
      // The PIN typed where its variable's name goes: refused, and not repeated.
      [{ ...base, ...hsm("bot-1"), hsmPinEnv: "s3cretPin" }, PinUnavailableError, /named by --hsm-pin-env is not set/],
      [{ ...base, ...hsm("bot-1"), hsmPinEnv: "123456" }, InvalidInputError, /NAME of an environment variable/],
      [{ ...base, keyEnv: ethers.Wallet.createRandom().privateKey.slice(2) }, InvalidInputError, /a key is never passed on the command line/],
      [{ ...base, ...hsm("bot-1"), hsmPinEnv: wrongEnv }, Pkcs11PinIncorrectError, /PIN of token .* was refused/],
    ];
    for (const [args, type, message] of cases) {
      const e = await taskError("vault:withdraw", args);
      expect(e.error, message.source).to.be.instanceOf(type);
      expect(e.message, message.source).to.match(message);
      expect(e.message.split("\n"), message.source).to.have.length(1);
      for (const secret of [process.env[token.pinEnv]!, process.env[wrongEnv]!, "123456", "s3cretPin"]) expect(e.message + e.stderr).not.to.contain(secret);
      if (typeof args.keyEnv === "string") expect(e.message).not.to.contain(args.keyEnv);
    }
    expect(await f.usdt.balanceOf(f.a.exchange.address)).to.equal(0n);
  });

  it("vault:guard responds with a guardian key in the HSM", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { result: key } = await runTask<{ address: string }>("vault:hsm-keygen", { ...hsm("responder"), json: true });
    await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(key.address));
    await setBalance(key.address, 10n ** 20n);
    const reactFrom = (await ethers.provider.getBlockNumber()) + 1;
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.attacker.address, usdt(1)); // a stolen key trips the tripwire
    const rules = writeJson(tempDir(), "rules.json", guardRules(f));
    const guard = (args: Record<string, unknown>) => hre.run("vault:guard", { rules, fromBlock: 0, reactFrom, once: true, log: path.join(tempDir(), "log.jsonl"), ...args }) as Promise<ResponderAction[]>;
    await expect(guard({})).to.be.rejectedWith(/pass the guardian key: --hsm-token LABEL --hsm-key LABEL/);
    await expect(guard({ ...hsm("responder"), guardian: f.guardian.address })).to.be.rejectedWith(/or --guardian, not both/);
    const actions = await guard(hsm("responder"));
    expect(actions.map((a) => `${a.action.kind}:${a.status}`)).to.include("pause:confirmed");
    expect(await f.vault.paused()).to.equal(true);
    expect(await ethers.provider.getTransactionCount(key.address), "sent by the HSM key").to.be.greaterThan(0);
  });
});
