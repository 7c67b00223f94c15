import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { NATIVE, POLICY, deployVaultFixture, policyConfig, vaultLens } from "./helpers/fixture";
import { TX_GAS_CAP, gridConfig, planFor, sendBatch, sendDeploy, stepItems } from "./helpers/staged";
import { encodeInitConfig, initialPolicySteps, stepLinks, toInitConfig, verifyVault, type ConfigStep } from "../sdk/deploy";
import { encodeChange, type ChangeParams } from "../sdk/rules/changes";
import type { IGuardedVault } from "../typechain-types/contracts/GuardedVault";
import { MAX_OPERATORS, MAX_TOKENS } from "../sdk/rules/constants";

const coder = ethers.AbiCoder.defaultAbiCoder();
const EIP3860_LIMIT = 49_152;

async function factoryFixture() {
  const signers = await ethers.getSigners();
  const [admin, guardian, bot, exchange, recovery, deployer, attacker] = signers;
  const guardian2 = signers[11];
  const factory = await ethers.deployContract("VaultFactory");
  const vaultFactory = await ethers.getContractFactory("GuardedVault");
  const config = policyConfig(
    { admin: admin.address, guardians: [guardian.address, guardian2.address], recovery: recovery.address },
    {
      tokens: [{ token: NATIVE, unitDecimals: POLICY.eth.unitDecimals, vaultCap: POLICY.eth.vaultCap }],
      limits: [{ operator: bot.address, token: NATIVE, cap: POLICY.eth.cap, instantLimit: POLICY.eth.instant, queueCap: POLICY.eth.queueCap }],
      destinations: [{ operator: bot.address, destination: exchange.address }],
    },
  );
  const initCode = (await vaultFactory.getDeployTransaction(config)).data;
  const args = "0x" + initCode.slice(vaultFactory.bytecode.length);
  const salt = ethers.id("treasury-hot-wallet-1");
  // A staged config small enough to stay quick, cut into several batches by a low per-transaction budget.
  const staged = gridConfig({
    name: "staged",
    tokens: 3,
    operators: 4,
    destinations: 2,
    admin: admin.address,
    guardians: [guardian.address, guardian2.address],
    recovery: recovery.address,
    operator0: bot.address,
    destination0: exchange.address,
  });
  const plan = await planFor(factory, staged, 700_000n);
  return { factory, vaultFactory, config, initCode, args, salt, admin, guardian, bot, exchange, recovery, deployer, attacker, staged, plan };
}

/** A policy with approvers, co-signed destinations and co-signed caps (2 tokens x 3 operators). */
async function cosigningFixture() {
  const f = await factoryFixture();
  const signers = await ethers.getSigners();
  const approvers = [signers[12].address, signers[13].address];
  const config = gridConfig({
    name: "cosigning",
    tokens: 2,
    operators: 3,
    destinations: 1,
    admin: f.admin.address,
    guardians: [f.guardian.address, signers[11].address],
    recovery: f.recovery.address,
    operator0: f.bot.address,
    destination0: f.exchange.address,
    approvers,
    cosignedDestinations: 2,
    cosignedCap: 10n ** 20n,
  });
  return { ...f, config, approvers };
}

/** configHash = keccak256(abi.encode(keccak256(constructor args), stepsRoot)). */
const configHashOf = (args: string, root: string) => ethers.keccak256(coder.encode(["bytes32", "bytes32"], [ethers.keccak256(args), root]));
const step = (change: ChangeParams): ConfigStep => {
  const e = encodeChange(change);
  return { change, kind: e.kindIndex, params: e.params };
};
const asItems = (steps: readonly ConfigStep[]) => steps.map((s) => ({ kind: s.kind, params: s.params }));

describe("VaultFactory", () => {
  it("records GuardedVault's creation code hash and length", async () => {
    const { factory, vaultFactory } = await loadFixture(factoryFixture);
    expect(await factory.VAULT_CODE_HASH()).to.equal(ethers.keccak256(vaultFactory.bytecode));
    expect(await factory.VAULT_CODE_LENGTH()).to.equal(BigInt(ethers.dataLength(vaultFactory.bytecode)));
  });

  it("a whole config in the init code (no steps): deployed at the address that commits to it, policy in force", async () => {
    const { factory, initCode, args, salt, bot, exchange, deployer } = await loadFixture(factoryFixture);
    const hash = configHashOf(args, ethers.ZeroHash);
    const create2Salt = ethers.keccak256(coder.encode(["bytes32", "bytes32"], [salt, hash]));
    const expected = ethers.getCreate2Address(await factory.getAddress(), create2Salt, ethers.keccak256(initCode));
    expect(await factory.predict(salt, hash, ethers.keccak256(initCode))).to.equal(expected);
    await expect(factory.connect(deployer).deploy(salt, initCode, ethers.ZeroHash, [], ethers.ZeroHash))
      .to.emit(factory, "VaultDeployed").withArgs(expected, salt, hash, deployer.address)
      .and.not.to.emit(factory, "VaultConfigured");
    const vault = await ethers.getContractAt("GuardedVault", expected);
    expect((await (await vaultLens()).operatorState(vault, bot.address, NATIVE)).cap).to.equal(POLICY.eth.cap);
    expect(await vault.isApproved(bot.address, exchange.address)).to.equal(true);
    expect(await vault.paused()).to.equal(false);
    // Complete from its constructor: nobody, not even its creator, can add steps.
    await expect(factory.configure(expected, [], ethers.ZeroHash)).to.be.revertedWithCustomError(factory, "NotConfiguring").withArgs(expected);
  });

  it("a step or a link given with a zero root is refused (the whole config was meant to be in the init code)", async () => {
    const { factory, initCode, salt, plan } = await loadFixture(factoryFixture);
    await expect(factory.deploy(salt, initCode, ethers.ZeroHash, stepItems(plan, 0, 1), plan.links[1])).to.be.revertedWithCustomError(factory, "ConfigMismatch");
    await expect(factory.deploy(salt, initCode, ethers.ZeroHash, [], plan.links[1])).to.be.revertedWithCustomError(factory, "ConfigMismatch");
  });

  describe("staged deployment", () => {
    it("is cut into batches; until the last one the vault is paused, has no admin and no guardians, and nothing can move funds or change policy", async () => {
      const { factory, plan, staged, admin, guardian, bot, exchange, attacker } = await loadFixture(factoryFixture);
      expect(plan.batches.length).to.be.at.least(3);
      const r0 = await sendDeploy(factory, plan);
      await expect(r0).to.not.equal(null);
      const vault = await ethers.getContractAt("GuardedVault", plan.address);
      await admin.sendTransaction({ to: plan.address, value: 10n ** 18n });
      for (let i = 1; i < plan.batches.length; i++) {
        expect(await factory.pendingConfig(plan.address)).to.equal(plan.links[plan.batches[i].from]);
        expect(await vault.paused()).to.equal(true);
        expect(await vault.admin()).to.equal(ethers.ZeroAddress);
        expect(await vault.hasRole(await vault.GUARDIAN_ROLE(), guardian.address)).to.equal(false);
        // The operator: nothing moves (its limits may already be set); once ETH is listed, the pause says so.
        const closed = plan.batches[i - 1].to > 0 ? "VaultIsPaused" : "UnknownToken";
        await expect(vault.connect(bot).withdrawInstant(NATIVE, exchange.address, 1n)).to.be.revertedWithCustomError(vault, closed);
        await expect(vault.connect(bot).queueWithdrawal(NATIVE, exchange.address, 1n)).to.be.revertedWithCustomError(vault, closed);
        // The admin-to-be: no proposal, no execution, no instant change.
        await expect(vault.connect(admin).proposeChange(4, "0x")).to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount");
        await expect(vault.connect(admin).executeChange(1)).to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount");
        await expect(vault.connect(admin).lengthenDelays(2n * 86_400n, 2n * 86_400n)).to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount");
        await expect(vault.connect(admin).acceptAdmin()).to.be.revertedWithCustomError(vault, "NotPendingAdmin");
        // The guardians-to-be: no evacuation, no suspension, no lowering (the final state is exactly the committed one).
        await expect(vault.connect(guardian).evacuate(NATIVE, 1n)).to.be.revertedWithCustomError(vault, "AccessControlUnauthorizedAccount");
        await expect(vault.connect(guardian).suspendOperator(bot.address)).to.be.revertedWithCustomError(vault, "NotAdminOrGuardian");
        // Steps come only from the factory, whatever they are.
        await expect(vault.connect(attacker).configure(4, "0x")).to.be.revertedWithCustomError(vault, "SetupClosed").withArgs(attacker.address);
        await sendBatch(factory, plan, i);
      }
      expect(await factory.pendingConfig(plan.address)).to.equal(ethers.ZeroHash);
      expect(await vault.admin()).to.equal(admin.address);
      expect(await vault.paused()).to.equal(false);
      await verifyVault({ provider: ethers.provider, config: staged, vault: plan.address, fromBlock: r0.blockNumber });
      await expect(vault.connect(bot).withdrawInstant(NATIVE, exchange.address, 10n ** 17n)).to.emit(vault, "Withdrawn");
      await expect(factory.configure(plan.address, [], ethers.ZeroHash)).to.be.revertedWithCustomError(factory, "NotConfiguring");
      await expect(vault.connect(attacker).configure(4, "0x")).to.be.revertedWithCustomError(vault, "SetupClosed");
    });

    it("a third party that front-runs a batch can only apply exactly it: the sender's copy is refused, the result is the committed policy", async () => {
      const { factory, plan, attacker, staged } = await loadFixture(factoryFixture);
      const r0 = await sendDeploy(factory, plan);
      const b = plan.batches[1];
      await expect(factory.connect(attacker).configure(plan.address, stepItems(plan, b.from, b.to), b.next))
        .to.emit(factory, "VaultConfigured").withArgs(plan.address, b.to - b.from, b.next);
      await expect(sendBatch(factory, plan, 1)).to.be.revertedWithCustomError(factory, "ConfigMismatch").withArgs(plan.address, b.next, plan.links[b.from]);
      for (let i = 2; i < plan.batches.length; i++) await sendBatch(factory, plan, i);
      await verifyVault({ provider: ethers.provider, config: staged, vault: plan.address, fromBlock: r0.blockNumber });
    });

    it("refuses batches out of order, steps swapped, dropped, altered or added, and a wrong next link", async () => {
      const { factory, plan, attacker, bot } = await loadFixture(factoryFixture);
      await sendDeploy(factory, plan);
      const [, b1, b2] = plan.batches;
      const expected = plan.links[b1.from];
      const items = stepItems(plan, b1.from, b1.to);
      const refuse = (steps: { kind: number; params: string }[], next: string) =>
        expect(factory.connect(attacker).configure(plan.address, steps, next)).to.be.revertedWithCustomError(factory, "ConfigMismatch");
      await refuse(stepItems(plan, b2.from, b2.to), b2.next); // the second batch first
      await refuse([items[1], items[0], ...items.slice(2)], b1.next); // two steps swapped
      await refuse(items.slice(1), b1.next); // a step dropped
      await refuse([...items, items[0]], b1.next); // a step added
      await refuse(items, plan.links[b1.to + 1]); // a wrong link after the batch
      const raise = step({ kind: "SetOperatorLimits", operator: bot.address, token: NATIVE, cap: 10n ** 30n, instantLimit: 10n ** 30n, queueCap: 10n ** 30n });
      await refuse([{ kind: raise.kind, params: raise.params }, ...items.slice(1)], b1.next); // a step altered
      expect(await factory.pendingConfig(plan.address)).to.equal(expected);
      for (let i = 1; i < plan.batches.length; i++) await sendBatch(factory, plan, i);
    });

    it("a deployment whose steps do not match the root its address commits to deploys nothing", async () => {
      const { factory, plan, staged } = await loadFixture(factoryFixture);
      const other = await planFor(factory, { ...staged, operators: staged.operators.slice(1) }, 700_000n);
      const b = other.batches[0];
      // The root (and so the address) of `plan`, the first steps of `other`.
      await expect(factory.deploy(plan.salt, plan.initCode, plan.links[0], stepItems(other, b.from, b.to), b.next)).to.be.revertedWithCustomError(factory, "ConfigMismatch");
      expect(await ethers.provider.getCode(plan.address)).to.equal("0x");
      expect(other.address).to.not.equal(plan.address);
      // Another salt or config hash is another address.
      expect(await factory.predict(ethers.id("x"), plan.configHash, ethers.keccak256(plan.initCode))).to.not.equal(plan.address);
    });

    it("deploying the same config twice is refused: DeploymentFailed(predicted)", async () => {
      const { factory, plan } = await loadFixture(factoryFixture);
      await sendDeploy(factory, plan);
      await expect(sendDeploy(factory, plan)).to.be.revertedWithCustomError(factory, "DeploymentFailed").withArgs(plan.address);
    });

    it("takes guardians only in the batch that completes the policy, the admin only as its last step, and never Unpause", async () => {
      const { factory, salt, admin, guardian, bot, plan } = await loadFixture(factoryFixture);
      const g2 = (await ethers.getSigners())[11].address;
      const token = step({ kind: "ListToken", token: NATIVE, unitDecimals: 12, vaultCap: 10n ** 24n });
      const guardians = [step({ kind: "AddGuardian", guardian: guardian.address }), step({ kind: "AddGuardian", guardian: g2 })];
      const adminStep = step({ kind: "TransferAdmin", newAdmin: admin.address });
      const cases: { name: string; steps: ConfigStep[]; cut: number; index: number }[] = [
        { name: "a guardian before the last batch", steps: [guardians[0], token, guardians[1], adminStep], cut: 2, index: 0 },
        { name: "the admin before the last step", steps: [token, ...guardians, adminStep, step({ kind: "TransferAdmin", newAdmin: bot.address })], cut: 5, index: 3 },
        { name: "an Unpause", steps: [step({ kind: "Unpause" }), token, ...guardians, adminStep], cut: 2, index: 0 },
        { name: "a last batch that names no admin", steps: [token, ...guardians], cut: 3, index: 2 },
      ];
      for (const c of cases) {
        const links = stepLinks(c.steps);
        await expect(factory.deploy(salt, plan.initCode, links[0], asItems(c.steps.slice(0, c.cut)), links[c.cut]), c.name)
          .to.be.revertedWithCustomError(factory, "StepOutOfPlace").withArgs(c.index, c.steps[c.index].kind);
      }
    });

    it("the step that names the admin requires two guardians: with one the vault stays paused and without roles", async () => {
      const { factory, salt, admin, guardian, plan } = await loadFixture(factoryFixture);
      const steps = [step({ kind: "AddGuardian", guardian: guardian.address }), step({ kind: "TransferAdmin", newAdmin: admin.address })];
      const links = stepLinks(steps);
      const vault = await ethers.getContractAt("GuardedVault", plan.address);
      await expect(factory.deploy(salt, plan.initCode, links[0], [], links[0])).to.emit(factory, "VaultConfigured");
      const deployed = (await factory.queryFilter(factory.filters.VaultDeployed()))[0].args.vault;
      await expect(factory.configure(deployed, asItems(steps), ethers.ZeroHash)).to.be.revertedWithCustomError(factory, "TooFewGuardians").withArgs(2);
      const v = await ethers.getContractAt("GuardedVault", deployed);
      expect(await v.paused()).to.equal(true);
      expect(await v.admin()).to.equal(ethers.ZeroAddress);
    });

    it("a vault created outside the factory takes steps only from its creator, and its address is no factory's prediction", async () => {
      const { factory, vaultFactory, plan, staged, attacker, guardian } = await loadFixture(factoryFixture);
      const header = { ...(toInitConfig(staged) as unknown as IGuardedVault.InitConfigStruct), admin: ethers.ZeroAddress, guardians: [], tokens: [], limits: [], destinations: [], tripwireOptOuts: [] };
      const direct = await vaultFactory.connect(attacker).deploy(header);
      expect(await direct.getAddress()).to.not.equal(plan.address);
      expect(await factory.pendingConfig(await direct.getAddress())).to.equal(ethers.ZeroHash);
      await expect(factory.configure(await direct.getAddress(), [], ethers.ZeroHash)).to.be.revertedWithCustomError(factory, "NotConfiguring");
      await expect(direct.connect(guardian).configure(4, "0x")).to.be.revertedWithCustomError(direct, "SetupClosed").withArgs(guardian.address);
      // A vault whose creator named the admin in its constructor is complete: not even its creator can add a step.
      const complete = await deployVaultFixture();
      const creator = (await ethers.getSigners())[0];
      await expect(complete.vault.connect(creator).configure(4, "0x")).to.be.revertedWithCustomError(complete.vault, "SetupClosed").withArgs(creator.address);
      // Its constructor takes no roles when staged: they come last.
      await expect(vaultFactory.deploy({ ...header, guardians: [guardian.address] })).to.be.revertedWithCustomError(vaultFactory, "InitialRolesLast");
    });

    it("the plan's steps are the config's policy, in order: tokens, limits, destinations, co-signing, opt-outs, approvers, guardians, admin", async () => {
      const { staged } = await loadFixture(factoryFixture);
      const cosigning = { ...staged, approvers: [ethers.getAddress(ethers.dataSlice(ethers.id("approver"), 12))] };
      const kinds = initialPolicySteps(cosigning).map((s) => s.change.kind);
      const order = ["ListToken", "SetOperatorLimits", "ApproveDestination", "ApproveCosignedDestination", "SetCosignedCap", "SetTripwireOptOut", "AddApprover", "AddGuardian", "TransferAdmin"];
      expect(kinds.map((k) => order.indexOf(k))).to.deep.equal([...kinds.map((k) => order.indexOf(k))].sort((a, b) => a - b));
      expect(kinds.filter((k) => k === "SetOperatorLimits")).to.have.length(3 * 4);
      expect(kinds.filter((k) => k === "AddApprover")).to.have.length(1);
      expect(kinds.at(-1)).to.equal("TransferAdmin");
    });

    it("takes approvers, co-signed destinations and co-signed caps in stages, and they are in force", async () => {
      const { factory, bot, config, approvers } = await loadFixture(cosigningFixture);
      // A budget that cuts the policy into batches of a step or two.
      const plan = await planFor(factory, config, 205_000n);
      const kinds = plan.steps.map((s) => s.change.kind);
      expect(kinds.filter((k) => k === "AddApprover")).to.have.length(2);
      expect(kinds.filter((k) => k === "ApproveCosignedDestination")).to.have.length(3 * 2);
      expect(kinds.filter((k) => k === "SetCosignedCap")).to.have.length(3 * 2);
      const receipts = [await sendDeploy(factory, plan)];
      for (let i = 1; i < plan.batches.length; i++) receipts.push(await sendBatch(factory, plan, i));
      await verifyVault({ provider: ethers.provider, config, vault: plan.address, fromBlock: receipts[0].blockNumber });
      const vault = await ethers.getContractAt("GuardedVault", plan.address);
      const lens = await vaultLens();
      for (const a of approvers) expect(await vault.hasRole(await vault.APPROVER_ROLE(), a)).to.equal(true);
      expect(await vault.hasRole(await vault.APPROVER_ROLE(), bot.address)).to.equal(false);
      for (const o of config.operators) {
        for (const d of o.cosignedDestinations) expect(await lens.isCosignedDestination(plan.address, o.address, d.address)).to.equal(true);
        expect(await lens.isCosignedDestination(plan.address, o.address, o.destinations[0].address)).to.equal(false);
        expect((await lens.operatorState(plan.address, o.address, NATIVE)).cosignedCap).to.equal(10n ** 20n);
      }
    });
  });

  it("a header the vault rejects fails the deployment and deploys nothing", async () => {
    const { factory, vaultFactory, config, salt } = await loadFixture(factoryFixture);
    const bad = (await vaultFactory.getDeployTransaction({ ...config, window: 1000n })).data;
    const args = "0x" + bad.slice(vaultFactory.bytecode.length);
    const predicted = await factory.predict(salt, configHashOf(args, ethers.ZeroHash), ethers.keccak256(bad));
    await expect(factory.deploy(salt, bad, ethers.ZeroHash, [], ethers.ZeroHash)).to.be.revertedWithCustomError(factory, "DeploymentFailed").withArgs(predicted);
    expect(await ethers.provider.getCode(predicted)).to.equal("0x");
  });

  it("deploys nothing but a GuardedVault: other code, or the bare creation code, is NotAVault", async () => {
    const { factory, vaultFactory, initCode, salt } = await loadFixture(factoryFixture);
    const other = (await (await ethers.getContractFactory("MockUSDT")).getDeployTransaction()).data;
    const deploy = (code: string) => factory.deploy(salt, code, ethers.ZeroHash, [], ethers.ZeroHash);
    await expect(deploy(other)).to.be.revertedWithCustomError(factory, "NotAVault");
    await expect(deploy(vaultFactory.bytecode)).to.be.revertedWithCustomError(factory, "NotAVault");
    // One flipped byte in the creation code is another contract.
    const tampered = initCode.slice(0, 100) + (initCode.slice(100, 102) === "00" ? "01" : "00") + initCode.slice(102);
    await expect(deploy(tampered)).to.be.revertedWithCustomError(factory, "NotAVault");
  });

  // Within the per-transaction gas cap of EIP-7825 (2^24): every transaction is sent with that gas limit.
  describe("per-transaction gas cap (EIP-7825)", () => {
    it("the co-signing steps (AddApprover, ApproveCosignedDestination, SetCosignedCap) stay within the plan's per-batch gas bounds", async () => {
      const { factory, config } = await loadFixture(cosigningFixture);
      // Batches of a step or two, so that each step's bound is checked.
      const plan = await planFor(factory, config, 205_000n);
      const kinds = plan.steps.map((s) => s.change.kind);
      const receipts = [await sendDeploy(factory, plan)];
      for (let i = 1; i < plan.batches.length; i++) receipts.push(await sendBatch(factory, plan, i));
      receipts.forEach((r, i) => expect(r.gasUsed, `batch ${i} (${kinds.slice(plan.batches[i].from, plan.batches[i].to).join(", ")})`).to.be.at.most(plan.batches[i].gasBound));
    });

    it("the 8 tokens x 16 operators + 64 destinations config, too large for EIP-3860 as init code, deploys in two transactions and its policy is in force only with the last", async () => {
      const { factory, admin, guardian, bot, exchange, recovery } = await loadFixture(factoryFixture);
      const guardians = [guardian.address, (await ethers.getSigners())[11].address];
      const config = gridConfig({ name: "8x16", tokens: 8, operators: 16, destinations: 4, admin: admin.address, guardians, recovery: recovery.address, operator0: bot.address, destination0: exchange.address });
      // What it used to take: everything in the init code, above EIP-3860's limit.
      const vaultFactory = await ethers.getContractFactory("GuardedVault");
      const oldInitCodeBytes = ethers.dataLength(vaultFactory.bytecode) + ethers.dataLength(encodeInitConfig(toInitConfig(config)));
      expect(oldInitCodeBytes).to.be.above(EIP3860_LIMIT);
      const plan = await planFor(factory, config);
      expect(ethers.dataLength(plan.initCode)).to.be.below(ethers.dataLength(vaultFactory.bytecode) + 1_000);
      expect(plan.batches).to.have.length(2);
      const first = await sendDeploy(factory, plan);
      expect(first.gasUsed).to.be.at.most(TX_GAS_CAP);
      const vault = await ethers.getContractAt("GuardedVault", plan.address);
      // Between the two: paused, no admin, nothing can move.
      expect(await vault.paused()).to.equal(true);
      expect(await vault.admin()).to.equal(ethers.ZeroAddress);
      expect(await factory.pendingConfig(plan.address)).to.equal(plan.batches[0].next);
      const last = await sendBatch(factory, plan, 1);
      expect(last.gasUsed).to.be.at.most(TX_GAS_CAP);
      expect(await factory.pendingConfig(plan.address)).to.equal(ethers.ZeroHash);
      // The block of the last batch holds the whole policy: read at that block, it matches the config.
      await verifyVault({ provider: ethers.provider, config, vault: plan.address, fromBlock: first.blockNumber });
      expect(await vault.admin({ blockTag: last.blockNumber })).to.equal(admin.address);
      expect(await vault.paused({ blockTag: last.blockNumber })).to.equal(false);
      await admin.sendTransaction({ to: plan.address, value: 10n ** 18n });
      await expect(vault.connect(bot).withdrawInstant(NATIVE, exchange.address, 10n ** 17n)).to.emit(vault, "Withdrawn");
    });

    it("the largest config (32 tokens x 64 operators, limits for every pair, 256 destinations) deploys in stages, every transaction within EIP-7825's 2^24 gas", async function () {
      this.timeout(600_000);
      const { factory, admin, guardian, bot, exchange, recovery } = await loadFixture(factoryFixture);
      // The vault's limits (contracts/libraries/Constants.sol, mirrored by the SDK's rules and checked by test/constants.test.ts).
      const [maxTokens, maxOperators] = [MAX_TOKENS, MAX_OPERATORS];
      expect([maxTokens, maxOperators]).to.deep.equal([32, 64]);
      const guardians = [guardian.address, (await ethers.getSigners())[11].address];
      const config = gridConfig({ name: "largest", tokens: Number(maxTokens), operators: Number(maxOperators), destinations: 4, admin: admin.address, guardians, recovery: recovery.address, operator0: bot.address, destination0: exchange.address });
      const plan = await planFor(factory, config);
      expect(plan.steps.length).to.equal(32 + 32 * 64 + 64 * 4 + config.operators.filter((o) => o.tripwireOptOut).length + 2 + 1);
      expect(plan.batches.length).to.be.above(1);
      const receipts = [await sendDeploy(factory, plan)];
      for (let i = 1; i < plan.batches.length; i++) receipts.push(await sendBatch(factory, plan, i));
      for (const r of receipts) expect(r.gasUsed).to.be.at.most(TX_GAS_CAP);
      // The plan's bound holds for every batch.
      receipts.forEach((r, i) => expect(r.gasUsed, `batch ${i}`).to.be.at.most(plan.batches[i].gasBound));
      const last = receipts[receipts.length - 1];
      await verifyVault({ provider: ethers.provider, config, vault: plan.address, fromBlock: receipts[0].blockNumber });
      const v = await ethers.getContractAt("GuardedVault", plan.address);
      expect(await v.paused({ blockTag: last.blockNumber - 1 })).to.equal(true);
      expect(await v.paused({ blockTag: last.blockNumber })).to.equal(false);
    });
  });
});
