import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ChangeKind, deployVaultFixture, encodeChange, HOUR, NATIVE, POLICY, proposeAndExecute } from "./helpers/fixture";
import {
  STORAGE_SLOTS,
  mappingSlot,
  nestedSlot,
  readAvailableNow,
  readOperatorState,
  readTokenExposure,
  readTokenState,
} from "../sdk/clients/state";

/** Slot numbers of the vault's state variables, as the compiler laid them out. */
async function compilerLayout(): Promise<Record<string, bigint>> {
  const info = await hre.artifacts.getBuildInfo("contracts/GuardedVault.sol:GuardedVault");
  const out = info?.output.contracts["contracts/GuardedVault.sol"].GuardedVault as unknown as {
    storageLayout: { storage: { label: string; slot: string }[] };
  };
  return Object.fromEntries(out.storageLayout.storage.map((s) => [s.label, BigInt(s.slot)]));
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
  });

  it("extsload returns the stored words: the two policy words and the packed queue account", async () => {
    const f = await loadFixture(deployVaultFixture);
    await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, 12_345n);
    const [opWord, tokenWord] = await f.vault.policyWords(f.bot1.address, f.usdtAddr);
    const words = await f.vault.extsload([
      nestedSlot(STORAGE_SLOTS.operatorWords, f.bot1.address, f.usdtAddr),
      mappingSlot(STORAGE_SLOTS.tokenWords, f.usdtAddr),
      nestedSlot(STORAGE_SLOTS.queue, f.bot1.address, f.usdtAddr),
      ethers.ZeroHash,
    ]);
    expect(words.map(BigInt).slice(0, 2)).to.deep.equal([opWord, tokenWord]);
    expect(BigInt(words[2])).to.equal((12_345n << 128n) | POLICY.usdt.queueCap);
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
          expect(o.bounds[i]).to.deep.equal({ instant: l.instant, queued: l.queued, total: l.total });
        }
        const v = await f.lens.vaultExposure(f.vault, token, h, { blockTag });
        expect(e.vault[i]).to.deep.equal({ instant: v.instant, queued: v.queued, total: v.total });
      }
    }
  });
});
