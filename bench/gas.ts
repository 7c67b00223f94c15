/**
 * Gas measurements of the vault against a raw ERC-20 transfer and a 1-of-1 Safe, every figure read from a
 * receipt of the current run. Used by `npm run bench` (scripts/bench.ts) and by the CI guard
 * (test/gas.test.ts), which compares the hot-path figures with bench/baseline.json.
 */
import fs from "fs";
import path from "path";
import { deploySafe, execSafeTransaction } from "../sdk/safe";
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse, TransactionResponse } from "ethers";
import { GuardedVault__factory, MockERC20__factory, MockUSDT__factory, VaultFactory__factory } from "../typechain-types";
import type { GuardedVault, MockERC20, MockUSDT, VaultFactory } from "../typechain-types";
import { TX_GAS_CAP, gridConfig, planFor, sendBatch, sendDeploy } from "../test/helpers/staged";

const { ethers } = hre;

export const NATIVE = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";
const DAY = 86_400n;
/** ChangeKind values of the co-signing changes (IGuardedVault). */
const ChangeKindAddApprover = 13;
const ChangeKindSetCosignedCap = 15;
/** The EIP-712 type an approver signs (IGuardedVault.Approval). */
const APPROVAL_TYPES = {
  Approval: [
    { name: "operator", type: "address" },
    { name: "token", type: "address" },
    { name: "to", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "withdrawalId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export interface Row {
  /** Stable key, used in results.json and the baseline. */
  key: string;
  label: string;
  gas: bigint;
  /** For withdrawals: the token, to compare with the raw transfer and the Safe path of that token. */
  asset?: "ETH" | "ERC20" | "USDT";
}

export interface GuardCost {
  guard: string;
  gas: bigint;
  note: string;
}

export interface Results {
  rows: Row[];
  breakdown: GuardCost[];
  /** Cold accesses the layout cannot avoid on a subsequent ERC-20 withdrawal, over the raw transfer. */
  floor: bigint;
  /** Overhead of the traced withdrawal over the raw transfer. */
  tracedOverhead: bigint;
}

/** Keys of the rows that the CI guard holds to the committed baseline. */
export const HOT_PATH_KEYS = [
  "withdraw.erc20.first",
  "withdraw.erc20.next",
  "withdraw.usdt.first",
  "withdraw.usdt.next",
  "withdraw.eth.first",
  "withdraw.eth.next",
  "queue",
  "execute",
];

async function gasOf(tx: Promise<ContractTransactionResponse | TransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

/** A real 1-of-1 Safe (v1.5.0 artifacts) owned by `owner`; `exec` runs a call with its EIP-712 signature. */
async function deploySafeFor(owner: HardhatEthersSigner) {
  const safe = await deploySafe({ deployer: owner, owners: [owner.address], threshold: 1 });
  const address = await safe.getAddress();
  const exec = async (to: string, value: bigint, data: string) =>
    (await execSafeTransaction({ safe, tx: { to, value, data }, owners: [owner] })).gasUsed;
  return { address, exec };
}

/** EIP-2028 calldata cost: 16 gas a non-zero byte, 4 a zero byte. */
function calldataGas(data: string): bigint {
  const bytes = ethers.getBytes(data);
  let gas = 0n;
  for (const b of bytes) gas += b === 0 ? 4n : 16n;
  return gas;
}

/** Storage slot of `mapping(address => mapping(address => T))` at `slot`, keys `a` then `b`. */
function nestedMappingSlot(slot: bigint, a: string, b: string): string {
  const inner = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [a, slot]));
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [b, inner]));
}

function mappingSlot(slot: bigint, a: string): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [a, slot]));
}

/** Slot numbers of the vault's state variables, from the compiler's storage layout. */
async function vaultLayout(): Promise<Record<string, bigint>> {
  const info = await hre.artifacts.getBuildInfo("contracts/GuardedVault.sol:GuardedVault");
  const out = info?.output.contracts["contracts/GuardedVault.sol"].GuardedVault as unknown as {
    storageLayout?: { storage: { label: string; slot: string }[] };
  };
  if (!out?.storageLayout) throw new Error("storage layout missing: compile with outputSelection storageLayout");
  return Object.fromEntries(out.storageLayout.storage.map((s) => [s.label, BigInt(s.slot)]));
}

interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

/**
 * Splits the traced overhead of one withdrawal over the raw transfer of the same token into what each
 * guard's storage accesses cost (EIP-2929 warm/cold pricing, read from the trace), the extra calldata,
 * the call into the token, and the remaining execution.
 */
async function breakdownOf(
  txHash: string,
  rawGas: bigint,
  rawCalldata: string,
  slots: { whitelist: string; operator: string; token: string },
): Promise<{ parts: GuardCost[]; overhead: bigint }> {
  const trace = (await ethers.provider.send("debug_traceTransaction", [txHash, { disableMemory: true, disableStorage: true }])) as {
    gas: number;
    structLogs: StructLog[];
  };
  const tx = await ethers.provider.getTransaction(txHash);
  const receipt = await ethers.provider.getTransactionReceipt(txHash);
  const total = receipt!.gasUsed;
  const overhead = total - rawGas;
  const norm = (hex: string) => ethers.toBeHex(BigInt("0x" + hex.replace(/^0x/, "")), 32);
  const bySlot: Record<string, bigint> = {};
  let transient = 0n;
  let tokenCall = 0n;
  const logs = trace.structLogs;
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i];
    if (l.depth !== 1) continue;
    if ((l.op === "SLOAD" || l.op === "SSTORE") && l.stack) {
      const key = norm(l.stack[l.stack.length - 1]);
      bySlot[key] = (bySlot[key] ?? 0n) + BigInt(l.gasCost);
    } else if (l.op === "TLOAD" || l.op === "TSTORE") {
      transient += BigInt(l.gasCost);
    } else if (l.op === "CALL") {
      // Cost of the whole call = gas before it minus gas at the next step back in this frame.
      let j = i + 1;
      while (j < logs.length && logs[j].depth !== 1) j++;
      tokenCall += BigInt(l.gas - logs[j].gas);
    }
  }
  const rawCalldataGas = calldataGas(rawCalldata);
  const rawExecution = rawGas - 21_000n - rawCalldataGas;
  const extraCalldata = calldataGas(tx!.data) - rawCalldataGas;
  const parts: GuardCost[] = [
    { guard: "operator limiter (operator x token word: cap, instant limit, ring, suspended bit, tripwire count)", gas: bySlot[slots.operator] ?? 0n, note: "1 cold SLOAD + 1 SSTORE" },
    { guard: "vault-wide limiter (token word: vault cap, ring, unit, paused bit, tripwire rule)", gas: bySlot[slots.token] ?? 0n, note: "1 cold SLOAD + 1 SSTORE" },
    { guard: "whitelist lookup (operator x destination)", gas: bySlot[slots.whitelist] ?? 0n, note: "1 cold SLOAD" },
    { guard: "pause / suspension / tripwire checks", gas: 0n, note: "packed into the two words above: no slot of their own" },
    { guard: "reentrancy guard (transient)", gas: transient, note: "TLOAD/TSTORE" },
    { guard: "call into the token (beyond the raw transfer's own execution)", gas: tokenCall - rawExecution, note: "cold account access of the token, call setup" },
    { guard: "extra calldata (token address)", gas: extraCalldata, note: "EIP-2028" },
  ];
  const attributed = parts.reduce((s, p) => s + p.gas, 0n);
  const otherSlots = Object.entries(bySlot)
    .filter(([k]) => ![slots.operator, slots.token, slots.whitelist].includes(k))
    .reduce((s, [, g]) => s + g, 0n);
  if (otherSlots !== 0n) parts.push({ guard: "other storage accesses", gas: otherSlots, note: "unexpected on the hot path" });
  parts.push({ guard: "execution (dispatch, ABI decoding, checks, event)", gas: overhead - attributed - otherSlots, note: "the rest" });
  return { parts, overhead };
}

/** Deploys everything on the in-process network and measures every row. */
export async function measure(options: { hotPathOnly?: boolean } = {}): Promise<Results> {
  const [admin, guardian, bot, exchange, recovery, holder, safeOwner, other] = await ethers.getSigners();
  const erc20: MockERC20 = await new MockERC20__factory(admin).deploy("Bench Token", "BT", 18);
  const usdt: MockUSDT = await new MockUSDT__factory(admin).deploy();
  const erc20Addr = await erc20.getAddress();
  const usdtAddr = await usdt.getAddress();
  const rows: Row[] = [];
  const add = (key: string, label: string, gas: bigint, asset?: Row["asset"]) => rows.push({ key, label, gas, asset });

  // Every recipient already holds some of each token, as exchange deposit addresses do.
  for (const who of [exchange, other]) {
    await erc20.mint(who.address, 1n);
    await usdt.mint(who.address, 1n);
  }
  await erc20.mint(holder.address, 10n ** 24n);
  await usdt.mint(holder.address, 10n ** 12n);

  // Raw transfers from a funded EOA (the second one, so the sender's nonce is not the first either).
  await erc20.connect(holder).transfer(other.address, 1n);
  const rawErc20Tx = await erc20.connect(holder).transfer(exchange.address, 10n ** 18n);
  const rawErc20 = await gasOf(Promise.resolve(rawErc20Tx));
  await usdt.connect(holder).transfer(other.address, 1n);
  const rawUsdt = await gasOf(usdt.connect(holder).transfer(exchange.address, 10n ** 6n));
  const rawEth = await gasOf(holder.sendTransaction({ to: exchange.address, value: 10n ** 18n }));
  add("raw.erc20", "raw ERC-20 transfer (OpenZeppelin), EOA", rawErc20, "ERC20");
  add("raw.usdt", "raw USDT-like transfer, EOA", rawUsdt, "USDT");
  add("raw.eth", "raw ETH transfer, EOA", rawEth, "ETH");

  // 1-of-1 Safe: measure its second transaction of each kind (nonce already non-zero).
  const safe = await deploySafeFor(safeOwner);
  await erc20.mint(safe.address, 10n ** 24n);
  await usdt.mint(safe.address, 10n ** 12n);
  await holder.sendTransaction({ to: safe.address, value: 10n ** 20n });
  const transferData = (to: string, amount: bigint) => erc20.interface.encodeFunctionData("transfer", [to, amount]);
  await safe.exec(erc20Addr, 0n, transferData(other.address, 1n));
  add("safe.erc20", "1-of-1 Safe execTransaction, ERC-20 transfer", await safe.exec(erc20Addr, 0n, transferData(exchange.address, 10n ** 18n)), "ERC20");
  add("safe.usdt", "1-of-1 Safe execTransaction, USDT-like transfer", await safe.exec(usdtAddr, 0n, transferData(exchange.address, 10n ** 6n)), "USDT");
  add("safe.eth", "1-of-1 Safe execTransaction, ETH transfer", await safe.exec(exchange.address, 10n ** 18n, "0x"), "ETH");

  // The vault: one operator with limits for all three assets.
  const config = {
    admin: admin.address,
    guardians: [guardian.address, other.address],
    recovery: recovery.address,
    window: DAY,
    changeDelay: DAY,
    withdrawalDelay: DAY,
    tripwireMaxCount: 100,
    tripwirePeriod: 60,
    tokens: [
      { token: erc20Addr, unitDecimals: 14, vaultCap: 10n ** 22n },
      { token: usdtAddr, unitDecimals: 0, vaultCap: 10n ** 10n },
      { token: NATIVE, unitDecimals: 12, vaultCap: 10n ** 22n },
    ],
    // Every limit, queue caps included, is a whole number of units below 2**36.
    limits: [
      { operator: bot.address, token: erc20Addr, cap: 10n ** 21n, instantLimit: 10n ** 20n, queueCap: 10n ** 24n },
      { operator: bot.address, token: usdtAddr, cap: 10n ** 9n, instantLimit: 10n ** 8n, queueCap: 10n ** 10n },
      { operator: bot.address, token: NATIVE, cap: 10n ** 21n, instantLimit: 10n ** 20n, queueCap: 10n ** 22n },
    ],
    destinations: [{ operator: bot.address, destination: exchange.address }],
    tripwireOptOuts: [],
  };
  const factory = new GuardedVault__factory(admin);
  const deployGas = await gasOf(admin.sendTransaction(await factory.getDeployTransaction(config)));
  const vault: GuardedVault = await factory.deploy(config);
  const vaultAddr = await vault.getAddress();
  await erc20.mint(vaultAddr, 10n ** 24n);
  await usdt.mint(vaultAddr, 10n ** 12n);
  await holder.sendTransaction({ to: vaultAddr, value: 10n ** 21n });
  const v = vault.connect(bot);

  add("withdraw.erc20.first", "vault instant withdrawal, ERC-20, first", await gasOf(v.withdrawInstant(erc20Addr, exchange.address, 10n ** 18n)), "ERC20");
  const nextErc20Tx = await v.withdrawInstant(erc20Addr, exchange.address, 10n ** 18n);
  add("withdraw.erc20.next", "vault instant withdrawal, ERC-20, subsequent", await gasOf(Promise.resolve(nextErc20Tx)), "ERC20");
  add("withdraw.usdt.first", "vault instant withdrawal, USDT-like, first", await gasOf(v.withdrawInstant(usdtAddr, exchange.address, 10n ** 6n)), "USDT");
  add("withdraw.usdt.next", "vault instant withdrawal, USDT-like, subsequent", await gasOf(v.withdrawInstant(usdtAddr, exchange.address, 10n ** 6n)), "USDT");
  add("withdraw.eth.first", "vault instant withdrawal, ETH, first", await gasOf(v.withdrawInstant(NATIVE, exchange.address, 10n ** 18n)), "ETH");
  add("withdraw.eth.next", "vault instant withdrawal, ETH, subsequent", await gasOf(v.withdrawInstant(NATIVE, exchange.address, 10n ** 18n)), "ETH");

  add("queue", "queueWithdrawal (ERC-20)", await gasOf(v.queueWithdrawal(erc20Addr, exchange.address, 10n ** 23n)));
  const queuedId = await vault.withdrawalCount();
  await gasOf(v.queueWithdrawal(erc20Addr, exchange.address, 10n ** 18n));
  const cancelId = await vault.withdrawalCount();
  await ethers.provider.send("evm_increaseTime", [Number(DAY)]);
  add("execute", "executeWithdrawal (ERC-20)", await gasOf(v.executeWithdrawal(queuedId)));
  add("cancel", "cancelWithdrawal (guardian)", await gasOf(vault.connect(guardian).cancelWithdrawal(cancelId)));

  const layout = await vaultLayout();
  const traced = await breakdownOf(nextErc20Tx.hash, rawErc20, rawErc20Tx.data, {
    whitelist: nestedMappingSlot(layout._approved, bot.address, exchange.address),
    operator: nestedMappingSlot(layout._operatorWord, bot.address, erc20Addr),
    token: mappingSlot(layout._tokenWord, erc20Addr),
  });
  // The floor of this layout: three cold slots (one read, two read-modify-writes), the token's cold
  // account access, and the token address in calldata; everything above that is execution.
  const extraCalldata = traced.parts.find((p) => p.guard.startsWith("extra calldata"))!.gas;
  const floor = 2_100n + 2n * (2_100n + 2_900n) + 2_600n + extraCalldata;

  if (!options.hotPathOnly) {
    const coder = ethers.AbiCoder.defaultAbiCoder();
    add("propose", "proposeChange (approve a destination)", await gasOf(vault.connect(admin).proposeChange(1, coder.encode(["address", "address"], [bot.address, other.address]))));
    const changeId = await vault.changeCount();
    await vault.connect(admin).proposeChange(1, coder.encode(["address", "address"], [bot.address, holder.address]));
    const cancelChangeId = await vault.changeCount();
    // Co-signing: `holder` (a plain key, not an operator) as approver, a co-signed cap for the bot.
    const approver = holder;
    await vault.connect(admin).proposeChange(ChangeKindAddApprover, coder.encode(["address"], [approver.address]));
    const approverChange = await vault.changeCount();
    await vault.connect(admin).proposeChange(ChangeKindSetCosignedCap, coder.encode(["address", "address", "uint256"], [bot.address, erc20Addr, 10n ** 22n]));
    const cosignedCapChange = await vault.changeCount();
    await ethers.provider.send("evm_increaseTime", [Number(DAY)]);
    add("executeChange", "executeChange (approve a destination)", await gasOf(vault.connect(admin).executeChange(changeId)));
    add("cancelChange", "cancelChange (guardian)", await gasOf(vault.connect(guardian).cancelChange(cancelChangeId)));
    await vault.connect(admin).executeChange(approverChange);
    await vault.connect(admin).executeChange(cosignedCapChange);
    const chainId = (await ethers.provider.getNetwork()).chainId;
    let nonce = 0n;
    const approval = async (amount: bigint, withdrawalId: bigint) => {
      const message = { operator: bot.address, token: erc20Addr, to: exchange.address, amount, withdrawalId, nonce: ++nonce, deadline: 2n ** 40n };
      const domain = { name: "GuardedVault", version: "1", chainId, verifyingContract: vaultAddr };
      const signature = await approver.signTypedData(domain, APPROVAL_TYPES, message);
      return { approver: approver.address, nonce: message.nonce, deadline: message.deadline, signature };
    };
    // Above the instant limit (10^20), with the approver's EIP-712 signature.
    const big = 2n * 10n ** 20n;
    add("cosigned.erc20.first", "withdrawCosigned (ERC-20, key approver), first", await gasOf(v.withdrawCosigned(erc20Addr, exchange.address, big, await approval(big, 0n))));
    add("cosigned.erc20.next", "withdrawCosigned (ERC-20, key approver), subsequent", await gasOf(v.withdrawCosigned(erc20Addr, exchange.address, big, await approval(big, 0n))));
    await v.queueWithdrawal(erc20Addr, exchange.address, big);
    const earlyId = await vault.withdrawalCount();
    add("early", "executeWithdrawalEarly (ERC-20, key approver)", await gasOf(v.executeWithdrawalEarly(earlyId, await approval(big, earlyId))));
    add("evacuate", "evacuate (guardian, ERC-20 to recovery)", await gasOf(vault.connect(guardian).evacuate(erc20Addr, 10n ** 18n)));
    add("suspend", "suspendOperator (3 tokens listed)", await gasOf(vault.connect(guardian).suspendOperator(bot.address)));
    add("pause", "pause (3 tokens listed)", await gasOf(vault.connect(guardian).pause()));
    add("deploy", "deployment with the initial policy (direct)", deployGas);
    const vaultFactory = await new VaultFactory__factory(admin).deploy();
    const initCode = (await factory.getDeployTransaction(config)).data;
    add("deploy.factory", "deployment with the initial policy (through VaultFactory, CREATE2, whole config in the init code)", await gasOf(vaultFactory.deploy(ethers.id("bench"), initCode, ethers.ZeroHash, [], ethers.ZeroHash)));
    for (const row of await measureLargeDeployments(vaultFactory, { admin: admin.address, guardians: [guardian.address, other.address], recovery: recovery.address })) {
      add(row.key, row.label, row.gas);
    }
  }
  return { rows, breakdown: traced.parts, floor, tracedOverhead: traced.overhead };
}

/**
 * Deployments of large configs through the factory (header in the init code, steps in batches): the 8 tokens
 * x 16 operators x 64 destinations config that EIP-3860 refused as init code, in as few transactions as
 * EIP-7825's 2^24 gas allows and cut into batches of at most 6M gas; and the largest config the vault allows (MAX_TOKENS x MAX_OPERATORS, limits
 * for every pair, 4 destinations per operator), in batches within EIP-7825's 2^24 gas.
 */
async function measureLargeDeployments(
  factory: VaultFactory,
  roles: { admin: string; guardians: string[]; recovery: string },
): Promise<{ key: string; label: string; gas: bigint }[]> {
  const rows: { key: string; label: string; gas: bigint }[] = [];
  const deploy = async (name: string, tokens: number, operators: number, maxGas: bigint) => {
    const plan = await planFor(factory, gridConfig({ name, tokens, operators, destinations: 4, ...roles }), maxGas);
    const gas = [(await sendDeploy(factory, plan)).gasUsed];
    for (let i = 1; i < plan.batches.length; i++) gas.push((await sendBatch(factory, plan, i)).gasUsed);
    return gas;
  };
  const sum = (g: bigint[]) => g.reduce((a, b) => a + b, 0n);
  const max = (g: bigint[]) => g.reduce((a, b) => (b > a ? b : a), 0n);
  const capped = await deploy("bench-8x16", 8, 16, TX_GAS_CAP);
  rows.push({ key: "deploy.8x16.total", label: "deployment, 8 tokens x 16 operators x 64 destinations under 2^24: total", gas: sum(capped) });
  rows.push({ key: "deploy.8x16.max", label: "the same: largest transaction", gas: max(capped) });
  rows.push({ key: "deploy.8x16.count", label: "the same: transactions (a count, not gas)", gas: BigInt(capped.length) });
  const cut = await deploy("bench-8x16-staged", 8, 16, 6_000_000n);
  rows.push({ key: "deploy.8x16.staged.total", label: "the same in batches of at most 6M gas: total", gas: sum(cut) });
  rows.push({ key: "deploy.8x16.staged.max", label: "the same in batches of at most 6M gas: largest transaction", gas: max(cut) });
  rows.push({ key: "deploy.8x16.staged.count", label: "the same in batches of at most 6M gas: transactions (a count, not gas)", gas: BigInt(cut.length) });
  const largest = await deploy("bench-largest", 32, 64, TX_GAS_CAP);
  rows.push({ key: "deploy.largest.total", label: "deployment, 32 tokens x 64 operators x 256 destinations: total of all transactions", gas: sum(largest) });
  rows.push({ key: "deploy.largest.max", label: "the same: largest transaction", gas: max(largest) });
  rows.push({ key: "deploy.largest.last", label: "the same: the last transaction (guardians, admin, lifting the pause)", gas: largest[largest.length - 1] });
  rows.push({ key: "deploy.largest.count", label: "the same: transactions (a count, not gas)", gas: BigInt(largest.length) });
  return rows;
}

export interface Violation {
  key: string;
  baseline: bigint;
  current: bigint;
}

/** Rows of `current` whose gas grew by more than `tolerance` (a fraction) over `baseline`. */
export function regressions(
  current: Record<string, bigint>,
  baseline: Record<string, bigint>,
  tolerance = 0.02,
): Violation[] {
  const out: Violation[] = [];
  for (const [key, base] of Object.entries(baseline)) {
    const now = current[key];
    if (now === undefined) throw new Error(`no measurement for baseline row ${key}`);
    // Integer form of now > base * (1 + tolerance).
    if (now * 10_000n > base * BigInt(Math.round((1 + tolerance) * 10_000))) out.push({ key, baseline: base, current: now });
  }
  return out;
}

export const BASELINE_FILE = path.join(__dirname, "baseline.json");

export function readGasFile(file: string): Record<string, bigint> {
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as { rows?: { key: string; gas: string }[] };
  // A results file has rows; the baseline is a plain { key: gas } object.
  const entries: [string, string][] = json.rows
    ? json.rows.map((r) => [r.key, r.gas])
    : Object.entries(json as Record<string, string>);
  return Object.fromEntries(entries.map(([k, g]) => [k, BigInt(g)]));
}

/** Committed runtime sizes (bytes) that CI holds the contracts to: no growth at all. */
export const SIZE_BASELINE_FILE = path.join(__dirname, "size-baseline.json");
/**
 * EIP-170: no chain deploys more runtime code. The vault is within about 220 bytes of it; the size baseline above
 * holds it from growing at all, so a new feature must first move code out (views to VaultLens, as before).
 */
export const VAULT_SIZE_LIMIT = 24_576;
/** Contracts whose runtime size is printed and guarded. */
export const SIZED_CONTRACTS = ["GuardedVault", "VaultFactory", "VaultLens"] as const;

/** Runtime (deployed) code size in bytes of each sized contract, from the current artifacts. */
export async function runtimeSizes(): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  for (const name of SIZED_CONTRACTS) {
    const { deployedBytecode } = await hre.artifacts.readArtifact(name);
    out[name] = BigInt(ethers.dataLength(deployedBytecode));
  }
  return out;
}
