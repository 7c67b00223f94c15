import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Contract, ContractFactory, Signature, TypedDataEncoder, ZeroAddress, concat, type Signer } from "ethers";
import CompatibilityFallbackHandler from "@safe-global/safe-smart-account/build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json";
import type { Approver1271 } from "../typechain-types";
import type { IGuardedVault } from "../typechain-types/contracts/GuardedVault";
import { safeAbi, safeBytecode, safeProxyFactoryAbi, safeProxyFactoryBytecode } from "../sdk/abi";
import { GRACE_PERIOD } from "../sdk/rules/constants";
import {
  BUCKET,
  ChangeKind,
  DAY,
  deployVaultFixture,
  encodeChange,
  eth,
  NATIVE,
  POLICY,
  proposeAndExecute,
  proposeOnly,
  TripReason,
  usdt,
  vaultStart,
  type VaultFixture,
} from "./helpers/fixture";

/** The EIP-712 type of an approval, as IGuardedVault documents it. */
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

/** bot1's co-signed cap for USDT: with its 1M cap it stays inside the 1.5M vault cap. */
const COSIGNED_CAP = usdt(400_000);
/** Far enough ahead for any test that does not test the deadline. */
const LATER = 2n ** 40n;
const HIGH_S_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

interface Request {
  operator: string;
  token: string;
  to: string;
  amount: bigint;
  withdrawalId?: bigint;
  nonce?: bigint;
  deadline?: bigint;
}

interface CosignerFixture extends VaultFixture {
  approver: HardhatEthersSigner;
  otc: HardhatEthersSigner;
  chainId: bigint;
  mock: Approver1271;
  mockAddr: string;
}

/**
 * The fixture's vault with an approver key, a co-signed cap for bot1 in USDT and ETH, and an OTC desk
 * approved for bot1's co-signed withdrawals only; an EIP-1271 mock is an approver too.
 */
async function cosignerFixture(): Promise<CosignerFixture> {
  const f = await deployVaultFixture();
  const signers = await ethers.getSigners();
  const [approver, otc] = [signers[16], signers[17]];
  const mock = await ethers.deployContract("Approver1271");
  const mockAddr = await mock.getAddress();
  const v = f.vault.connect(f.admin);
  const ids = [
    await proposeOnly(f.vault, f.admin, ChangeKind.AddApprover, encodeChange.address(approver.address)),
    await proposeOnly(f.vault, f.admin, ChangeKind.AddApprover, encodeChange.address(mockAddr)),
    await proposeOnly(f.vault, f.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, f.usdtAddr, COSIGNED_CAP)),
    await proposeOnly(f.vault, f.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, NATIVE, eth(60))),
    await proposeOnly(f.vault, f.admin, ChangeKind.ApproveCosignedDestination, encodeChange.approveDestination(f.bot1.address, otc.address)),
  ];
  await time.increase(await f.vault.changeDelay());
  for (const id of ids) await v.executeChange(id);
  return { ...f, approver, otc, chainId: (await ethers.provider.getNetwork()).chainId, mock, mockAddr };
}

function domain(vault: string, chainId: bigint) {
  return { name: "GuardedVault", version: "1", chainId, verifyingContract: vault };
}

function message(r: Request) {
  return { ...r, withdrawalId: r.withdrawalId ?? 0n, nonce: r.nonce ?? 1n, deadline: r.deadline ?? LATER };
}

/** The approval digest, computed by ethers alone. */
function digestOf(f: CosignerFixture, r: Request, over: { vault?: string; chainId?: bigint } = {}): string {
  return TypedDataEncoder.hash(domain(over.vault ?? f.vaultAddr, over.chainId ?? f.chainId), APPROVAL_TYPES, message(r));
}

/** An approval of `r` signed by `signer` (in another vault's or chain's domain if asked). */
async function approve(
  f: CosignerFixture,
  signer: Signer,
  r: Request,
  over: { vault?: string; chainId?: bigint; approver?: string } = {},
): Promise<IGuardedVault.ApprovalStruct> {
  const m = message(r);
  const signature = await signer.signTypedData(domain(over.vault ?? f.vaultAddr, over.chainId ?? f.chainId), APPROVAL_TYPES, m);
  return { approver: over.approver ?? (await signer.getAddress()), nonce: m.nonce, deadline: m.deadline, signature };
}

const usdtTo = (f: CosignerFixture, to: string, amount: bigint, more: Partial<Request> = {}): Request => ({
  operator: f.bot1.address, token: f.usdtAddr, to, amount, ...more,
});

async function usdtBalances(f: CosignerFixture): Promise<bigint[]> {
  return Promise.all([f.vaultAddr, f.exchange.address, f.otc.address].map((a) => f.usdtToken.balanceOf(a)));
}

/** A Safe v1.5.0 with the compatibility fallback handler, which answers EIP-1271 for it. */
async function deployApproverSafe(deployer: Signer, owners: string[], threshold: number): Promise<Contract> {
  const singleton = await new ContractFactory(safeAbi, safeBytecode, deployer).deploy();
  const factory = (await new ContractFactory(safeProxyFactoryAbi, safeProxyFactoryBytecode, deployer).deploy()) as Contract;
  const handler = await new ContractFactory(CompatibilityFallbackHandler.abi, CompatibilityFallbackHandler.bytecode, deployer).deploy();
  const setup = singleton.interface.encodeFunctionData("setup", [
    owners, threshold, ZeroAddress, "0x", await handler.getAddress(), ZeroAddress, 0, ZeroAddress,
  ]);
  const singletonAddr = await singleton.getAddress();
  const proxy: string = await factory.createProxyWithNonce.staticCall(singletonAddr, setup, 7n);
  await (await factory.createProxyWithNonce(singletonAddr, setup, 7n)).wait();
  return new Contract(proxy, safeAbi, deployer);
}

/** The Safe's EIP-1271 signature of `digest`: its owners' EIP-712 signatures of the SafeMessage, in owner order. */
async function safeSignature(safe: string, chainId: bigint, digest: string, owners: HardhatEthersSigner[]): Promise<string> {
  const types = { SafeMessage: [{ name: "message", type: "bytes" }] };
  const sorted = [...owners].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const sigs = [];
  for (const o of sorted) sigs.push(await o.signTypedData({ chainId, verifyingContract: safe }, types, { message: digest }));
  return concat(sigs);
}

/** Asserts that `call` tripped bot1 with `reason` and moved nothing. */
async function expectTrip(f: CosignerFixture, call: () => Promise<unknown>, r: Request, reason: TripReason): Promise<void> {
  const before = await usdtBalances(f);
  const tx = call();
  await expect(tx).to.emit(f.vault, "TripwireFired").withArgs(f.bot1.address, r.token, reason, r.to, r.amount);
  await expect(tx).to.emit(f.vault, "OperatorSuspended").withArgs(f.bot1.address, f.vaultAddr);
  await expect(tx).not.to.emit(f.vault, "Withdrawn");
  await expect(tx).not.to.emit(f.vault, "ApprovalUsed");
  expect(await f.lens.isSuspended(f.vault, f.bot1.address)).to.equal(true);
  expect(await usdtBalances(f)).to.deep.equal(before);
}

async function optOut(f: CosignerFixture, operator: string): Promise<void> {
  await proposeAndExecute(f.vault, f.admin, ChangeKind.SetTripwireOptOut, encodeChange.setTripwireOptOut(operator, true));
}

describe("co-signer: approvers and EIP-712 approvals", () => {
  describe("the approval", () => {
    it("the lens's digest is ethers' EIP-712 hash of the documented domain and type, and the one the vault marks used", async () => {
      const f = await loadFixture(cosignerFixture);
      const r = usdtTo(f, f.exchange.address, usdt(300_000), { nonce: 42n, deadline: LATER });
      const digest = digestOf(f, r);
      expect(await f.lens.approvalDigest(f.vault, r.operator, r.token, r.to, r.amount, 0n, 42n, LATER)).to.equal(digest);
      expect(await f.lens.isApprovalUsed(f.vault, digest)).to.equal(false);
      const a = await approve(f, f.approver, r);
      await expect(f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a))
        .to.emit(f.vault, "ApprovalUsed")
        .withArgs(digest, f.approver.address, f.bot1.address, 0n);
      expect(await f.lens.isApprovalUsed(f.vault, digest)).to.equal(true);
    });

    it("a co-signed withdrawal goes above the instant limit at once, counted on the co-signed and vault-wide caps only", async () => {
      const f = await loadFixture(cosignerFixture);
      const amount = POLICY.usdt.instant + usdt(100_000);
      const r = usdtTo(f, f.exchange.address, amount);
      const [vaultBefore, exchangeBefore] = await usdtBalances(f);
      const tx = f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, amount, await approve(f, f.approver, r));
      await expect(tx).to.emit(f.vault, "Withdrawn").withArgs(f.bot1.address, f.usdtAddr, f.exchange.address, amount);
      await expect(tx).not.to.emit(f.vault, "TripwireFired");
      const [vaultAfter, exchangeAfter] = await usdtBalances(f);
      expect([vaultBefore - vaultAfter, exchangeAfter - exchangeBefore]).to.deep.equal([amount, amount]);
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([s.used, s.cosignedUsed, s.cosignedAvailable]).to.deep.equal([0n, amount, COSIGNED_CAP - amount]);
      expect((await f.lens.tokenState(f.vault, f.usdtAddr)).used).to.equal(amount);
      // The same amount without an approval trips the instant limit, as before.
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, amount))
        .to.emit(f.vault, "TripwireFired")
        .withArgs(f.bot1.address, f.usdtAddr, TripReason.InstantLimitExceeded, f.exchange.address, amount);
    });

    it("moves ETH as well", async () => {
      const f = await loadFixture(cosignerFixture);
      const r: Request = { operator: f.bot1.address, token: NATIVE, to: f.otc.address, amount: eth(55) };
      const before = await ethers.provider.getBalance(f.otc.address);
      await f.vault.connect(f.bot1).withdrawCosigned(NATIVE, f.otc.address, eth(55), await approve(f, f.approver, r));
      expect((await ethers.provider.getBalance(f.otc.address)) - before).to.equal(eth(55));
    });

    it("a co-signed-only destination takes nothing without an approval: the instant and queue paths trip", async () => {
      const f = await loadFixture(cosignerFixture);
      expect(await f.lens.isCosignedDestination(f.vault, f.bot1.address, f.otc.address)).to.equal(true);
      expect(await f.vault.isApproved(f.bot1.address, f.otc.address)).to.equal(false);
      const r = usdtTo(f, f.otc.address, usdt(10));
      await expectTrip(f, () => f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.otc.address, usdt(10)), r, TripReason.DestinationNotApproved);
      const g = await loadFixture(cosignerFixture);
      await expectTrip(g, () => g.vault.connect(g.bot1).queueWithdrawal(g.usdtAddr, g.otc.address, usdt(10)), usdtTo(g, g.otc.address, usdt(10)), TripReason.DestinationNotApproved);
      const h = await loadFixture(cosignerFixture);
      const big = usdtTo(h, h.otc.address, COSIGNED_CAP);
      await expect(h.vault.connect(h.bot1).withdrawCosigned(h.usdtAddr, h.otc.address, COSIGNED_CAP, await approve(h, h.approver, big)))
        .to.emit(h.vault, "Withdrawn")
        .withArgs(h.bot1.address, h.usdtAddr, h.otc.address, COSIGNED_CAP);
    });

    it("a destination approved for neither path trips DestinationNotApproved even with a valid approval", async () => {
      const f = await loadFixture(cosignerFixture);
      const r = usdtTo(f, f.attacker.address, usdt(10));
      const a = await approve(f, f.approver, r);
      await expectTrip(f, () => f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a), r, TripReason.DestinationNotApproved);
    });
  });

  describe("bad approvals move nothing, and a forged one trips", () => {
    interface BadCase {
      name: string;
      /** The withdrawal bot1 asks for, and the approval it presents. */
      make: (f: CosignerFixture) => Promise<{ r: Request; a: IGuardedVault.ApprovalStruct }>;
      error: "InvalidApproval" | "NotApprover";
    }
    const signed = (f: CosignerFixture, over: Partial<Request>, how: { vault?: string; chainId?: bigint } = {}) =>
      approve(f, f.approver, usdtTo(f, f.exchange.address, usdt(300_000), over), how);
    const asked = (f: CosignerFixture) => usdtTo(f, f.exchange.address, usdt(300_000));
    const tampered = (change: (sig: string) => string): BadCase["make"] => async (f) => {
      const a = await signed(f, {});
      return { r: asked(f), a: { ...a, signature: change(a.signature as string) } };
    };
    const BAD: BadCase[] = [
      { name: "signed for another vault", make: async (f) => ({ r: asked(f), a: await signed(f, {}, { vault: f.daiAddr }) }), error: "InvalidApproval" },
      { name: "signed for another chain id", make: async (f) => ({ r: asked(f), a: await signed(f, {}, { chainId: 1n }) }), error: "InvalidApproval" },
      { name: "signed for another operator", make: async (f) => ({ r: asked(f), a: await signed(f, { operator: f.bot2.address }) }), error: "InvalidApproval" },
      { name: "signed for another destination", make: async (f) => ({ r: asked(f), a: await signed(f, { to: f.otc.address }) }), error: "InvalidApproval" },
      { name: "signed for another amount", make: async (f) => ({ r: asked(f), a: await signed(f, { amount: usdt(300_001) }) }), error: "InvalidApproval" },
      { name: "signed for another token", make: async (f) => ({ r: asked(f), a: await signed(f, { token: f.daiAddr }) }), error: "InvalidApproval" },
      { name: "signed for a queued withdrawal's early release", make: async (f) => ({ r: asked(f), a: await signed(f, { withdrawalId: 1n }) }), error: "InvalidApproval" },
      { name: "presented with another nonce", make: async (f) => ({ r: asked(f), a: { ...(await signed(f, {})), nonce: 2n } }), error: "InvalidApproval" },
      { name: "presented with a later deadline", make: async (f) => ({ r: asked(f), a: { ...(await signed(f, { deadline: LATER })), deadline: LATER + 1n } }), error: "InvalidApproval" },
      { name: "signed by a key that is not the approver it names", make: async (f) => ({ r: asked(f), a: await approve(f, f.stranger, asked(f), { approver: f.approver.address }) }), error: "InvalidApproval" },
      { name: "signed by the operator itself as a non-approver", make: async (f) => ({ r: asked(f), a: await approve(f, f.bot1, asked(f)) }), error: "NotApprover" },
      { name: "signed by a guardian, not an approver", make: async (f) => ({ r: asked(f), a: await approve(f, f.guardian, asked(f)) }), error: "NotApprover" },
      { name: "an empty signature", make: tampered(() => "0x"), error: "InvalidApproval" },
      { name: "a 64-byte signature (EIP-2098 short form)", make: tampered((s) => Signature.from(s).compactSerialized), error: "InvalidApproval" },
      { name: "a 66-byte signature", make: tampered((s) => concat([s, "0x00"])), error: "InvalidApproval" },
      { name: "a signature with v = 29", make: tampered((s) => concat([ethers.dataSlice(s, 0, 64), "0x1d"])), error: "InvalidApproval" },
      {
        name: "the high-s twin of a valid signature (malleability)",
        make: tampered((s) => {
          const sig = Signature.from(s);
          const highS = ethers.toBeHex(HIGH_S_ORDER - BigInt(sig.s), 32);
          return concat([sig.r, highS, sig.v === 27 ? "0x1c" : "0x1b"]);
        }),
        error: "InvalidApproval",
      },
    ];

    for (const b of BAD) {
      it(`${b.name}: trips ${b.error} (InvalidApproval), or reverts it for an opted-out operator`, async () => {
        const f = await loadFixture(cosignerFixture);
        const { r, a } = await b.make(f);
        await expectTrip(f, () => f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a), r, TripReason.InvalidApproval);

        const g = await loadFixture(cosignerFixture);
        await optOut(g, g.bot1.address);
        const made = await b.make(g);
        const digest = digestOf(g, { ...made.r, nonce: BigInt(made.a.nonce), deadline: BigInt(made.a.deadline) });
        const args = b.error === "NotApprover" ? [made.a.approver] : [made.a.approver, digest];
        await expect(g.vault.connect(g.bot1).withdrawCosigned(made.r.token, made.r.to, made.r.amount, made.a))
          .to.be.revertedWithCustomError(g.vault, b.error)
          .withArgs(...args);
        expect(await g.lens.isSuspended(g.vault, g.bot1.address)).to.equal(false);
      });
    }

    it("the high-s twin really recovers the approver: only the low-s rule refuses it", async () => {
      const f = await loadFixture(cosignerFixture);
      const r = asked(f);
      const a = await signed(f, {});
      const sig = Signature.from(a.signature as string);
      const digest = digestOf(f, r);
      const highS = HIGH_S_ORDER - BigInt(sig.s);
      // The ecrecover precompile itself accepts the twin: it is OZ's ECDSA that refuses s above n/2.
      const input = ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint8", "bytes32", "uint256"], [digest, sig.v === 27 ? 28 : 27, sig.r, highS]);
      const out = await ethers.provider.call({ to: "0x0000000000000000000000000000000000000001", data: input });
      expect(ethers.getAddress(ethers.dataSlice(out, 12))).to.equal(f.approver.address);
    });

    it("the domain binds the chain id: the same approval signed for chain 1 is another digest", async () => {
      const f = await loadFixture(cosignerFixture);
      const r = asked(f);
      expect(digestOf(f, r, { chainId: 1n })).to.not.equal(digestOf(f, r));
      expect(await f.lens.approvalDigest(f.vault, r.operator, r.token, r.to, r.amount, 0n, 1n, LATER)).to.equal(digestOf(f, r));
    });

    it("a valid approval cannot be replayed on a second vault with the same approver, token, operator and destination", async () => {
      const f = await loadFixture(cosignerFixture);
      // A second vault that lists the same USDT for the same bot, with the same approver and co-signed cap.
      const second = await deployVaultFixture();
      const s = second.vault.connect(second.admin);
      const ids = [
        await proposeOnly(second.vault, second.admin, ChangeKind.ListToken, encodeChange.listToken(f.usdtAddr, POLICY.usdt.unitDecimals, POLICY.usdt.vaultCap)),
        await proposeOnly(second.vault, second.admin, ChangeKind.AddApprover, encodeChange.address(f.approver.address)),
      ];
      await time.increase(DAY);
      for (const id of ids) await s.executeChange(id);
      const limits = { operator: f.bot1.address, token: f.usdtAddr, cap: POLICY.usdt.cap, instantLimit: POLICY.usdt.instant, queueCap: 0n };
      await proposeAndExecute(second.vault, second.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits(limits));
      await proposeAndExecute(second.vault, second.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, f.usdtAddr, COSIGNED_CAP));
      await f.usdtToken.mint(second.vaultAddr, usdt(1_000_000));
      const r = usdtTo(f, f.exchange.address, usdt(300_000));
      const forSecond = await approve(f, f.approver, r, { vault: second.vaultAddr });
      // Valid where it was signed for...
      await expect(second.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, forSecond)).to.emit(second.vault, "Withdrawn");
      // ...refused on the first vault, with exactly the same withdrawal, nonce and deadline.
      await expectTrip(f, () => f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, forSecond), r, TripReason.InvalidApproval);
    });

    it("used once, an approval reverts ApprovalAlreadyUsed and trips nothing", async () => {
      const f = await loadFixture(cosignerFixture);
      const r = usdtTo(f, f.exchange.address, usdt(100_000));
      const a = await approve(f, f.approver, r);
      await f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a);
      await expect(f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a))
        .to.be.revertedWithCustomError(f.vault, "ApprovalAlreadyUsed")
        .withArgs(digestOf(f, r));
      expect(await f.lens.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      // Another nonce makes a second approval of the same withdrawal.
      await expect(f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, await approve(f, f.approver, { ...r, nonce: 2n }))).to.emit(f.vault, "Withdrawn");
    });

    it("valid up to and including its deadline; one second later it reverts ApprovalExpired and trips nothing", async () => {
      const f = await loadFixture(cosignerFixture);
      const deadline = BigInt(await time.latest()) + 100n;
      const r = usdtTo(f, f.exchange.address, usdt(1_000), { deadline });
      const a = await approve(f, f.approver, r);
      const late = await approve(f, f.approver, { ...r, nonce: 2n });
      await time.setNextBlockTimestamp(deadline);
      await expect(f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a)).to.emit(f.vault, "Withdrawn");
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, late))
        .to.be.revertedWithCustomError(f.vault, "ApprovalExpired")
        .withArgs(deadline);
      expect(await f.lens.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    });

    it("an approver removed mid-flight: its approval signed before the removal is refused after it (NotApprover)", async () => {
      const f = await loadFixture(cosignerFixture);
      const r = asked(f);
      const a = await signed(f, {});
      const role = await f.vault.APPROVER_ROLE();
      await expect(f.vault.connect(f.guardian).removeApprover(f.approver.address))
        .to.emit(f.vault, "RoleRevoked")
        .withArgs(role, f.approver.address, f.guardian.address);
      expect(await f.vault.hasRole(role, f.approver.address)).to.equal(false);
      await expectTrip(f, () => f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a), r, TripReason.InvalidApproval);
    });

    it("removeApprover is for guardians and the admin only; an approver may renounce its own role", async () => {
      const f = await loadFixture(cosignerFixture);
      const role = await f.vault.APPROVER_ROLE();
      for (const who of [f.stranger, f.bot1, f.approver]) {
        await expect(f.vault.connect(who).removeApprover(f.approver.address))
          .to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian")
          .withArgs(who.address);
      }
      await expect(f.vault.connect(f.admin).removeApprover(f.mockAddr)).to.emit(f.vault, "RoleRevoked");
      await expect(f.vault.connect(f.approver).renounceRole(role, f.approver.address))
        .to.emit(f.vault, "RoleRevoked")
        .withArgs(role, f.approver.address, f.approver.address);
      expect(await f.vault.hasRole(role, f.approver.address)).to.equal(false);
      // Roles still change only through proposals.
      await expect(f.vault.connect(f.admin).grantRole(role, f.stranger.address)).to.be.revertedWithCustomError(f.vault, "RoleChangeRequiresProposal");
    });
  });

  describe("EIP-1271 approvers", () => {
    it("a real 2-of-3 Safe approves with two owners' signatures; one owner alone is refused and trips", async () => {
      const f = await loadFixture(cosignerFixture);
      const owners = (await ethers.getSigners()).slice(10, 13);
      const safe = await deployApproverSafe(f.admin, owners.map((o) => o.address), 2);
      const safeAddr = await safe.getAddress();
      await proposeAndExecute(f.vault, f.admin, ChangeKind.AddApprover, encodeChange.address(safeAddr));
      const r = usdtTo(f, f.otc.address, usdt(350_000));
      const digest = digestOf(f, r);
      const a = { approver: safeAddr, nonce: 1n, deadline: LATER, signature: await safeSignature(safeAddr, f.chainId, digest, owners.slice(0, 2)) };
      await expect(f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a))
        .to.emit(f.vault, "ApprovalUsed")
        .withArgs(digest, safeAddr, f.bot1.address, 0n);
      expect(await f.usdtToken.balanceOf(f.otc.address)).to.equal(usdt(350_000));

      // One owner's signature: the Safe's check reverts (GS020), which refuses the approval.
      const r2 = { ...r, amount: usdt(10), nonce: 2n };
      const lone = { approver: safeAddr, nonce: 2n, deadline: LATER, signature: await safeSignature(safeAddr, f.chainId, digestOf(f, r2), owners.slice(0, 1)) };
      await expectTrip(f, () => f.vault.connect(f.bot1).withdrawCosigned(r2.token, r2.to, r2.amount, lone), r2, TripReason.InvalidApproval);
    });

    const MODES = [
      { name: "accepts", mode: 0, moves: true },
      { name: "answers a wrong magic value", mode: 1, moves: false },
      { name: "reverts", mode: 2, moves: false },
      { name: "returns nothing", mode: 3, moves: false },
    ];
    for (const m of MODES) {
      it(`an EIP-1271 approver that ${m.name}: ${m.moves ? "the withdrawal moves" : "InvalidApproval trips"}`, async () => {
        const f = await loadFixture(cosignerFixture);
        const r = usdtTo(f, f.exchange.address, usdt(1_000));
        const digest = digestOf(f, r);
        await f.mock.set(m.mode, digest);
        const a = { approver: f.mockAddr, nonce: 1n, deadline: LATER, signature: "0x1234" };
        if (m.moves) {
          await expect(f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a)).to.emit(f.vault, "Withdrawn");
        } else {
          await expectTrip(f, () => f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a), r, TripReason.InvalidApproval);
        }
      });
    }
  });

  describe("approvers are not operators", () => {
    it("a stolen approver key alone moves nothing on any path", async () => {
      const f = await loadFixture(cosignerFixture);
      const before = await usdtBalances(f);
      const self: Request = { operator: f.approver.address, token: f.usdtAddr, to: f.exchange.address, amount: usdt(1) };
      const v = f.vault.connect(f.approver);
      for (const call of [
        () => v.withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1)),
        () => v.queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(1)),
        async () => v.withdrawCosigned(f.usdtAddr, f.exchange.address, usdt(1), await approve(f, f.approver, self)),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(f.vault, "NotOperator").withArgs(f.approver.address, f.usdtAddr);
      }
      expect(await usdtBalances(f)).to.deep.equal(before);
    });

    it("an approver cannot be given operator limits, at proposal and at execution", async () => {
      const f = await loadFixture(cosignerFixture);
      const limits = { operator: f.stranger.address, token: f.usdtAddr, cap: usdt(10), instantLimit: usdt(10), queueCap: 0n };
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits(limits));
      await proposeAndExecute(f.vault, f.admin, ChangeKind.AddApprover, encodeChange.address(f.stranger.address));
      await expect(f.vault.connect(f.admin).executeChange(id))
        .to.be.revertedWithCustomError(f.vault, "ApproverIsOperator")
        .withArgs(f.stranger.address);
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({ ...limits, operator: f.approver.address })))
        .to.be.revertedWithCustomError(f.vault, "ApproverIsOperator")
        .withArgs(f.approver.address);
    });
  });

  describe("the co-signed cap", () => {
    it("is strict across bucket edges: spent at once, it comes back only when its bucket leaves the ring", async () => {
      const f = await loadFixture(cosignerFixture);
      await optOut(f, f.bot1.address);
      const start = await vaultStart(f.vault);
      const now = BigInt(await time.latest());
      const edge = start + ((now - start) / BUCKET + 1n) * BUCKET;
      let nonce = 100n;
      const send = async (amount: bigint, at: bigint) => {
        const r = usdtTo(f, f.exchange.address, amount, { nonce: nonce++ });
        const a = await approve(f, f.approver, r);
        await time.setNextBlockTimestamp(at);
        return f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, amount, a);
      };
      // The whole cap in the bucket's last second...
      await send(COSIGNED_CAP, edge - 1n);
      // ...is still counted after the edge, and a window later, until four buckets have started.
      for (const at of [edge, edge + BUCKET, edge + 3n * BUCKET - 1n]) {
        await expect(send(1n, at)).to.be.revertedWithCustomError(f.vault, "CosignedCapExceeded").withArgs(f.bot1.address, f.usdtAddr, 1n, 0n);
      }
      await expect(send(COSIGNED_CAP, edge + 3n * BUCKET)).to.emit(f.vault, "Withdrawn");
      await expect(send(1n, edge + 3n * BUCKET + 1n))
        .to.be.revertedWithCustomError(f.vault, "CosignedCapExceeded")
        .withArgs(f.bot1.address, f.usdtAddr, 1n, 0n);
    });

    it("above what the cap leaves it trips CosignedCapExceeded; a token without a co-signed cap takes nothing", async () => {
      const f = await loadFixture(cosignerFixture);
      const r = usdtTo(f, f.exchange.address, COSIGNED_CAP + 1n);
      await expectTrip(f, async () => f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, await approve(f, f.approver, r)), r, TripReason.CosignedCapExceeded);
      const g = await loadFixture(cosignerFixture);
      await optOut(g, g.bot1.address);
      const d: Request = { operator: g.bot1.address, token: g.daiAddr, to: g.exchange.address, amount: 1n };
      await expect(g.vault.connect(g.bot1).withdrawCosigned(d.token, d.to, 1n, await approve(g, g.approver, d)))
        .to.be.revertedWithCustomError(g.vault, "CosignedCapExceeded")
        .withArgs(g.bot1.address, g.daiAddr, 1n, 0n);
    });

    it("shares the vault-wide cap with instant withdrawals: reaching it reverts and trips nothing", async () => {
      const f = await loadFixture(cosignerFixture);
      // bot2 uses its whole instant cap (1M), bot1 one instant limit (250k): 250k of the 1.5M vault cap is left.
      for (let i = 0; i < 4; i++) await f.vault.connect(f.bot2).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      const left = POLICY.usdt.vaultCap - 5n * POLICY.usdt.instant;
      const over = usdtTo(f, f.exchange.address, left + usdt(1));
      await expect(f.vault.connect(f.bot1).withdrawCosigned(over.token, over.to, over.amount, await approve(f, f.approver, over)))
        .to.be.revertedWithCustomError(f.vault, "VaultCapExceeded")
        .withArgs(f.usdtAddr, over.amount, left);
      expect(await f.lens.isSuspended(f.vault, f.bot1.address)).to.equal(false);
      const fits = usdtTo(f, f.exchange.address, left);
      await expect(f.vault.connect(f.bot1).withdrawCosigned(fits.token, fits.to, left, await approve(f, f.approver, fits))).to.emit(f.vault, "Withdrawn");
      expect((await f.lens.tokenState(f.vault, f.usdtAddr)).available).to.equal(0n);
    });

    it("lowerCosignedCap: guardian or admin, never a raise, only for an operator and a whole number of units", async () => {
      const f = await loadFixture(cosignerFixture);
      const unit = 10n ** BigInt(POLICY.usdt.unitDecimals);
      await expect(f.vault.connect(f.stranger).lowerCosignedCap(f.bot1.address, f.usdtAddr, 0n)).to.be.revertedWithCustomError(f.vault, "NotAdminOrGuardian");
      await expect(f.vault.connect(f.guardian).lowerCosignedCap(f.bot1.address, f.usdtAddr, COSIGNED_CAP + unit))
        .to.be.revertedWithCustomError(f.vault, "NotALowering")
        .withArgs(COSIGNED_CAP, COSIGNED_CAP + unit);
      await expect(f.vault.connect(f.guardian).lowerCosignedCap(f.stranger.address, f.usdtAddr, 0n))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(f.stranger.address, f.usdtAddr);
      await expect(f.vault.connect(f.guardian).lowerCosignedCap(f.bot1.address, f.usdtAddr, unit + 1n))
        .to.be.revertedWithCustomError(f.vault, "LimitNotRepresentable")
        .withArgs(unit + 1n, unit);
      await expect(f.vault.connect(f.admin).lowerCosignedCap(f.bot1.address, f.usdtAddr, usdt(1_000)))
        .to.emit(f.vault, "CosignedCapSet")
        .withArgs(f.bot1.address, f.usdtAddr, usdt(1_000));
      await optOut(f, f.bot1.address);
      const r = usdtTo(f, f.exchange.address, usdt(1_001));
      await expect(f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, await approve(f, f.approver, r)))
        .to.be.revertedWithCustomError(f.vault, "CosignedCapExceeded")
        .withArgs(f.bot1.address, f.usdtAddr, r.amount, usdt(1_000));
    });
    it("needs the operator's limits for the token: a newly listed token is refused (NotOperator) until SetOperatorLimits", async () => {
      const f = await loadFixture(cosignerFixture);
      const token = await ethers.deployContract("MockERC20", ["New", "NEW", 18]);
      const addr = await token.getAddress();
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ListToken, encodeChange.listToken(addr, 15, 10n ** 24n));
      // bot1 is a registered operator, but has no limits for the new token.
      await expect(f.vault.connect(f.admin).proposeChange(ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, addr, 10n ** 21n)))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(f.bot1.address, addr);
      await expect(f.vault.connect(f.guardian).lowerCosignedCap(f.bot1.address, addr, 0n))
        .to.be.revertedWithCustomError(f.vault, "NotOperator")
        .withArgs(f.bot1.address, addr);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.SetOperatorLimits, encodeChange.setOperatorLimits({ operator: f.bot1.address, token: addr, cap: 10n ** 21n, instantLimit: 10n ** 20n, queueCap: 0n }));
      await expect(proposeAndExecute(f.vault, f.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, addr, 10n ** 21n))).to.not.be.reverted;
      expect((await f.lens.operatorState(f.vault, f.bot1.address, addr)).cosignedCap).to.equal(10n ** 21n);
    });
  });

  describe("refusals before the approval is looked at", () => {
    it("zero amount, an operator with code, an unlisted token, a paused vault, a suspended operator, a non-operator", async () => {
      const f = await loadFixture(cosignerFixture);
      const r = usdtTo(f, f.exchange.address, usdt(1));
      const a = await approve(f, f.approver, r);
      const v = f.vault.connect(f.bot1);
      await expect(v.withdrawCosigned(f.usdtAddr, f.exchange.address, 0n, a)).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
      await expect(v.withdrawCosigned(f.stranger.address, f.exchange.address, 1n, a)).to.be.revertedWithCustomError(f.vault, "UnknownToken").withArgs(f.stranger.address);
      await expect(f.vault.connect(f.stranger).withdrawCosigned(f.usdtAddr, f.exchange.address, usdt(1), a)).to.be.revertedWithCustomError(f.vault, "NotOperator");
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      await expect(v.withdrawCosigned(f.usdtAddr, f.exchange.address, usdt(1), a)).to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended").withArgs(f.bot1.address);
      await f.vault.connect(f.guardian).pause();
      await expect(v.withdrawCosigned(f.usdtAddr, f.exchange.address, usdt(1), a)).to.be.revertedWithCustomError(f.vault, "VaultIsPaused");

      const g = await loadFixture(cosignerFixture);
      const { deployedBytecode } = await artifacts.readArtifact("TripwireUndoer");
      await ethers.provider.send("hardhat_setCode", [g.bot1.address, deployedBytecode]);
      await expect(g.vault.connect(g.bot1).withdrawCosigned(g.usdtAddr, g.exchange.address, usdt(1), a)).to.be.revertedWithCustomError(g.vault, "OperatorHasCode");
      await expect(g.vault.connect(g.bot1).executeWithdrawalEarly(1n, a)).to.be.revertedWithCustomError(g.vault, "OperatorHasCode");
      await ethers.provider.send("hardhat_setCode", [g.bot1.address, "0x"]);
    });
  });

  describe("revokeDestination revokes both kinds at once", () => {
    it("a co-signed destination revoked: the next co-signed withdrawal to it trips; revoking again changes nothing", async () => {
      const f = await loadFixture(cosignerFixture);
      await expect(f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.otc.address))
        .to.emit(f.vault, "DestinationRevoked")
        .withArgs(f.bot1.address, f.otc.address);
      expect(await f.lens.isCosignedDestination(f.vault, f.bot1.address, f.otc.address)).to.equal(false);
      await expect(f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.otc.address)).not.to.emit(f.vault, "DestinationRevoked");
      const r = usdtTo(f, f.otc.address, usdt(10));
      const a = await approve(f, f.approver, r);
      await expectTrip(f, () => f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, a), r, TripReason.DestinationNotApproved);
    });

    it("a destination approved both ways loses both; approving a co-signed destination twice emits once", async () => {
      const f = await loadFixture(cosignerFixture);
      await proposeAndExecute(f.vault, f.admin, ChangeKind.ApproveCosignedDestination, encodeChange.approveDestination(f.bot1.address, f.exchange.address));
      const id = await proposeOnly(f.vault, f.admin, ChangeKind.ApproveCosignedDestination, encodeChange.approveDestination(f.bot1.address, f.exchange.address));
      await time.increase(DAY);
      await expect(f.vault.connect(f.admin).executeChange(id)).not.to.emit(f.vault, "CosignedDestinationApproved");
      await f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange.address);
      expect(await f.vault.isApproved(f.bot1.address, f.exchange.address)).to.equal(false);
      expect(await f.lens.isCosignedDestination(f.vault, f.bot1.address, f.exchange.address)).to.equal(false);
    });
  });

  describe("early release of a queued withdrawal", () => {
    async function queued(f: CosignerFixture, amount = usdt(300_000)) {
      await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, amount);
      const id = await f.vault.withdrawalCount();
      const w = await f.lens.getWithdrawal(f.vault, id);
      const r = usdtTo(f, f.exchange.address, amount, { withdrawalId: id });
      return { id, eta: w.eta, r, a: await approve(f, f.approver, r) };
    }

    it("executes at once with an approval of its id, counted on the co-signed and vault-wide caps", async () => {
      const f = await loadFixture(cosignerFixture);
      const { id, r, a } = await queued(f);
      const tx = f.vault.connect(f.bot1).executeWithdrawalEarly(id, a);
      await expect(tx).to.emit(f.vault, "ApprovalUsed").withArgs(digestOf(f, r), f.approver.address, f.bot1.address, id);
      await expect(tx).to.emit(f.vault, "WithdrawalExecuted").withArgs(id, f.bot1.address, f.usdtAddr, f.exchange.address, r.amount);
      expect((await f.lens.getWithdrawal(f.vault, id)).status).to.equal(2n);
      const s = await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr);
      expect([s.pendingQueued, s.cosignedUsed]).to.deep.equal([0n, r.amount]);
      expect((await f.lens.tokenState(f.vault, f.usdtAddr)).used).to.equal(r.amount);
      await expect(f.vault.connect(f.bot1).executeWithdrawalEarly(id, a)).to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending");
    });

    it("one second before its eta it is charged; at its exact eta nothing is charged and the approval is still used", async () => {
      const f = await loadFixture(cosignerFixture);
      const one = await queued(f, usdt(100_000));
      const two = await queued(f, usdt(200_000));
      await time.setNextBlockTimestamp(one.eta - 1n);
      await f.vault.connect(f.bot1).executeWithdrawalEarly(one.id, one.a);
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).cosignedUsed).to.equal(usdt(100_000));
      await time.setNextBlockTimestamp(two.eta);
      await expect(f.vault.connect(f.bot1).executeWithdrawalEarly(two.id, two.a)).to.emit(f.vault, "ApprovalUsed");
      expect((await f.lens.operatorState(f.vault, f.bot1.address, f.usdtAddr)).cosignedUsed).to.equal(usdt(100_000));
      expect(await f.lens.isApprovalUsed(f.vault, digestOf(f, two.r))).to.equal(true);
    });

    it("still subject to pause, suspension, the whitelist and the grace period", async () => {
      const f = await loadFixture(cosignerFixture);
      const { id, eta, a } = await queued(f);
      const ex = () => f.vault.connect(f.bot1).executeWithdrawalEarly(id, a);
      await f.vault.connect(f.guardian).revokeDestination(f.bot1.address, f.exchange.address);
      await expect(ex()).to.be.revertedWithCustomError(f.vault, "DestinationNotApproved").withArgs(f.bot1.address, f.exchange.address);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      await expect(ex()).to.be.revertedWithCustomError(f.vault, "OperatorIsSuspended").withArgs(f.bot1.address);
      await f.vault.connect(f.guardian).pause();
      await expect(ex()).to.be.revertedWithCustomError(f.vault, "VaultIsPaused");
      const grace = GRACE_PERIOD;
      await time.setNextBlockTimestamp(eta + grace + 1n);
      await expect(ex()).to.be.revertedWithCustomError(f.vault, "WithdrawalExpired").withArgs(id, eta + grace);
    });

    it("refuses unknown, foreign and cancelled withdrawals", async () => {
      const f = await loadFixture(cosignerFixture);
      const { id, a } = await queued(f);
      await expect(f.vault.connect(f.bot1).executeWithdrawalEarly(99n, a)).to.be.revertedWithCustomError(f.vault, "UnknownWithdrawal").withArgs(99n);
      await expect(f.vault.connect(f.bot2).executeWithdrawalEarly(id, a)).to.be.revertedWithCustomError(f.vault, "NotWithdrawalOperator").withArgs(id, f.bot2.address);
      await f.vault.connect(f.guardian).cancelWithdrawal(id);
      await expect(f.vault.connect(f.bot1).executeWithdrawalEarly(id, a)).to.be.revertedWithCustomError(f.vault, "WithdrawalNotPending").withArgs(id, 3n);
    });

    it("an approval of another withdrawal trips InvalidApproval and the queued one stays pending", async () => {
      const f = await loadFixture(cosignerFixture);
      const { id, r } = await queued(f);
      const forInstant = await approve(f, f.approver, { ...r, withdrawalId: 0n });
      await expectTrip(f, () => f.vault.connect(f.bot1).executeWithdrawalEarly(id, forInstant), r, TripReason.InvalidApproval);
      expect((await f.lens.getWithdrawal(f.vault, id)).status).to.equal(1n);
      const g = await loadFixture(cosignerFixture);
      const q = await queued(g);
      const otherId = await approve(g, g.approver, { ...q.r, withdrawalId: q.id + 1n });
      await expectTrip(g, () => g.vault.connect(g.bot1).executeWithdrawalEarly(q.id, otherId), q.r, TripReason.InvalidApproval);
    });

    it("above the co-signed cap it trips; above the vault-wide cap it reverts", async () => {
      const f = await loadFixture(cosignerFixture);
      const big = await queued(f, COSIGNED_CAP + usdt(1));
      await expectTrip(f, () => f.vault.connect(f.bot1).executeWithdrawalEarly(big.id, big.a), big.r, TripReason.CosignedCapExceeded);
      expect((await f.lens.getWithdrawal(f.vault, big.id)).status).to.equal(1n);

      const g = await loadFixture(cosignerFixture);
      const q = await queued(g, COSIGNED_CAP);
      await g.vault.connect(g.guardian).lowerVaultCap(g.usdtAddr, COSIGNED_CAP - usdt(1));
      await expect(g.vault.connect(g.bot1).executeWithdrawalEarly(q.id, q.a))
        .to.be.revertedWithCustomError(g.vault, "VaultCapExceeded")
        .withArgs(g.usdtAddr, COSIGNED_CAP, COSIGNED_CAP - usdt(1));
    });
  });

  describe("the bound stays computable", () => {
    it("operatorExposure: the key alone is unchanged, the key plus an approver adds min(cosignedCap, vaultCap - min(cap, vaultCap)) per window", async () => {
      const f = await loadFixture(cosignerFixture);
      const windows = 2n; // horizon one day: floor(h / W) + 1
      const e = await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, DAY);
      const instant = POLICY.usdt.cap * windows;
      const queuedBound = POLICY.usdt.queueCap;
      expect([e.instant, e.queued, e.total]).to.deep.equal([instant, queuedBound, instant + queuedBound]);
      expect([e.cosigned, e.totalWithApprover]).to.deep.equal([COSIGNED_CAP * windows, instant + queuedBound + COSIGNED_CAP * windows]);
      // bot2 has no co-signed cap: no co-signed term.
      const e2 = await f.lens.operatorExposure(f.vault, f.bot2.address, f.usdtAddr, DAY);
      expect([e2.cosigned, e2.totalWithApprover]).to.deep.equal([0n, e2.total]);
      // A co-signed cap above what the vault cap leaves counts only that rest.
      await proposeAndExecute(f.vault, f.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, f.usdtAddr, POLICY.usdt.vaultCap));
      const e3 = await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, DAY);
      expect(e3.cosigned).to.equal((POLICY.usdt.vaultCap - POLICY.usdt.cap) * windows);
      // vaultExposure: all keys and approvers together stay inside the vault cap per window.
      const v = await f.lens.vaultExposure(f.vault, f.usdtAddr, DAY);
      expect(v.instant).to.equal(POLICY.usdt.vaultCap * windows);
      expect(v.cosigned).to.equal(0n);
      expect(v.totalWithApprover).to.equal(v.total);
      await f.vault.connect(f.guardian).suspendOperator(f.bot1.address);
      const s = await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, DAY);
      expect([s.instant, s.cosigned, s.totalWithApprover]).to.deep.equal([0n, 0n, 0n]);
    });

    it("a stolen operator key plus a stolen approver moves exactly the bound read in the block of its first action", async () => {
      const f = await loadFixture(cosignerFixture);
      await optOut(f, f.bot1.address);
      const horizon = 60n;
      const t0 = BigInt(await time.latest()) + 1n;
      // Read in the block of the first action (the closed interval's left end).
      await time.setNextBlockTimestamp(t0);
      await ethers.provider.send("evm_mine", []);
      const bound = await f.lens.operatorExposure(f.vault, f.bot1.address, f.usdtAddr, horizon);
      const before = await f.usdtToken.balanceOf(f.vaultAddr);
      let nonce = 1000n;
      for (let i = 0; i < 4; i++) await f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, POLICY.usdt.instant);
      const r = usdtTo(f, f.otc.address, COSIGNED_CAP, { nonce: nonce++ });
      await f.vault.connect(f.bot1).withdrawCosigned(r.token, r.to, r.amount, await approve(f, f.approver, r));
      // Everything more within the horizon is refused.
      const more = usdtTo(f, f.otc.address, usdt(1), { nonce: nonce++ });
      await expect(f.vault.connect(f.bot1).withdrawCosigned(more.token, more.to, more.amount, await approve(f, f.approver, more))).to.be.reverted;
      await expect(f.vault.connect(f.bot1).withdrawInstant(f.usdtAddr, f.exchange.address, usdt(1))).to.be.reverted;
      expect(BigInt(await time.latest())).to.be.at.most(t0 + horizon);
      const moved = before - (await f.usdtToken.balanceOf(f.vaultAddr));
      expect(moved).to.equal(POLICY.usdt.cap + COSIGNED_CAP);
      expect(moved).to.be.at.most(bound.instant + bound.cosigned);
      expect(bound.instant + bound.cosigned).to.equal(moved);
      expect(moved).to.be.above(bound.instant);
    });
  });
});
