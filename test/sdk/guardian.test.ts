import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChangeKind,
  NATIVE,
  POLICY,
  Status,
  deployVaultFixture,
  encodeChange,
  proposeAndExecute,
  proposeOnly,
  type VaultFixture,
} from "../helpers/fixture";
import { GuardianClient, GuardianTransactions, vaultInterface, type UnsignedTransaction } from "../../sdk/clients";
import {
  AccessControlUnauthorizedAccountError,
  InvalidInputError,
  NotALoweringError,
  NotATighteningError,
  NotAdminOrGuardianError,
  NotOperatorError,
  VaultRevertError,
  ZeroAmountError,
} from "../../sdk/errors";
import { recordedSigner } from "./helpers";
import { views } from "../helpers/views";

/** One guardian action: how to call it on the client, how to build it unsigned, what it must change. */
interface Action {
  name: string;
  setup?: (f: VaultFixture) => Promise<void>;
  send: (g: GuardianClient, f: VaultFixture) => Promise<unknown>;
  build: (t: GuardianTransactions, f: VaultFixture) => UnsignedTransaction;
  /** The function the unsigned transaction must call. */
  fn: string;
  check: (f: VaultFixture) => Promise<unknown>;
}

const lowered = { cap: POLICY.usdt.cap / 2n, instantLimit: POLICY.usdt.instant / 2n, queueCap: POLICY.usdt.queueCap / 2n };

const ACTIONS: Action[] = [
  {
    name: "pause",
    send: (g) => g.pause(),
    build: (t) => t.pause(),
    fn: "pause",
    check: async (f) => expect(await f.vault.paused()).to.equal(true),
  },
  {
    name: "suspendOperator",
    send: (g, f) => g.suspendOperator(f.bot1.address),
    build: (t, f) => t.suspendOperator(f.bot1.address),
    fn: "suspendOperator",
    check: async (f) => expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true),
  },
  {
    name: "cancelWithdrawal",
    setup: async (f) => {
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.instant * 2n);
    },
    send: (g) => g.cancelWithdrawal(1n),
    build: (t) => t.cancelWithdrawal(1n),
    fn: "cancelWithdrawal",
    check: async (f) => expect((await views.getWithdrawal(f.vault, 1n)).status).to.equal(BigInt(Status.Cancelled)),
  },
  {
    name: "cancelChange",
    setup: async (f) => {
      await proposeOnly(f.vault, f.admin, ChangeKind.ApproveDestination, encodeChange.approveDestination(f.bot1.address, f.attacker.address));
    },
    send: (g) => g.cancelChange(1n),
    build: (t) => t.cancelChange(1n),
    fn: "cancelChange",
    check: async (f) => expect((await views.getChange(f.vault, 1n)).status).to.equal(BigInt(Status.Cancelled)),
  },
  {
    name: "evacuate (all)",
    send: (g, f) => g.evacuate({ token: f.usdtAddr, amount: "all" }),
    build: (t, f) => t.evacuate({ token: f.usdtAddr, amount: "all" }),
    fn: "evacuate",
    check: async (f) => {
      expect(await f.usdtToken.balanceOf(f.recovery.address)).to.equal(POLICY.funding.usdt);
      expect(await f.usdtToken.balanceOf(f.vaultAddr)).to.equal(0n);
    },
  },
  {
    name: "evacuate (amount)",
    send: (g) => g.evacuate({ token: NATIVE, amount: 7n }),
    build: (t) => t.evacuate({ token: NATIVE, amount: 7n }),
    fn: "evacuate",
    check: async (f) => expect(await ethers.provider.getBalance(f.vaultAddr)).to.equal(POLICY.funding.eth - 7n),
  },
  {
    name: "lowerOperatorLimits",
    send: (g, f) => g.lowerOperatorLimits({ operator: f.bot1.address, token: f.usdtAddr, ...lowered }),
    build: (t, f) => t.lowerOperatorLimits({ operator: f.bot1.address, token: f.usdtAddr, ...lowered }),
    fn: "lowerOperatorLimits",
    check: async (f) => {
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([s.cap, s.instantLimit, s.queueCap]).to.deep.equal([lowered.cap, lowered.instantLimit, lowered.queueCap]);
    },
  },
  {
    name: "lowerVaultCap",
    send: (g, f) => g.lowerVaultCap({ token: f.daiAddr, vaultCap: POLICY.dai.cap }),
    build: (t, f) => t.lowerVaultCap({ token: f.daiAddr, vaultCap: POLICY.dai.cap }),
    fn: "lowerVaultCap",
    check: async (f) => expect((await f.lens.tokenState(f.vault, f.daiAddr)).vaultCap).to.equal(POLICY.dai.cap),
  },
  {
    name: "tightenTripwire",
    send: (g) => g.tightenTripwire({ maxCount: 3, period: 600n }),
    build: (t) => t.tightenTripwire({ maxCount: 3, period: 600n }),
    fn: "tightenTripwire",
    check: async (f) => expect(await views.tripwire(f.vault)).to.deep.equal([3n, 600n]),
  },
  {
    name: "optIntoTripwire",
    setup: async (f) => {
      await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(f.bot2.address, true));
    },
    send: (g, f) => g.optIntoTripwire(f.bot2.address),
    build: (t, f) => t.optIntoTripwire(f.bot2.address),
    fn: "optIntoTripwire",
    check: async (f) => expect(await views.isTripwireOptedOut(f.vault, f.bot2.address)).to.equal(false),
  },
  {
    name: "removeOperator",
    send: (g, f) => g.removeOperator(f.bot1.address),
    build: (t, f) => t.removeOperator(f.bot1.address),
    fn: "removeOperator",
    check: async (f) => {
      expect(await views.operators(f.vault)).to.deep.equal([f.bot2.address]);
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, 1n)).to.be.revertedWithCustomError(f.vault, "NotOperator");
    },
  },
  {
    name: "revokeDestination",
    send: (g, f) => g.revokeDestination({ operator: f.bot2.address, destination: f.exchange2.address }),
    build: (t, f) => t.revokeDestination({ operator: f.bot2.address, destination: f.exchange2.address }),
    fn: "revokeDestination",
    check: async (f) => expect(await f.vault.isApproved(f.bot2.address, f.exchange2.address)).to.equal(false),
  },
];

describe("SDK GuardianClient", () => {
  for (const a of ACTIONS) {
    it(`${a.name}: sent by the client, and as an unsigned transaction any signer (a Safe) can submit`, async () => {
      let f = await loadFixture(deployVaultFixture);
      await a.setup?.(f);
      const receipt = await (await a.send(new GuardianClient({ vault: f.vaultAddr, signer: f.guardian }), f) as { wait(): Promise<{ status: number | null }> }).wait();
      expect(receipt.status).to.equal(1);
      await a.check(f);

      f = await loadFixture(deployVaultFixture);
      await a.setup?.(f);
      const tx = a.build(new GuardianTransactions(f.vaultAddr), f);
      expect(tx.to).to.equal(f.vaultAddr);
      expect(tx.value).to.equal(0n);
      expect(vaultInterface.parseTransaction({ data: tx.data })?.name).to.equal(a.fn);
      await (await f.guardian2.sendTransaction(tx)).wait();
      await a.check(f);
    });
  }

  it("the client's `tx` builds exactly what the client sends", async () => {
    const f = await loadFixture(deployVaultFixture);
    const g = new GuardianClient({ vault: f.vaultAddr, signer: f.guardian });
    const sent = await g.suspendOperator(f.bot2.address);
    expect(sent.response.data).to.equal(g.tx.suspendOperator(f.bot2.address).data);
    expect(sent.response.to).to.equal(f.vaultAddr);
    expect(sent.hash).to.equal(sent.response.hash);
  });

  it("the vault's refusals come back as typed errors with their arguments", async () => {
    const f = await loadFixture(deployVaultFixture);
    const stranger = new GuardianClient({ vault: f.vaultAddr, signer: f.stranger });
    const err = await stranger.pause().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NotAdminOrGuardianError);
    expect(err).to.be.instanceOf(VaultRevertError);
    expect((err as NotAdminOrGuardianError).args).to.deep.equal({ account: f.stranger.address });
    expect((err as NotAdminOrGuardianError).source).to.equal("chain");

    // The admin may pause but not evacuate (guardian role only).
    const admin = new GuardianClient({ vault: f.vaultAddr, signer: f.admin });
    const evac = await admin.evacuate({ token: f.usdtAddr, amount: 1n }).catch((e: unknown) => e);
    expect(evac).to.be.instanceOf(AccessControlUnauthorizedAccountError);
    expect((evac as AccessControlUnauthorizedAccountError).args.account).to.equal(f.admin.address);

    const g = new GuardianClient({ vault: f.vaultAddr, signer: f.guardian });
    const raise = await g.lowerOperatorLimits({ operator: f.bot1.address, token: f.usdtAddr, cap: POLICY.usdt.cap * 2n, instantLimit: POLICY.usdt.instant, queueCap: 0n }).catch((e: unknown) => e);
    expect(raise).to.be.instanceOf(NotALoweringError);
    expect((raise as NotALoweringError).args).to.deep.equal({ current: POLICY.usdt.cap, requested: POLICY.usdt.cap * 2n });
    await expect(g.tightenTripwire({ maxCount: 20, period: 60n })).to.be.rejectedWith(NotATighteningError);
    await expect(g.suspendOperator(f.stranger.address)).to.be.rejectedWith(NotOperatorError);
    const empty = await ethers.deployContract("MockERC20", ["Empty", "E", 18]);
    await expect(g.evacuate({ token: await empty.getAddress(), amount: "all" })).to.be.rejectedWith(ZeroAmountError);
  });

  it("rejects bad input before any network call", async () => {
    const f = await loadFixture(deployVaultFixture);
    const { signer, calls } = await recordedSigner(f.guardian.address);
    const g = new GuardianClient({ vault: f.vaultAddr, signer });
    calls.length = 0;
    const bad: [() => Promise<unknown>, string][] = [
      [() => g.suspendOperator("0xnope"), "operator"],
      [() => g.removeOperator("0xnope"), "operator"],
      [() => g.evacuate({ token: f.usdtAddr, amount: 0n }), "amount"],
      [() => g.evacuate({ token: ethers.ZeroAddress, amount: 1n }), "token"],
      [() => g.cancelWithdrawal(-1n), "id"],
      [() => g.lowerOperatorLimits({ operator: f.bot1.address, token: f.usdtAddr, cap: 1n, instantLimit: 2n, queueCap: 0n }), "instantLimit"],
      [() => g.lowerVaultCap({ token: f.usdtAddr, vaultCap: -1n }), "vaultCap"],
      [() => g.tightenTripwire({ maxCount: 0, period: 60n }), "maxCount"],
      [() => g.tightenTripwire({ maxCount: 1.5, period: 60n }), "maxCount"],
      [() => g.tightenTripwire({ maxCount: 2, period: 0n }), "period"],
      [() => g.revokeDestination({ operator: f.bot1.address, destination: "" }), "destination"],
      [() => g.optIntoTripwire(ethers.ZeroAddress), "operator"],
    ];
    for (const [call, field] of bad) {
      const err = await call().catch((e: unknown) => e);
      expect(err, field).to.be.instanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).to.equal(field);
    }
    expect(() => new GuardianTransactions("0x00")).to.throw(InvalidInputError, /vault/);
    expect(calls).to.deep.equal([]);
  });
});
