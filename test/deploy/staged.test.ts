import { expect } from "chai";
import { ethers, network } from "hardhat";
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { NATIVE } from "../../sdk/rules/constants";
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
import { ApproverClient } from "../../sdk/clients";
import { approvalStruct } from "../../sdk/rules";
import { vaultLens } from "../helpers/fixture";
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
  return { a, raw, config, factory, usdt, usdc, plan: planVaultDeployment(config, { maxGasPerTransaction: MAX_GAS }) };
}

const usd = (n: bigint) => n * 10n ** 6n;

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

  it("a config with approvers, co-signed destinations and co-signed caps deploys with exactly them, and a co-signed withdrawal then goes out", async () => {
    const { a, raw, usdt, usdc } = await stagedFixture();
    const otc = (await ethers.getSigners())[12].address;
    raw.approvers = [a.stranger.address];
    raw.operators[0].caps.USDT.cosignedCap = "400000";
    raw.operators[0].cosignedDestinations = [{ label: "OTC desk", address: otc }];
    raw.operators[1].caps.USDC.cosignedCap = "100000";
    const config = parseVaultConfig(JSON.stringify(raw));
    const plan = planVaultDeployment(config, { maxGasPerTransaction: MAX_GAS });
    expect(plan.batches.length).to.be.at.least(2);
    // syncVault reads the deployed vault back and checks it against the config (co-signing included).
    const result = await syncVault({ signer: a.deployer, config, allowMissingTokens: true, maxGasPerTransaction: MAX_GAS });
    expect(result.status).to.equal("deployed");
    expect(result.policy.approvers).to.deep.equal([a.stranger.address]);

    const vault = await ethers.getContractAt("GuardedVault", plan.address);
    const lens = await vaultLens();
    const role = await vault.APPROVER_ROLE();
    for (const [who, expected] of [[a.stranger, true], [a.bot1, false], [a.bot2, false], [a.admin, false], [a.guardian, false], [a.deployer, false]] as const) {
      expect(await vault.hasRole(role, who.address), who.address).to.equal(expected);
    }
    const [usdtAddr, usdcAddr] = [await usdt.getAddress(), await usdc.getAddress()];
    expect(await lens.isCosignedDestination(vault, a.bot1.address, otc)).to.equal(true);
    expect(await lens.isCosignedDestination(vault, a.bot2.address, otc)).to.equal(false);
    expect(await lens.isCosignedDestination(vault, a.bot1.address, a.exchange.address)).to.equal(false);
    expect(await vault.isApproved(a.bot1.address, otc)).to.equal(false); // co-signed only
    expect((await lens.operatorState(vault, a.bot1.address, usdtAddr)).cosignedCap).to.equal(usd(400_000n));
    expect((await lens.operatorState(vault, a.bot1.address, NATIVE)).cosignedCap).to.equal(0n);
    expect((await lens.operatorState(vault, a.bot2.address, usdcAddr)).cosignedCap).to.equal(usd(100_000n));

    // Above bot1's instant limit (250,000), to the co-signed desk, in one transaction with the approver's signature.
    await usdt.mint(plan.address, usd(5_000_000n));
    const approver = await ApproverClient.create({ vault: plan.address, provider: ethers.provider, signer: a.stranger, check: async () => true });
    const amount = usd(300_000n);
    const approval = await approver.approve({ operator: a.bot1.address, token: usdtAddr, to: otc, amount });
    await expect(vault.connect(a.bot1).withdrawCosigned(usdtAddr, otc, amount, approvalStruct(approval)))
      .to.emit(vault, "Withdrawn")
      .withArgs(a.bot1.address, usdtAddr, otc, amount);
    expect(await usdt.balanceOf(otc)).to.equal(amount);
    expect((await lens.operatorState(vault, a.bot1.address, usdtAddr)).cosignedUsed).to.equal(amount);
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
