import { artifacts, ethers } from "hardhat";
import { setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { GuardedVault, MockERC20, MockUSDT, VaultLens } from "../../typechain-types";
import { VaultLens__factory } from "../../typechain-types";
import type { IGuardedVault } from "../../typechain-types/contracts/GuardedVault";

export const NATIVE = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";
export const HOUR = 3600n;
export const DAY = 24n * HOUR;
export const WINDOW = DAY;
export const BUCKET = WINDOW / 3n;

/** ChangeKind in IGuardedVault, in declaration order. */
export enum ChangeKind {
  SetOperatorLimits,
  ApproveDestination,
  ListToken,
  SetVaultCap,
  Unpause,
  UnsuspendOperator,
  SetRecovery,
  SetDelays,
  AddGuardian,
  RemoveGuardian,
  TransferAdmin,
  SetTripwire,
  SetTripwireOptOut,
  AddApprover,
  ApproveCosignedDestination,
  SetCosignedCap,
}

/** Status in IGuardedVault. */
export enum Status {
  None,
  Pending,
  Executed,
  Cancelled,
}

/** TripReason in IGuardedVault. */
export enum TripReason {
  DestinationNotApproved,
  TokenNotAllowed,
  InstantLimitExceeded,
  CapExceeded,
  RateExceeded,
  QueueCapExceeded,
  InvalidApproval,
  CosignedCapExceeded,
}

export const usdt = (n: number | bigint) => BigInt(n) * 10n ** 6n;
export const dai = (n: number | bigint) => BigInt(n) * 10n ** 18n;
export const eth = (n: number | bigint) => BigInt(n) * 10n ** 18n;

const coder = ethers.AbiCoder.defaultAbiCoder();

/** ABI-encodes the params of a ChangeKind exactly as the vault decodes them. */
export const encodeChange = {
  setOperatorLimits: (l: IGuardedVault.OperatorLimitsStruct) =>
    coder.encode(
      ["tuple(address operator,address token,uint256 cap,uint256 instantLimit,uint256 queueCap)"],
      [[l.operator, l.token, l.cap, l.instantLimit, l.queueCap]],
    ),
  approveDestination: (operator: string, destination: string) =>
    coder.encode(["address", "address"], [operator, destination]),
  listToken: (token: string, unitDecimals: number, vaultCap: bigint) =>
    coder.encode(["address", "uint8", "uint256"], [token, unitDecimals, vaultCap]),
  setVaultCap: (token: string, vaultCap: bigint) => coder.encode(["address", "uint256"], [token, vaultCap]),
  unpause: () => "0x",
  address: (a: string) => coder.encode(["address"], [a]),
  setDelays: (changeDelay: bigint | number, withdrawalDelay: bigint | number) =>
    coder.encode(["uint32", "uint32"], [changeDelay, withdrawalDelay]),
  setTripwire: (maxCount: number, period: bigint | number) => coder.encode(["uint8", "uint32"], [maxCount, period]),
  setTripwireOptOut: (operator: string, optOut: boolean) => coder.encode(["address", "bool"], [operator, optOut]),
  setCosignedCap: (operator: string, token: string, cosignedCap: bigint) =>
    coder.encode(["address", "address", "uint256"], [operator, token, cosignedCap]),
};

export interface VaultFixture {
  vault: GuardedVault;
  /** The read-only lens (limits, accounting, exposure) at a fixed address. */
  lens: VaultLens;
  usdtToken: MockUSDT;
  daiToken: MockERC20;
  admin: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  guardian2: HardhatEthersSigner;
  bot1: HardhatEthersSigner;
  bot2: HardhatEthersSigner;
  exchange: HardhatEthersSigner;
  exchange2: HardhatEthersSigner;
  attacker: HardhatEthersSigner;
  recovery: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  /** Addresses as strings, for convenience. */
  usdtAddr: string;
  daiAddr: string;
  vaultAddr: string;
}

/** Policy used by `deployVaultFixture`; tests read the numbers from here rather than repeating them. */
export const POLICY = {
  window: WINDOW,
  changeDelay: DAY,
  withdrawalDelay: DAY,
  tripwireMaxCount: 10,
  tripwirePeriod: 60n,
  usdt: { unitDecimals: 4, vaultCap: usdt(1_500_000), cap: usdt(1_000_000), instant: usdt(250_000), queueCap: usdt(5_000_000) },
  dai: { unitDecimals: 16, vaultCap: dai(800_000), cap: dai(500_000), instant: dai(100_000), queueCap: dai(1_000_000) },
  eth: { unitDecimals: 12, vaultCap: eth(300), cap: eth(200), instant: eth(50), queueCap: eth(1_000) },
  funding: { usdt: usdt(20_000_000), dai: dai(5_000_000), eth: eth(3_000) },
};

/** The roles of an InitConfig. */
export interface InitRoles {
  readonly admin: string;
  readonly guardians: readonly string[];
  readonly recovery: string;
}

/**
 * An InitConfig with the fixture's window, delays and tripwire, the given roles, and the given lists (empty
 * unless given).
 */
export function policyConfig(
  roles: InitRoles,
  lists: Partial<Pick<IGuardedVault.InitConfigStruct, "tokens" | "limits" | "destinations" | "tripwireOptOuts">> = {},
): IGuardedVault.InitConfigStruct {
  return {
    admin: roles.admin,
    guardians: [...roles.guardians],
    recovery: roles.recovery,
    window: POLICY.window,
    changeDelay: POLICY.changeDelay,
    withdrawalDelay: POLICY.withdrawalDelay,
    tripwireMaxCount: POLICY.tripwireMaxCount,
    tripwirePeriod: POLICY.tripwirePeriod,
    tokens: [],
    limits: [],
    destinations: [],
    tripwireOptOuts: [],
    ...lists,
  };
}

/**
 * A vault holding USDT-like (6 decimals, no return values), DAI-like (18 decimals) tokens and ETH;
 * bot1 and bot2 have limits for all three; bot1 may send to `exchange`, bot2 to `exchange` and `exchange2`.
 */
export async function deployVaultFixture(options: { extraGuardians?: readonly string[] } = {}): Promise<VaultFixture> {
  const [admin, guardian, guardian2, bot1, bot2, exchange, exchange2, attacker, recovery, stranger] =
    await ethers.getSigners();
  // Each fresh fixture funds the vault from the admin; keep the admin rich however many run.
  await setBalance(admin.address, 10n ** 24n);
  const usdtToken = await ethers.deployContract("MockUSDT");
  const daiToken = await ethers.deployContract("MockERC20", ["Dai (mock)", "DAI", 18]);
  const usdtAddr = await usdtToken.getAddress();
  const daiAddr = await daiToken.getAddress();

  const limits: IGuardedVault.OperatorLimitsStruct[] = [];
  for (const bot of [bot1, bot2]) {
    limits.push({ operator: bot.address, token: usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: POLICY.usdt.queueCap });
    limits.push({ operator: bot.address, token: daiAddr, cap: POLICY.dai.cap, instantLimit: POLICY.dai.instant, queueCap: POLICY.dai.queueCap });
    limits.push({ operator: bot.address, token: NATIVE, cap: POLICY.eth.cap, instantLimit: POLICY.eth.instant, queueCap: POLICY.eth.queueCap });
  }
  const roles = { admin: admin.address, guardians: [guardian.address, guardian2.address, ...(options.extraGuardians ?? [])], recovery: recovery.address };
  const config = policyConfig(roles, {
    tokens: [
      { token: usdtAddr, unitDecimals: POLICY.usdt.unitDecimals, vaultCap: POLICY.usdt.vaultCap },
      { token: daiAddr, unitDecimals: POLICY.dai.unitDecimals, vaultCap: POLICY.dai.vaultCap },
      { token: NATIVE, unitDecimals: POLICY.eth.unitDecimals, vaultCap: POLICY.eth.vaultCap },
    ],
    limits,
    destinations: [
      { operator: bot1.address, destination: exchange.address },
      { operator: bot2.address, destination: exchange.address },
      { operator: bot2.address, destination: exchange2.address },
    ],
  });
  const vault = await ethers.deployContract("GuardedVault", [config]);
  const vaultAddr = await vault.getAddress();
  await usdtToken.mint(vaultAddr, POLICY.funding.usdt);
  await daiToken.mint(vaultAddr, POLICY.funding.dai);
  await admin.sendTransaction({ to: vaultAddr, value: POLICY.funding.eth });
  const lens = await vaultLens();
  return {
    vault, lens, usdtToken, daiToken, admin, guardian, guardian2, bot1, bot2, exchange, exchange2, attacker,
    recovery, stranger, usdtAddr, daiAddr, vaultAddr,
  };
}

/** Where tests keep the lens: it has no state and no constructor, so its runtime code is placed there. */
export const LENS_ADDRESS = "0x00000000000000000000000000000000000e1e45";

/**
 * The VaultLens, placed at LENS_ADDRESS if it is not there yet (a snapshot revert may have removed it),
 * connected to the default provider.
 */
export async function vaultLens(): Promise<VaultLens> {
  if ((await ethers.provider.getCode(LENS_ADDRESS)) === "0x") {
    const { deployedBytecode } = await artifacts.readArtifact("VaultLens");
    await ethers.provider.send("hardhat_setCode", [LENS_ADDRESS, deployedBytecode]);
  }
  return VaultLens__factory.connect(LENS_ADDRESS, ethers.provider);
}

/** Proposes a change as admin, waits out the delay and executes it; returns the change id. */
export async function proposeAndExecute(
  vault: GuardedVault,
  admin: HardhatEthersSigner,
  kind: ChangeKind,
  params: string,
): Promise<bigint> {
  const id = await proposeOnly(vault, admin, kind, params);
  await time.increase(await vault.changeDelay());
  await vault.connect(admin).executeChange(id);
  return id;
}

/** Proposes a change as admin and returns its id. */
export async function proposeOnly(
  vault: GuardedVault,
  admin: HardhatEthersSigner,
  kind: ChangeKind,
  params: string,
): Promise<bigint> {
  await vault.connect(admin).proposeChange(kind, params);
  return vault.changeCount();
}

/** Moves the chain's next block to the start of the limiter bucket after the current one, plus `offset`. */
export async function warpToNextBucket(vault: GuardedVault, offset = 0n): Promise<bigint> {
  const start = await vaultStart(vault);
  const now = BigInt(await time.latest());
  const bucket = (await vault.window()) / 3n;
  const next = start + ((now - start) / bucket + 1n) * bucket + offset;
  await time.setNextBlockTimestamp(next);
  return next;
}

/** The vault's limiter time origin (its deployment block's timestamp). */
export async function vaultStart(vault: GuardedVault): Promise<bigint> {
  const tx = vault.deploymentTransaction();
  if (tx) {
    const receipt = await tx.wait();
    const block = await ethers.provider.getBlock(receipt!.blockNumber);
    return BigInt(block!.timestamp);
  }
  throw new Error("vault has no deployment transaction");
}

/** The fixture's three assets, by key. */
export type Key = "usdt" | "dai" | "eth";
export const KEYS: readonly Key[] = ["usdt", "dai", "eth"];

/** The token address of an asset key (ETH is the NATIVE sentinel). */
export const tokenOf = (f: VaultFixture, k: Key): string => (k === "usdt" ? f.usdtAddr : k === "dai" ? f.daiAddr : NATIVE);

/** What `who` holds of an asset. */
export async function balanceOf(f: VaultFixture, k: Key, who: string): Promise<bigint> {
  if (k === "eth") return ethers.provider.getBalance(who);
  return k === "usdt" ? f.usdtToken.balanceOf(who) : f.daiToken.balanceOf(who);
}

/** Balances of every asset for every account, in a fixed order. */
export async function balances(f: VaultFixture, who: string[]): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const k of KEYS) for (const w of who) out.push(await balanceOf(f, k, w));
  return out;
}

/**
 * The same vault with a third guardian (the last signer), so that one guardian can be removed or renounce and two
 * remain (MIN_GUARDIANS).
 */
export async function threeGuardianFixture(): Promise<VaultFixture> {
  const signers = await ethers.getSigners();
  return deployVaultFixture({ extraGuardians: [signers[signers.length - 1].address] });
}
