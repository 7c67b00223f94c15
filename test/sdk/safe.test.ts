import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Contract, ContractFactory, ZeroAddress, concat, zeroPadValue } from "ethers";
import SafeArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/Safe.sol/Safe.json";
import FactoryArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json";
import { ChangeKind, POLICY, deployVaultFixture, encodeChange, proposeAndExecute } from "../helpers/fixture";
import { AdminTransactions, GuardianTransactions, type UnsignedTransaction } from "../../sdk";

/** A Safe (v1.5.0) owned by `owners` with threshold = all of them. */
async function deploySafe(owners: HardhatEthersSigner[]): Promise<Contract> {
  const [deployer] = await ethers.getSigners();
  const singleton = await new ContractFactory(SafeArtifact.abi, SafeArtifact.bytecode, deployer).deploy();
  const factory = await new ContractFactory(FactoryArtifact.abi, FactoryArtifact.bytecode, deployer).deploy();
  const sorted = owners.map((o) => o.address);
  const setup = singleton.interface.encodeFunctionData("setup", [sorted, sorted.length, ZeroAddress, "0x", ZeroAddress, ZeroAddress, 0, ZeroAddress]);
  const receipt = await (await (factory as Contract).createProxyWithNonce(await singleton.getAddress(), setup, 1n)).wait();
  const created = receipt.logs.map((l: { topics: string[]; data: string }) => factory.interface.parseLog(l)).find((e: { name: string } | null) => e?.name === "ProxyCreation");
  return new Contract(created.args[0], SafeArtifact.abi, deployer);
}

/** Has every owner approve the Safe transaction for `tx` (as a multisig UI would collect signatures) and executes it. */
async function execThroughSafe(safe: Contract, owners: HardhatEthersSigner[], tx: UnsignedTransaction): Promise<void> {
  const nonce = await safe.nonce();
  const hash = await safe.getTransactionHash(tx.to, tx.value, tx.data, 0, 0, 0, 0, ZeroAddress, ZeroAddress, nonce);
  const [executor, ...others] = owners;
  for (const o of others) await (safe.connect(o) as Contract).approveHash(hash);
  // Pre-approved-hash signatures (v = 1, r = owner), ordered by owner address.
  const signatures = concat(
    owners
      .map((o) => o.address)
      .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
      .map((a) => concat([zeroPadValue(a, 32), zeroPadValue("0x", 32), "0x01"])),
  );
  await (await (safe.connect(executor) as Contract).execTransaction(tx.to, tx.value, tx.data, 0, 0, 0, 0, ZeroAddress, ZeroAddress, signatures)).wait();
}

describe("SDK unsigned transactions through a Safe", () => {
  it("a 2-of-2 guardian Safe pauses the vault, and an admin Safe accepts the role and proposes a change", async () => {
    const f = await loadFixture(deployVaultFixture);
    const guardians = await deploySafe([f.guardian, f.guardian2]);
    const guardianSafe = await guardians.getAddress();
    await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(guardianSafe));

    const g = new GuardianTransactions(f.vaultAddr);
    await execThroughSafe(guardians, [f.guardian, f.guardian2], g.suspendOperator(f.bot1.address));
    await execThroughSafe(guardians, [f.guardian, f.guardian2], g.pause());
    expect(await f.vault.paused()).to.equal(true);
    expect(await f.vault.isSuspended(f.bot1.address)).to.equal(true);
    const events = await f.vault.queryFilter(f.vault.filters.VaultPaused());
    expect(events.map((e) => e.args.by)).to.deep.equal([guardianSafe]);

    const adminSafe = await deploySafe([f.admin, f.stranger]);
    const adminSafeAddr = await adminSafe.getAddress();
    await proposeAndExecute(f.vault, f.admin, ChangeKind.TransferAdmin, encodeChange.address(adminSafeAddr));
    const a = new AdminTransactions(f.vaultAddr);
    await execThroughSafe(adminSafe, [f.admin, f.stranger], a.acceptAdmin());
    expect(await f.vault.admin()).to.equal(adminSafeAddr);
    await execThroughSafe(adminSafe, [f.stranger, f.admin], a.propose.setVaultCap({ token: f.usdtAddr, vaultCap: POLICY.usdt.vaultCap * 2n }));
    const change = await f.vault.getChange(await f.vault.changeCount());
    expect(change.kind).to.equal(BigInt(ChangeKind.SetVaultCap));
    expect(change.params).to.equal(encodeChange.setVaultCap(f.usdtAddr, POLICY.usdt.vaultCap * 2n));
  });
});
