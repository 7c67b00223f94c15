import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { FunctionFragment, Interface, TypedDataEncoder, keccak256, toUtf8Bytes } from "ethers";
import { ChangeKind, DAY, NATIVE, POLICY, Status } from "../helpers/fixture";
import { AdminTransactions, GuardianTransactions, type UnsignedTransaction } from "../../sdk/clients";
import { InvalidInputError, UnrecognizedRevertError, WithdrawalNotPendingError } from "../../sdk/errors";
import {
  TX_BUILDER_VERSION,
  buildTxBuilderBatch,
  decodeMultiSend,
  execSafeTransaction,
  execSignedSafeTransaction,
  formatTxBuilderBatch,
  multiSendTransaction,
  safeSigningRequest,
  txBuilderChecksum,
  txBuilderSerialize,
  verifyTxBuilderBatch,
  type TxBuilderBatchFile,
} from "../../sdk/safe";
import { safeGuardedFixture, vaultSnapshot, type SafeGuardedFixture } from "./helpers";
import { views } from "../helpers/views";

const HEX32 = /^0x[0-9a-f]{64}$/;

/** bot1 queued a withdrawal (id 1) and the admin Safe proposed an unexpected change (the last id). */
async function scenario(): Promise<SafeGuardedFixture & { changeId: bigint }> {
  const f = await loadFixture(safeGuardedFixture);
  await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, POLICY.usdt.instant * 3n);
  await execSafeTransaction({ safe: f.adminSafe, tx: new AdminTransactions(f.vaultAddr).propose.setRecovery({ recovery: f.attacker.address }), owners: f.adminOwners.slice(0, 2) });
  return { ...f, changeId: await f.vault.changeCount() };
}

/** The emergency response as guardian transactions: cancel both, suspend bot1, lower bot2's limits, pause, evacuate ETH. */
function response(f: SafeGuardedFixture & { changeId: bigint }): UnsignedTransaction[] {
  const g = new GuardianTransactions(f.vaultAddr);
  return [
    g.cancelWithdrawal(1n),
    g.cancelChange(f.changeId),
    g.suspendOperator(f.bot1.address),
    g.lowerOperatorLimits({ operator: f.bot2.address, token: f.usdtAddr, cap: POLICY.usdt.cap / 2n, instantLimit: POLICY.usdt.instant / 2n, queueCap: 0n }),
    g.pause(),
    g.evacuate({ token: NATIVE, amount: "all" }),
  ];
}

async function expectResponded(f: SafeGuardedFixture & { changeId: bigint }): Promise<void> {
  expect((await views.getWithdrawal(f.vault, 1n)).status).to.equal(BigInt(Status.Cancelled));
  expect((await views.getChange(f.vault, f.changeId)).status).to.equal(BigInt(Status.Cancelled));
  expect(await views.isSuspended(f.vault, f.bot1.address)).to.equal(true);
  const s = await f.lens.operatorState(f.vault, f.bot2.address, f.usdtAddr);
  expect([s.cap, s.instantLimit, s.queueCap]).to.deep.equal([POLICY.usdt.cap / 2n, POLICY.usdt.instant / 2n, 0n]);
  expect(await f.vault.paused()).to.equal(true);
  expect(await ethers.provider.getBalance(f.vaultAddr)).to.equal(0n);
  expect(await f.vault.recovery()).to.equal(f.recovery.address);
}

/** Checks the file against the Transaction Builder's format, field by field. */
function expectBatchFormat(file: unknown, o: { chainId: bigint; safe: string; count: number }): asserts file is TxBuilderBatchFile {
  const b = file as Record<string, unknown>;
  expect(Object.keys(b).sort()).to.deep.equal(["chainId", "createdAt", "meta", "transactions", "version"]);
  expect(b.version).to.equal("1.0");
  expect(b.chainId).to.equal(o.chainId.toString());
  expect(b.createdAt).to.be.a("number");
  const meta = b.meta as Record<string, unknown>;
  expect(Object.keys(meta).sort()).to.deep.equal(["checksum", "createdFromOwnerAddress", "createdFromSafeAddress", "description", "name", "txBuilderVersion"]);
  for (const k of Object.keys(meta)) expect(meta[k], `meta.${k}`).to.be.a("string");
  expect(meta.createdFromSafeAddress).to.equal(o.safe);
  expect(meta.txBuilderVersion).to.equal(TX_BUILDER_VERSION);
  expect(meta.checksum).to.match(HEX32);
  const txs = b.transactions as Record<string, unknown>[];
  expect(txs).to.have.length(o.count);
  for (const tx of txs) {
    expect(tx.to).to.be.a("string");
    expect(tx.value).to.be.a("string").and.match(/^[0-9]+$/);
    expect(tx.data).to.be.a("string").and.match(/^0x[0-9a-f]+$/);
    const method = tx.contractMethod as { name: string; payable: boolean; inputs: unknown[] };
    expect(method.name).to.be.a("string");
    expect(method.payable).to.equal(false);
    const values = tx.contractInputsValues as Record<string, unknown>;
    for (const v of Object.values(values)) expect(v).to.be.a("string");
    // The description alone encodes to the same calldata (what the Transaction Builder does without `data`).
    const fragment = FunctionFragment.from({ type: "function", name: method.name, inputs: method.inputs, stateMutability: "nonpayable" });
    const args = fragment.inputs.map((p) => (p.isTuple() ? JSON.parse(values[p.name] as string) : values[p.name]));
    expect(new Interface([fragment]).encodeFunctionData(fragment, args)).to.equal(tx.data);
  }
}

describe("Transaction Builder batch files", () => {
  it("serializes and hashes the way the Transaction Builder checks a file", () => {
    expect(txBuilderSerialize({ b: 1, a: [true, null, "x"], c: { z: undefined } })).to.equal('{["a","b","c"][true,null,"x"],1,{["z"]null,},}');
    const batch = { version: "1.0", chainId: "1", createdAt: 5, meta: { name: "renamed freely", description: "" }, transactions: [{ to: "0xAb", value: "0", data: "0x" }] };
    const canonical = '{["chainId","createdAt","meta","transactions","version"]"1",5,{["description","name"]"",null,},[{["data","to","value"]"0x","0xAb","0",}],"1.0",}';
    expect(txBuilderChecksum(batch)).to.equal(keccak256(toUtf8Bytes(canonical)));
    // The name does not count (the app lets owners rename a batch); any other byte does.
    expect(txBuilderChecksum({ ...batch, meta: { ...batch.meta, name: "x" } })).to.equal(txBuilderChecksum(batch));
    expect(txBuilderChecksum({ ...batch, createdAt: 6 })).to.not.equal(txBuilderChecksum(batch));
    // Key order in the file does not matter.
    const reordered = { transactions: batch.transactions, meta: { description: "", name: "y" }, createdAt: 5, chainId: "1", version: "1.0" };
    expect(txBuilderChecksum(reordered)).to.equal(txBuilderChecksum(batch));
  });

  it("a guardian batch has the importable format, survives a JSON round trip, and its checksum is recomputed", async () => {
    const f = await scenario();
    const batch = buildTxBuilderBatch({ chainId: f.chainId, safe: f.guardianSafeAddr, transactions: response(f), name: "Incident 42", description: "stolen bot key", owner: f.guardianOwners[0].address, createdAt: 1_700_000_000_000 });
    const text = formatTxBuilderBatch(batch);
    const file: unknown = JSON.parse(text);
    expectBatchFormat(file, { chainId: f.chainId, safe: f.guardianSafeAddr, count: 6 });
    expect(file).to.deep.equal(batch);
    expect(file.meta).to.include({ name: "Incident 42", description: "stolen bot key", createdFromOwnerAddress: f.guardianOwners[0].address });
    expect(file.transactions.map((t) => t.contractMethod?.name)).to.deep.equal(["cancelWithdrawal", "cancelChange", "suspendOperator", "lowerOperatorLimits", "pause", "evacuate"]);
    expect(file.transactions.every((t) => t.to === f.vaultAddr && t.value === "0")).to.equal(true);
    expect(file.transactions[0].contractInputsValues).to.deep.equal({ id: "1" });
    expect(file.transactions[3].contractMethod?.inputs[0]).to.include({ name: "limits", type: "tuple", internalType: "struct IGuardedVault.OperatorLimits" });
    expect(JSON.parse(file.transactions[3].contractInputsValues!.limits)).to.deep.equal([f.bot2.address, f.usdtAddr, (POLICY.usdt.cap / 2n).toString(), (POLICY.usdt.instant / 2n).toString(), "0"]);
    expect(file.transactions[5].contractInputsValues).to.deep.equal({ token: NATIVE, amount: ethers.MaxUint256.toString() });

    // The checksum, recomputed independently: keccak256 of the canonical form without meta.checksum, name as null.
    const { checksum, ...meta } = file.meta;
    expect(keccak256(toUtf8Bytes(txBuilderSerialize({ ...file, meta: { ...meta, name: null } })))).to.equal(checksum);
    const v = verifyTxBuilderBatch(text, { chainId: f.chainId, safe: f.guardianSafeAddr });
    expect(v.checksumValid).to.equal(true);
    expect(v.checksum).to.equal(checksum);
    expect(v.transactions).to.deep.equal(response(f).map((t) => ({ ...t, data: t.data.toLowerCase() })));

    // Renaming keeps it valid; any other edit is detected.
    expect(verifyTxBuilderBatch({ ...file, meta: { ...file.meta, name: "Renamed" } }).checksumValid).to.equal(true);
    const edits: ((b: TxBuilderBatchFile) => TxBuilderBatchFile)[] = [
      (b) => ({ ...b, meta: { ...b.meta, description: "nothing to see" } }),
      (b) => ({ ...b, createdAt: b.createdAt + 1 }),
      (b) => ({ ...b, transactions: [...b.transactions].reverse() }),
      (b) => ({ ...b, transactions: b.transactions.map((t, i) => (i === 0 ? { ...t, value: "1" } : t)) }),
      (b) => ({ ...b, transactions: b.transactions.map((t, i) => (i === 2 ? { to: t.to, value: t.value, data: new GuardianTransactions(f.vaultAddr).suspendOperator(f.bot2.address).data.toLowerCase() } : t)) }),
    ];
    for (const edit of edits) expect(verifyTxBuilderBatch(edit(file)).checksumValid).to.equal(false);
  });

  it("executing the file's transactions one by one through the guardian Safe has the intended effect", async () => {
    const f = await scenario();
    const file = JSON.parse(formatTxBuilderBatch(buildTxBuilderBatch({ chainId: f.chainId, safe: f.guardianSafeAddr, transactions: response(f) })));
    const { transactions } = verifyTxBuilderBatch(file, { chainId: f.chainId, safe: f.guardianSafeAddr });
    const nonce = await f.guardianSafe.nonce();
    for (const tx of transactions) await execSafeTransaction({ safe: f.guardianSafe, tx, owners: [f.guardianOwners[2], f.guardianOwners[0]] });
    expect(await f.guardianSafe.nonce()).to.equal(nonce + 6n);
    await expectResponded(f);
  });

  it("as one MultiSendCallOnly batch, signed by owners separately from typed data, it executes all at once or not at all", async () => {
    const f = await scenario();
    const { transactions } = verifyTxBuilderBatch(formatTxBuilderBatch(buildTxBuilderBatch({ chainId: f.chainId, safe: f.guardianSafeAddr, transactions: response(f) })));
    const batchTx = multiSendTransaction({ multiSend: f.multiSendAddr, transactions });
    expect(decodeMultiSend(batchTx.data)).to.deep.equal(transactions);

    // A batch with one failing call (the withdrawal is cancelled twice) reverts whole: nothing changes.
    const before = await vaultSnapshot(f);
    const failing = multiSendTransaction({ multiSend: f.multiSendAddr, transactions: [...transactions, transactions[0]] });
    const bad = safeSigningRequest({ chainId: f.chainId, safe: f.guardianSafeAddr, nonce: await f.guardianSafe.nonce(), tx: failing });
    const badSigs = await Promise.all(f.guardianOwners.slice(0, 2).map(async (o) => ({ owner: o.address, signature: await o.signTypedData(bad.typedData.domain, { SafeTx: [...bad.typedData.types.SafeTx] }, bad.typedData.message) })));
    const err = await execSignedSafeTransaction({ safe: f.guardianSafeAddr, safeTx: bad.safeTx, signatures: badSigs, executor: f.stranger }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(WithdrawalNotPendingError);
    expect(await vaultSnapshot(f)).to.deep.equal(before);

    // The good batch: each owner signs the typed data with eth_signTypedData_v4, as a wallet would, and anyone executes.
    const request = safeSigningRequest({ chainId: f.chainId, safe: f.guardianSafeAddr, nonce: await f.guardianSafe.nonce(), tx: batchTx });
    expect(request.safeTx.operation).to.equal(1);
    expect(request.typedData.message.operation).to.equal(1);
    const signatures = [];
    for (const owner of [f.guardianOwners[1], f.guardianOwners[2]]) {
      const signature: string = await ethers.provider.send("eth_signTypedData_v4", [owner.address, JSON.stringify(request.typedData)]);
      signatures.push({ owner: owner.address, signature });
    }
    const receipt = await execSignedSafeTransaction({ safe: f.guardianSafeAddr, safeTx: request.safeTx, signatures, executor: f.stranger });
    expect(receipt.status).to.equal(1);
    await expectResponded(f);
    expect(await f.vault.queryFilter(f.vault.filters.VaultPaused(), receipt.blockNumber, receipt.blockNumber)).to.have.length(1);
  });

  it("the signing request's hash is the Safe's own, its typed data hashes to it, and a signature for another nonce is refused", async () => {
    const f = await scenario();
    const tx = new GuardianTransactions(f.vaultAddr).pause();
    const nonce = await f.guardianSafe.nonce();
    const request = safeSigningRequest({ chainId: f.chainId, safe: f.guardianSafeAddr, nonce, tx });
    const s = request.safeTx;
    expect(request.safeTxHash).to.equal(await f.guardianSafe.getTransactionHash(s.to, s.value, s.data, s.operation, s.safeTxGas, s.baseGas, s.gasPrice, s.gasToken, s.refundReceiver, s.nonce));
    const { EIP712Domain: _, ...types } = request.typedData.types;
    expect(TypedDataEncoder.hash(request.typedData.domain, { SafeTx: [...types.SafeTx] }, request.typedData.message)).to.equal(request.safeTxHash);
    expect(JSON.parse(JSON.stringify(request.typedData))).to.deep.equal(request.typedData);
    expect(request.typedData.message).to.include({ to: f.vaultAddr, value: "0", data: tx.data, operation: 0, nonce: nonce.toString() });

    const later = safeSigningRequest({ chainId: f.chainId, safe: f.guardianSafeAddr, nonce: nonce + 1n, tx });
    expect(later.safeTxHash).to.not.equal(request.safeTxHash);
    const sign = (o: (typeof f.guardianOwners)[number], r: typeof request) => ethers.provider.send("eth_signTypedData_v4", [o.address, JSON.stringify(r.typedData)]) as Promise<string>;
    const stale = await Promise.all(f.guardianOwners.slice(0, 2).map(async (o) => ({ owner: o.address, signature: await sign(o, later) })));
    const err = await execSignedSafeTransaction({ safe: f.guardianSafeAddr, safeTx: request.safeTx, signatures: stale, executor: f.stranger }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnrecognizedRevertError);
    expect((err as UnrecognizedRevertError).reason).to.equal("Error(GS026)");
    expect(await f.vault.paused()).to.equal(false);
  });

  it("an admin batch proposes through the admin Safe, and a later one executes the change once its delay has passed", async () => {
    const f = await loadFixture(safeGuardedFixture);
    const admin = new AdminTransactions(f.vaultAddr);
    const newCap = POLICY.usdt.vaultCap * 2n;
    const proposal = buildTxBuilderBatch({ chainId: f.chainId, safe: f.adminSafeAddr, transactions: [admin.propose.setVaultCap({ token: f.usdtAddr, vaultCap: newCap }), admin.lengthenDelays({ changeDelay: DAY * 2n, withdrawalDelay: DAY * 2n })] });
    expectBatchFormat(JSON.parse(formatTxBuilderBatch(proposal)), { chainId: f.chainId, safe: f.adminSafeAddr, count: 2 });
    expect(proposal.transactions[0].contractMethod?.inputs.map((i) => [i.name, i.type, i.internalType])).to.deep.equal([["kind", "uint8", "enum IGuardedVault.ChangeKind"], ["params", "bytes", "bytes"]]);
    expect(proposal.transactions[0].contractInputsValues?.kind).to.equal(String(ChangeKind.SetVaultCap));

    for (const tx of verifyTxBuilderBatch(formatTxBuilderBatch(proposal)).transactions) await execSafeTransaction({ safe: f.adminSafe, tx, owners: f.adminOwners.slice(1) });
    const id = await f.vault.changeCount();
    expect((await views.getChange(f.vault, id)).status).to.equal(BigInt(Status.Pending));
    expect(await f.vault.changeDelay()).to.equal(Number(DAY * 2n));

    await time.increase(DAY * 2n);
    const execution = buildTxBuilderBatch({ chainId: f.chainId, safe: f.adminSafeAddr, transactions: [admin.executeChange(id)] });
    expect(execution.transactions[0].contractInputsValues).to.deep.equal({ id: id.toString() });
    for (const tx of verifyTxBuilderBatch(formatTxBuilderBatch(execution)).transactions) await execSafeTransaction({ safe: f.adminSafe, tx, owners: [f.adminOwners[0], f.adminOwners[2]] });
    expect((await f.lens.tokenState(f.vault, f.usdtAddr)).vaultCap).to.equal(newCap);
  });

  it("rejects files that break the format, naming the field", async () => {
    const f = await loadFixture(safeGuardedFixture);
    const good = buildTxBuilderBatch({ chainId: f.chainId, safe: f.guardianSafeAddr, transactions: [new GuardianTransactions(f.vaultAddr).pause(), new GuardianTransactions(f.vaultAddr).cancelWithdrawal(7n)] });
    const tx0 = good.transactions[0];
    const tx1 = good.transactions[1];
    const bad: [unknown, string][] = [
      ["{ not json", "batch"],
      [[], "batch"],
      [{ ...good, chainId: 31337 }, "chainId"],
      [{ ...good, createdAt: "now" }, "createdAt"],
      [{ ...good, meta: undefined }, "meta"],
      [{ ...good, meta: { ...good.meta, checksum: undefined } }, "meta.checksum"],
      [{ ...good, meta: { ...good.meta, createdFromSafeAddress: "0x1234" } }, "meta.createdFromSafeAddress"],
      [{ ...good, transactions: [] }, "transactions"],
      [{ ...good, transactions: [{ ...tx0, value: 0 }] }, "transactions[0].value"],
      [{ ...good, transactions: [tx0, { ...tx1, value: "1e18" }] }, "transactions[1].value"],
      [{ ...good, transactions: [{ ...tx0, to: "vault" }] }, "transactions[0].to"],
      [{ ...good, transactions: [{ ...tx0, data: "pause()" }] }, "transactions[0].data"],
      [{ ...good, transactions: [{ to: tx0.to, value: "0" }] }, "transactions[0].data"],
      [{ ...good, transactions: [tx0, { ...tx1, contractInputsValues: { id: "8" } }] }, "transactions[1].contractMethod"],
      [{ ...good, transactions: [tx0, { ...tx1, data: null, contractInputsValues: {} }] }, "transactions[1].contractInputsValues.id"],
      [{ ...good, transactions: [tx0, { ...tx1, contractInputsValues: { id: 7 } }] }, "transactions[1].contractInputsValues.id"],
    ];
    for (const [file, field] of bad) {
      const err = (() => {
        try {
          verifyTxBuilderBatch(file);
        } catch (e) {
          return e;
        }
      })();
      expect(err, field).to.be.instanceOf(InvalidInputError);
      expect((err as InvalidInputError).field, JSON.stringify(file).slice(0, 80)).to.equal(field);
    }
    expect(() => verifyTxBuilderBatch(good, { chainId: 1n })).to.throw(InvalidInputError, /chain 31337, not 1/);
    expect(() => verifyTxBuilderBatch(good, { safe: f.adminSafeAddr })).to.throw(InvalidInputError, /made for the Safe/);
    // A file that carries only the method description (as the app writes for calls it encodes itself) is accepted.
    const described = { ...good, transactions: [{ ...tx1, data: null }] };
    expect(verifyTxBuilderBatch(described).transactions).to.deep.equal([{ to: f.vaultAddr, value: 0n, data: tx1.data }]);
    expect(() => buildTxBuilderBatch({ chainId: f.chainId, safe: f.guardianSafeAddr, transactions: [] })).to.throw(InvalidInputError, /transactions/);
    expect(() => buildTxBuilderBatch({ chainId: 0n, safe: f.guardianSafeAddr, transactions: [tx1 as never] })).to.throw(InvalidInputError, /chainId/);
  });
});
