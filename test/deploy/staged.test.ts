import { expect } from "chai";
import { ethers, network } from "hardhat";
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import {
  completeVaultConfig,
  ensureDeterministicDeployer,
  ensureFactory,
  factoryAddress,
  parseVaultConfig,
  planVaultDeployment,
  syncVault,
  verifyVault,
} from "../../sdk/deploy";
import { InvalidInputError } from "../../sdk/errors";
import { accounts, taskError, tempDir, testConfig, writeJson } from "./helpers";

/** The test config, cut into batches by a low per-transaction budget so that it deploys in stages. */
const MAX_GAS = 6_000_000n;

async function stagedFixture() {
  const a = await accounts();
  await setBalance(a.deployer.address, 10n ** 24n);
  const usdt = await ethers.deployContract("MockUSDT");
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin (mock)", "USDC", 6]);
  const raw = testConfig(a, { usdt: await usdt.getAddress(), usdc: await usdc.getAddress() }, `staged-${Date.now()}`);
  const config = parseVaultConfig(JSON.stringify(raw));
  await ensureDeterministicDeployer({ provider: ethers.provider, install: async (address, code) => void (await network.provider.send("hardhat_setCode", [address, code])) });
  await ensureFactory({ signer: a.deployer });
  const factory = await ethers.getContractAt("VaultFactory", factoryAddress());
  return { a, raw, config, factory, plan: planVaultDeployment(config, { maxGasPerTransaction: MAX_GAS }) };
}

const items = (plan: ReturnType<typeof planVaultDeployment>, from: number, to: number) => plan.steps.slice(from, to).map((s) => ({ kind: s.kind, params: s.params }));

describe("deploy: a policy in stages", () => {
  it("plans batches within the budget, keeping the guardians and the admin together in the last one", async () => {
    const { plan } = await stagedFixture();
    expect(plan.batches.length).to.be.at.least(2);
    for (const b of plan.batches) expect(b.gasBound).to.be.at.most((MAX_GAS * 98n) / 100n);
    const last = plan.batches[plan.batches.length - 1];
    const roles = plan.steps.map((s, i) => [s.change.kind, i] as const).filter(([k]) => k === "AddGuardian" || k === "TransferAdmin");
    for (const [, i] of roles) expect(i).to.be.at.least(last.from);
  });

  it("a budget below what one step needs is a typed error naming the setting", async () => {
    const { config } = await stagedFixture();
    expect(() => planVaultDeployment(config, { maxGasPerTransaction: 50_000n })).to.throw(InvalidInputError, /maxGasPerTransaction/);
  });

  it("syncVault sends the batches in order with progress, and the vault is verified against the config", async () => {
    const { a, config, plan } = await stagedFixture();
    const progress: string[] = [];
    const result = await syncVault({ signer: a.deployer, config, allowMissingTokens: true, maxGasPerTransaction: MAX_GAS, onProgress: (m) => progress.push(m) });
    expect(result.status).to.equal("deployed");
    expect(result.vault).to.equal(plan.address);
    expect(progress.join("\n")).to.match(new RegExp(`${plan.steps.length} steps in ${plan.batches.length} transactions`));
    expect(progress.filter((m) => m.startsWith("applying steps"))).to.have.length(plan.batches.length - 1);
  });

  it("resumes an interrupted deployment where the chain is, skipping a batch someone else applied meanwhile", async () => {
    const { a, config, factory, plan } = await stagedFixture();
    // Interrupted after the deployment transaction; then a third party sends the first two steps of the
    // second batch (cut elsewhere than the plan: the chain does not care where batches end).
    const first = plan.batches[0];
    await factory.connect(a.deployer).deploy(plan.salt, plan.initCode, plan.links[0], items(plan, first.from, first.to), first.next);
    const b1 = plan.batches[1];
    expect(plan.steps[b1.from + 1].change.kind).to.not.be.oneOf(["AddGuardian", "TransferAdmin"]);
    await factory.connect(a.stranger).configure(plan.address, items(plan, b1.from, b1.from + 2), plan.links[b1.from + 2]);
    const vault = await ethers.getContractAt("GuardedVault", plan.address);
    expect(await vault.paused()).to.equal(true);
    const progress: string[] = [];
    const result = await syncVault({ signer: a.deployer, config, allowMissingTokens: true, maxGasPerTransaction: MAX_GAS, onProgress: (m) => progress.push(m) });
    expect(result.status).to.equal("deployed");
    expect(progress.join("\n")).to.match(/awaits the rest of its policy: resuming/);
    // Only what was not applied yet was sent: the rest of the second batch, then the others.
    const sent = progress.filter((m) => m.startsWith("applying steps"));
    expect(sent).to.have.length(plan.batches.length - 1);
    expect(sent[0]).to.match(new RegExp(`^applying steps ${b1.from + 3}-${b1.to} of`));
    expect(await factory.pendingConfig(plan.address)).to.equal(ethers.ZeroHash);
    await verifyVault({ provider: ethers.provider, config, vault: plan.address, fromBlock: result.record.blockNumber });
    // Complete: nothing left to send.
    expect(await completeVaultConfig({ signer: a.deployer, plan })).to.equal(0);
  });

  it("vault:deploy refuses a bad --max-gas in one line, exit code 2, before sending anything", async () => {
    const { raw } = await stagedFixture();
    const dir = tempDir();
    const configFile = writeJson(dir, "v.json", raw);
    const { message, exitCode } = await taskError("vault:deploy", { configFile, deployments: dir, maxGas: "lots" });
    expect(message).to.match(/maxGas.*expected a whole number of gas/);
    expect(message.split("\n")).to.have.length(1);
    expect(exitCode).to.equal(2);
  });

  it("vault:deploy with --max-gas deploys in stages and reports each batch", async () => {
    const { raw, plan } = await stagedFixture();
    const dir = tempDir();
    const configFile = writeJson(dir, "v.json", raw);
    const { capture } = await import("./helpers");
    const hre = await import("hardhat");
    const { stderr } = await capture(() => hre.run("vault:deploy", { configFile, deployments: dir, maxGas: MAX_GAS.toString() }));
    expect(stderr).to.match(new RegExp(`${plan.steps.length} steps in ${plan.batches.length} transactions`));
    expect(stderr).to.match(/applying steps \d+-\d+ of \d+ \(batch 2 of/);
  });
});
