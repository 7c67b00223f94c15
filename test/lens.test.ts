import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ChangeKind, deployVaultFixture, encodeChange, HOUR, NATIVE, POLICY, proposeAndExecute, proposeOnly } from "./helpers/fixture";
import {
  STORAGE_OFFSETS,
  STORAGE_SLOTS,
  mappingSlot,
  nestedSlot,
  readAvailableNow,
  readOperatorState,
  readTokenExposure,
  readTokenState,
  readChange,
  readOperatorRecord,
  readOperators,
  readTokens,
  readTripwire,
  readWithdrawal,
} from "../sdk/clients/state";
import { views } from "./helpers/views";

interface LayoutEntry {
  label: string;
  slot: string;
  offset: number;
  type: string;
}

interface CompilerStorageLayout {
  storage: LayoutEntry[];
  types: Record<string, { members?: LayoutEntry[] }>;
}

async function compilerStorageLayout(): Promise<CompilerStorageLayout> {
  const info = await hre.artifacts.getBuildInfo("contracts/GuardedVault.sol:GuardedVault");
  const out = info?.output.contracts["contracts/GuardedVault.sol"].GuardedVault as unknown as { storageLayout: CompilerStorageLayout };
  return out.storageLayout;
}

/** Slot numbers of the vault's state variables, as the compiler laid them out. */
async function compilerLayout(): Promise<Record<string, bigint>> {
  const layout = await compilerStorageLayout();
  return Object.fromEntries(layout.storage.map((s) => [s.label, BigInt(s.slot)]));
}

/** Byte offset of a state variable, or of a member of the struct type of one, as the compiler laid it out. */
async function compilerOffset(variable: string, member?: string, struct = "OperatorInfo"): Promise<number> {
  const layout = await compilerStorageLayout();
  const entry = layout.storage.find((s) => s.label === variable)!;
  if (member === undefined) return entry.offset;
  const type = Object.entries(layout.types).find(([name, t]) => name.includes(`(${struct})`) && t.members)![1];
  return type.members!.find((m) => m.label === member)!.offset;
}

/** Slot of a member within its struct, as the compiler laid it out. */
async function compilerMemberSlot(struct: string, member: string): Promise<bigint> {
  const layout = await compilerStorageLayout();
  const type = Object.entries(layout.types).find(([name, t]) => name.includes(`(${struct})`) && t.members)![1];
  return BigInt(type.members!.find((m) => m.label === member)!.slot);
}

describe("VaultLens and the raw storage it reads", () => {
  it("VaultStorage's and the SDK's slot numbers are the compiler's layout of GuardedVault", async () => {
    const layout = await compilerLayout();
    expect(layout._operatorWord).to.equal(STORAGE_SLOTS.operatorWords);
    expect(layout._tokenWord).to.equal(STORAGE_SLOTS.tokenWords);
    expect(layout._queue).to.equal(STORAGE_SLOTS.queue);
    expect(layout._roles).to.equal(STORAGE_SLOTS.roles);
    // The co-signing struct's mappings (the limiter words, co-signed-only destinations, used digests).
    expect([STORAGE_SLOTS.cosignedWords, STORAGE_SLOTS.cosignedOnly, STORAGE_SLOTS.approvalsUsed]).to.deep.equal([layout._cosigning, layout._cosigning + 1n, layout._cosigning + 2n]);
    // The Solidity library holds the same numbers: read them from its source constants.
    const src = await hre.artifacts.getBuildInfo("contracts/libraries/VaultStorage.sol:VaultStorage");
    const text = src!.input.sources["contracts/libraries/VaultStorage.sol"].content;
    const constant = (name: string) => BigInt(new RegExp(`${name} = (\\d+);`).exec(text)![1]);
    expect(constant("OPERATOR_WORDS_SLOT")).to.equal(layout._operatorWord);
    expect(constant("TOKEN_WORDS_SLOT")).to.equal(layout._tokenWord);
    expect(constant("QUEUE_SLOT")).to.equal(layout._queue);
    // The co-signing struct's three mappings take three consecutive slots, in declaration order.
    expect(constant("COSIGNED_WORDS_SLOT")).to.equal(layout._cosigning);
    expect(constant("COSIGNED_ONLY_SLOT")).to.equal(layout._cosigning + 1n);
    expect(constant("APPROVALS_USED_SLOT")).to.equal(layout._cosigning + 2n);
    const more: [string, keyof typeof STORAGE_SLOTS, string][] = [
      ["APPROVED_SLOT", "approved", "_approved"],
      ["OPERATOR_INFO_SLOT", "operatorInfo", "_operatorInfo"],
      ["WITHDRAWALS_SLOT", "withdrawals", "_withdrawals"],
      ["CHANGES_SLOT", "changes", "_changes"],
      ["TOKENS_SLOT", "tokens", "_tokens"],
      ["OPERATORS_SLOT", "operators", "_operators"],
      ["TRIP_MAX_SLOT", "tripMax", "_tripMax"],
      ["TRIP_PERIOD_SLOT", "tripPeriod", "_tripPeriod"],
    ];
    for (const [name, sdkName, label] of more) {
      expect(constant(name), name).to.equal(layout[label]);
      expect(STORAGE_SLOTS[sdkName], sdkName).to.equal(layout[label]);
    }
    const offsets: [string, keyof typeof STORAGE_OFFSETS, string, string?][] = [
      ["TRIP_MAX_OFFSET", "tripMax", "_tripMax"],
      ["TRIP_PERIOD_OFFSET", "tripPeriod", "_tripPeriod"],
      ["INFO_SUSPENDED_OFFSET", "infoSuspended", "_operatorInfo", "suspended"],
      ["INFO_OPT_OUT_OFFSET", "infoOptOut", "_operatorInfo", "tripwireOptOut"],
      ["INFO_GENERATION_OFFSET", "infoGeneration", "_operatorInfo", "generation"],
    ];
    for (const [name, sdkName, variable, member] of offsets) {
      const offset = await compilerOffset(variable, member);
      expect(Number(constant(name)), name).to.equal(offset);
      expect(STORAGE_OFFSETS[sdkName], sdkName).to.equal(offset);
    }
    expect(STORAGE_OFFSETS.infoRegistered).to.equal(await compilerOffset("_operatorInfo", "registered"));
    // A stored withdrawal's generation sits in its second slot, after the token.
    const withdrawalGeneration = await compilerOffset("_withdrawals", "generation", "Withdrawal");
    expect(Number(constant("WITHDRAWAL_GENERATION_OFFSET"))).to.equal(withdrawalGeneration);
    expect(STORAGE_OFFSETS.withdrawalGeneration).to.equal(withdrawalGeneration);
    expect(await compilerMemberSlot("Withdrawal", "generation")).to.equal(1n);
    expect(await compilerMemberSlot("Withdrawal", "token")).to.equal(1n);
  });

  it("the lens and the SDK decode queued withdrawals, changes, the lists, the tripwire and opt-outs alike", async () => {
    const f = await loadFixture(deployVaultFixture);
    const queued = await (await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, 12_345n)).wait();
    const queuedAt = BigInt((await ethers.provider.getBlock(queued!.blockNumber))!.timestamp);
    await f.vault.connect(f.guardian).pause();
    // Params of every length the vault stores: none, under one word (kept in the length word), one word,
    // and several words.
    const params = [
      [ChangeKind.Unpause, "0x"],
      [ChangeKind.Unpause, "0x1234"],
      [ChangeKind.Unpause, "0x" + "ab".repeat(31)],
      [ChangeKind.SetRecovery, encodeChange.address(f.stranger.address)],
      [ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot2.address, true)],
      [ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({ operator: f.bot2.address, token: NATIVE, cap: 10n ** 18n, instantLimit: 10n ** 18n, queueCap: 33n * 10n ** 12n })],
    ] as const;
    const ids: bigint[] = [];
    for (const [kind, data] of params) ids.push(await proposeOnly(f.vault, f.admin, kind, data));
    await f.vault.connect(f.guardian).cancelChange(ids[1]);
    const id = await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot1.address, true));
    ids.push(id);

    const blockTag = await ethers.provider.getBlockNumber();
    for (const [i, cid] of ids.entries()) {
      const l = await f.lens.getChange(f.vault, cid, { blockTag });
      const expectedParams = i < params.length ? params[i][1] : encodeChange.setTripwireOptOut(f.bot1.address, true);
      expect(l.params, `change ${cid}`).to.equal(expectedParams);
      expect(l.status).to.equal(i === 1 ? 3n : i === params.length ? 2n : 1n);
      const sdk = await readChange(f.vault, cid, { blockTag });
      expect([sdk.kind, sdk.status, sdk.eta, sdk.params]).to.deep.equal([l.kind, l.status, l.eta, l.params]);
    }
    const none = await f.lens.getChange(f.vault, 999n);
    expect([none.kind, none.status, none.eta, none.params]).to.deep.equal([0n, 0n, 0n, "0x"]);

    const w = await f.lens.getWithdrawal(f.vault, 1n);
    expect([w.operator, w.eta, w.status, w.token, w.to, w.amount]).to.deep.equal([f.bot1.address, queuedAt + POLICY.withdrawalDelay, 1n, f.usdtAddr, f.exchange.address, 12_345n]);
    const sw = await readWithdrawal(f.vault, 1n);
    expect([sw.operator, sw.eta, sw.status, sw.token, sw.to, sw.amount]).to.deep.equal([w.operator, w.eta, w.status, w.token, w.to, w.amount]);
    expect((await f.lens.getWithdrawal(f.vault, 2n)).status).to.equal(0n);

    expect(await f.lens.tokens(f.vault)).to.deep.equal([f.usdtAddr, f.daiAddr, NATIVE]);
    expect(await readTokens(f.vault)).to.deep.equal([f.usdtAddr, f.daiAddr, NATIVE]);
    expect(await f.lens.operators(f.vault)).to.deep.equal([f.bot1.address, f.bot2.address]);
    expect(await readOperators(f.vault)).to.deep.equal([f.bot1.address, f.bot2.address]);
    await f.vault.connect(f.guardian).tightenTripwire(POLICY.tripwireMaxCount - 1, POLICY.tripwirePeriod + 60n);
    expect(await f.lens.tripwire(f.vault)).to.deep.equal([BigInt(POLICY.tripwireMaxCount - 1), BigInt(POLICY.tripwirePeriod + 60n)]);
    expect(await readTripwire(f.vault)).to.deep.equal({ maxCount: BigInt(POLICY.tripwireMaxCount - 1), period: BigInt(POLICY.tripwirePeriod + 60n) });
    expect(await f.lens.isTripwireOptedOut(f.vault, f.bot1.address)).to.equal(true);
    expect(await f.lens.isTripwireOptedOut(f.vault, f.bot2.address)).to.equal(false);
    await f.vault.connect(f.guardian).suspendOperator(f.bot2.address);
    expect(await readOperatorRecord(f.vault, f.bot1.address)).to.deep.equal({ registered: true, suspended: false, tripwireOptedOut: true, generation: 0n });
    expect(await readOperatorRecord(f.vault, f.bot2.address)).to.deep.equal({ registered: true, suspended: true, tripwireOptedOut: false, generation: 0n });
    expect(await readOperatorRecord(f.vault, f.stranger.address)).to.deep.equal({ registered: false, suspended: false, tripwireOptedOut: false, generation: 0n });
  });

  it("extsload returns the stored words: the two policy words and the packed queue account", async () => {
    const f = await loadFixture(deployVaultFixture);
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, 12_345n);
    const [opWord, tokenWord] = await views.policyWords(f.vault, f.bot1.address, f.usdtAddr);
    const words = await f.vault.extsload([
      nestedSlot(STORAGE_SLOTS.operatorWords, f.bot1.address, f.usdtAddr),
      mappingSlot(STORAGE_SLOTS.tokenWords, f.usdtAddr),
      nestedSlot(STORAGE_SLOTS.queue, f.bot1.address, f.usdtAddr),
      ethers.ZeroHash,
    ]);
    expect(words.map(BigInt).slice(0, 2)).to.deep.equal([opWord, tokenWord]);
    // The queue cap in units (40 bits), the pending total in base units above it.
    expect(BigInt(words[2])).to.equal((12_345n << 40n) | (POLICY.usdt.queueCap / 10n ** BigInt(POLICY.usdt.unitDecimals)));
    expect(await f.vault.extsload([])).to.deep.equal([]);
  });

  it("a listed token whose balanceOf returns nothing has a balance of 0 in every view", async () => {
    const f = await loadFixture(deployVaultFixture);
    // An account without code as a token: its balanceOf call succeeds with no data.
    const token = f.stranger.address;
    await proposeAndExecute(f.vault, f.admin, ChangeKind.ListToken, encodeChange.listToken(token, 0, 100n));
    expect((await f.lens.tokenState(f.vault, token)).balance).to.equal(0n);
    expect((await f.lens.operatorExposure(f.vault, f.bot1.address, token, HOUR)).total).to.equal(0n);
    expect(await readTokenState(f.vault, token).then((s) => s.balance)).to.equal(0n);
  });

  it("the SDK's storage reads give what the lens gives, in the same block", async () => {
    const f = await loadFixture(deployVaultFixture);
    await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
    await f.vault.connect(f.bot2).queueWithdrawal(f.daiAddr, f.exchange.address, 7n * 10n ** 18n);
    await f.vault.connect(f.guardian).suspendOperator(f.bot2.address);
    await time.increase(HOUR);
    const blockTag = await ethers.provider.getBlockNumber();
    for (const token of [f.usdtAddr, f.daiAddr, NATIVE]) {
      for (const op of [f.bot1.address, f.bot2.address, f.stranger.address]) {
        const lensState = await f.lens.operatorState(f.vault, op, token, { blockTag });
        const sdkState = await readOperatorState(f.vault, op, token, { blockTag });
        expect([sdkState.cap, sdkState.instantLimit, sdkState.queueCap, sdkState.used, sdkState.available, sdkState.nextRelease, sdkState.pendingQueued, sdkState.suspended])
          .to.deep.equal([lensState.cap, lensState.instantLimit, lensState.queueCap, lensState.used, lensState.available, lensState.nextRelease, lensState.pendingQueued, lensState.suspended]);
        expect([sdkState.cosignedCap, sdkState.cosignedUsed, sdkState.cosignedAvailable]).to.deep.equal([lensState.cosignedCap, lensState.cosignedUsed, lensState.cosignedAvailable]);
        expect(await readAvailableNow(f.vault, op, token, { blockTag })).to.equal(await f.lens.availableNow(f.vault, op, token, { blockTag }));
      }
      const lensToken = await f.lens.tokenState(f.vault, token, { blockTag });
      const sdkToken = await readTokenState(f.vault, token, { blockTag });
      expect([sdkToken.listed, BigInt(sdkToken.unitDecimals), sdkToken.vaultCap, sdkToken.used, sdkToken.available, sdkToken.nextRelease, sdkToken.balance])
        .to.deep.equal([lensToken.listed, lensToken.unitDecimals, lensToken.vaultCap, lensToken.used, lensToken.available, lensToken.nextRelease, lensToken.balance]);
      const horizons = [0n, HOUR, 24n * HOUR, 48n * HOUR];
      const e = await readTokenExposure(f.vault, token, horizons, { blockTag });
      for (const [i, h] of horizons.entries()) {
        for (const o of e.operators) {
          const l = await f.lens.operatorExposure(f.vault, o.operator, token, h, { blockTag });
          expect(o.bounds[i]).to.deep.equal({ instant: l.instant, queued: l.queued, total: l.total, cosigned: l.cosigned, totalWithApprover: l.totalWithApprover });
        }
        const v = await f.lens.vaultExposure(f.vault, token, h, { blockTag });
        expect(e.vault[i]).to.deep.equal({ instant: v.instant, queued: v.queued, total: v.total, cosigned: v.cosigned, totalWithApprover: v.totalWithApprover });
      }
    }
  });
});
