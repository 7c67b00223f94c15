import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { NATIVE, POLICY, vaultLens } from "./helpers/fixture";
import { views } from "./helpers/views";

async function factoryFixture() {
  const [admin, guardian, bot, exchange, recovery, deployer] = await ethers.getSigners();
  const factory = await ethers.deployContract("VaultFactory");
  const vaultFactory = await ethers.getContractFactory("GuardedVault");
  const config = {
    admin: admin.address,
    guardians: [guardian.address, (await ethers.getSigners())[11].address],
    recovery: recovery.address,
    window: POLICY.window,
    changeDelay: POLICY.changeDelay,
    withdrawalDelay: POLICY.withdrawalDelay,
    tripwireMaxCount: POLICY.tripwireMaxCount,
    tripwirePeriod: POLICY.tripwirePeriod,
    tokens: [{ token: NATIVE, unitDecimals: POLICY.eth.unitDecimals, vaultCap: POLICY.eth.vaultCap }],
    limits: [{ operator: bot.address, token: NATIVE, cap: POLICY.eth.cap, instantLimit: POLICY.eth.instant, queueCap: POLICY.eth.queueCap }],
    destinations: [{ operator: bot.address, destination: exchange.address }],
    tripwireOptOuts: [],
  };
  const initCode = (await vaultFactory.getDeployTransaction(config)).data;
  const args = "0x" + initCode.slice(vaultFactory.bytecode.length);
  const salt = ethers.id("treasury-hot-wallet-1");
  return { factory, vaultFactory, config, initCode, args, salt, admin, bot, exchange, deployer };
}

describe("VaultFactory", () => {
  it("records GuardedVault's creation code hash and length", async () => {
    const { factory, vaultFactory } = await loadFixture(factoryFixture);
    expect(await factory.VAULT_CODE_HASH()).to.equal(ethers.keccak256(vaultFactory.bytecode));
    expect(await factory.VAULT_CODE_LENGTH()).to.equal(BigInt(ethers.dataLength(vaultFactory.bytecode)));
  });

  it("deploys to the CREATE2 address that depends only on factory, salt and init code, with the policy in force", async () => {
    const { factory, initCode, args, salt, bot, exchange, deployer } = await loadFixture(factoryFixture);
    const factoryAddr = await factory.getAddress();
    const expected = ethers.getCreate2Address(factoryAddr, salt, ethers.keccak256(initCode));
    expect(await factory.predict(salt, ethers.keccak256(initCode))).to.equal(expected);
    await expect(factory.connect(deployer).deploy(salt, initCode))
      .to.emit(factory, "VaultDeployed").withArgs(expected, salt, ethers.keccak256(args), deployer.address);
    const vault = await ethers.getContractAt("GuardedVault", expected);
    expect((await (await vaultLens()).operatorState(vault, bot.address, NATIVE)).cap).to.equal(POLICY.eth.cap);
    expect(await vault.isApproved(bot.address, exchange.address)).to.equal(true);
    expect(await vault.window()).to.equal(POLICY.window);
  });

  it("refuses the same salt and config twice: DeploymentFailed(predicted)", async () => {
    const { factory, initCode, salt } = await loadFixture(factoryFixture);
    await factory.deploy(salt, initCode);
    const predicted = await factory.predict(salt, ethers.keccak256(initCode));
    await expect(factory.deploy(salt, initCode)).to.be.revertedWithCustomError(factory, "DeploymentFailed").withArgs(predicted);
  });

  it("a config the vault rejects fails the deployment and deploys nothing", async () => {
    const { factory, vaultFactory, config, salt } = await loadFixture(factoryFixture);
    const bad = (await vaultFactory.getDeployTransaction({ ...config, window: 1000n })).data;
    const predicted = await factory.predict(salt, ethers.keccak256(bad));
    await expect(factory.deploy(salt, bad)).to.be.revertedWithCustomError(factory, "DeploymentFailed").withArgs(predicted);
    expect(await ethers.provider.getCode(predicted)).to.equal("0x");
  });

  it("deploys nothing but a GuardedVault: other code, or the bare creation code, is NotAVault", async () => {
    const { factory, vaultFactory, initCode, salt } = await loadFixture(factoryFixture);
    const other = (await (await ethers.getContractFactory("MockUSDT")).getDeployTransaction()).data;
    await expect(factory.deploy(salt, other)).to.be.revertedWithCustomError(factory, "NotAVault");
    await expect(factory.deploy(salt, vaultFactory.bytecode)).to.be.revertedWithCustomError(factory, "NotAVault");
    // One flipped byte in the creation code is another contract.
    const tampered = initCode.slice(0, 100) + (initCode.slice(100, 102) === "00" ? "01" : "00") + initCode.slice(102);
    await expect(factory.deploy(salt, tampered)).to.be.revertedWithCustomError(factory, "NotAVault");
  });
});
