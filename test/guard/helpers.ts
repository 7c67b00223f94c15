import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ContractFactory, type Contract } from "ethers";
import MultiSendCallOnlyArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json";
import { ChangeKind, deployVaultFixture, encodeChange, proposeAndExecute, usdt, type VaultFixture } from "../helpers/fixture";
import { AdminTransactions } from "../../sdk/clients";
import { deploySafe, execSafeTransaction } from "../../sdk/safe";
import { views } from "../helpers/views";

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
  for (let id = 1n; id <= (await f.vault.withdrawalCount()); id++) withdrawals.push((await views.getWithdrawal(f.vault, id)).status);
  const changes = [];
  for (let id = 1n; id <= (await f.vault.changeCount()); id++) changes.push((await views.getChange(f.vault, id)).status);
  return {
    paused: await f.vault.paused(),
    suspended: [await views.isSuspended(f.vault, f.bot1.address), await views.isSuspended(f.vault, f.bot2.address)],
    withdrawals,
    changes,
    usdt: await f.usdtToken.balanceOf(f.vaultAddr),
    eth: await ethers.provider.getBalance(f.vaultAddr),
    recoveryUsdt: await f.usdtToken.balanceOf(f.recovery.address),
  };
}

/** Responder rules for the fixture: bot1 queues up to 1M USDT to its exchange, bot2 anything (up to 10^24 base units) to any approved destination; limit raises for bot2 and exchange2 for bot1 are expected changes. */
export function guardRules(f: VaultFixture, over: Record<string, unknown> = {}): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      vault: f.vaultAddr,
      tripwire: { pause: true, cancelPending: true },
      withdrawals: {
        onUnexpected: "cancel",
        freshDestination: { withinSeconds: 2 * 86400, action: "cancelAndPause" },
        expected: [
          { operator: f.bot1.address, token: f.usdtAddr, maxAmount: usdt(1_000_000).toString(), destinations: [f.exchange.address] },
          { operator: f.bot2.address, token: "*", maxAmount: (10n ** 24n).toString() },
        ],
      },
      changes: {
        onUnexpected: "cancel",
        expected: [
          { kind: "SetOperatorLimits", operator: f.bot2.address },
          { kind: "ApproveDestination", operator: f.bot1.address, destination: f.exchange2.address },
        ],
      },
      ...over,
    }),
  );
}
