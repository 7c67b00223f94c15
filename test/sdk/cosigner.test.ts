/**
 * The co-signer in the SDK against the real vault: the approval service (a Wallet key, a real Safe
 * v1.5.0 as approver), the operator client choosing the co-signed path and refusing bad approvals
 * without sending, early release, the policy mirror of the co-signed checks, and the request counts of
 * the co-signed path.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, type Signer } from "ethers";
import {
  BUCKET,
  ChangeKind,
  NATIVE,
  POLICY,
  deployVaultFixture,
  encodeChange,
  eth,
  proposeOnly,
  usdt,
  vaultLens,
  type VaultFixture,
} from "../helpers/fixture";
import {
  ApprovalCheckFailedError,
  ApprovalDeclinedError,
  ApprovalRefusedError,
  ApproverClient,
  DuplicateRequestError,
  GuardianClient,
  OperatorClient,
  readOperatorRecord,
  readQueuedWithdrawal,
  vaultInterface,
  type ApproverLogEntry,
} from "../../sdk/clients";
import {
  ApprovalAlreadyUsedError,
  ApprovalExpiredError,
  CosignedCapExceededError,
  InvalidApprovalError,
  NotApproverError,
  VAULT_ERROR_CLASSES,
  VaultRevertError,
  decodeVaultError,
} from "../../sdk/errors";
import { approvalDigest, approvalFromJson, approvalStruct, approvalToJson, recoverApprover, type SignedApproval } from "../../sdk/rules";
import { deploySafe } from "../../sdk/safe";
import { Responder, VaultWatcher, parseResponderRules } from "../../sdk/monitor";
import { formatVaultEvent } from "../../sdk/format";
import { deployBlock, operatorClient } from "./helpers";
import { views } from "../helpers/views";
import { botWallet } from "../../bench/sdk-requests";
import { startRpcServer } from "../helpers/rpc-server";

const COSIGNED_CAP = usdt(400_000);
/** Above bot1's instant limit (250k), within its co-signed cap. */
const LARGE = usdt(300_000);

interface Fixture extends VaultFixture {
  approverKey: Wallet;
  otc: string;
  chainId: bigint;
  safeOwners: Signer[];
  safe: string;
}

/** The fixture's vault with a Wallet approver, a 2-of-3 Safe approver, a co-signed cap for bot1 in USDT, and an OTC desk co-signed only. */
async function fixture(): Promise<Fixture> {
  const f = await deployVaultFixture();
  const signers = await ethers.getSigners();
  const approverKey = new Wallet("0x" + "5a".repeat(32), ethers.provider);
  const otc = signers[17].address;
  const safeOwners = [signers[13], signers[14], signers[15]];
  const safe = await deploySafe({ deployer: f.admin, owners: await Promise.all(safeOwners.map((o) => o.getAddress())), threshold: 2, eip1271: true });
  const safeAddr = await safe.getAddress();
  const ids = [
    await proposeOnly(f.vault, f.admin, ChangeKind.AddApprover, encodeChange.address(approverKey.address)),
    await proposeOnly(f.vault, f.admin, ChangeKind.AddApprover, encodeChange.address(safeAddr)),
    await proposeOnly(f.vault, f.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, f.usdtAddr, COSIGNED_CAP)),
    await proposeOnly(f.vault, f.admin, ChangeKind.ApproveCosignedDestination, encodeChange.approveDestination(f.bot1.address, otc)),
  ];
  await time.increase(await f.vault.changeDelay());
  for (const id of ids) await f.vault.connect(f.admin).executeChange(id);
  return { ...f, approverKey, otc, chainId: (await ethers.provider.getNetwork()).chainId, safeOwners, safe: safeAddr };
}

const yes = async () => true;

async function approverFor(f: Fixture, more: Partial<Parameters<typeof ApproverClient.create>[0]> = {}) {
  return ApproverClient.create({ vault: f.vaultAddr, provider: ethers.provider, signer: f.approverKey, check: yes, ...more });
}

const balance = (f: Fixture, who: string) => f.usdtToken.balanceOf(who);

describe("SDK co-signer: approval service and co-signed withdrawals", () => {
  it("signs exactly the digest the vault computes, with a random nonce and deadline = latest block + TTL; JSON round-trips", async () => {
    const f = await loadFixture(fixture);
    const seen: unknown[] = [];
    const approver = await approverFor(f, { ttlSeconds: 120, check: async (r) => (seen.push(r), true) });
    const a = await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: LARGE });
    const lens = await vaultLens();
    expect(a.digest).to.equal(await lens.approvalDigest(f.vaultAddr, f.bot1.address, f.usdtAddr, f.otc, LARGE, 0n, a.nonce, a.deadline));
    expect(a.deadline).to.equal(BigInt(await time.latest()) + 120n);
    expect(recoverApprover(a.digest, a.signature)).to.equal(f.approverKey.address);
    expect(a.nonce).to.be.greaterThan(0n);
    const b = await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: LARGE });
    expect(b.nonce).to.not.equal(a.nonce);
    expect(seen).to.have.length(2);
    expect(approvalFromJson(JSON.stringify(approvalToJson(a)))).to.deep.equal(a);
    // A file whose fields were edited no longer matches its digest.
    const edited = { ...approvalToJson(a), amount: (LARGE * 2n).toString() };
    expect(() => approvalFromJson(edited)).to.throw(/approval\.digest/);
  });

  it("refuses with typed errors what the vault would not accept, and what the firm's check declines or fails; logs nothing secret", async () => {
    const f = await loadFixture(fixture);
    const logs: ApproverLogEntry[] = [];
    const approver = await approverFor(f, { log: (e) => logs.push(e) });
    const base = { operator: f.bot1.address, token: f.usdtAddr, amount: LARGE };
    const refused = async (input: Parameters<ApproverClient["approve"]>[0], reason: string) => {
      const e = await approver.approve(input).catch((x: unknown) => x);
      expect(e, reason).to.be.instanceOf(ApprovalRefusedError);
      expect((e as ApprovalRefusedError).reason).to.equal(reason);
      return e as ApprovalRefusedError;
    };
    const dest = await refused({ ...base, to: f.attacker.address }, "destination-not-approved");
    expect(dest.vaultError?.errorName).to.equal("DestinationNotApproved");
    await refused({ ...base, to: f.otc, token: f.stranger.address }, "unknown-token");
    await refused({ ...base, to: f.otc, operator: f.stranger.address }, "not-operator");
    // Not an approver (yet): a fresh key.
    const other = await ApproverClient.create({ vault: f.vaultAddr, provider: ethers.provider, signer: Wallet.createRandom(ethers.provider), check: yes });
    expect((await other.approve({ ...base, to: f.otc }).catch((x: unknown) => x)) as ApprovalRefusedError).to.have.property("reason", "not-approver");

    const no = await approverFor(f, { check: async () => false });
    await expect(no.approve({ ...base, to: f.otc, requestId: "r-1" })).to.be.rejectedWith(ApprovalDeclinedError);
    const thrower = await approverFor(f, {
      check: async () => {
        throw new Error("treasury system unreachable at https://user:hunter2@treasury.internal");
      },
    });
    const failed = await thrower.approve({ ...base, to: f.otc }).catch((x: unknown) => x);
    expect(failed).to.be.instanceOf(ApprovalCheckFailedError);
    expect((failed as Error).message).to.not.include("hunter2");

    // Nothing secret in the log: no signature, no key.
    await approver.approve({ ...base, to: f.otc });
    const text = JSON.stringify(logs);
    expect(logs.map((l) => l.event)).to.include.members(["refused", "signed"]);
    expect(text).to.not.include(f.approverKey.privateKey.slice(2));
    expect(text).to.not.match(/0x[0-9a-f]{130}/);
  });

  it("never signs twice for one request id: the same request gets the same approval, another request is refused", async () => {
    const f = await loadFixture(fixture);
    let asked = 0;
    const approver = await approverFor(f, { check: async () => (asked++, true) });
    const r = { operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: LARGE, requestId: "pay-42" };
    const [a, b] = await Promise.all([approver.approve(r), approver.approve(r)]);
    const c = await approver.approve(r);
    expect(b).to.deep.equal(a);
    expect(c).to.deep.equal(a);
    expect(asked).to.equal(1);
    await expect(approver.approve({ ...r, amount: LARGE + 1n })).to.be.rejectedWith(DuplicateRequestError);
  });

  it("the operator client takes the co-signed path above the instant limit and to a co-signed destination, in one block each", async () => {
    const f = await loadFixture(fixture);
    const approver = await approverFor(f);
    const bot = await operatorClient(f);
    // Within the instant limit the approval source is not even asked.
    let asked = 0;
    const source = async (r: Parameters<ApproverClient["approve"]>[0]) => (asked++, approver.approve(r));
    const small = await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: usdt(1_000) }, { approval: source });
    expect(small.sent && small.path).to.equal("instant");
    expect(asked).to.equal(0);

    const before = await balance(f, f.exchange.address);
    const large = await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: LARGE }, { approval: source });
    expect(large.sent && large.path).to.equal("cosigned");
    expect(asked).to.equal(1);
    if (!large.sent) throw new Error("not sent");
    expect((await large.tx.wait()).status).to.equal("withdrawn");
    expect((await balance(f, f.exchange.address)) - before).to.equal(LARGE);

    // To a co-signed-only destination even a small amount needs the approval.
    const none = await bot.withdraw({ token: f.usdtAddr, to: f.otc, amount: usdt(10) });
    expect(none.sent).to.equal(false);
    const otc = await bot.withdraw({ token: f.usdtAddr, to: f.otc, amount: usdt(10) }, { approval: source });
    expect(otc.sent && otc.path).to.equal("cosigned");
    if (otc.sent) expect((await otc.tx.wait()).status).to.equal("withdrawn");
    const state = await (await vaultLens()).operatorState(f.vaultAddr, f.bot1.address, f.usdtAddr);
    expect(state.cosignedUsed).to.equal(LARGE + usdt(10));
    await bot.stop();
  });

  it("a cache older than the co-signed limiter's last charge still counts that charge: the second client of the same key refuses instead of tripping", async () => {
    const f = await loadFixture(fixture);
    const approver = await approverFor(f);
    const source = (r: Parameters<ApproverClient["approve"]>[0]) => approver.approve(r);
    // Client A's cache stays at this block (no start(), no refresh).
    const a = await operatorClient(f);
    await time.increase(BUCKET + 60n);
    // Another process with the same key charges most of the co-signed cap in a later bucket.
    const other = await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: LARGE });
    await expect(f.vault.connect(f.bot1).withdrawCosigned(f.usdtAddr, f.otc, LARGE, approvalStruct(other))).to.emit(f.vault, "Withdrawn");
    // A sees the limiter word B wrote, later than A's cache: it must count B's charge, not an empty ring.
    const res = await a.withdraw({ token: f.usdtAddr, to: f.otc, amount: COSIGNED_CAP - LARGE + usdt(1) }, { approval: source });
    expect(res.sent).to.equal(false);
    if (res.sent) throw new Error("sent");
    if (res.decision.action !== "reject") throw new Error(`decided ${res.decision.action}`);
    expect(res.decision.error).to.be.instanceOf(CosignedCapExceededError);
    expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(false);
    await a.stop();
  });

  it("refuses locally, without sending, approvals the vault would trip or revert on", async () => {
    const f = await loadFixture(fixture);
    const approver = await approverFor(f);
    const bot = await operatorClient(f);
    const req = { token: f.usdtAddr, to: f.exchange.address, amount: LARGE };
    const a = await approver.approve({ operator: f.bot1.address, ...req });
    const startBlock = await ethers.provider.getBlockNumber();
    const refused = async (approval: SignedApproval, r = req) => {
      const res = await bot.withdraw(r, { approval });
      if (res.sent || res.decision.action !== "reject") throw new Error("sent a bad approval");
      return res.decision;
    };
    // Another amount: the signature does not verify for it (the vault would trip: InvalidApproval).
    let d = await refused(a, { ...req, amount: LARGE + 1n });
    expect(d.effect).to.equal("trip");
    expect(d.error).to.be.instanceOf(InvalidApprovalError);
    // Signed by a key that is not an approver.
    const rogue = await ApproverClient.create({ vault: f.vaultAddr, provider: ethers.provider, signer: f.attacker, check: yes }).catch(() => null);
    expect(rogue).to.not.equal(null);
    const forged = { ...a, signature: await f.attacker.signTypedData({ name: "GuardedVault", version: "1", chainId: f.chainId, verifyingContract: f.vaultAddr }, { Approval: [
      { name: "operator", type: "address" }, { name: "token", type: "address" }, { name: "to", type: "address" }, { name: "amount", type: "uint256" },
      { name: "withdrawalId", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" },
    ] }, { operator: f.bot1.address, ...req, withdrawalId: 0n, nonce: a.nonce, deadline: a.deadline }) };
    d = await refused(forged);
    expect(d.error).to.be.instanceOf(InvalidApprovalError);
    d = await refused({ ...forged, approver: f.attacker.address });
    expect(d.error).to.be.instanceOf(NotApproverError);
    // Above the co-signed cap.
    const big = await approver.approve({ operator: f.bot1.address, ...req, amount: COSIGNED_CAP + usdt(1) });
    d = await refused(big, { ...req, amount: COSIGNED_CAP + usdt(1) });
    expect(d.effect).to.equal("trip");
    expect(d.error).to.be.instanceOf(CosignedCapExceededError);
    expect(await ethers.provider.getBlockNumber()).to.equal(startBlock);
    expect((await readOperatorRecord(f.vault, f.bot1.address)).suspended).to.equal(false);

    // Used once: a second use is refused locally (ApprovalAlreadyUsed, a revert).
    const ok = await bot.withdraw(req, { approval: a });
    if (!ok.sent) throw new Error("not sent");
    await ok.tx.wait();
    await bot.refresh();
    d = await refused(a);
    expect([d.effect, d.error.errorName]).to.deep.equal(["revert", "ApprovalAlreadyUsed"]);
    expect(d.error).to.be.instanceOf(ApprovalAlreadyUsedError);
    // Expired.
    const late = await approverFor(f, { ttlSeconds: 5 });
    const e = await late.approve({ operator: f.bot1.address, ...req });
    await time.increase(60);
    await bot.refresh();
    d = await refused(e);
    expect(d.error).to.be.instanceOf(ApprovalExpiredError);
    // Forced past the preflight, the chain agrees: the wrong amount trips and suspends the key.
    const forcedRes = await bot.withdrawCosigned({ ...req, amount: LARGE + 1n }, a, { force: true });
    if (!forcedRes.sent) throw new Error("not sent");
    expect((await forcedRes.tx.wait()).status).to.equal("tripped");
    expect((await readOperatorRecord(f.vault, f.bot1.address)).suspended).to.equal(true);
    await bot.stop();
  });

  it("a removed approver's approvals stop verifying at once (guardian's removeApprover)", async () => {
    const f = await loadFixture(fixture);
    const approver = await approverFor(f);
    const a = await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: usdt(5) });
    await (await new GuardianClient({ vault: f.vaultAddr, signer: f.guardian }).removeApprover(f.approverKey.address)).wait();
    const bot = await operatorClient(f);
    const res = await bot.withdraw({ token: f.usdtAddr, to: f.otc, amount: usdt(5) }, { approval: a });
    expect(res.sent).to.equal(false);
    if (!res.sent && res.decision.action === "reject") expect(res.decision.error).to.be.instanceOf(NotApproverError);
    await expect(approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: usdt(5) })).to.be.rejectedWith(ApprovalRefusedError);
    // lowerCosignedCap is instant too.
    await (await new GuardianClient({ vault: f.vaultAddr, signer: f.guardian }).lowerCosignedCap({ operator: f.bot1.address, token: f.usdtAddr, cosignedCap: 0n })).wait();
    expect((await (await vaultLens()).operatorState(f.vaultAddr, f.bot1.address, f.usdtAddr)).cosignedCap).to.equal(0n);
    await bot.stop();
  });

  it("a real 2-of-3 Safe approves: owners sign the SafeMessage of the digest; the Safe's signature moves funds; one owner is not enough", async () => {
    const f = await loadFixture(fixture);
    const safeApprover = await ApproverClient.create({ vault: f.vaultAddr, provider: ethers.provider, safe: { address: f.safe, owners: f.safeOwners.slice(1) }, check: yes });
    expect(safeApprover.approver).to.equal(f.safe);
    const a = await safeApprover.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: LARGE });
    expect(a.approver).to.equal(f.safe);
    expect(recoverApprover(a.digest, a.signature)).to.equal(null);
    const bot = await operatorClient(f);
    const before = await balance(f, f.otc);
    const res = await bot.withdraw({ token: f.usdtAddr, to: f.otc, amount: LARGE }, { approval: a });
    expect(res.sent && res.path).to.equal("cosigned");
    if (res.sent) expect((await res.tx.wait()).status).to.equal("withdrawn");
    expect((await balance(f, f.otc)) - before).to.equal(LARGE);

    const lone = await ApproverClient.create({ vault: f.vaultAddr, provider: ethers.provider, safe: { address: f.safe, owners: f.safeOwners.slice(0, 1) }, check: yes });
    const e = await lone.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: usdt(1) }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(ApprovalRefusedError);
    expect((e as ApprovalRefusedError).reason).to.equal("safe-signers");
    // A Safe signature of another digest is refused locally (the Safe's isValidSignature says no).
    const other = await safeApprover.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: usdt(2) });
    const blk = await ethers.provider.getBlockNumber();
    const bad = await bot.withdraw({ token: f.usdtAddr, to: f.otc, amount: usdt(2) }, { approval: { ...other, signature: a.signature } });
    expect(bad.sent).to.equal(false);
    if (!bad.sent && bad.decision.action === "reject") expect(bad.decision.error).to.be.instanceOf(InvalidApprovalError);
    expect(await ethers.provider.getBlockNumber()).to.equal(blk);
    await bot.stop();
  });

  it("releases a queued withdrawal early with an approval of its id; refuses an approval of another id", async () => {
    const f = await loadFixture(fixture);
    const approver = await approverFor(f);
    const bot = await operatorClient(f);
    const q = await bot.queue({ token: f.usdtAddr, to: f.exchange.address, amount: LARGE });
    if (!q.sent) throw new Error("not queued");
    const outcome = await q.tx.wait();
    if (outcome.status !== "queued") throw new Error("not queued");
    await bot.refresh();
    const wrong = await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.exchange.address, amount: LARGE });
    await expect(bot.executeEarly(outcome.id, wrong)).to.be.rejectedWith(InvalidApprovalError);
    const mismatch = await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.exchange.address, amount: LARGE - 1n, withdrawalId: outcome.id }).catch((x: unknown) => x);
    expect((mismatch as ApprovalRefusedError).reason).to.equal("withdrawal-mismatch");
    const before = await balance(f, f.exchange.address);
    const tx = await bot.executeEarly(outcome.id, (r) => approver.approve(r));
    expect((await tx.wait()).status).to.equal("withdrawn");
    expect((await balance(f, f.exchange.address)) - before).to.equal(LARGE);
    expect((await readQueuedWithdrawal(ethers.provider, f.vaultAddr, outcome.id)).status).to.equal("Executed");
    await bot.stop();
  });

  it("request counts of the co-signed path with a key approver: one eth_call and one eth_sendRawTransaction in steady state", async () => {
    const f = await loadFixture(fixture);
    const approver = await approverFor(f);
    const server = await startRpcServer();
    const { wallet, provider } = botWallet(server.url);
    try {
      const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: wallet, fromBlock: await deployBlock(f) });
      const counts = [];
      for (let i = 0; i < 3; i++) {
        const a = await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: usdt(1_000) });
        const m = await server.measure(() => bot.withdraw({ token: f.usdtAddr, to: f.otc, amount: usdt(1_000) }, { approval: a }));
        if (!m.result.sent) throw new Error("not sent");
        await m.result.tx.wait();
        counts.push(m.counts);
        await new Promise((r) => setTimeout(r, 300));
      }
      // The first one estimates gas once; then the kept gas limit is used.
      expect(counts[2].methods).to.deep.equal({ eth_call: 1, eth_sendRawTransaction: 1 });
      expect(counts[2].requests).to.equal(2);
      await bot.stop();
    } finally {
      provider.destroy();
      await server.close();
    }
  });

  it("policy mirror: approvalDigest equals the lens for ETH and an early-release id, on any chain id", async () => {
    const f = await loadFixture(fixture);
    const lens = await vaultLens();
    const r = { vault: f.vaultAddr, chainId: f.chainId, operator: f.bot1.address, token: NATIVE, to: f.otc, amount: eth(3), withdrawalId: 7n };
    expect(approvalDigest(r, 99n, 12345n)).to.equal(await lens.approvalDigest(f.vaultAddr, f.bot1.address, NATIVE, f.otc, eth(3), 7n, 99n, 12345n));
    expect(approvalDigest({ ...r, chainId: 1n }, 99n, 12345n)).to.not.equal(approvalDigest(r, 99n, 12345n));
    expect(POLICY.usdt.instant).to.be.lessThan(LARGE);
  });

  it("watcher decodes the new events and flags approver changes; the responder sees a co-signed withdrawal to a fresh co-signed destination", async () => {
    const f = await loadFixture(fixture);
    const from = await deployBlock(f);
    const w = new VaultWatcher({ provider: ethers.provider, vault: f.vaultAddr, fromBlock: from });
    const setup = await w.poll();
    const names = setup.map((e) => e.name);
    expect(names).to.include.members(["CosignedCapSet", "CosignedDestinationApproved"]);
    const granted = setup.filter((e) => e.anomalies.some((a) => a.kind === "ApproverChanged"));
    expect(granted.map((e) => e.anomalies[0])).to.deep.include({ kind: "ApproverChanged", approver: f.approverKey.address, added: true, by: f.admin.address });
    expect(formatVaultEvent(granted[0])).to.match(/anomaly: approver 0x[0-9a-fA-F]{40} added/);

    const rules = parseResponderRules({
      vault: f.vaultAddr,
      tripwire: { pause: false, cancelPending: false },
      withdrawals: { onUnexpected: "log", freshCosignedDestination: { withinSeconds: 7 * 86400, action: "pause" }, expected: [] },
      changes: { onUnexpected: "log", expected: [] },
    });
    const responder = await Responder.create({ vault: f.vaultAddr, signer: f.guardian, rules, fromBlock: from });
    await responder.poll();
    const approver = await approverFor(f);
    const bot = await operatorClient(f);
    const res = await bot.withdraw({ token: f.usdtAddr, to: f.otc, amount: LARGE }, { approval: (r) => approver.approve(r) });
    if (!res.sent) throw new Error("not sent");
    await res.tx.wait();
    // A forged approval trips: the new reason decodes.
    const forced = await bot.withdrawCosigned({ token: f.usdtAddr, to: f.otc, amount: usdt(1) }, { ...(await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: usdt(2) })) }, { force: true });
    if (!forced.sent) throw new Error("not sent");
    const tripped = await forced.tx.wait();
    expect(tripped.status === "tripped" && tripped.reason).to.equal("InvalidApproval");
    const round = await responder.poll();
    const finding = round.findings.find((x) => x.rule === "freshCosignedDestination");
    expect(finding?.detail).to.match(/co-signed withdrawal \(approver 0x[0-9a-fA-F]{40}\) of 300000000000 .* a co-signed destination approved \d+ s earlier/);
    expect(round.actions.map((a) => [a.action.kind, a.status])).to.deep.include(["pause", "confirmed"]);
    expect(round.actions.find((a) => a.action.kind === "pause")!.rules).to.include("freshCosignedDestination");
    expect(await f.vault.paused()).to.equal(true);
    const later = await w.poll();
    expect(later.map((e) => e.name)).to.include.members(["ApprovalUsed", "Withdrawn", "TripwireFired"]);
    const trip = later.find((e) => e.name === "TripwireFired")!;
    expect(trip.anomalies[0]).to.include({ kind: "TripwireFired", reason: "InvalidApproval" });
    // Without the rule, the same withdrawal is no finding of that rule.
    expect(() => parseResponderRules({ withdrawals: { expected: [], freshCosignedDestination: { withinSeconds: 10, action: "cancel" } }, changes: { expected: [] } })).to.throw(/freshCosignedDestination\.action/);
    await bot.stop();
  });

  it("every new custom error decodes from revert data to its typed SDK class with its arguments", async () => {
    const f = await loadFixture(fixture);
    const digest = "0x" + "ab".repeat(32);
    const cases: [string, unknown[], Record<string, unknown>][] = [
      ["NotApprover", [f.otc], { account: f.otc }],
      ["InvalidApproval", [f.otc, digest], { approver: f.otc, digest }],
      ["ApprovalExpired", [5n], { deadline: 5n }],
      ["ApprovalAlreadyUsed", [digest], { digest }],
      ["CosignedCapExceeded", [f.bot1.address, f.usdtAddr, 3n, 2n], { operator: f.bot1.address, token: f.usdtAddr, requested: 3n, available: 2n }],
      ["ApproverIsOperator", [f.bot1.address], { account: f.bot1.address }],
      ["ApproverStateUnchanged", [f.otc], { account: f.otc }],
    ];
    for (const [name, args, decoded] of cases) {
      const data = vaultInterface.encodeErrorResult(name, args);
      const e = decodeVaultError(data);
      expect(e, name).to.be.instanceOf(VAULT_ERROR_CLASSES[name as keyof typeof VAULT_ERROR_CLASSES]);
      expect(e).to.be.instanceOf(VaultRevertError);
      expect(e!.args).to.deep.equal(decoded);
    }
  });
});
