import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ContractFactory, type Contract } from "ethers";
import MultiSendCallOnlyArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json";
import { ChangeKind, deployVaultFixture, encodeChange, proposeAndExecute, type VaultFixture } from "../helpers/fixture";
import { AdminTransactions, deploySafe, execSafeTransaction } from "../../sdk";

export interface SafeGuardedFixture extends VaultFixture {
  chainId: bigint;
  /** A 2-of-3 Safe holding the guardian role (next to the fixture's two guardian keys). */
  guardianSafe: Contract;
  guardianSafeAddr: string;
  guardianOwners: HardhatEthersSigner[];
  /** A 2-of-3 Safe holding the admin role; `admin` (the deployer's EOA) no longer has it. */
  adminSafe: Contract;
  adminSafeAddr: string;
  adminOwners: HardhatEthersSigner[];
  /** MultiSendCallOnly from the Safe package's artifacts, for batches. */
  multiSendAddr: string;
}

/**
 * The fixture's vault with the recommended roles: the guardian role given to a 2-of-3 Safe by a proposed
 * and executed AddGuardian change, and the admin role moved to another 2-of-3 Safe by a TransferAdmin
 * change that the Safe accepted through `execTransaction`.
 */
export async function safeGuardedFixture(): Promise<SafeGuardedFixture> {
  const f = await deployVaultFixture();
  const signers = await ethers.getSigners();
  const guardianOwners = signers.slice(10, 13);
  const adminOwners = signers.slice(13, 16);
  const guardianSafe = await deploySafe({ deployer: f.admin, owners: guardianOwners.map((o) => o.address), threshold: 2, saltNonce: 1n });
  const adminSafe = await deploySafe({ deployer: f.admin, owners: adminOwners.map((o) => o.address), threshold: 2, saltNonce: 2n });
  const guardianSafeAddr = await guardianSafe.getAddress();
  const adminSafeAddr = await adminSafe.getAddress();
  await proposeAndExecute(f.vault, f.admin, ChangeKind.AddGuardian, encodeChange.address(guardianSafeAddr));
  await proposeAndExecute(f.vault, f.admin, ChangeKind.TransferAdmin, encodeChange.address(adminSafeAddr));
  await execSafeTransaction({ safe: adminSafe, tx: new AdminTransactions(f.vaultAddr).acceptAdmin(), owners: adminOwners.slice(0, 2) });
  const multiSend = await new ContractFactory(MultiSendCallOnlyArtifact.abi, MultiSendCallOnlyArtifact.bytecode, f.admin).deploy();
  await multiSend.waitForDeployment();
  return {
    ...f,
    chainId: (await ethers.provider.getNetwork()).chainId,
    guardianSafe,
    guardianSafeAddr,
    guardianOwners,
    adminSafe,
    adminSafeAddr,
    adminOwners,
    multiSendAddr: await multiSend.getAddress(),
  };
}

/** Everything a guardian action could change on the vault, to show that a refused one changed nothing. */
export async function vaultSnapshot(f: VaultFixture) {
  const withdrawals = [];
  for (let id = 1n; id <= (await f.vault.withdrawalCount()); id++) withdrawals.push((await f.vault.getWithdrawal(id)).status);
  const changes = [];
  for (let id = 1n; id <= (await f.vault.changeCount()); id++) changes.push((await f.vault.getChange(id)).status);
  return {
    paused: await f.vault.paused(),
    suspended: [await f.vault.isSuspended(f.bot1.address), await f.vault.isSuspended(f.bot2.address)],
    withdrawals,
    changes,
    usdt: await f.usdtToken.balanceOf(f.vaultAddr),
    eth: await ethers.provider.getBalance(f.vaultAddr),
    recoveryUsdt: await f.usdtToken.balanceOf(f.recovery.address),
  };
}
