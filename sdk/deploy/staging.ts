/**
 * A vault's initial policy as the factory applies it: a fixed-size header in the init code (the constructor
 * arguments, with no admin and no guardians) and an ordered list of steps committed to by a hash chain, sent
 * in as many batches as the per-transaction gas cap needs. Pure: no network.
 *
 * The chain (as `IVaultFactory` defines it): `link[i] = keccak256(abi.encode(kind[i], keccak256(params[i]),
 * link[i + 1]))`, `link[n] = 0`, `stepsRoot = link[0]`; `configHash = keccak256(abi.encode(keccak256(header),
 * stepsRoot))`. A batch `steps[i..j)` is accepted only if it hashes to `link[i]` when followed by `link[j]`, so
 * batches can be cut anywhere (the address does not depend on how) and nobody can alter or reorder them.
 */
import { AbiCoder, ZeroAddress, ZeroHash, keccak256 } from "ethers";
import { encodeChange, type ChangeParams } from "../rules/changes";
import { encodeInitConfig, toInitConfig, type InitConfig, type VaultConfig } from "./config";

/** One step of the initial policy, encoded as `VaultFactory` takes it (`IGuardedVault.ConfigItem`). */
export interface ConfigStep {
  readonly change: ChangeParams;
  /** `ChangeKind` as its on-chain number. */
  readonly kind: number;
  /** ABI-encoded parameters. */
  readonly params: string;
}

/** A batch of consecutive steps `[from, to)` and the chain link that follows it (`ZeroHash` after the last step). */
export interface ConfigBatch {
  readonly from: number;
  readonly to: number;
  readonly next: string;
  /** Upper bound of the gas the batch's transaction uses (see `stepGasBound`). */
  readonly gasBound: bigint;
}

/** EIP-7825 (Fusaka): most gas one transaction may use, 2^24. */
export const MAX_TX_GAS = 16_777_216n;

/**
 * Most calldata bytes of one batch: Ethereum clients' transaction pools refuse transactions above 128 KiB,
 * so a batch stays well below with room for the encoding's overhead.
 */
export const MAX_BATCH_CALLDATA = 96_000;

const coder = AbiCoder.defaultAbiCoder();

/** The constructor arguments of a vault deployed in stages: the fixed-size settings, no roles, no lists. */
export function vaultHeader(config: VaultConfig): InitConfig {
  return { ...toInitConfig(config), admin: ZeroAddress, guardians: [], tokens: [], limits: [], destinations: [], tripwireOptOuts: [] };
}

/** The ABI-encoded header: what follows the vault's creation code in its init code. */
export function encodeVaultHeader(config: VaultConfig): string {
  return encodeInitConfig(vaultHeader(config));
}

/**
 * The steps of the initial policy, in the order the vault takes them: tokens, operator limits, destinations,
 * co-signed destinations, co-signed caps (after the limits they need), tripwire opt-outs, approvers (after
 * the operators, which they must not be), then the guardians and, last, the admin (which completes the policy
 * and lifts the pause the vault is born with).
 */
export function initialPolicySteps(config: VaultConfig): ConfigStep[] {
  const init = toInitConfig(config);
  const changes: ChangeParams[] = [
    ...init.tokens.map((t): ChangeParams => ({ kind: "ListToken", token: t.token, unitDecimals: t.unitDecimals, vaultCap: t.vaultCap })),
    ...init.limits.map((l): ChangeParams => ({ kind: "SetOperatorLimits", ...l })),
    ...init.destinations.map((d): ChangeParams => ({ kind: "ApproveDestination", ...d })),
    ...config.operators.flatMap((o) =>
      o.cosignedDestinations.map((d): ChangeParams => ({ kind: "ApproveCosignedDestination", operator: o.address, destination: d.address })),
    ),
    ...config.operators.flatMap((o) =>
      o.limits
        .filter((l) => l.cosignedCap !== 0n)
        .map((l): ChangeParams => ({ kind: "SetCosignedCap", operator: o.address, token: l.token, cosignedCap: l.cosignedCap })),
    ),
    ...init.tripwireOptOuts.map((o): ChangeParams => ({ kind: "SetTripwireOptOut", operator: o, optOut: true })),
    ...config.approvers.map((approver): ChangeParams => ({ kind: "AddApprover", approver })),
    ...init.guardians.map((g): ChangeParams => ({ kind: "AddGuardian", guardian: g })),
    { kind: "TransferAdmin", newAdmin: init.admin },
  ];
  return changes.map((change) => {
    const e = encodeChange(change);
    return { change, kind: e.kindIndex, params: e.params };
  });
}

/** The chain's links: `links[i]` is what `steps[i..]` hashes to; `links[steps.length]` is `ZeroHash`. */
export function stepLinks(steps: readonly ConfigStep[]): string[] {
  const links = new Array<string>(steps.length + 1);
  links[steps.length] = ZeroHash;
  for (let i = steps.length - 1; i >= 0; i--) {
    links[i] = keccak256(coder.encode(["uint8", "bytes32", "bytes32"], [steps[i].kind, keccak256(steps[i].params), links[i + 1]]));
  }
  return links;
}

/** keccak256(abi.encode(keccak256(header), stepsRoot)): what the vault's address commits to (`VaultDeployed.configHash`). */
export function configHash(config: VaultConfig): string {
  const root = stepLinks(initialPolicySteps(config))[0];
  return keccak256(coder.encode(["bytes32", "bytes32"], [keccak256(encodeVaultHeader(config)), root]));
}

/**
 * Upper bound of the gas one step costs when applied through the factory, measured on the in-process network
 * (Cancun; a 32 x 64 config: 61.1k per limit, 78.5k per token; AddApprover and ApproveCosignedDestination about
 * 35k, SetCosignedCap about 40k, each with its calldata) with a few percent of margin: fresh storage
 * slots, the event, the factory's hashing and its call into the vault, and the step's calldata.
 * `newOperator`: the operator's first limits, which also register it. `tokens`: tokens listed so far (the
 * last step lifts the pause the vault was born with on each).
 */
export function stepGasBound(step: ConfigStep, o: { newOperator: boolean; tokens: number }): bigint {
  const calldata = BigInt((step.params.length - 2) / 2 + 96) * 16n;
  switch (step.change.kind) {
    case "ListToken":
      return 80_000n + calldata;
    case "SetOperatorLimits":
      return (o.newOperator ? 106_000n : 59_000n) + calldata;
    case "TransferAdmin":
      return 60_000n + 6_000n * BigInt(o.tokens) + calldata;
    case "AddApprover":
    case "ApproveCosignedDestination":
      return 40_000n + calldata;
    case "SetCosignedCap":
      return 45_000n + calldata;
    default:
      return 30_000n + calldata;
  }
}

/**
 * Upper bound of the gas of the deployment transaction without steps: the creation code in calldata, the
 * CREATE2 (with hashing the init code), the code deposit (200 gas a byte of runtime code) and the constructor.
 */
export function deployGasBound(o: { initCodeBytes: number; runtimeBytes: number }): bigint {
  return 21_000n + 32_000n + BigInt(o.initCodeBytes) * 17n + BigInt(o.runtimeBytes) * 200n + 150_000n;
}

/**
 * Cuts the steps into batches that each fit `maxGas` (default: the EIP-7825 cap, less 2%) and `MAX_BATCH_CALLDATA`. The first batch rides with the deployment (`deployGas` is its own
 * cost); it may be empty if the deployment alone leaves no room.
 */
export function planBatches(steps: readonly ConfigStep[], o: { deployGas: bigint; maxGas?: bigint }): ConfigBatch[] {
  const maxGas = o.maxGas ?? (MAX_TX_GAS * 98n) / 100n;
  const links = stepLinks(steps);
  // The guardians and the admin come in the batch that completes the policy: they are cut as one unit.
  let rolesFrom = steps.findIndex((s) => s.change.kind === "AddGuardian" || s.change.kind === "TransferAdmin");
  if (rolesFrom < 0) rolesFrom = steps.length;
  const seen = new Set<string>();
  let tokens = 0;
  const costs = steps.map((s) => {
    const change = s.change;
    const newOperator = change.kind === "SetOperatorLimits" && !seen.has(change.operator.toLowerCase());
    if (change.kind === "SetOperatorLimits") seen.add(change.operator.toLowerCase());
    if (change.kind === "ListToken") tokens++;
    return { gas: stepGasBound(s, { newOperator, tokens }), bytes: (s.params.length - 2) / 2 + 96 };
  });
  const units: { from: number; to: number; gas: bigint; bytes: number }[] = [];
  for (let i = 0; i < rolesFrom; i++) units.push({ from: i, to: i + 1, ...costs[i] });
  if (rolesFrom < steps.length) {
    const tail = costs.slice(rolesFrom);
    units.push({ from: rolesFrom, to: steps.length, gas: tail.reduce((a, c) => a + c.gas, 0n), bytes: tail.reduce((a, c) => a + c.bytes, 0) });
  }
  const batches: ConfigBatch[] = [];
  const base = 21_000n + 40_000n;
  let from = 0;
  let gas = o.deployGas;
  let bytes = 0;
  for (const u of units) {
    if ((gas + u.gas > maxGas || bytes + u.bytes > MAX_BATCH_CALLDATA) && (u.from > from || batches.length === 0)) {
      batches.push({ from, to: u.from, next: links[u.from], gasBound: gas });
      from = u.from;
      gas = base;
      bytes = 0;
    }
    if (gas + u.gas > maxGas) throw new RangeError(`steps ${u.from + 1}-${u.to} (${steps[u.from].change.kind}) alone need more than ${maxGas} gas`);
    gas += u.gas;
    bytes += u.bytes;
  }
  batches.push({ from, to: steps.length, next: ZeroHash, gasBound: gas });
  return batches;
}
