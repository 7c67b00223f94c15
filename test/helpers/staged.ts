import hre, { ethers } from "hardhat";
import type { TransactionReceipt } from "ethers";
import { NATIVE } from "./fixture";
import { encodeVaultHeader, planVaultDeployment, type VaultConfig, type VaultDeploymentPlan } from "../../sdk/deploy";
import type { VaultFactory } from "../../typechain-types";

/** EIP-7825: most gas one transaction may use (Fusaka). */
export const TX_GAS_CAP = 2n ** 24n;

/**
 * The gas limit the helpers send with: the cap, except under coverage, whose instrumented, unoptimized vault costs
 * more to create than the cap allows (the tests that check the cap do not run there).
 */
const SEND_GAS = (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING ? 2n ** 26n : TX_GAS_CAP;

const addr = (tag: string, i: number) => ethers.getAddress(ethers.dataSlice(ethers.id(`${tag}-${i}`), 12));

/**
 * A config of `tokens` tokens (ETH first), `operators` operators with limits for every token, and
 * `destinations` approved destinations per operator. `operator0` and `destination0` replace the first
 * generated operator and destination (keys a test can act with).
 */
export function gridConfig(o: {
  name: string;
  tokens: number;
  operators: number;
  destinations: number;
  admin: string;
  guardians: string[];
  recovery: string;
  operator0?: string;
  destination0?: string;
  /** Approvers (default none). */
  approvers?: string[];
  /** Co-signed-only destinations per operator (default 0). */
  cosignedDestinations?: number;
  /** Every operator's co-signed cap for every token (default 0: none). */
  cosignedCap?: bigint;
}): VaultConfig {
  const tokens = Array.from({ length: o.tokens }, (_, i) => ({
    symbol: i === 0 ? "ETH" : `T${i}`,
    token: i === 0 ? NATIVE : addr("token", i),
    decimals: 18,
    unitDecimals: 12,
    vaultCap: 10n ** 22n,
  }));
  return {
    name: o.name,
    salt: "",
    admin: o.admin,
    guardians: o.guardians,
    approvers: o.approvers ?? [],
    recovery: o.recovery,
    window: 86_400n,
    changeDelay: 86_400n,
    withdrawalDelay: 86_400n,
    tripwire: { maxCount: 10, period: 60n },
    tokens,
    operators: Array.from({ length: o.operators }, (_, i) => ({
      label: `bot${i}`,
      address: i === 0 && o.operator0 ? o.operator0 : addr("operator", i),
      tripwireOptOut: i % 7 === 3,
      limits: tokens.map((t) => ({ symbol: t.symbol, token: t.token, cap: 10n ** 21n, instantLimit: 10n ** 20n, queueCap: 10n ** 22n, cosignedCap: o.cosignedCap ?? 0n })),
      destinations: Array.from({ length: o.destinations }, (_, j) => ({
        label: `dest ${i}.${j}`,
        address: i === 0 && j === 0 && o.destination0 ? o.destination0 : addr(`destination-${i}`, j),
      })),
      cosignedDestinations: Array.from({ length: o.cosignedDestinations ?? 0 }, (_, j) => ({ label: `otc ${i}.${j}`, address: addr(`cosigned-${i}`, j) })),
    })),
  };
}

/**
 * The plan of `config` for the factory at `factory` (the SDK's plan assumes the deterministic factory), with the
 * creation code of the current build (instrumented under coverage, where the SDK's copy would be NotAVault).
 */
export async function planFor(factory: VaultFactory, config: VaultConfig, maxGas = TX_GAS_CAP): Promise<VaultDeploymentPlan> {
  const plan = planVaultDeployment(config, { maxGasPerTransaction: maxGas });
  const initCode = ethers.concat([(await ethers.getContractFactory("GuardedVault")).bytecode, encodeVaultHeader(config)]);
  const address = await factory.predict(plan.salt, plan.configHash, ethers.keccak256(initCode));
  return { ...plan, initCode, address };
}

const items = (plan: VaultDeploymentPlan, from: number, to: number) => plan.steps.slice(from, to).map((s) => ({ kind: s.kind, params: s.params }));

/** Sends the deployment transaction of `plan` (with its first batch), at most `TX_GAS_CAP` gas (`SEND_GAS`). */
export async function sendDeploy(factory: VaultFactory, plan: VaultDeploymentPlan): Promise<TransactionReceipt> {
  const first = plan.batches[0];
  const tx = await factory.deploy(plan.salt, plan.initCode, plan.links[0], items(plan, first.from, first.to), first.next, { gasLimit: SEND_GAS });
  return (await tx.wait())!;
}

/** Sends batch `index` (>= 1) of `plan`, at most `TX_GAS_CAP` gas (`SEND_GAS`). */
export async function sendBatch(factory: VaultFactory, plan: VaultDeploymentPlan, index: number): Promise<TransactionReceipt> {
  const b = plan.batches[index];
  const tx = await factory.configure(plan.address, items(plan, b.from, b.to), b.next, { gasLimit: SEND_GAS });
  return (await tx.wait())!;
}

/** The calldata items of steps [from, to) of `plan`. */
export const stepItems = items;
