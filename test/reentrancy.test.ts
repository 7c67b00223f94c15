import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { GasBurner, GuardedVault, ReentrantOperator, ReentrantToken, RevertingReceiver } from "../typechain-types";
import {
  ChangeKind,
  NATIVE,
  POLICY,
  Status,
  VaultFixture,
  deployVaultFixture,
  encodeChange,
  proposeOnly,
} from "./helpers/fixture";
import { views } from "./helpers/views";
import { STORAGE_SLOTS } from "../sdk/clients/state";

/** Proposes every change, waits the delay once, then executes them in order. */
async function applyChanges(f: VaultFixture, changes: [ChangeKind, string][]): Promise<void> {
  const ids: bigint[] = [];
  for (const [kind, params] of changes) ids.push(await proposeOnly(f.vault, f.admin, kind, params));
  await time.increase(await f.vault.changeDelay());
  for (const id of ids) await f.vault.connect(f.admin).executeChange(id);
}

/** Number of `name` events the vault emitted in a transaction. */
async function countEvents(vault: GuardedVault, tx: ContractTransactionResponse, name: string): Promise<number> {
  const receipt = await tx.wait();
  const vaultAddr = (await vault.getAddress()).toLowerCase();
  return receipt!.logs.filter((l) => l.address.toLowerCase() === vaultAddr && vault.interface.parseLog(l)?.name === name).length;
}

const ONE = 10n ** 18n;
/** The hook token's listing; it is both bot1's token and (to make re-entry otherwise valid) an operator and guardian. */
const HOOK = {
  unitDecimals: 18,
  vaultCap: 1_000n * ONE,
  cap: 500n * ONE,
  instant: 100n * ONE,
  queueCap: 1_000n * ONE,
  funding: 2_000n * ONE,
};
/** Amount of an instant withdrawal or evacuation. */
const X = HOOK.instant / 10n;
/** Amount of each queued withdrawal. */
const Q = HOOK.instant * 2n;

describe("reentrancy", () => {
  describe("a token that calls back into the vault during its transfer", () => {
    interface HookFixture extends VaultFixture {
      hook: ReentrantToken;
      hookAddr: string;
      /** Two ready queued withdrawals of bot1 (Q each, to exchange). */
      outerId: bigint;
      innerId: bigint;
      guardSelector: string;
    }

    async function hookFixture(): Promise<HookFixture> {
      const f = await deployVaultFixture();
      const hook = await ethers.deployContract("ReentrantToken");
      const hookAddr = await hook.getAddress();
      await applyChanges(f, [[ChangeKind.ListToken, encodeChange.listToken(hookAddr, HOOK.unitDecimals, HOOK.vaultCap)]]);
      const limits = (operator: string) =>
        encodeChange.setOperatorLimits({ operator, token: hookAddr, cap: HOOK.cap, instantLimit: HOOK.instant, queueCap: HOOK.queueCap });
      // The token itself gets every permission its re-entrant calls need, so only the guard can stop them.
      await applyChanges(f, [
        [ChangeKind.SetOperatorLimits, limits(f.bot1.address)],
        [ChangeKind.SetOperatorLimits, limits(hookAddr)],
        [ChangeKind.ApproveDestination, encodeChange.approveDestination(hookAddr, f.exchange2.address)],
        [ChangeKind.AddGuardian, encodeChange.address(hookAddr)],
      ]);
      await hook.mint(f.vaultAddr, HOOK.funding);
      await f.vault.connect(f.bot1).queueWithdrawal(hookAddr, f.exchange.address, Q);
      const outerId = await f.vault.withdrawalCount();
      await f.vault.connect(f.bot1).queueWithdrawal(hookAddr, f.exchange.address, Q);
      const innerId = await f.vault.withdrawalCount();
      await time.increase(await f.vault.withdrawalDelay());
      const guardSelector = f.vault.interface.getError("ReentrancyGuardReentrantCall")!.selector;
      return { ...f, hook, hookAddr, outerId, innerId, guardSelector };
    }

    type Outer = "withdraw" | "executeWithdrawal" | "evacuate";
    const OUTERS: Outer[] = ["withdraw", "executeWithdrawal", "evacuate"];
    const INNERS: { name: string; payload: (f: HookFixture) => string }[] = [
      { name: "withdraw", payload: (f) => f.vault.interface.encodeFunctionData("withdrawInstant", [f.hookAddr, f.exchange2.address, X]) },
      { name: "executeWithdrawal", payload: (f) => f.vault.interface.encodeFunctionData("executeWithdrawal", [f.innerId]) },
      { name: "evacuate", payload: (f) => f.vault.interface.encodeFunctionData("evacuate", [f.hookAddr, X]) },
    ];

    async function runOuter(f: HookFixture, outer: Outer): Promise<ContractTransactionResponse> {
      if (outer === "withdraw") return f.vault.connect(f.bot1).withdrawInstant(f.hookAddr, f.exchange.address, X);
      if (outer === "executeWithdrawal") return f.vault.connect(f.bot1).executeWithdrawal(f.outerId);
      return f.vault.connect(f.guardian).evacuate(f.hookAddr, X);
    }

    it("the hook does call the vault (control: a view call succeeds)", async () => {
      const f = await loadFixture(hookFixture);
      // Reads the last element of the vault's token list from storage.
      const listed = await views.tokens(f.vault);
      const lastSlot = ethers.toBeHex(BigInt(ethers.keccak256(ethers.toBeHex(STORAGE_SLOTS.tokens, 32))) + BigInt(listed.length - 1), 32);
      await f.hook.arm(f.vaultAddr, f.vault.interface.encodeFunctionData("extsload", [[lastSlot]]));
      await f.vault.connect(f.bot1).withdrawInstant(f.hookAddr, f.exchange.address, X);
      expect(await f.hook.lastCallOk()).to.equal(true);
      const [words] = f.vault.interface.decodeFunctionResult("extsload", await f.hook.lastReturn());
      expect(ethers.getAddress(ethers.dataSlice(words[0], 12))).to.equal(f.hookAddr);
    });

    for (const outer of OUTERS) {
      for (const inner of INNERS) {
        it(`${inner.name} re-entered from ${outer} fails with ReentrancyGuardReentrantCall; exactly one outflow happens`, async () => {
          const f = await loadFixture(hookFixture);
          const accts = [f.vaultAddr, f.exchange.address, f.exchange2.address, f.recovery.address];
          const before = await Promise.all(accts.map((a) => f.hook.balanceOf(a)));
          const supply = await f.hook.totalSupply();
          await f.hook.arm(f.vaultAddr, inner.payload(f));

          const tx = await runOuter(f, outer);
          expect(await f.hook.lastCallOk()).to.equal(false);
          expect(await f.hook.lastReturn()).to.equal(f.guardSelector);

          const amount = outer === "executeWithdrawal" ? Q : X;
          const to = outer === "evacuate" ? f.recovery.address : f.exchange.address;
          const after = await Promise.all(accts.map((a) => f.hook.balanceOf(a)));
          for (let i = 0; i < accts.length; i++) {
            const delta = accts[i] === f.vaultAddr ? -amount : accts[i] === to ? amount : 0n;
            expect(after[i] - before[i], `balance change of ${accts[i]}`).to.equal(delta);
          }
          expect(await f.hook.totalSupply()).to.equal(supply);

          expect(await countEvents(f.vault, tx, "Withdrawn")).to.equal(outer === "withdraw" ? 1 : 0);
          expect(await countEvents(f.vault, tx, "WithdrawalExecuted")).to.equal(outer === "executeWithdrawal" ? 1 : 0);
          expect(await countEvents(f.vault, tx, "Evacuated")).to.equal(outer === "evacuate" ? 1 : 0);

          const counted = outer === "withdraw" ? X : 0n;
          expect((await f.lens.operatorState(f.vault, f.bot1.address, f.hookAddr)).used).to.equal(counted);
          expect((await f.lens.operatorState(f.vault, f.hookAddr, f.hookAddr)).used).to.equal(0n);
          expect((await f.lens.tokenState(f.vault, f.hookAddr)).used).to.equal(counted);
          const pending = outer === "executeWithdrawal" ? Q : 2n * Q;
          expect((await f.lens.operatorState(f.vault, f.bot1.address, f.hookAddr)).pendingQueued).to.equal(pending);
          expect((await views.getWithdrawal(f.vault, f.innerId)).status).to.equal(BigInt(Status.Pending));
          expect((await views.getWithdrawal(f.vault, f.outerId)).status).to.equal(
            BigInt(outer === "executeWithdrawal" ? Status.Executed : Status.Pending),
          );
          expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
          expect(await views.isSuspended(f.vault, f.hookAddr)).to.equal(false);
        });
      }
    }
  });

  describe("an ETH recipient that calls back into the vault", () => {
    interface EthFixture extends VaultFixture {
      op: ReentrantOperator;
      opAddr: string;
      reverter: RevertingReceiver;
      reverterAddr: string;
      burner: GasBurner;
      burnerAddr: string;
    }

    async function ethFixture(): Promise<EthFixture> {
      const f = await deployVaultFixture();
      const op = await ethers.deployContract("ReentrantOperator", [f.vaultAddr]);
      const reverter = await ethers.deployContract("RevertingReceiver");
      const burner = await ethers.deployContract("GasBurner");
      const [opAddr, reverterAddr, burnerAddr] = await Promise.all([op.getAddress(), reverter.getAddress(), burner.getAddress()]);
      await applyChanges(f, [
        [
          ChangeKind.SetOperatorLimits,
          encodeChange.setOperatorLimits({
            operator: opAddr,
            token: NATIVE,
            cap: POLICY.eth.cap,
            instantLimit: POLICY.eth.instant,
            queueCap: POLICY.eth.queueCap,
          }),
        ],
        // The operator contract is its own destination.
        [ChangeKind.ApproveDestination, encodeChange.approveDestination(opAddr, opAddr)],
        [ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, reverterAddr)],
        [ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, burnerAddr)],
      ]);
      return { ...f, op, opAddr, reverter, reverterAddr, burner, burnerAddr };
    }

    const ethX = POLICY.eth.instant / 10n;
    const balance = (a: string) => ethers.provider.getBalance(a);

    async function expectNothingCounted(f: EthFixture, operator: string): Promise<void> {
      const s = await f.lens.operatorState(f.vault, operator, NATIVE);
      expect([s.used, s.available]).to.deep.equal([0n, POLICY.eth.cap]);
      expect((await f.lens.tokenState(f.vault, NATIVE)).used).to.equal(0n);
      expect(await views.isSuspended(f.vault, operator)).to.equal(false);
    }

    it("an operator that is a contract (a re-entrant receiver) is refused before anything runs: OperatorHasCode", async () => {
      const f = await loadFixture(ethFixture);
      // Operators are plain keys: a contract operator could re-enter from receive() or revert after a
      // tripwire's false. Both withdrawal paths refuse it first, armed or not.
      for (const armed of [f.vault.interface.encodeFunctionData("withdrawInstant", [NATIVE, f.opAddr, ethX]), "0x"]) {
        await f.op.arm(armed);
        const vaultBefore = await balance(f.vaultAddr);
        for (const call of [
          f.vault.interface.encodeFunctionData("withdrawInstant", [NATIVE, f.opAddr, ethX]),
          f.vault.interface.encodeFunctionData("queueWithdrawal", [NATIVE, f.opAddr, ethX]),
        ]) {
          await expect(f.op.call(call)).to.be.revertedWithCustomError(f.vault, "OperatorHasCode").withArgs(f.opAddr);
        }
        expect(await balance(f.vaultAddr)).to.equal(vaultBefore);
        expect(await balance(f.opAddr)).to.equal(0n);
        await expectNothingCounted(f, f.opAddr);
      }
    });

    // A fixed gas limit: gas estimation of a call into GasBurner's endless loop would burn the block gas
    // limit many times over. The vault forwards all but 1/64 of it; the rest must still suffice to revert.
    const overrides = { gasLimit: 1_000_000n };

    for (const kind of ["RevertingReceiver", "GasBurner"] as const) {
      const dest = (f: EthFixture) => (kind === "RevertingReceiver" ? f.reverterAddr : f.burnerAddr);

      it(`a ${kind} destination reverts EthTransferFailed without side effects`, async () => {
        const f = await loadFixture(ethFixture);
        const to = dest(f);
        const vaultBefore = await balance(f.vaultAddr);
        await expect(f.vault.connect(f.bot1).withdrawInstant(NATIVE, to, ethX, overrides))
          .to.be.revertedWithCustomError(f.vault, "EthTransferFailed")
          .withArgs(to, ethX);
        expect(await balance(f.vaultAddr)).to.equal(vaultBefore);
        expect(await balance(to)).to.equal(0n);
        await expectNothingCounted(f, f.bot1.address);
      });

      it(`a ${kind} destination does not lock the vault: other withdrawals still work`, async () => {
        const f = await loadFixture(ethFixture);
        const to = dest(f);
        await expect(f.vault.connect(f.bot1).withdrawInstant(NATIVE, to, ethX, overrides)).to.be.revertedWithCustomError(
          f.vault,
          "EthTransferFailed",
        );
        const exchangeBefore = await balance(f.exchange.address);
        await expect(f.vault.connect(f.bot1).withdrawInstant(NATIVE, f.exchange.address, ethX))
          .to.emit(f.vault, "Withdrawn")
          .withArgs(f.bot1.address, NATIVE, f.exchange.address, ethX);
        await f.vault.connect(f.bot2).withdrawInstant(NATIVE, f.exchange2.address, ethX);
        await f.vault.connect(f.bot1).withdrawInstant(f.daiAddr, f.exchange.address, POLICY.dai.instant);
        expect(await balance(f.exchange.address)).to.equal(exchangeBefore + ethX);
        expect((await f.lens.tokenState(f.vault, NATIVE)).used).to.equal(2n * ethX);
        expect(await f.daiToken.balanceOf(f.exchange.address)).to.equal(POLICY.dai.instant);
      });

      it(`a queued withdrawal to a ${kind} stays pending and can be cancelled; others execute`, async () => {
        const f = await loadFixture(ethFixture);
        const to = dest(f);
        const queued = POLICY.eth.instant * 2n;
        await f.vault.connect(f.bot1).queueWithdrawal(NATIVE, to, queued);
        const blocked = await f.vault.withdrawalCount();
        await f.vault.connect(f.bot1).queueWithdrawal(NATIVE, f.exchange.address, queued);
        const good = await f.vault.withdrawalCount();
        await time.increase(await f.vault.withdrawalDelay());
        const vaultBefore = await balance(f.vaultAddr);
        await expect(f.vault.connect(f.bot1).executeWithdrawal(blocked, overrides))
          .to.be.revertedWithCustomError(f.vault, "EthTransferFailed")
          .withArgs(to, queued);
        expect(await balance(f.vaultAddr)).to.equal(vaultBefore);
        expect((await views.getWithdrawal(f.vault, blocked)).status).to.equal(BigInt(Status.Pending));
        await f.vault.connect(f.bot1).executeWithdrawal(good);
        expect(await balance(f.vaultAddr)).to.equal(vaultBefore - queued);
        await expect(f.vault.connect(f.guardian).cancelWithdrawal(blocked))
          .to.emit(f.vault, "WithdrawalCancelled")
          .withArgs(blocked, f.guardian.address);
        expect((await f.lens.operatorState(f.vault, f.bot1.address, NATIVE)).pendingQueued).to.equal(0n);
      });
    }
  });
});
